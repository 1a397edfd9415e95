"""Rows made under an old schema and migrated forward: the shared body of the data-migration tests."""

from collections.abc import Callable, Iterator
from typing import Any

from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.conftest import load_session_data, restore_session_data

Targets = list[tuple[str, str]]


def migrated_rows(
    before: Targets,
    after: Targets,
    make: Callable[[Any], None],
    read: Callable[[Any], Any],
    drop: Callable[[Any], None],
) -> Iterator[Any]:
    """Go back to `before`, `make` rows with its models, migrate to `after`, yield what `read` finds;
    then `drop` them and bring the database back to the latest schema with the session data."""
    # The session data cannot go back through the schema change (old columns are NOT NULL).
    call_command("flush", verbosity=0, interactive=False)
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    executor.loader.build_graph()
    make(executor.loader.project_state(before).apps)
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    executor.loader.build_graph()
    apps = executor.loader.project_state(after).apps
    try:
        yield read(apps)
    finally:
        drop(apps)
        if not restore_session_data(schema_too=True):  # SQLite copies back the schema with the rows
            executor = MigrationExecutor(connection)
            executor.migrate(executor.loader.graph.leaf_nodes())
            load_session_data()
