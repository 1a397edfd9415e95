"""The report and export reads on a replica (sop_portal/routers.py, docs/deployment.md).

tests/settings.py gives the suite a `replica` alias that mirrors the test database (Django's TEST
MIRROR: a second connection to the same database; no streaming replica is set up here) and keeps
the router off; the tests below turn it on. The page tests commit their rows (transaction=True):
the second connection sees only committed rows, as a real replica would. Each page is read with
the queries of both connections captured, so a SELECT that went to the wrong one fails the test.
"""

import asyncio
import csv
import io
import re
import threading
from contextlib import contextmanager

import pytest
from django.contrib import admin
from django.db import connections, router, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from cases.models import Case, CaseStep, PersonAccess
from sop_catalog.admin import SOPAdmin
from sop_catalog.models import SOP
from sop_portal.routers import REPLICA, reading_from_replica
from tests.factories import CaseFactory
from tests.sop_catalog.test_round_trips import export as admin_export
from tests.test_settings import run_django

ROUTER = ["sop_portal.routers.ReplicaRouter"]
TODAY = timezone.localdate().isoformat()
PERIOD = {"dari": TODAY, "sampai": TODAY}
ON_BOTH = pytest.mark.django_db(transaction=True, databases=["default", REPLICA])


@contextmanager
def captured():
    """The queries of the primary and of the replica connection, each captured on its own."""
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections[REPLICA]) as replica,
    ):
        yield primary, replica


def selects(queries, table):
    """The reads among `queries` whose first FROM is `table` (a join or a subquery does not count); a
    read through a server-side cursor (an export's iterator) is its DECLARE … FOR SELECT."""
    found = []
    for query in queries.captured_queries:
        sql = re.sub(r"^DECLARE .*? CURSOR WITH HOLD FOR ", "", query["sql"].lstrip())
        first = re.search(r'\bFROM "(\w+)"', sql)
        if sql.startswith("SELECT") and first and first[1] == table:
            found.append(sql)
    return found


def statements(queries):
    return [q["sql"] for q in queries.captured_queries]


@pytest.fixture
def router_on(settings):
    settings.DATABASE_ROUTERS = ROUTER  # override_settings resets django.db.router's routers


# --- the settings and the routing decisions (no database; SQLite and PostgreSQL) -----------------

ROUTES = (
    "import django; django.setup()\n"
    "from cases.models import Case\n"
    "from django.contrib.sessions.models import Session\n"
    "from django_tasks_db.models import DBTaskResult\n"
    "from sop_portal.routers import ReplicaRouter, reading_from_replica\n"
    "print(sorted(settings.DATABASES), settings.DATABASE_ROUTERS)\n"
    "with reading_from_replica():\n"
    "    print(Case.objects.all().db, Case.objects.select_for_update().db, Session.objects.all().db,"
    " ReplicaRouter().db_for_read(Case), DBTaskResult.objects.all().db)\n"
    "print(Case.objects.all().db)\n"
)


def test_without_a_replica_url_there_is_one_database_no_router_and_the_block_changes_nothing():
    result = run_django(ROUTES, DJANGO_DEBUG="1", DATABASE_URL="postgres://postgres@127.0.0.1:5432/primary")

    assert result.returncode == 0, result.stderr
    aliases, inside, after = result.stdout.splitlines()
    assert aliases == "['default'] []"
    # The router itself, asked directly inside the block, also answers the primary: no replica alias.
    assert inside.split() == ["default", "default", "default", "default", "default"]
    assert after == "default"


def test_a_replica_url_adds_the_alias_the_router_and_a_test_mirror_and_the_block_reads_there():
    result = run_django(
        ROUTES + "r = settings.DATABASES['replica']; "
        "print(r['ENGINE'], r['HOST'], r['NAME'], r['USER'], r['TEST']['MIRROR'])",
        DJANGO_DEBUG="1",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/primary",
        DATABASE_REPLICA_URL="postgres://reader@10.0.0.2:5432/sop",
    )

    assert result.returncode == 0, result.stderr
    aliases, inside, after, replica = result.stdout.splitlines()
    assert aliases == "['default', 'replica'] ['sop_portal.routers.ReplicaRouter']"
    # Plain reads of the block to the replica; a locking read, the session and the task queue on the primary.
    assert inside.split() == ["replica", "default", "default", "replica", "default"]
    assert after == "default"
    assert replica == "django.db.backends.postgresql 10.0.0.2 sop reader default"


