import datetime
import gc
import io
import json
import os
import sqlite3
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.test import override_settings
from django.utils import timezone

from agencies import org
from agencies.models import Agency, Official, User
from agencies.services import DEMO_PASSWORD, create_demo_users, load_agencies
from cases import services as case_services
from cases import workflow
from cases.models import Case, LetterTemplate
from sop_catalog.models import SOP
from sop_catalog.services import import_sops
from tests import migrating
from tests.factories import PersonFactory

DATA = Path(__file__).parent / "data"
# The OCR seed documents sit beside this team's checkout and CI's, never beside a user's clone.
SEED_DIR = settings.BASE_DIR.parent / "shared" / "seeds"


def pytest_configure(config):
    # Demo users are created in many tests; the production hasher would dominate the run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_collection_finish(session):
    """Every module is imported: the objects that live for the whole run (modules, classes, the app
    registry) are moved out of the collector's way, and the youngest generation is collected less
    often. About 6 % less CPU on the admin walls (paired runs), for some 30 MB more per worker."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def pytest_collection_modifyitems(config, items):
    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://… (see README)")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip)
    run_long_tests_first(items)


def is_transactional(item):
    marker = item.get_closest_marker("django_db")
    fixtures = getattr(item, "fixturenames", ())
    if marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")):
        return True
    return "transactional_db" in fixtures or "live_server" in fixtures


def run_long_tests_first(items):
    """The tests marked `long`, longest first, ahead of the rest (pytest-django has already put the
    rolled-back database tests before the transactional ones): xdist hands them out first, so the
    workers end together instead of one finishing a long test alone. A transactional test stays in
    its place: run first, it would empty the database under the rolled-back tests."""
    long = [item for item in items if item.get_closest_marker("long")]
    wrong = [item.nodeid for item in long if is_transactional(item)]
    if wrong:
        raise pytest.UsageError(f"a transactional test cannot be marked long: {wrong}")
    weight = {id(item): -item.get_closest_marker("long").args[0] for item in long}
    items[:] = sorted(long, key=lambda item: weight[id(item)]) + [item for item in items if id(item) not in weight]


def load_session_data():
    """What every database test starts from: the three agencies, their demo users, the 24 SOPs, the letters."""
    load_agencies(path=settings.BASE_DIR / "fixtures" / "agencies.json")
    create_demo_users()
    call_command("load_sops", verbosity=0)
    call_command("load_letters", verbosity=0)


# On SQLite, a copy of the migrated and loaded test database (in memory, per xdist worker).
_SNAPSHOT: dict[str, sqlite3.Connection] = {}


def sqlite_snapshot():
    """A copy in memory of the SQLite test database as it is now (to copy back with .backup())."""
    connection.ensure_connection()
    snapshot = sqlite3.connect(":memory:", check_same_thread=False)
    connection.connection.backup(snapshot)
    return snapshot


def restore_session_data(schema_too=False):
    """Bring back the database as the session began: on SQLite a page copy of the snapshot (schema and
    rows, a few milliseconds); elsewhere, or inside a transaction, the session data loaded again.
    With schema_too, returns False where only the rows could be loaded (the caller migrates)."""
    snapshot = _SNAPSHOT.get("default")
    if snapshot is not None and not connection.in_atomic_block:
        connection.ensure_connection()
        snapshot.backup(connection.connection)
        return True
    if schema_too:
        return False
    load_session_data()
    return True


@pytest.fixture(scope="session")
def django_db_use_migrations():
    """On SQLite the test database is made from the models (pytest-django's --nomigrations: about
    5 s less per xdist worker) and its migrations recorded as applied; the walk of every migration
    (tests/migrating.py) runs them, and tests/test_schema.py proves they build the same schema.
    PostgreSQL runs the migrations (its trigram index and the like exist only there)."""
    return connection.vendor != "sqlite"


def record_migrations_applied():
    """Migrations on again, and every one on disk recorded as applied to the database made from
    the models: what `migrate` would have left."""
    settings.MIGRATION_MODULES = {}
    recorder = MigrationRecorder(connection)
    recorder.ensure_schema()
    nodes = MigrationLoader(None, ignore_no_migrations=True).graph.nodes
    recorder.migration_qs.bulk_create([recorder.Migration(app=app, name=name) for app, name in sorted(nodes)])


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, django_db_use_migrations):
    """The test database, migrated and loaded once per session (per xdist worker); tests roll back."""
    with django_db_blocker.unblock():
        name = str(connection.settings_dict["NAME"])
        if not (name.startswith("test_") or name.startswith("file:memorydb_")):
            # pytest-django sets up a test database only when a collected test asks for one.
            pytest.exit(f"no test database was set up (the connection is {name}): mark the tests django_db", 3)
        if not django_db_use_migrations:
            record_migrations_applied()
        load_session_data()
        if connection.vendor == "sqlite":
            _SNAPSHOT["default"] = sqlite_snapshot()


@pytest.fixture(scope="session")
def migration_walk(django_db_setup, django_db_blocker, tmp_path_factory):
    """What the walk of every migration from an empty database found (tests/migrating.py), by the
    key each data-migration test or look registered; walked once per run (under xdist by the first
    worker that asks, the others read its results), the session database brought back after."""
    shared = tmp_path_factory.getbasetemp().parent if os.environ.get("PYTEST_XDIST_WORKER") else None
    with django_db_blocker.unblock():
        return migrating.once_per_run(shared, walk_and_restore)


def walk_and_restore():
    try:
        return migrating.walk()
    finally:
        if not restore_session_data(schema_too=True):  # PostgreSQL: to the latest schema (a failed walk
            executor = MigrationExecutor(connection)  # stops short), flushed, the session data again
            executor.migrate(executor.loader.graph.leaf_nodes())
            call_command("flush", verbosity=0, interactive=False)
            load_session_data()


@pytest.fixture(autouse=True)
def _session_data(request):
    """A transactional test (transaction=True, live_server) empties the database when it ends; the next
    one starts from the session data again (restore_session_data), so every database test sees the same start."""
    uses_db = "_django_db_helper" in request.fixturenames or request.node.get_closest_marker("django_db")
    if not uses_db:
        return
    request.getfixturevalue("_django_db_helper")
    if not Agency.objects.filter(slug="lumajang").exists():
        restore_session_data()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: no rate-limit counter, queued mark or cached page of another."""
    cache.clear()


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Uploads and issued PDFs go to the test's own folder: never var/media, never another xdist worker's."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def seed_dir():
    """The seed documents; the test skips without them, unless REQUIRE_SEEDS=1 (as .ci/run sets)."""
    if not SEED_DIR.is_dir():
        if os.environ.get("REQUIRE_SEEDS") == "1":
            pytest.fail(f"REQUIRE_SEEDS=1 but there are no seed documents at {SEED_DIR}")
        pytest.skip(f"no seed documents at {SEED_DIR} (../shared/seeds beside the checkout)")
    return SEED_DIR


