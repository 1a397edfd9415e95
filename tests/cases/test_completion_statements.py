"""The SQL statements of one step completion, pinned per kind of move (issue 22, docs/performance.md).

Each statement is a round trip inside the transaction that holds the case's row lock: the rate of
completions follows this count. A change that adds one fails here; one that removes one updates
the number (and docs/performance.md).
"""

import datetime

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from agencies.models import Holiday
from cases import letters, moves, selectors, services, tasks, workflow
from cases.calendar import OfficeCalendar
from cases.models import AuditEntry, Case, CaseStep, IssuedDocument, Notification, Paraf
from sop_catalog.models import SOP, Step
from tests.conftest import give_all_documents
from tests.factories import PersonFactory


@pytest.fixture
def spm_case(lumajang, petugas):
    """A registered case of the Lumajang SPM (the benchmark's SOP), with its draft letter."""
    sop = SOP.objects.get(agency=lumajang, slug="lumajang-spm", is_current=True)
    person = PersonFactory(agency=lumajang)
    case = services.open_case(
        user=petugas, sop=sop, applicant=person, beneficiary=person, channel="datang", purpose="SPM berobat"
    )
    give_all_documents(case, petugas)
    return services.register_case(case=case, user=petugas)


# Tasks kept in the database as in production: a notice is a task row written with the completion,
# its recipients found and its notices written later by the worker (not counted here).
DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture(autouse=True)
def _tasks_in_the_database(settings):
    settings.TASKS = DB_TASKS


def _complete(client, user, case, branch=""):
    """POST the completion as the page does, the desk's session warm; the statements it sent."""
    client.force_login(user)
    client.get("/")  # session, user and desks loaded once, as for a desk that works all day
    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            f"/permohonan/{case.pk}/tindakan/selesai/", {"step": case.current_step_id, "branch": branch}
        )
    assert response.status_code == 302
    return [q["sql"] for q in queries.captured_queries]


def _walk_to(client, demo_users, case, position):
    while Case.objects.get(pk=case.pk).current_step.position < position:
        current = Case.objects.select_related("current_step__sop_step").get(pk=case.pk)
        branch = "Ya" if current.current_step.sop_step.branches.exists() else ""
        _complete(client, demo_users[f"lumajang-{current.current_step.desk}"], current, branch)
    return Case.objects.select_related("current_step").get(pk=case.pk)


def _in_transaction(statements):
    """The statements between the request's SAVEPOINT and RELEASE (BEGIN/COMMIT outside tests)."""
    start = next(i for i, sql in enumerate(statements) if sql.startswith("SAVEPOINT"))
    end = max(i for i, sql in enumerate(statements) if sql.startswith("RELEASE SAVEPOINT"))
    inner = statements[start + 1 : end]
    assert not [sql for sql in inner if sql.startswith(("SAVEPOINT", "RELEASE"))], "one transaction, no savepoint"
    return inner


# Before the transaction, every request: the session and the user; the user's desks come from the
# per-user cache (agencies/usercache.py), warm after the test's first request.
REQUEST = 2


# On PostgreSQL the finished step, the started one, the case, the audit rows and the paraf are
# one statement (cases/moves.py); elsewhere one statement each (and two for the paraf).
ONE_WRITE = connection.vendor == "postgresql"