def test_the_block_is_per_thread_and_per_asyncio_task(router_on):
    seen = {}

    def other_thread():
        seen["thread"] = router.db_for_read(Case)

    with reading_from_replica():
        seen["inside"] = router.db_for_read(Case)
        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()

    async def task(name, in_block):
        if in_block:
            with reading_from_replica():
                await asyncio.sleep(0.01)  # the other task runs meanwhile, outside any block
                seen[name] = router.db_for_read(Case)
        else:
            await asyncio.sleep(0.005)
            seen[name] = router.db_for_read(Case)

    async def both():
        await asyncio.gather(task("task in block", True), task("task outside", False))

    asyncio.run(both())

    assert seen == {"inside": REPLICA, "thread": "default", "task in block": REPLICA, "task outside": "default"}
    assert router.db_for_write(Case) == "default"
    assert router.allow_migrate("default", "cases") is True and router.allow_migrate(REPLICA, "cases") is False


# --- pages and exports on the two connections (PostgreSQL) ------------------------------------


@pytest.fixture
def world(registered, walk, demo_users):
    """A Lumajang case and a Solok case, each with its first step done today (committed)."""
    lumajang = walk(registered)
    solok_sop = SOP.objects.filter(agency__slug="solok", is_current=True).order_by("pk").first()
    solok = walk(CaseFactory(registered=True, sop=solok_sop))
    return {"lumajang": lumajang, "solok": solok}


def pdf_text(content):
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).split())


@pytest.mark.postgres
@ON_BOTH
def test_the_report_page_its_pdf_and_the_dashboard_figures_read_the_steps_on_the_replica(
    world, router_on, client, demo_users
):
    lumajang_sop, solok_sop = world["lumajang"].sop.name, world["solok"].sop.name
    client.force_login(demo_users["lumajang-kadis"])
    client.get(reverse("cases:inbox"))  # the session and the desks read once, as for a desk at work

    with captured() as (primary, replica):
        page = client.get(reverse("cases:report"), PERIOD)
    assert page.status_code == 200
    assert selects(replica, "cases_casestep") and not selects(primary, "cases_casestep"), statements(primary)
    assert selects(replica, "cases_surveyresponse") and not selects(primary, "cases_surveyresponse")
    # The same scoped query: the Lumajang case's step, not the Solok one's.
    assert {f.label: f.count for f in page.context["figures"]["sops"]} == {lumajang_sop: 1}

    with captured() as (primary, replica):  # the task runs at once in the suite, inside this request
        response = client.get(reverse("cases:report_pdf"), PERIOD)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert selects(replica, "cases_casestep") and not selects(primary, "cases_casestep"), statements(primary)
    text = pdf_text(response.content)
    assert lumajang_sop in text and solok_sop not in text, text[:400]

    with captured() as (primary, replica):
        dashboard = client.get(reverse("cases:dashboard"))
    assert dashboard.status_code == 200
    assert {f.label: f.count for f in dashboard.context["compliance"]["sops"]} == {lumajang_sop: 1}
    assert selects(replica, "cases_casestep") and not selects(primary, "cases_casestep"), statements(primary)
    # The rest of the page (the counts of cases by state, the desk's own work) stays on the primary.
    assert selects(primary, "cases_case")