@pytest.fixture
def agencies(db):
    """The three agencies of the session data."""


@pytest.fixture
def demo_users(agencies):
    """Every demo account: <agency>-<desk> and the holders of the second bidang (lumajang-kasi-rehsos …)."""
    users = User.objects.filter(agency__isnull=False).select_related("agency")
    return {user.username: user for user in users if user.username.startswith(f"{user.agency.slug}-")}


@pytest.fixture
def catalog(demo_users):
    """The 24 SOPs of fixtures/sops and the letter templates of fixtures/letters.json (session data)."""


# seed_demo's world, read by the tests of the demo data (its states, its spread over the desks, the
# queue columns): 40 Lumajang cases with seed 5 reach every case state (165 steps done), then a run
# with --if-empty that adds none. No letter templates: the cases signed on the way render no letter
# PDF that these tests do not read.
DEMO_WORLD = [["--cases", "40", "--agency", "lumajang", "--seed", "5"], ["--cases", "5", "--if-empty"]]


def seed_demo_world():
    """Seed the demo world into the database; returns the commands' output."""
    LetterTemplate.objects.all().delete()
    out = io.StringIO()
    for args in DEMO_WORLD:
        call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture(scope="session")
def demo_world_snapshot(django_db_setup, django_db_blocker, tmp_path_factory):
    """On SQLite, the demo world seeded once per session (per xdist worker), committed, copied to
    memory, and the database put back as it was: (the copy, the output). None elsewhere."""
    if connection.vendor != "sqlite":
        return None
    with django_db_blocker.unblock():
        if not Agency.objects.filter(slug="lumajang").exists():  # a transactional test emptied it
            restore_session_data()
        before = sqlite_snapshot()
        with override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")), transaction.atomic():
            output = seed_demo_world()
        world = sqlite_snapshot()
        before.backup(connection.connection)
        before.close()
    return world, output


