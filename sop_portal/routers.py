"""Reads of the reports and exports on a PostgreSQL replica (docs/deployment.md, "From one machine to several").

With `DATABASE_REPLICA_URL` set, the settings add a `replica` database and this router. A read goes
there only inside `reading_from_replica()`, which the report pages, the report PDF task and the
exports enter; every other read, every write, every `select_for_update` (Django asks the router
for the write database then) and every read inside a transaction on the primary (one that may
decide a write) stays on `default`. The queries are the same on either connection, so the agency
and unit scoping of a report or an export does not change. Figures read on the replica may lag
the primary by its replication delay.

The flag is a context variable: each thread, and each asyncio task, has its own.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model

REPLICA = "replica"

# State a request or a task writes back or claims: never read from a copy that may lag. The task
# queue's app (django_tasks_db) has the label "django_tasks_database".
PRIMARY_ONLY_APPS = frozenset({"sessions", "django_cache", "django_tasks_database"})

_reading = ContextVar("reading_from_replica", default=False)


@contextmanager
def reading_from_replica() -> Iterator[None]:
    """Inside it (a `with` block, or a function decorated with `@reading_from_replica()`), plain
    reads go to the replica when one is configured; without one it changes nothing."""
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


class ReplicaRouter:
    def db_for_read(self, model: type[Model], **hints: object) -> str:
        if (
            _reading.get()
            and replica_configured()
            and model._meta.app_label not in PRIMARY_ONLY_APPS
            and not connections[DEFAULT_DB_ALIAS].in_atomic_block
        ):
            return REPLICA
        # Explicitly the primary: a row read on the replica and used after the block (its related
        # rows, a refresh) is read again from the primary, not from where it came.
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model: type[Model], **hints: object) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Model, obj2: Model, **hints: object) -> bool | None:
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA}:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: object) -> bool:
        return db == DEFAULT_DB_ALIAS