@pytest.mark.postgres
@ON_BOTH
def test_the_exports_read_their_rows_on_the_replica_and_write_the_access_log_on_the_primary(
    world, router_on, client, demo_users
):
    client.force_login(demo_users["lumajang-kadis"])
    client.get(reverse("cases:inbox"))

    with captured() as (primary, replica):
        response = client.get(reverse("cases:export", args=["permohonan", "csv"]), PERIOD)
    assert response.status_code == 200
    assert selects(replica, "cases_case") and not selects(primary, "cases_case"), statements(primary)
    assert any(sql.startswith('INSERT INTO "cases_personaccess"') for sql in statements(primary))
    assert not [sql for sql in statements(replica) if not sql.lstrip().upper().startswith("SELECT")]
    numbers = [row[0] for row in csv.reader(io.StringIO(response.content.decode("utf-8-sig")))][1:]
    assert numbers == [world["lumajang"].number]  # not the Solok case
    assert PersonAccess.objects.filter(person=world["lumajang"].applicant, via="ekspor csv").count() == 1

    with captured() as (primary, replica):
        response = client.get(reverse("cases:export", args=["langkah", "xlsx"]), PERIOD)
    assert response.status_code == 200
    assert selects(replica, "cases_casestep") and not selects(primary, "cases_casestep"), statements(primary)
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    cells = {str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None}
    assert world["lumajang"].number in cells and world["solok"].number not in cells

    # The books of letters: the CSV download on the replica, the page on the primary.
    with captured() as (primary, replica):
        assert client.get("/surat-keluar/", {"format": "csv"}).status_code == 200
    assert selects(replica, "cases_issueddocument") and not selects(primary, "cases_issueddocument")
    with captured() as (primary, replica):
        assert client.get("/surat-keluar/").status_code == 200
    assert selects(primary, "cases_issueddocument") and not selects(replica, "cases_issueddocument")

    # The admin's export (django-import-export) of the agency's SOPs.
    client.force_login(demo_users["lumajang-admin"])
    model_admin = admin.site._registry[SOP]
    assert isinstance(model_admin, SOPAdmin)
    with captured() as (primary, replica):
        content = admin_export(client, model_admin, "csv").decode("utf-8-sig")
    assert selects(replica, "sop_catalog_sop") and not selects(primary, "sop_catalog_sop"), statements(primary)
    assert "lumajang-contoh-spm" in content and "solok-" not in content


@pytest.mark.postgres
@ON_BOTH
def test_the_inbox_and_a_step_completion_send_nothing_to_the_replica(world, router_on, client, demo_users):
    case = CaseFactory(registered=True, sop=world["lumajang"].sop)
    client.force_login(demo_users["lumajang-petugas"])

    with captured() as (primary, replica):
        inbox = client.get(reverse("cases:inbox"))
        done = client.post(f"/permohonan/{case.pk}/tindakan/selesai/", {"step": case.current_step_id})

    assert inbox.status_code == 200 and done.status_code == 302
    assert CaseStep.objects.get(case=case, position=1).status == CaseStep.DONE
    assert selects(primary, "cases_case")  # the pages did read: on the primary
    assert statements(replica) == []


@pytest.mark.postgres
@ON_BOTH
def test_in_the_block_writes_locks_transactions_and_rows_used_after_it_stay_on_the_primary(world, router_on):
    pk = world["lumajang"].pk

    with captured() as (primary, replica), reading_from_replica():
        case = Case.objects.get(pk=pk)
        count = CaseStep.objects.filter(case_id=pk).count()
        Case.objects.filter(pk=pk).update(destination="RSUD dr. Haryoto")  # a write in the block
        with transaction.atomic():  # a read that decides a write: in a transaction, on the primary
            locked = Case.objects.select_for_update().get(pk=pk)
            inside = Case.objects.filter(pk=pk).values_list("destination", flat=True).get()
            locked.purpose = "Diubah di dalam transaksi"
            locked.save(update_fields=["purpose"])
    assert case._state.db == REPLICA and locked._state.db == "default" and count > 0
    assert inside == "RSUD dr. Haryoto"  # the primary's own write, read back there
    assert len(selects(replica, "cases_case")) == 1 and len(selects(replica, "cases_casestep")) == 1
    assert [sql for sql in statements(replica) if not sql.startswith("SELECT")] == []
    assert [sql for sql in selects(primary, "cases_case") if sql.endswith("FOR UPDATE")]
    assert len(selects(primary, "cases_case")) == 2  # the locking read and the read in the transaction
    assert len([sql for sql in statements(primary) if sql.startswith('UPDATE "cases_case"')]) == 2

    with captured() as (primary, replica):
        sop = case.sop  # a row read on the replica: its relation read after the block on the primary
    assert sop.pk == world["lumajang"].sop_id
    assert selects(primary, "sop_catalog_sop") and statements(replica) == []