@pytest.fixture(scope="class")
def _demo_world_copied(demo_world_snapshot, django_db_blocker):
    """The world copied into the database before the test's transaction begins, and the database
    as it was copied back after the transaction is rolled back. Class scope sets it up before every
    function-scoped fixture and tears it down after them; a test function outside a class gets its
    own (pytest falls back to the function)."""
    if demo_world_snapshot is None:
        yield
        return
    world, _output = demo_world_snapshot
    with django_db_blocker.unblock():
        before = sqlite_snapshot()
        world.backup(connection.connection)
    try:
        yield
    finally:
        with django_db_blocker.unblock():
            connection.ensure_connection()
            before.backup(connection.connection)
            before.close()


@pytest.fixture
def demo_world(_demo_world_copied, demo_world_snapshot, demo_users):
    """seed_demo's world (DEMO_WORLD) in this test's database; returns the commands' output. On
    PostgreSQL it is seeded here, inside the test's transaction."""
    if demo_world_snapshot is None:
        return seed_demo_world()
    return demo_world_snapshot[1]


@pytest.fixture
def demo_password():
    return DEMO_PASSWORD


def sample_data():
    return json.loads((DATA / "sample_sop.json").read_text(encoding="utf-8"))


@pytest.fixture
def sample_sop(db):
    import_sops(sample_data())
    return SOP.objects.get(slug="contoh-spm", is_current=True)


@pytest.fixture
def is_postgres():
    return connection.vendor == "postgresql"


@pytest.fixture
def lumajang(agencies):
    return Agency.objects.get(slug="lumajang")


@pytest.fixture
def petugas(demo_users):
    return demo_users["lumajang-petugas"]


@pytest.fixture
def petugas_client(client, petugas):
    client.force_login(petugas)
    return client


@pytest.fixture
def spm(lumajang):
    """The sample SPM SOP, owned by Lumajang."""
    data = sample_data()
    data[0]["agency"] = {"name": lumajang.name, "slug": lumajang.slug, "region": lumajang.region}
    data[0]["slug"] = "lumajang-contoh-spm"
    import_sops(data)
    return SOP.objects.get(slug="lumajang-contoh-spm", is_current=True)


@pytest.fixture
def person(lumajang):
    return PersonFactory(agency=lumajang)


@pytest.fixture
def draft(spm, person, petugas):
    return case_services.open_case(
        user=petugas, sop=spm, applicant=person, beneficiary=person, channel="datang", purpose="Berobat ke RSUD"
    )


@pytest.fixture
def registered(draft, petugas):
    return case_services.register_case(case=draft, user=petugas)


@pytest.fixture
def walk(demo_users):
    """Complete the current step as the demo user of its desk; returns the refreshed case."""

    def step(case, branch="", note="", username=None, **extra):
        case = Case.objects.get(pk=case.pk)
        user = demo_users[username] if username else desk_user(demo_users, case)
        return workflow.complete_step(
            case=case, user=user, step_id=case.current_step_id, branch=branch, note=note, **extra
        )

    return step


def desk_user(demo_users, case):
    """The demo user who works at the case's current desk for its SOP's unit: <agency>-<desk> when
    that one serves it (lumajang-kasi: Linjamsos), else the demo holder of that desk's position in
    the SOP's bidang (lumajang-kasi-rehsos, …)."""
    desk, unit = case.current_step.desk, case.sop.org_unit_id
    first = demo_users.get(f"{case.agency.slug}-{desk}")
    if first is not None and org.serves(first, desk, unit):
        return first
    prefix = f"{case.agency.slug}-{desk}-"
    found = [u for name, u in sorted(demo_users.items()) if name.startswith(prefix) and org.serves(u, desk, unit)]
    assert found, f"no demo user at {desk} for {case.sop.slug}"
    return found[0]


def hand_over(position, predecessor, successor, name="KEPALA SEKSI PENGGANTI, S.Sos."):
    """A handover as the admin records it: the predecessor's holding ends yesterday, the successor's
    starts today (both checked by the model's clean)."""
    leaving = position.officials.get(user=predecessor)
    leaving.end = timezone.localdate() - datetime.timedelta(days=1)
    leaving.full_clean()
    leaving.save()
    arriving = Official(position=position, name=name, user=successor, start=timezone.localdate())
    arriving.full_clean()
    arriving.save()
    return arriving


def give_all_documents(case, user):
    for document in case.documents.all():
        case_services.receive_document(document=document, user=user)