@pytest.mark.parametrize(
    ("position", "branch", "locked", "locked_pg"),
    [
        # Stay at the desk: the case's steps (each saying whether its catalog step has decisions)
        # joined to the case, locked, with its agency and SOP and whether days off are near; then
        # the writes: the finished step, the started one, the case, the audit row.
        (1, "", 5, 2),
        # A decision step: + its decisions.
        (2, "Ya", 6, 3),
        # Forward to the Kasi: + the notice's task row (the worker finds the Kasi desk's users and
        # writes their notices: cases.tasks.deliver_notices).
        (5, "", 6, 3),
        # The Kasi forwards to the Kabid: + the drafts (with whether this desk initialled them)
        # and the initials (within the one write on PostgreSQL).
        (6, "", 8, 3),
    ],
    ids=["stay", "decision", "forward", "paraf"],
)
def test_a_completion_sends_a_pinned_number_of_statements(
    client, demo_users, spm_case, position, branch, locked, locked_pg
):
    case = _walk_to(client, demo_users, spm_case, position)
    desk = case.current_step.desk
    locked = locked_pg if ONE_WRITE else locked

    statements = _complete(client, demo_users[f"lumajang-{desk}"], case, branch)

    listing = "\n".join(statements)
    inner = _in_transaction(statements)
    assert len(inner) == locked, listing
    assert len(statements) == REQUEST + 2 + locked, listing
    desks = [sql for sql in statements if sql.startswith('SELECT "django_content_type"."app_label"')]
    assert desks == [], "the user's desks: from the per-user cache"
    assert inner[0].startswith('SELECT "cases_casestep"'), listing
    if connection.features.has_select_for_update:  # PostgreSQL; SQLite locks the whole database
        assert inner[0].endswith('FOR UPDATE OF "cases_case"'), listing
    assert not any('INNER JOIN "cases_case"' in sql for sql in inner[1:]), "no join back to the case"
    if ONE_WRITE:
        writes = [sql for sql in inner if sql.startswith("WITH")]
        assert len(writes) == 1, listing
        parts = [part.split('"')[1] for part in writes[0].split(" AS (")[1:]]
        paraf = ["cases_paraf", "cases_paraf"] if desk == "kasi" else []
        assert parts == ["cases_casestep", "cases_casestep", "cases_case", "cases_auditentry", *paraf], listing
    else:
        writes = [sql for sql in inner if sql.startswith("UPDATE")]
        assert [sql.split('"')[1] for sql in writes] == ["cases_casestep", "cases_casestep", "cases_case"], listing
    assert all('"public_token"' not in sql and '"purpose"' not in sql for sql in writes), "only changed columns"


def test_what_the_fewer_statements_still_write(client, demo_users, spm_case):
    """Lock, audit rows, the next step's due time, the notice and the paraf, as before issue 22."""
    case = _walk_to(client, demo_users, spm_case, 6)  # the Kasi's part of step 6, draft letter open
    kasi = demo_users["lumajang-kasi"]

    _complete(client, kasi, case)

    case = Case.objects.select_related("current_step").get(pk=case.pk)
    done = CaseStep.objects.get(case=case, position=6)
    assert (case.state, case.current_step.desk, case.queue_desk) == (Case.AT_KABID, "kabid", "kabid")
    assert (done.status, done.completed_by, done.note) == (CaseStep.DONE, kasi, "")
    assert case.current_step.status == CaseStep.CURRENT and case.current_step.due_at > case.current_step.started_at
    actions = list(AuditEntry.objects.filter(case=case, user=kasi).order_by("at", "id").values_list("action", "step"))
    assert actions == [("step", done.pk), ("forward", case.current_step.pk)]
    assert not Notification.objects.filter(case=case).exists()  # the worker writes it
    queued = DBTaskResult.objects.get(task_path="cases.tasks.deliver_notices", args_kwargs__kwargs__desk="kabid")
    assert queued.args_kwargs["kwargs"]["case_id"] == case.pk
    tasks.deliver_notices.call(**queued.args_kwargs["kwargs"])
    tasks.deliver_notices.call(**queued.args_kwargs["kwargs"])  # run twice (a requeued task): one notice
    assert list(Notification.objects.filter(case=case).values_list("user", flat=True)) == [
        demo_users["lumajang-kabid"].pk
    ]
    draft = IssuedDocument.objects.get(case=case, status=IssuedDocument.DRAFT)
    assert list(Paraf.objects.filter(document=draft).values_list("desk", "user")) == [("kasi", kasi.pk)]


