"""The inbox reads the case's queue columns; they must say what the steps say, after any action."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies import org
from cases import selectors, services, workflow
from cases.models import SIFAT_URGENCY, Case, CaseStep
from tests.conftest import give_all_documents

pytestmark = pytest.mark.django_db


def waiting_by_steps(user):
    """The inbox as defined on the steps: current steps at my desks of open cases of my agency, for the
    units I serve at that desk (agencies/org.py)."""
    steps = CaseStep.objects.filter(
        status=CaseStep.CURRENT,
        desk__in=user.desks,
        case__agency_id=user.agency_id,
        case__state__in=Case.OPEN_STATES,
    ).select_related("case__sop")
    mine = [s for s in steps if org.serves(user, s.desk, s.case.sop.org_unit_id)]
    rows = sorted(mine, key=lambda s: (SIFAT_URGENCY[s.case.sifat], s.started_at, s.case_id))
    return [s.case_id for s in rows]


@pytest.mark.long(4)  # the first test of the demo world on a worker seeds it (tests/conftest.py)
def test_the_queue_columns_agree_with_the_steps_after_every_kind_of_action(demo_users, demo_world):
    # seed_demo's cases through the real workflow: open, forwarded, disposed, waiting, returned,
    # rejected, cancelled, completed, with their step times spread backwards.
    states = set(Case.objects.values_list("state", flat=True))
    assert {Case.AT_PETUGAS, Case.COMPLETED, Case.RETURNED, Case.WAITING_EXTERNAL} <= states

    checked = 0
    for username in ("petugas", "peksos", "kasi", "kasi-rehsos", "kabid", "kabid-rehsos", "sekdin", "kadis"):
        user = demo_users[f"lumajang-{username}"]
        inbox = [case.pk for case in selectors.inbox(user=user)]
        assert inbox == waiting_by_steps(user), username
        checked += len(inbox)
    assert checked > 10


def test_resubmitting_and_changing_the_sifat_move_the_case_in_the_queue(demo_users, registered, petugas, walk):
    returned = services.return_to_applicant(case=registered, user=petugas, note="KK belum ada")
    assert returned.queue_desk == "" and registered.pk not in [c.pk for c in selectors.inbox(user=petugas)]

    give_all_documents(registered, petugas)
    back = workflow.resubmit(case=Case.objects.get(pk=registered.pk), user=petugas)
    assert back.queue_desk == "petugas" and back.queue_since == back.current_step.started_at

    back.sifat = "sangat_segera"
    back.save(update_fields=["sifat"])
    stored = Case.objects.get(pk=back.pk)
    assert stored.queue_rank == SIFAT_URGENCY["sangat_segera"]

    cancelled = workflow.cancel(case=stored, user=petugas, reason="Pemohon mencabut permohonan")
    assert cancelled.queue_desk == "" and not selectors.inbox(user=petugas).filter(pk=cancelled.pk).exists()


def test_the_inbox_is_read_from_the_case_table_alone(demo_users, registered, petugas):
    org.staffed_positions(petugas.agency_id)  # cached per agency and day, as the user's desks are
    with CaptureQueriesContext(connection) as queries:
        list(selectors.inbox(user=petugas)[:20])
        selectors.inbox(user=petugas).count()

    listing, count = (q["sql"] for q in queries.captured_queries)
    assert "queue_desk" in listing and "ORDER BY" in listing
    assert "cases_casestep" not in count  # the pager's count needs no join


def _plan(queryset, table, index):
    """The plan of the query once `index` is the only index of `table` besides its key.

    Tiny test tables make any plan cheap, so the planner's pick among indexes says nothing; with
    the others dropped (inside the test's transaction, rolled back after) and sequential scans
    off, the plan shows whether `index` can serve the query the page sends at all.
    """
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending checks block ALTER TABLE
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = %s AND indexname <> %s AND indexname NOT LIKE %s",
            [table, index, "%pkey"],
        )
        others = [row[0] for row in cursor.fetchall()]
        for name in others:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT IF EXISTS "{name}"')
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.postgres
def test_the_inbox_page_and_its_count_are_served_by_the_queue_index(demo_users, registered, petugas):
    inbox = selectors.inbox(user=petugas)

    page = _plan(inbox[:20], "cases_case", "case_queue_idx")
    count = _plan(inbox.values("id"), "cases_case", "case_queue_idx")

    assert "case_queue_idx" in page and "Sort" not in page.split("->")[0]  # the index gives the order
    assert "case_queue_idx" in count


@pytest.mark.postgres
def test_name_search_is_served_by_the_trigram_index(lumajang, person):
    found = selectors.search_persons(agency_id=lumajang.pk, query=person.name.split()[0][1:])

    assert person in found
    assert "person_name_trgm_idx" in _plan(found, "cases_person", "person_name_trgm_idx")
