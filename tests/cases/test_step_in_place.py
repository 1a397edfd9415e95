"""Completing a step in place (htmx): the answer is the action panel with the next step's form and
the page's other step-dependent partials, never a redirect; without htmx the redirect stays; a
refusal is the same for both."""

import re

import pytest

from agencies.usercache import forget_unread
from cases.models import Case, CaseStep, Notification
from tests.conftest import give_all_documents

HTMX = {"HTTP_HX_REQUEST": "true"}


def complete(client, case, step_id, headers=None, **data):
    return client.post(f"/permohonan/{case.pk}/tindakan/selesai/", {"step": step_id, **data}, **(headers or {}))


def shown_step(html):
    """The step id the completion form of the answer carries."""
    form = re.search(r'data-testid="complete-form".*?name="step" value="(\d+)"', html, re.S)
    return int(form.group(1)) if form else None


def test_an_htmx_completion_answers_the_panel_with_the_next_steps_form(petugas_client, registered):
    response = complete(petugas_client, registered, registered.current_step_id, HTMX, note="Wawancara selesai")

    html = response.content.decode()
    case = Case.objects.get(pk=registered.pk)
    assert response.status_code == 200 and "HX-Request" in response["Vary"]
    assert "<html" not in html and html.lstrip().startswith('<section class="card" id="tindakan"')
    assert shown_step(html) == case.current_step_id != registered.current_step_id
    assert 'data-testid="panel-messages"' in html and "Langkah selesai." in html
    # the timeline and the header come along, swapped out of band, with the done step's own note
    assert '<div id="case-record" hx-swap-oob="true">' in html and '<div id="case-head" hx-swap-oob="true">' in html
    assert "Catatan: Wawancara selesai" in html
    assert 'data-testid="handed-off"' not in html  # the next step is at this desk
    done = CaseStep.objects.get(pk=registered.current_step_id)
    assert done.status == CaseStep.DONE and done.note == "Wawancara selesai"


def test_the_messages_are_told_in_the_panel_once(petugas_client, registered):
    complete(petugas_client, registered, registered.current_step_id, HTMX)

    page = petugas_client.get(f"/permohonan/{registered.pk}/").content.decode()

    assert "Langkah selesai." not in page  # told by the fragment, not again on the next page


def test_without_htmx_a_completion_still_redirects_to_the_panel(petugas_client, registered):
    response = complete(petugas_client, registered, registered.current_step_id)

    assert response.status_code == 302 and response["Location"] == f"/permohonan/{registered.pk}/#tindakan"


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_another_desk_is_refused_the_same_with_or_without_htmx(client, demo_users, registered, headers):
    client.force_login(demo_users["lumajang-kasi"])

    response = complete(client, registered, registered.current_step_id, headers)

    assert response.status_code == 403
    assert Case.objects.get(pk=registered.pk).current_step_id == registered.current_step_id


def test_another_agency_gets_not_found_in_place_too(client, demo_users, registered):
    client.force_login(demo_users["solok-petugas"])

    assert complete(client, registered, registered.current_step_id, HTMX).status_code == 404


def test_a_stale_htmx_completion_is_told_in_the_panel_with_the_current_form(petugas_client, registered):
    complete(petugas_client, registered, registered.current_step_id)

    response = complete(petugas_client, registered, registered.current_step_id, HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert "sudah diproses oleh Demo Petugas Pelayanan" in html and 'class="msg error"' in html
    assert shown_step(html) == Case.objects.get(pk=registered.pk).current_step_id
    assert CaseStep.objects.filter(case=registered, status=CaseStep.DONE).count() == 1


def test_an_invalid_htmx_completion_keeps_the_step_and_says_why(petugas_client, registered, walk, petugas):
    give_all_documents(registered, petugas)
    case = walk(registered)  # now at a decision step

    response = complete(petugas_client, case, case.current_step_id, HTMX, branch="Bukan pilihan")

    html = response.content.decode()
    assert response.status_code == 200 and 'class="msg error"' in html
    assert shown_step(html) == case.current_step_id == Case.objects.get(pk=case.pk).current_step_id


def test_a_step_sent_to_another_desk_says_so_and_leads_back_to_the_inbox(petugas_client, registered, walk, petugas):
    give_all_documents(registered, petugas)
    case = walk(registered)

    response = complete(petugas_client, case, case.current_step_id, HTMX, branch="Ya")

    html = response.content.decode()
    case = Case.objects.get(pk=case.pk)
    assert case.state == Case.AT_KASI
    assert 'data-testid="handed-off"' in html and "Permohonan diteruskan ke meja Kepala Seksi" in html
    assert 'href="/kotak-masuk/"' in html and 'data-testid="back-to-inbox"' in html
    assert shown_step(html) is None  # no form left for this user


def test_an_htmx_completion_brings_the_headers_notice_count_up_to_date(petugas_client, registered, petugas, draft):
    link = re.compile(
        r'<a href="/pemberitahuan/" id="notice-link" aria-label="Pemberitahuan" hx-swap-oob="true">(.*?)</a>'
    )
    before = complete(petugas_client, registered, registered.current_step_id, HTMX).content.decode()
    Notification.objects.create(user=petugas, case=draft, message="dari meja lain", kind=Notification.ARRIVED)
    forget_unread([petugas.pk])  # as the notice's writer does when it commits

    after = complete(petugas_client, registered, Case.objects.get(pk=registered.pk).current_step_id, HTMX)

    assert link.search(before).group(1) == "Pemberitahuan"  # nothing unread yet: no count
    assert (
        link.search(after.content.decode()).group(1)
        == 'Pemberitahuan <span class="count" data-testid="unread">1</span>'
    )
