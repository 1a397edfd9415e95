"""Tarik kembali: the sender takes a case back while the next desk has not acted, with audit."""

import pytest
from django.core.exceptions import PermissionDenied

from cases import rules, workflow
from cases.models import AuditEntry, Case, CaseStep, Notification
from cases.rules import TransitionRefused
from tests.conftest import give_all_documents


def sent_to_kasi(registered, walk, petugas):
    give_all_documents(registered, petugas)
    return walk(walk(registered), branch="Ya")


def test_the_sender_takes_a_case_back_before_the_kasi_acts(registered, walk, petugas, demo_users, client):
    case = sent_to_kasi(registered, walk, petugas)
    kasi_step = case.current_step
    assert "take_back" in rules.actions(case, petugas)
    assert "take_back" not in rules.actions(case, demo_users["lumajang-kasi"])
    client.force_login(petugas)
    assert 'data-testid="take-back"' in client.get(f"/permohonan/{case.pk}/").content.decode()

    response = client.post(
        f"/permohonan/{case.pk}/tindakan/tarik-kembali/", {"step": kasi_step.pk, "text": "salah teruskan"}
    )

    case = Case.objects.get(pk=case.pk)
    assert response.status_code == 302 and case.state == Case.AT_PETUGAS
    assert case.current_step.position == kasi_step.position - 1 and case.current_step.status == CaseStep.CURRENT
    assert CaseStep.objects.get(pk=kasi_step.pk).status == CaseStep.PENDING
    entry = AuditEntry.objects.get(case=case, action="take_back")
    assert entry.user == petugas and entry.note == "salah teruskan" and entry.to_state == Case.AT_PETUGAS
    notice = Notification.objects.get(user=demo_users["lumajang-kasi"], kind=Notification.TAKEN_BACK)
    assert "ditarik kembali oleh" in notice.message
    # and it can be sent again
    assert walk(case, branch="Ya").state == Case.AT_KASI


def test_no_take_back_once_the_next_desk_has_acted(registered, walk, petugas, demo_users):
    case = sent_to_kasi(registered, walk, petugas)
    case = walk(case)  # the Kasi acted: the case moved on

    with pytest.raises(PermissionDenied):
        workflow.take_back(case=case, user=petugas, step_id=case.current_step_id)


def test_no_take_back_when_the_next_desk_parked_it(registered, walk, petugas, demo_users):
    case = sent_to_kasi(registered, walk, petugas)
    workflow.wait_external(
        case=case, user=demo_users["lumajang-kasi"], step_id=case.current_step_id, waiting_for="BPJS"
    )
    case = Case.objects.get(pk=case.pk)

    with pytest.raises((PermissionDenied, TransitionRefused)):
        workflow.take_back(case=case, user=petugas, step_id=case.current_step_id)
