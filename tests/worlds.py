"""A world of rows built once per test module instead of once per test (on SQLite)."""

from contextlib import contextmanager

from django.db import connection, transaction
from django.test import override_settings

from agencies.models import Agency
from tests.conftest import restore_session_data, sqlite_snapshot


@contextmanager
def built_once(django_db_blocker, media_root, build):
    """On SQLite: `build()` run and committed over the session data (restored first if a
    transactional test emptied it), its files under `media_root`; gives (True, what build returned).
    Each test then rolls back its own changes; when the module ends, the database as it was before
    the world is copied back. On PostgreSQL gives (False, None): the caller builds the world in each
    test, rolled back with it."""
    if connection.vendor != "sqlite":
        yield False, None
        return
    with django_db_blocker.unblock():
        if not Agency.objects.filter(slug="lumajang").exists():
            restore_session_data()
        before = sqlite_snapshot()
        try:
            with override_settings(MEDIA_ROOT=media_root), transaction.atomic():
                world = build()
            yield True, world
        finally:
            connection.ensure_connection()
            before.backup(connection.connection)
            before.close()
