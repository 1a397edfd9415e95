import datetime
import re

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases import services
from cases.diagram import mermaid
from cases.models import Case, CaseStep, Notification
from tests.cases.test_case_views import pdf_text
from tests.conftest import give_all_documents
from tests.factories import PersonFactory


def login(client, demo_users, username):
    client.force_login(demo_users[username])
    return client


def test_the_diagram_in_the_docs_matches_the_code():
    text = (settings.BASE_DIR / "docs" / "workflow.md").read_text(encoding="utf-8")
    documented = re.search(r"<!-- diagram:start -->\n```mermaid\n(.*?)```\n<!-- diagram:end -->", text, re.S).group(1)

    assert documented == mermaid(), "run: python manage.py workflow_diagram and paste it into docs/workflow.md"


def test_the_diagram_has_every_state_and_named_transition():
    diagram = mermaid()

    for state, _ in Case.STATE_CHOICES:
        assert f"    {state} : " in diagram
    for name in ["register", "forward", "dispose", "sign", "complete", "reject", "cancel", "resume"]:
        assert f": {name}\n" in diagram
    assert "at_kasi --> at_kabid : forward" in diagram
    assert "at_kadis --> at_kabid : dispose" in diagram
    assert "at_kabid --> at_kadis : dispose" not in diagram


def test_the_inbox_shows_only_my_desk_and_agency(client, demo_users, registered, walk, petugas):
    give_all_documents(registered, petugas)
    case = walk(walk(registered), branch="Ya")  # at Kasi

    kasi = login(client, demo_users, "lumajang-kasi").get("/kotak-masuk/").content.decode()
    kabid = login(client, demo_users, "lumajang-kabid").get("/kotak-masuk/").content.decode()
    solok = login(client, demo_users, "solok-kasi").get("/kotak-masuk/").content.decode()

    assert case.number in kasi
    assert case.number not in kabid
    assert case.number not in solok


def _cases(spm, petugas, count, sifat="biasa"):
    lumajang = spm.agency
    made = []
    for n in range(count):
        person = PersonFactory(agency=lumajang)
        case = services.open_case(
            user=petugas, sop=spm, applicant=person, beneficiary=person, channel="datang", purpose=str(n), sifat=sifat
        )
        made.append(services.register_case(case=case, user=petugas))
    return made


def test_the_inbox_puts_urgent_then_oldest_first_and_filters(client, demo_users, spm, petugas):
    plain = _cases(spm, petugas, 2)
    urgent = _cases(spm, petugas, 1, sifat="sangat_segera")[0]
    CaseStep.objects.filter(pk=plain[1].current_step_id).update(due_at=timezone.now() - datetime.timedelta(hours=1))
    login(client, demo_users, "lumajang-petugas")

    page = client.get("/kotak-masuk/").content.decode()
    order = [page.index(c.number) for c in (urgent, plain[0], plain[1])]
    overdue = client.get("/kotak-masuk/", {"terlambat": "1"}).content.decode()
    by_sifat = client.get("/kotak-masuk/", {"sifat": "sangat_segera"}).content.decode()

    assert order == sorted(order)
    assert plain[1].number in overdue and plain[0].number not in overdue and "terlambat" in overdue
    assert urgent.number in by_sifat and plain[0].number not in by_sifat


def test_the_inbox_query_count_does_not_grow_with_cases(client, demo_users, spm, petugas):
    _cases(spm, petugas, 2)
    login(client, demo_users, "lumajang-petugas")
    client.get("/kotak-masuk/")  # the user's desks are cached from now on (agencies/usercache.py)
    with CaptureQueriesContext(connection) as few:
        client.get("/kotak-masuk/")
    _cases(spm, petugas, 25)

    with CaptureQueriesContext(connection) as many:
        response = client.get("/kotak-masuk/")

    assert len(many) == len(few)
    assert "Halaman 1 dari 2" in response.content.decode()


def test_the_case_page_shows_actions_only_to_the_holding_desk(client, demo_users, registered):
    mine = login(client, demo_users, "lumajang-petugas").get(f"/permohonan/{registered.pk}/").content.decode()
    theirs = login(client, demo_users, "lumajang-kasi").get(f"/permohonan/{registered.pk}/").content.decode()

    assert 'data-testid="complete-form"' in mine
    assert 'data-testid="complete-form"' not in theirs
    assert "Langkah SOP" in theirs and "Jejak audit" in theirs


def test_the_case_page_query_count_is_bounded(client, demo_users, registered, walk, petugas):
    give_all_documents(registered, petugas)
    case = walk(walk(walk(registered), branch="Ya"))
    login(client, demo_users, "lumajang-kabid")

    with CaptureQueriesContext(connection) as queries:
        client.get(f"/permohonan/{case.pk}/")

    assert len(queries) <= 15  # issue 9 target for the case page


