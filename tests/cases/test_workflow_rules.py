"""Rules of the step trail found in review: paraf chains, decisions, waits, jumps, revisions."""

import datetime
import json
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from cases import workflow
from cases.models import AuditEntry, Case, CaseStep, IssuedDocument
from sop_catalog.models import SOP, Branch
from sop_catalog.services import import_sops
from tests.cases.test_letters import spm_case, walk_to_kadis
from tests.conftest import give_all_documents, sample_data
from tests.factories import CaseFactory


def open_registered(sop, user):
    assert user.username == f"{sop.agency.slug}-petugas"
    return CaseFactory(sop=sop, registered=True)


def test_work_shared_by_staff_and_one_superior_stays_one_step(demo_users, petugas):
    case = open_registered(SOP.objects.get(slug="lumajang-pengangkatan-anak", is_current=True), petugas)

    labels = [s.label for s in case.steps.order_by("position")]

    assert labels and all(label.isdigit() for label in labels), labels


def test_a_decision_on_a_step_shared_in_turn_is_taken_by_the_last_desk(spm, petugas, walk, lumajang):
    data = sample_data()
    data[0]["agency"] = {"name": lumajang.name, "slug": lumajang.slug, "region": lumajang.region}
    data[0]["slug"] = "lumajang-uji-cabang"
    data[0]["number"] = "UJI/CABANG"
    data[0]["flows"][0]["steps"][2]["branches"] = [
        {"label": "Setuju", "action": "next"},
        {"label": "Ulang", "action": "step", "step": 1},
    ]
    import_sops(data)
    case = open_registered(SOP.objects.get(slug="lumajang-uji-cabang"), petugas)
    case = walk(walk(case), branch="Ya")  # at 3a (Kasi)

    case = walk(walk(case))  # no decision asked at 3a (Kasi) nor 3b (Kabid)
    with pytest.raises(workflow.TransitionRefused, match="Setuju, Ulang"):
        walk(case)  # 3c (Sekdin) decides


def test_a_jump_to_a_step_that_does_not_exist_is_refused(registered, walk, petugas):
    give_all_documents(registered, petugas)
    case = walk(registered)
    Branch.objects.filter(step=case.current_step.sop_step, label="Ya").update(action="step", step_no=9)

    with pytest.raises(workflow.TransitionRefused, match="Langkah tujuan 9 tidak ada"):
        walk(case, branch="Ya")
    assert Case.objects.get(pk=case.pk).state == Case.AT_PETUGAS


def test_the_admin_can_not_save_a_jump_to_a_missing_step(registered):
    branch = Branch.objects.filter(action="next").first()
    branch.action, branch.step_no = "step", 42

    with pytest.raises(ValidationError, match="Langkah 42 tidak ada"):
        branch.full_clean()


def test_time_spent_waiting_for_an_outside_party_does_not_count(registered, petugas):
    case = workflow.wait_external(case=registered, user=petugas, step_id=registered.current_step_id, waiting_for="BPJS")
    due = case.current_step.due_at
    AuditEntry.objects.filter(case=case, action="wait_external").update(at=timezone.now() - datetime.timedelta(days=90))

    case = workflow.resume(case=case, user=petugas, step_id=case.current_step_id)

    step = CaseStep.objects.get(pk=case.current_step_id)
    assert step.due_at - due > datetime.timedelta(days=89)
    assert not step.is_overdue()


def test_revision_goes_to_the_last_lower_desk(demo_users, walk):
    import_sops(
        json.loads((Path(__file__).resolve().parents[1] / "data" / "dispose_sop.json").read_text(encoding="utf-8"))
    )
    case = open_registered(SOP.objects.get(slug="lumajang-uji-disposisi"), demo_users["lumajang-petugas"])
    case = walk(case)  # petugas → Kadis
    case = walk(case, disposition={"instructions": ["Untuk diproses"]})  # Kadis → Kabid

    case = workflow.return_for_revision(
        case=case, user=demo_users["lumajang-kabid"], step_id=case.current_step_id, note="Lengkapi laporan"
    )

    assert case.state == Case.AT_PETUGAS and case.current_step.position == 1


def test_a_revision_voids_the_paraf_of_the_desks_that_look_again(demo_users, walk):
    case = walk_to_kadis(spm_case(demo_users), walk)
    draft = IssuedDocument.objects.get(case=case)
    assert sorted(draft.parafs.values_list("desk", flat=True)) == ["kabid", "kasi", "sekdin"]

    case = workflow.return_for_revision(
        case=case, user=demo_users["lumajang-kadis"], step_id=case.current_step_id, note="Perbaiki alamat"
    )
    assert list(draft.parafs.values_list("desk", flat=True)) == ["kasi", "kabid"]
    case = walk(case)  # the Sekdin initials again

    assert sorted(draft.parafs.values_list("desk", flat=True)) == ["kabid", "kasi", "sekdin"]


def test_tidak_layak_at_the_front_desk_rejects(demo_users, petugas, walk):
    case = open_registered(SOP.objects.get(slug="lumajang-izin-operasional-lksa", is_current=True), petugas)
    while not Case.objects.get(pk=case.pk).current_step.sop_step.branches.exists():
        case = walk(case, disposition={"instructions": ["Untuk diproses"]})
    case = Case.objects.get(pk=case.pk)
    label = next(b.label for b in case.current_step.sop_step.branches.all() if "tidak" in b.label.lower())

    rejected = walk(case, branch=label, note="Hasil SPI tidak layak")

    assert rejected.state == Case.REJECTED


def test_a_stale_or_odd_step_number_is_refused_politely(client, demo_users, registered):
    client.force_login(demo_users["lumajang-petugas"])

    for step in ["", "abc", "²"]:
        response = client.post(f"/permohonan/{registered.pk}/tindakan/selesai/", {"step": step}, follow=True)
        assert "muat ulang halaman" in response.content.decode()
    flow = client.post(f"/permohonan/{registered.pk}/tindakan/alur/", {"flow": "abc"})
    assert flow.status_code == 404
