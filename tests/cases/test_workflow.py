import html
import json
from pathlib import Path

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.utils import timezone

from agencies.desks import DESKS
from agencies.models import Agency, Position
from cases import rules, services, workflow
from cases.documents import disposition_pdf
from cases.models import AuditEntry, Case, CaseStep, Disposition, Notification
from sop_catalog.models import SOP
from sop_catalog.services import import_sops
from tests.concurrency import run_together
from tests.conftest import give_all_documents, sample_data
from tests.factories import PersonFactory

DATA = Path(__file__).resolve().parents[1] / "data"


def states_and_steps(case):
    case.refresh_from_db()
    return case.state, case.current_step.label if case.current_step else None


def test_registration_lays_out_the_steps_with_paraf_hierarki_split(registered):
    steps = [(s.label, s.desk) for s in registered.steps.order_by("position")]

    assert steps == [
        ("1", "petugas"), ("2", "petugas"), ("3a", "kasi"), ("3b", "kabid"), ("3c", "sekdin"),
        ("4", "kadis"), ("5", "petugas"),
    ]  # fmt: skip
    assert registered.current_step.label == "1"
    assert registered.current_step.due_at is not None


def test_the_spm_walks_from_registration_to_completed_by_each_desk(registered, walk, petugas):
    give_all_documents(registered, petugas)
    seen = [states_and_steps(registered)]
    case = walk(registered)
    seen.append(states_and_steps(case))
    case = walk(case, branch="Ya")
    for _ in range(5):
        seen.append(states_and_steps(case))
        case = walk(case)
    seen.append(states_and_steps(case))

    assert seen == [
        ("at_petugas", "1"),
        ("at_petugas", "2"),
        ("at_kasi", "3a"),
        ("at_kabid", "3b"),
        ("at_sekdin", "3c"),
        ("at_kadis", "4"),
        ("approved", "5"),
        ("completed", None),
    ]
    actions = list(AuditEntry.objects.filter(case=case).values_list("action", flat=True))
    assert actions == [
        "register", "step", "step", "forward", "step", "forward", "step", "forward",
        "step", "forward", "step", "sign", "step", "complete",
    ]  # fmt: skip
    assert case.steps.count() == 7 and all(step.status == CaseStep.DONE for step in case.steps.all())


def test_a_decision_needs_its_branch(registered, walk):
    case = walk(registered)

    with pytest.raises(workflow.TransitionRefused, match="Pilih keputusan langkah ini: Ya, Tidak"):
        walk(case)


def test_tidak_on_the_completeness_decision_returns_the_papers(registered, walk, petugas):
    case = walk(registered)

    returned = walk(case, branch="Tidak", note="SKTM belum ditandatangani Camat")

    assert returned.state == Case.RETURNED
    give_all_documents(returned, petugas)
    resumed = services.resubmit_case(case=returned, user=petugas)
    assert states_and_steps(resumed) == ("at_petugas", "2")


def test_tidak_is_refused_while_all_papers_are_ticked(registered, walk, petugas):
    give_all_documents(registered, petugas)
    case = walk(registered)

    with pytest.raises(workflow.TransitionRefused, match="hilangkan dulu centang"):
        walk(case, branch="Tidak")


@pytest.fixture
def dispose_case(lumajang, person, petugas):
    import_sops(json.loads((DATA / "dispose_sop.json").read_text(encoding="utf-8")))
    sop = SOP.objects.get(slug="lumajang-uji-disposisi")
    case = services.open_case(
        user=petugas, sop=sop, applicant=person, beneficiary=person, channel="laporan", purpose="Laporan warga"
    )
    return services.register_case(case=case, user=petugas)