def test_a_desk_initialling_again_replaces_its_paraf(spm_case, demo_users):
    """After a jump back a desk initials again: still one paraf per desk, the latest one."""
    case = Case.objects.select_related("agency", "sop").get(pk=spm_case.pk)
    draft = IssuedDocument.objects.get(case=case, status=IssuedDocument.DRAFT)
    kasi, kabid = demo_users["lumajang-kasi"], demo_users["lumajang-kabid"]

    letters.record_paraf(case, kasi, "kasi")
    letters.record_paraf(case, kabid, "kabid")
    letters.record_paraf(case, kasi, "kasi")

    parafs = Paraf.objects.filter(document=draft).order_by("desk")
    assert list(parafs.values_list("desk", "user")) == [("kabid", kabid.pk), ("kasi", kasi.pk)]


def _days_off_test_step(case):
    """The current step's catalog standard, and the due time the full calendar gives it now."""
    case = Case.objects.select_related("agency", "current_step__sop_step").get(pk=case.pk)
    return case, case.current_step.sop_step


def test_a_day_off_near_is_read_and_honoured(client, demo_users, spm_case):
    """With a day off added within the horizon, the completion reads the days off (one query more)."""
    case, _ = _days_off_test_step(spm_case)
    following = CaseStep.objects.select_related("sop_step").get(case=case, position=2)
    unit, amount = following.sop_step.time_unit, following.sop_step.time_max
    plain = OfficeCalendar(case.agency, holidays=()).due(timezone.now(), amount, unit)
    Holiday.objects.create(agency=case.agency, date=plain.date(), name="Cuti bersama (uji)")

    statements = _complete(client, demo_users["lumajang-petugas"], case)

    started = CaseStep.objects.get(pk=following.pk)
    assert started.due_at == OfficeCalendar(case.agency).due(started.started_at, amount, unit)
    assert started.due_at.astimezone(plain.tzinfo).date() > plain.date()
    assert any('FROM "agencies_holiday"' in sql and "EXISTS" not in sql for sql in statements)


def test_a_due_time_past_the_horizon_reads_the_days_off(spm_case, demo_users):
    """40 working days reach past the span the lock query looked at: the days off are read."""
    case, _ = _days_off_test_step(spm_case)
    following = CaseStep.objects.get(case=case, position=2)
    Step.objects.filter(pk=following.sop_step_id).update(time_max=40, time_unit="workday")
    plain = OfficeCalendar(case.agency, holidays=()).due(timezone.now(), 40, "workday")
    late = plain.date() - datetime.timedelta(days=2)
    while not OfficeCalendar(case.agency, holidays=()).is_workday(late):
        late -= datetime.timedelta(days=1)
    Holiday.objects.create(agency=case.agency, date=late, name="Libur daerah (uji)")  # beyond the horizon

    with transaction.atomic():
        locked = selectors.case_for_action(pk=case.pk, agency_id=case.agency_id, lock=True)
        assert locked.days_off_soon is False
        workflow.complete_step(
            case=locked, locked=True, user=demo_users["lumajang-petugas"], step_id=case.current_step_id
        )

    started = CaseStep.objects.get(pk=following.pk)
    assert started.due_at == OfficeCalendar(case.agency).due(started.started_at, 40, "workday")
    assert started.due_at.date() > plain.date()


def test_the_one_write_replaces_a_desks_paraf_and_keeps_the_others(spm_case, demo_users):
    """moves.write's paraf (one statement on PostgreSQL): a desk initialling again replaces its own."""
    kasi, kabid = demo_users["lumajang-kasi"], demo_users["lumajang-kabid"]
    first, later = timezone.now() - datetime.timedelta(hours=1), timezone.now()
    for user, desk, at in ((kasi, "kasi", first), (kabid, "kabid", first), (kabid, "kasi", later)):
        with transaction.atomic():
            case = selectors.case_for_action(pk=spm_case.pk, agency_id=spm_case.agency_id, lock=True)
            moves.write(case, workflow.MOVE_FIELDS, [], [], paraf=(user, desk, at))

    draft = IssuedDocument.objects.get(case=spm_case, status=IssuedDocument.DRAFT)
    parafs = Paraf.objects.filter(document=draft).order_by("desk")
    assert list(parafs.values_list("desk", "user", "at")) == [("kabid", kabid.pk, first), ("kasi", kabid.pk, later)]
