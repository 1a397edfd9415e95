"""cases/rules.py: each right granted in one case and refused in another, and the page's buttons
agreeing with what the views and services accept."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from cases import letters, rules, services, workflow
from cases.models import Case, IssuedDocument, LetterTemplate
from cases.rules import TransitionRefused
from cases.states import CaseState, LetterStatus
from tests.conftest import give_all_documents
from tests.factories import LetterTemplateFactory

# The case page's form for each action, by the URL it posts to.
ACTION_URLS = {
    "register": "cases:case_register",
    "complete_step": "cases:case_complete",
    "wait_external": "cases:case_wait",
    "resume": "cases:case_resume",
    "return_for_revision": "cases:case_return_for_revision",
    "reject": "cases:case_reject",
    "cancel": "cases:case_cancel",
    "return_to_applicant": "cases:case_return",
    "resubmit": "cases:case_resubmit",
}


@pytest.fixture
def kasi(demo_users):
    return demo_users["lumajang-kasi"]


@pytest.fixture
def at_kasi(registered, walk, petugas):
    """The registered case after the petugas steps: at the Kasi desk, a superior has not acted yet."""
    give_all_documents(registered, petugas)
    case = walk(walk(registered), branch="Ya")
    assert case.state == CaseState.AT_KASI
    return case


@pytest.fixture
def waiting(registered, petugas):
    return workflow.wait_external(
        case=registered, user=petugas, step_id=registered.current_step_id, waiting_for="proses BPJS"
    )


@pytest.fixture
def returned(registered, petugas):
    return services.return_to_applicant(case=registered, user=petugas)


def refused_with(case, user, action):
    with pytest.raises((PermissionDenied, TransitionRefused)) as error:
        rules.require(case, user, action)
    return error.type


# --- transitions ---------------------------------------------------------------------------


def test_the_front_desk_may_register_a_draft(draft, petugas):
    assert "register" in rules.actions(draft, petugas)


def test_a_kasi_may_not_register_a_draft(draft, kasi):
    assert refused_with(draft, kasi, "register") is PermissionDenied


def test_a_registered_case_is_not_registered_again(registered, petugas):
    assert refused_with(registered, petugas, "register") is TransitionRefused


def test_the_holding_desk_may_complete_its_step(registered, petugas):
    assert "complete_step" in rules.actions(registered, petugas)


def test_another_desk_may_not_complete_the_step(registered, kasi):
    assert refused_with(registered, kasi, "complete_step") is PermissionDenied


def test_a_waiting_case_tells_the_holder_to_resume_first(waiting, petugas):
    with pytest.raises(TransitionRefused, match="lanjutkan dulu"):
        rules.require(waiting, petugas, "complete_step")


def test_the_holding_desk_may_park_the_case(registered, petugas):
    assert "wait_external" in rules.actions(registered, petugas)


def test_another_desk_may_not_park_the_case(registered, kasi):
    assert refused_with(registered, kasi, "wait_external") is PermissionDenied


def test_a_waiting_case_may_be_resumed_by_its_desk(waiting, petugas):
    assert "resume" in rules.actions(waiting, petugas)


def test_a_case_that_waits_for_nobody_is_not_resumed(registered, petugas):
    assert refused_with(registered, petugas, "resume") is TransitionRefused


def test_the_holding_desk_may_reject(registered, petugas):
    assert "reject" in rules.actions(registered, petugas)


def test_a_waiting_case_is_not_rejected(waiting, petugas):
    assert refused_with(waiting, petugas, "reject") is TransitionRefused


def test_a_superior_desk_may_return_for_revision(at_kasi, kasi):
    assert "return_for_revision" in rules.actions(at_kasi, kasi)


def test_the_petugas_desk_has_nobody_below_to_return_to(registered, petugas):
    assert refused_with(registered, petugas, "return_for_revision") is TransitionRefused


def test_missing_papers_may_go_back_to_the_applicant(registered, petugas):
    assert registered.has_missing_documents()
    assert "return_to_applicant" in rules.actions(registered, petugas)


def test_complete_papers_do_not_go_back_to_the_applicant(registered, petugas):
    give_all_documents(registered, petugas)

    with pytest.raises(TransitionRefused, match="hilangkan dulu centang"):
        rules.require(registered, petugas, "return_to_applicant")


def test_a_returned_case_with_all_papers_may_be_resubmitted(returned, petugas):
    give_all_documents(returned, petugas)

    assert "resubmit" in rules.actions(returned, petugas)


def test_a_returned_case_still_missing_papers_is_not_resubmitted(returned, petugas):
    with pytest.raises(TransitionRefused, match="Lengkapi berkas wajib"):
        rules.require(returned, petugas, "resubmit")


def test_the_front_desk_may_cancel_before_a_superior_acted(registered, petugas):
    assert "cancel" in rules.actions(registered, petugas)


def test_nobody_cancels_once_a_superior_acted(at_kasi, walk, petugas, kasi):
    walk(at_kasi)  # the Kasi completes its step
    Case.objects.filter(pk=at_kasi.pk).update(state=CaseState.AT_PETUGAS)  # even back at the front desk
    case = Case.objects.get(pk=at_kasi.pk)

    with pytest.raises(TransitionRefused, match="atasan sudah memprosesnya"):
        rules.require(case, petugas, "cancel")


# --- rights that are not transitions ----------------------------------------------------------


def test_the_front_desk_may_tick_the_checklist_at_its_desk(registered, petugas):
    assert "edit_documents" in rules.actions(registered, petugas)


def test_the_checklist_is_closed_once_the_case_left_the_front_desk(at_kasi, petugas):
    document = at_kasi.documents.first()

    with pytest.raises(TransitionRefused, match="di meja petugas"):
        services.receive_document(document=document, user=petugas, received=False)


def test_a_kasi_may_not_tick_the_checklist(registered, kasi):
    with pytest.raises(PermissionDenied):
        services.receive_document(document=registered.documents.first(), user=kasi, received=False)


def test_the_front_desk_may_choose_the_flow_of_a_draft(draft, petugas):
    assert "choose_flow" in rules.actions(draft, petugas)


def test_the_flow_of_a_registered_case_is_not_chosen_again(registered, petugas):
    with pytest.raises(TransitionRefused, match="alurnya tidak dapat diganti"):
        services.choose_flow(case=registered, user=petugas, flow=registered.flow)


def test_no_berita_acara_where_the_sop_has_no_step_for_it(registered, demo_users, petugas):
    # the SPM has no step that makes a berita acara: nobody issues one on it
    for user in (demo_users["lumajang-kabid"], demo_users["lumajang-kadis"], petugas):
        assert "issue_berita_acara" not in rules.actions(registered, user)
    assert refused_with(registered, demo_users["lumajang-kabid"], "issue_berita_acara") is TransitionRefused


def test_no_berita_acara_for_a_draft(draft, demo_users):
    assert refused_with(draft, demo_users["lumajang-kabid"], "issue_berita_acara") is TransitionRefused


def test_a_berita_acara_of_an_unreached_step_is_refused(registered, petugas):
    template = LetterTemplate.objects.get(agency=registered.agency, sop_slug="", kind=LetterTemplate.BA_SERAH_TERIMA)

    with pytest.raises(TransitionRefused, match="belum dicapai"):
        letters.issue_berita_acara(
            case=registered, user=petugas, template=template, pihak_kedua={"nama": "Budi"}, saksi=[]
        )


@pytest.fixture
def letter(registered):
    template = LetterTemplateFactory(agency=registered.agency, title="Rekomendasi")
    return IssuedDocument.objects.create(case=registered, template=template, title="Rekomendasi")


def test_the_kadis_may_revoke_an_issued_letter(registered, letter, demo_users):
    letter.status = LetterStatus.ISSUED

    assert rules.may_revoke(registered, demo_users["lumajang-kadis"], letter)


def test_a_draft_letter_is_not_revoked(registered, letter, demo_users):
    with pytest.raises(TransitionRefused, match="yang berlaku"):
        rules.require_revoke(registered, demo_users["lumajang-kadis"], letter)


def test_a_kabid_may_not_revoke_a_letter(registered, letter, demo_users):
    letter.status = LetterStatus.ISSUED

    with pytest.raises(PermissionDenied):
        rules.require_revoke(registered, demo_users["lumajang-kabid"], letter)


# --- the page shows what the views accept ---------------------------------------------------------


def page_posts_to(client, case, user):
    client.force_login(user)
    page = client.get(f"/permohonan/{case.pk}/").content.decode()
    return {action for action, name in ACTION_URLS.items() if f'action="{reverse(name, args=[case.pk])}"' in page}


@pytest.mark.parametrize("username", ["lumajang-petugas", "lumajang-kasi"])
def test_the_page_shows_exactly_the_actions_the_rules_grant(client, registered, demo_users, username):
    user = demo_users[username]
    granted = rules.actions(registered, user) & set(ACTION_URLS)

    assert page_posts_to(client, registered, user) == granted


def test_the_holder_is_granted_some_actions_and_refused_others(registered, petugas):
    granted = rules.actions(registered, petugas)

    assert {"complete_step", "reject", "cancel"} <= granted
    assert not granted & {"register", "resume", "resubmit", "return_for_revision"}


POSTS = {
    "complete_step": {"note": "selesai"},
    "wait_external": {"text": "proses BPJS", "until": "2099-12-31"},
    "reject": {"text": "tidak memenuhi syarat"},
    "cancel": {"text": "pemohon mundur"},
    "return_to_applicant": {"note": "KTP kurang"},
}


@pytest.mark.parametrize("action", sorted(POSTS))
def test_every_action_the_rules_grant_is_accepted_by_its_view(client, registered, petugas, action):
    assert action in rules.actions(registered, petugas)
    client.force_login(petugas)
    before = registered.state

    response = client.post(
        reverse(ACTION_URLS[action], args=[registered.pk]), {"step": registered.current_step_id, **POSTS[action]}
    )

    assert response.status_code == 302
    registered.refresh_from_db()
    moved = registered.state != before or registered.current_step.position > 1
    assert moved, action


@pytest.mark.parametrize("action", ["complete_step", "wait_external", "reject", "cancel", "return_to_applicant"])
def test_an_action_the_rules_refuse_is_a_403_from_its_view(client, registered, kasi, action):
    assert action not in rules.actions(registered, kasi)
    client.force_login(kasi)

    response = client.post(reverse(ACTION_URLS[action], args=[registered.pk]), {"step": registered.current_step_id})

    assert response.status_code == 403


def test_an_action_refused_for_now_is_told_on_the_page(client, waiting, petugas):
    assert "reject" not in rules.actions(waiting, petugas)
    client.force_login(petugas)

    response = client.post(
        reverse("cases:case_reject", args=[waiting.pk]), {"step": waiting.current_step_id, "text": "x"}, follow=True
    )

    assert "tidak dapat dilakukan pada permohonan berstatus Menunggu pihak luar" in response.content.decode()
    waiting.refresh_from_db()
    assert waiting.state == CaseState.WAITING_EXTERNAL