def test_a_kadis_disposes_down_with_instructions_and_a_lembar_disposisi(
    dispose_case, walk, demo_users, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    case = walk(dispose_case)
    kabid = demo_users["lumajang-kabid"]
    position = Position.objects.get(officials__user=kabid)

    case = walk(
        case,
        disposition={
            "instructions": ["Untuk ditindaklanjuti", "Koordinasikan"],
            "to_position": position,
            "note": "Segera",
        },
        render_disposition=disposition_pdf,
    )

    assert states_and_steps(case) == ("at_kabid", "3")
    disposition = Disposition.objects.get(case=case)
    assert disposition.to_position == position and disposition.from_desk == "kadis"
    assert disposition.to_user == kabid  # the holder on the day, for the record
    # The notice goes to the position's holder, not to every Kabid of the agency.
    notified = set(Notification.objects.filter(case=case, kind=Notification.DISPOSISI).values_list("user", flat=True))
    assert notified == {kabid.pk}
    assert disposition.pdf.read().startswith(b"%PDF")
    assert AuditEntry.objects.filter(case=case, action="dispose").exists()


def test_a_disposition_needs_an_instruction(dispose_case, walk):
    case = walk(dispose_case)

    with pytest.raises(workflow.TransitionRefused, match="sedikitnya satu instruksi"):
        walk(case, disposition={"instructions": []})
    assert Case.objects.get(pk=case.pk).state == Case.AT_KADIS


def test_a_failing_pdf_leaves_the_case_as_it_was(dispose_case, walk, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    case = walk(dispose_case)

    def broken(record):
        raise OSError("disk penuh")

    with pytest.raises(OSError):
        walk(case, disposition={"instructions": ["Untuk diproses"]}, render_disposition=broken)

    assert states_and_steps(case) == ("at_kadis", "2")
    assert not Disposition.objects.exists()
    assert CaseStep.objects.get(case=case, no=2).status == CaseStep.CURRENT


def test_return_for_revision_goes_down_and_climbs_again(registered, walk, petugas, demo_users):
    give_all_documents(registered, petugas)
    case = walk(walk(registered), branch="Ya")  # at Kasi (3a)
    case = walk(case)  # at Kabid (3b)
    kabid = demo_users["lumajang-kabid"]

    case = workflow.return_for_revision(case=case, user=kabid, step_id=case.current_step_id, note="Perbaiki alamat")

    assert states_and_steps(case) == ("at_kasi", "3a")
    assert states_and_steps(walk(case)) == ("at_kabid", "3b")


def test_revision_needs_a_note(registered, walk, petugas, demo_users):
    give_all_documents(registered, petugas)
    case = walk(walk(walk(registered), branch="Ya"))  # at Kabid

    with pytest.raises(workflow.TransitionRefused, match="harus diperbaiki"):
        workflow.return_for_revision(
            case=case, user=demo_users["lumajang-kabid"], step_id=case.current_step_id, note=""
        )


def test_waiting_for_an_outside_party_parks_and_resumes(registered, petugas):
    case = workflow.wait_external(
        case=registered, user=petugas, step_id=registered.current_step_id, waiting_for="proses BPJS ± 3 bulan"
    )
    assert (case.state, case.waiting_for) == (Case.WAITING_EXTERNAL, "proses BPJS ± 3 bulan")
    with pytest.raises(workflow.TransitionRefused, match="menunggu pihak luar"):
        workflow.complete_step(case=case, user=petugas, step_id=case.current_step_id)

    case = workflow.resume(case=case, user=petugas, step_id=case.current_step_id)

    assert case.state == Case.AT_PETUGAS and case.waiting_for == ""


def test_a_kasi_rejects_with_a_reason(registered, walk, petugas, demo_users):
    give_all_documents(registered, petugas)
    case = walk(walk(registered), branch="Ya")  # at Kasi
    kasi = demo_users["lumajang-kasi"]
    with pytest.raises(workflow.TransitionRefused, match="alasan penolakan"):
        workflow.reject(case=case, user=kasi, step_id=case.current_step_id, reason=" ")

    case = workflow.reject(case=case, user=kasi, step_id=case.current_step_id, reason="Data ganda dengan PBI-Pusat")

    assert case.state == Case.REJECTED and case.closing_reason == "Data ganda dengan PBI-Pusat"


def test_cancel_only_before_a_superior_acts(registered, walk, petugas):
    with pytest.raises(workflow.TransitionRefused, match="alasan pembatalan"):
        workflow.cancel(case=registered, user=petugas, reason="")
    assert workflow.cancel(case=registered, user=petugas, reason="Pemohon mencabut").state == Case.CANCELLED


def test_cancel_is_refused_after_the_kasi_acted(registered, walk, petugas, demo_users):
    give_all_documents(registered, petugas)
    case = walk(walk(walk(registered), branch="Ya"))  # Kasi done, at Kabid
    kabid = demo_users["lumajang-kabid"]
    workflow.return_for_revision(case=case, user=kabid, step_id=case.current_step_id, note="x")
    case = walk(case)  # Kasi again → Kabid
    workflow.return_for_revision(case=case, user=kabid, step_id=case.current_step_id, note="y")

    with pytest.raises(workflow.TransitionRefused):
        workflow.cancel(case=case, user=petugas, reason="Pemohon mencabut")


def test_arriving_at_a_desk_notifies_its_users_by_notice_and_mail(registered, walk, petugas, demo_users):
    kasi = demo_users["lumajang-kasi"]
    kasi.email = "kasi@dinsos.example"
    kasi.save()
    give_all_documents(registered, petugas)

    case = walk(walk(registered), branch="Ya")

    assert case.state == Case.AT_KASI
    assert Notification.objects.filter(user=kasi, case=case).count() == 1


def test_notices_send_an_email_with_a_link(registered, walk, petugas, demo_users, django_capture_on_commit_callbacks):
    kasi = demo_users["lumajang-kasi"]
    kasi.email = "kasi@dinsos.example"
    kasi.save()
    give_all_documents(registered, petugas)

    with django_capture_on_commit_callbacks(execute=True):
        case = walk(walk(registered), branch="Ya")

    assert mail.outbox[-1].to == ["kasi@dinsos.example"]
    assert f"/permohonan/{case.pk}/" in mail.outbox[-1].body


def test_notify_overdue_tells_the_desk_and_its_superior_once_a_day(registered, demo_users, capsys):
    CaseStep.objects.filter(pk=registered.current_step_id).update(due_at="2020-01-01T00:00:00Z")

    call_command("notify_overdue")
    call_command("notify_overdue")

    out = capsys.readouterr().out
    assert "Langkah terlambat diberitahukan: 1" in out and "Langkah terlambat diberitahukan: 0" in out
    kasi, petugas = demo_users["lumajang-kasi"], demo_users["lumajang-petugas"]
    assert Notification.objects.filter(user=kasi, kind=Notification.OVERDUE).count() == 1
    notice = Notification.objects.get(user=petugas, kind=Notification.OVERDUE)
    due = timezone.localtime(CaseStep.objects.get(pk=registered.current_step_id).due_at)
    assert f"{registered.number} · " in notice.message and "— terlambat: langkah 1 di meja" in notice.message
    assert f"batas {due.day} Januari {due.year} {due:%H.%M}" in notice.message


def test_the_audit_log_is_append_only(registered):
    entry = AuditEntry.objects.filter(case=registered).first()

    with pytest.raises(ValueError):
        entry.save()
    with pytest.raises(ValueError):
        entry.delete()
    assert entry.user.username == "lumajang-petugas"


STEP_TRANSITIONS = ["complete_step", "wait_external", "reject", "return_for_revision"]


@pytest.mark.parametrize("position, holder", [(1, "petugas"), (3, "kasi"), (4, "kabid"), (5, "sekdin"), (6, "kadis")])
def test_permission_matrix_only_the_holding_desk_of_the_agency_acts(
    registered, walk, petugas, demo_users, position, holder
):
    give_all_documents(registered, petugas)
    case = registered
    while Case.objects.get(pk=case.pk).current_step.position < position:
        current = Case.objects.get(pk=case.pk).current_step
        case = walk(case, branch="Ya" if current.no == 2 else "")
    case = Case.objects.get(pk=case.pk)

    for agency in ("lumajang", "solok"):
        for desk, _ in DESKS:
            user = demo_users[f"{agency}-{desk}"]
            allowed = agency == "lumajang" and desk == holder
            actions = rules.actions(case, user)
            assert ("complete_step" in actions) is allowed, (agency, desk)
            fired = rules.transitions(case, user)
            assert bool(fired & {"forward", "dispose", "sign", "complete"}) is allowed, (agency, desk)
            if not allowed:
                with pytest.raises(PermissionDenied):
                    workflow.complete_step(case=case, user=user, step_id=case.current_step_id, branch="Ya")
    assert Case.objects.get(pk=case.pk).current_step.position == position


@pytest.mark.parametrize("desk", [desk for desk, _ in DESKS])
def test_permission_matrix_front_desk_transitions(draft, demo_users, desk):
    user = demo_users[f"lumajang-{desk}"]
    other = demo_users[f"solok-{desk}"]

    for name in ("register", "cancel"):
        assert rules.may(draft, user, name) is (desk == "petugas")
        assert rules.may(draft, other, name) is False


def test_a_stale_page_is_told_who_processed_the_case(registered, walk, petugas):
    stale_step = registered.current_step_id
    walk(registered)

    with pytest.raises(workflow.AlreadyProcessed, match="sudah diproses oleh Demo Petugas Pelayanan"):
        workflow.complete_step(case=registered, user=petugas, step_id=stale_step)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_approvals_exactly_one_wins(agencies, demo_users):
    lumajang = Agency.objects.get(slug="lumajang")
    data = sample_data()
    data[0]["agency"] = {"name": lumajang.name, "slug": lumajang.slug, "region": lumajang.region}
    import_sops(data)
    petugas = demo_users["lumajang-petugas"]
    person = PersonFactory(agency=lumajang)
    case = services.open_case(
        user=petugas, sop=SOP.objects.get(slug="contoh-spm"), applicant=person, beneficiary=person,
        channel="datang", purpose="uji",
    )  # fmt: skip
    case = services.register_case(case=case, user=petugas)
    second_petugas = type(petugas).objects.get(pk=petugas.pk)
    step_id = case.current_step_id

    def approve(user):
        workflow.complete_step(case=Case.objects.get(pk=case.pk), user=user, step_id=step_id, note=user.username)
        return "won"

    won, lost = run_together(approve, [petugas, second_petugas])
    outcomes = won + [str(exc) for exc in lost]

    assert won == ["won"] and len(lost) == 1
    assert isinstance(lost[0], workflow.AlreadyProcessed) and "sudah diproses oleh" in outcomes[1]
    assert AuditEntry.objects.filter(case=case, action="step").count() == 1


@pytest.mark.parametrize(
    ("addressee", "message"),
    [
        ("lumajang-petugas", "Penerima disposisi harus jabatan di meja tujuan, di bawah unit Anda."),  # wrong desk
        ("solok-kabid", "Masukkan pilihan yang valid"),  # another agency: not even offered
    ],
)
def test_a_posted_disposition_to_someone_not_at_the_next_desk_is_refused(
    dispose_case, walk, demo_users, client, addressee, message
):
    case = walk(dispose_case)  # at the Kadis, who disposes down to the Kabid
    client.force_login(demo_users["lumajang-kadis"])
    form = {
        "step": case.current_step_id,
        "instructions": ["Untuk ditindaklanjuti"],
        "to_position": Position.objects.get(officials__user=demo_users[addressee]).pk,
    }

    page = client.post(f"/permohonan/{case.pk}/tindakan/selesai/", form, follow=True).content.decode()

    assert message in html.unescape(page)
    assert states_and_steps(Case.objects.get(pk=case.pk)) == states_and_steps(case)
    assert not Disposition.objects.filter(case=case).exists()
