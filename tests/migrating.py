"""The migration walk: every migration from an empty database, once per run, with the data-migration
tests' stops on the way and the schema test's looks at both ends.

Going back from the latest schema to an old one costs Django about as much as migrating forward
again (it renders the project state before each migration it unapplies): the schema test migrated
from nothing, and each data-migration test went back and forth over most of the same migrations.
Now one walk serves them all (the session fixture `migration_walk`, tests/conftest.py):

1. Each registered `look` (tests/test_schema.py's `schema`) reads the test database as the session
   made it (on SQLite, from the models); every table and view is dropped; the looks read again.
2. The registered `stop`s (one per data-migration module), in the order of how many migrations
   their `before` needs: the walk migrates forward to `before`, empties every table and `make`
   writes the test's rows with the historical models of that state; forward to `after`, and
   `read` returns what the test asserts on (with what `make` returned). The rows meet exactly the
   migrations between the two, as a database made at `before` would; an app not named in `before`
   is where the walk's earlier targets left it, so `before` names every app the rows touch. A stop
   whose `before` the walk has passed in one of its apps (overlapping windows) stops the walk with
   an error: it never goes back (cases 0018's reverse check, inside its own `read`, excepted).
3. Forward to the last migrations; the looks read the schema the migrations built.

The walk runs on the test database, outside any test's transaction, before the first test that
asks for it. Its results are plain data: under pytest-xdist the first worker that needs them
walks, under a file lock in the run's temporary folder, and leaves them pickled for the other,
which does not walk. The session database is then brought back (tests/conftest.py): on SQLite the
snapshot copied back, schema and rows; on PostgreSQL, where the walk ends at the latest schema,
the tables flushed (post_migrate with them) and the session data loaded again.

Modules register at import, that is at collection: a run of one file walks for its stops alone.
"""

import fcntl
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.management.color import no_style
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.state import ProjectState

Targets = list[tuple[str, str]]


@dataclass(frozen=True)
class Stop:
    """A data-migration test's stop on the walk: rows made at `before`, read at `after`."""

    before: Targets
    after: Targets
    make: Callable[[Any], Any]
    read: Callable[[Any], Any]


STOPS: dict[str, Stop] = {}
LOOKS: dict[str, Callable[[], Any]] = {}


def stop(key: str, *, before: Targets, after: Targets, make: Callable[[Any], Any], read: Callable[[Any], Any]) -> str:
    """Register a stop (at import of its test module); the walk's results for it are under `key`:
    {"made": what make returned, "read": what read returned}."""
    STOPS[key] = Stop(before, after, make, read)
    return key


def look(key: str, read: Callable[[], Any]) -> str:
    """Register a look at the database; the walk's results under `key`: {"models": before it empties
    the database, "emptied": right after, "migrations": after the last migration}."""
    LOOKS[key] = read
    return key


def once_per_run(shared: Path | None, compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """compute() once per run: under xdist (`shared`, the workers' common temporary folder) the first
    worker computes under a lock and leaves the results for the others; without xdist, compute()."""
    if shared is None:
        return compute()
    done = shared / "migration-walk.pickle"
    with open(shared / "migration-walk.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, or when the worker dies
        if not done.exists():  # no other worker walked, or its walk failed: walk here
            results = compute()
            partial = done.with_suffix(".partial")
            partial.write_bytes(pickle.dumps(results))
            partial.rename(done)
            return results
    return pickle.loads(done.read_bytes())


def walk() -> dict[str, Any]:
    """The walk above, on the test database; returns each stop's and each look's results by key.
    It leaves the database at the latest schema with its tables empty (the caller restores it)."""
    results: dict[str, Any] = {key: {"models": read()} for key, read in LOOKS.items()}
    drop_everything()
    for key, read in LOOKS.items():
        results[key]["emptied"] = read()
    executor = MigrationExecutor(connection)
    state = None
    for key, stop in ordered_stops(executor):
        state = forward(executor, stop.before, state, key)
        empty_every_table()
        made = stop.make(models_of(state))
        state = forward(executor, stop.after, state, key)
        applied = set(executor.loader.applied_migrations)
        results[key] = {"made": made, "read": stop.read(models_of(state))}
        executor.loader.build_graph()
        if set(executor.loader.applied_migrations) != applied:
            raise RuntimeError(f"{key}: read() left the database at other migrations than `after`")
    forward(executor, executor.loader.graph.leaf_nodes(), state, "the end of the walk")
    for key, read in LOOKS.items():
        results[key]["migrations"] = read()
    empty_every_table()
    return results


def ordered_stops(executor: MigrationExecutor) -> list[tuple[str, Stop]]:
    """The stops by how many migrations their `before` needs: the order of the walk."""
    graph = executor.loader.graph

    def needed(stop: Stop) -> int:
        return len(set().union(*(graph.forwards_plan(target) for target in stop.before)))

    return sorted(STOPS.items(), key=lambda item: needed(item[1]))


def forward(executor: MigrationExecutor, targets: Targets, state: ProjectState | None, key: str) -> ProjectState:
    """Migrate forward to `targets`, from `state` (the state the last call returned, rendered: it is
    not rendered again); refuses to go back."""
    plan = executor.migration_plan(targets)
    behind = [str(migration) for migration, backwards in plan if backwards]
    if behind:
        raise RuntimeError(f"{key}: the walk is already past {targets}; it would unapply {behind}")
    state = executor.migrate(targets, plan=plan, state=state)
    executor.loader.build_graph()  # the applied migrations, read again
    return state


def models_of(state: ProjectState) -> Any:
    """The state's historical models; rendered anew, as RunPython has them, where the walk left some
    delayed (the models related to one a field was added to still point to its previous class)."""
    if state.is_delayed:
        state = state.clone()
        state.clear_delayed_apps_cache()
    return state.apps


def drop_everything():
    """Every table and view (django_migrations too): the database as new."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The tables and views, not the schema: dropping `public` needs a role that owns it
            # (PostgreSQL 15 gives it to the database owner, 13 and 14 to the superuser).
            cursor.execute(
                "SELECT format('%I.%I', table_schema, table_name), table_type FROM information_schema.tables"
                " WHERE table_schema = current_schema() ORDER BY table_type DESC"
            )
            for name, kind in cursor.fetchall():
                cursor.execute(f"DROP {'VIEW' if kind == 'VIEW' else 'TABLE'} IF EXISTS {name} CASCADE")
            return
        cursor.execute("PRAGMA foreign_keys = OFF")
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'view'")
        for (view,) in cursor.fetchall():
            cursor.execute(f'DROP VIEW "{view}"')
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'DROP TABLE "{table}"')
        cursor.execute("PRAGMA foreign_keys = ON")


def empty_every_table():
    """Every row of every table but the applied migrations: each stop makes its rows alone."""
    tables = [name for name in connection.introspection.table_names() if name != "django_migrations"]
    connection.ops.execute_sql_flush(connection.ops.sql_flush(no_style(), tables, allow_cascade=True))