def test_completing_a_step_through_the_page(client, demo_users, registered):
    login(client, demo_users, "lumajang-petugas")

    response = client.post(
        f"/permohonan/{registered.pk}/tindakan/selesai/",
        {"step": registered.current_step_id, "note": "Wawancara selesai"},
        follow=True,
    )

    assert "Langkah selesai." in response.content.decode()
    step = CaseStep.objects.get(case=registered, position=1)
    assert step.status == CaseStep.DONE and step.note == "Wawancara selesai"


def test_completing_a_step_costs_a_bounded_number_of_queries(client, demo_users, registered):
    login(client, demo_users, "lumajang-petugas")
    client.get("/")  # session and permissions warm, as for a desk that works all day

    with CaptureQueriesContext(connection) as queries:
        response = client.post(f"/permohonan/{registered.pk}/tindakan/selesai/", {"step": registered.current_step_id})

    statements = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    assert response.status_code == 302
    assert Case.objects.get(pk=registered.pk).current_step.position == 2
    # 13 here (the next step is at the same desk); 16 where it moves to another desk with a notice
    # (docs/performance.md). Each query costs throughput: transitions per second follow this count.
    assert len(statements) <= 13, "\n".join(statements)


def test_a_second_click_on_a_stale_page_is_told_who_processed_it(client, demo_users, registered):
    login(client, demo_users, "lumajang-petugas")
    data = {"step": registered.current_step_id}
    client.post(f"/permohonan/{registered.pk}/tindakan/selesai/", data)

    response = client.post(f"/permohonan/{registered.pk}/tindakan/selesai/", data, follow=True)

    assert "sudah diproses oleh Demo Petugas Pelayanan" in response.content.decode()
    assert CaseStep.objects.filter(case=registered, status=CaseStep.DONE).count() == 1


def test_another_desk_posting_an_action_is_refused(client, demo_users, registered):
    login(client, demo_users, "lumajang-kasi")

    response = client.post(f"/permohonan/{registered.pk}/tindakan/selesai/", {"step": registered.current_step_id})

    assert response.status_code == 403
    assert Case.objects.get(pk=registered.pk).current_step.position == 1


def test_a_rejection_letter_prints_after_a_rejection(client, demo_users, registered):
    login(client, demo_users, "lumajang-petugas")
    client.post(
        f"/permohonan/{registered.pk}/tindakan/tolak/",
        {"step": registered.current_step_id, "text": "Bukan warga Kabupaten Lumajang"},
    )

    response = client.get(f"/permohonan/{registered.pk}/surat-penolakan.pdf")

    assert "Bukan warga Kabupaten Lumajang" in pdf_text(response.content)


def test_notices_are_read_from_the_case_or_all_at_once(client, demo_users, registered, walk, petugas):
    give_all_documents(registered, petugas)
    walk(walk(registered), branch="Ya")
    kasi = demo_users["lumajang-kasi"]
    login(client, demo_users, "lumajang-kasi")

    home = client.get("/").content.decode()
    page = client.get("/pemberitahuan/").content.decode()

    assert 'data-testid="unread"' in home
    assert registered.number in page and f"/permohonan/{registered.pk}/?dari=pemberitahuan" in page
    assert Notification.objects.filter(user=kasi, read_at__isnull=True).exists()  # looking is not reading
    client.get(f"/permohonan/{registered.pk}/?dari=pemberitahuan")
    assert not Notification.objects.filter(user=kasi, read_at__isnull=True).exists()

    Notification.objects.filter(user=kasi).update(read_at=None)
    response = client.post("/pemberitahuan/tandai-dibaca/")
    assert response.status_code == 302
    assert not Notification.objects.filter(user=kasi, read_at__isnull=True).exists()


@pytest.mark.parametrize("action", ["selesai", "tunggu", "lanjutkan", "revisi", "tolak", "batalkan"])
def test_actions_of_another_agency_are_not_found(client, demo_users, registered, action):
    login(client, demo_users, "solok-petugas")

    response = client.post(f"/permohonan/{registered.pk}/tindakan/{action}/", {"step": registered.current_step_id})

    assert response.status_code == 404


def test_the_loser_whose_case_moved_to_another_desk_is_told_who_won(client, demo_users, registered, walk, petugas):
    give_all_documents(registered, petugas)
    case = walk(registered)
    stale = case.current_step_id
    walk(case, branch="Ya")  # now at the Kasi's desk
    client.force_login(demo_users["lumajang-petugas"])

    response = client.post(f"/permohonan/{case.pk}/tindakan/selesai/", {"step": stale, "branch": "Ya"}, follow=True)

    assert response.status_code == 200
    assert "sudah diproses oleh Demo Petugas Pelayanan" in response.content.decode()
