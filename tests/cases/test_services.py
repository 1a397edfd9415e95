import io
import threading
import time
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from PIL import Image

from agencies.models import Agency
from cases import services
from cases.models import Case, CaseDocument
from cases.uploads import UploadRefused
from sop_catalog.models import SOP
from sop_catalog.services import import_sops
from tests.concurrency import run_together
from tests.conftest import sample_data
from tests.factories import PersonFactory


def png_bytes():
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, "PNG")
    return buffer.getvalue()


def test_opening_a_case_copies_the_checklist_and_locks_the_sop(draft, spm):
    assert draft.state == Case.DRAFT
    assert [(d.name, d.required) for d in draft.documents.all()] == [
        ("SKTM asli dari Desa, ditandatangani Camat", True),
        ("Fotokopi Kartu Keluarga (KK)", True),
        ("Fotokopi KTP", True),
        ("Surat pengantar RT/RW", False),
    ]
    assert SOP.objects.get(pk=spm.pk).locked


def test_a_case_keeps_its_sop_version_when_the_sop_changes(draft, spm):
    data = sample_data()
    data[0]["agency"] = {"name": spm.agency.name, "slug": spm.agency.slug, "region": spm.agency.region}
    data[0]["slug"] = spm.slug
    data[0]["flows"][0]["steps"][0]["activity"] = "Diubah"

    import_sops(data)

    draft.refresh_from_db()
    assert draft.sop_id == spm.pk
    assert SOP.objects.get(slug=spm.slug, is_current=True).version == 2


def test_registration_numbers_run_per_agency_and_year(spm, person, petugas, demo_users):
    first = services.register_case(
        case=services.open_case(
            user=petugas, sop=spm, applicant=person, beneficiary=person, channel="datang", purpose="a"
        ),
        user=petugas,
    )
    second = services.register_case(
        case=services.open_case(
            user=petugas, sop=spm, applicant=person, beneficiary=person, channel="datang", purpose="b"
        ),
        user=petugas,
    )

    year = first.registered_at.year
    assert first.number == f"LMJ/{year}/000001"
    assert second.number == f"LMJ/{year}/000002"
    assert first.state == Case.AT_PETUGAS


def test_only_the_front_desk_of_the_agency_registers(draft, demo_users):
    for username in ["lumajang-kasi", "lumajang-kadis", "solok-petugas"]:
        with pytest.raises(PermissionDenied):
            services.register_case(case=draft, user=demo_users[username])
    assert Case.objects.get(pk=draft.pk).state == Case.DRAFT


def test_a_case_can_not_be_opened_on_another_agencys_sop(demo_users, spm, person):
    with pytest.raises(PermissionDenied):
        services.open_case(
            user=demo_users["solok-petugas"],
            sop=spm,
            applicant=person,
            beneficiary=person,
            channel="datang",
            purpose="x",
        )


def test_a_scan_is_checked_by_content_and_stored_under_a_random_name(draft, petugas, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    document = draft.documents.first()

    services.receive_document(
        document=document, user=petugas, upload=SimpleUploadedFile("ktp.exe", png_bytes(), "application/x-msdownload")
    )

    document.refresh_from_db()
    assert document.received and document.content_type == "image/png"
    assert document.file.name.endswith(".png") and "ktp" not in document.file.name
    assert document.original_name == "ktp.exe"


def test_a_new_scan_replaces_the_old_file_once_recorded(
    draft, petugas, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    document = draft.documents.first()
    first = services.receive_document(
        document=document, user=petugas, upload=SimpleUploadedFile("a.png", png_bytes())
    ).file.path

    with django_capture_on_commit_callbacks(execute=False) as pending:
        services.receive_document(document=document, user=petugas, upload=SimpleUploadedFile("b.png", png_bytes()))
    kept_until_commit = Path(first).exists()
    assert pending, "the old file is removed on commit, so removing it must wait for one"
    for callback in pending:
        callback()

    document.refresh_from_db()
    assert kept_until_commit and not Path(first).exists()
    assert Path(document.file.path).exists() and document.file.path != first


def test_a_renamed_executable_is_refused_with_a_clear_message(draft, petugas, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    document = draft.documents.first()
    executable = SimpleUploadedFile("sktm.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200, "application/pdf")

    with pytest.raises(UploadRefused, match="bukan PDF, JPEG atau PNG \\(diperiksa dari isinya"):
        services.receive_document(document=document, user=petugas, upload=executable)

    document.refresh_from_db()
    assert not document.received and not document.file


def test_an_oversized_scan_is_refused_with_the_limit(draft, petugas, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.CASE_UPLOAD_MAX_MB = 1
    big = SimpleUploadedFile("kk.pdf", b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 1), "application/pdf")

    with pytest.raises(UploadRefused, match=r"terlalu besar \(1.0 MB\); batasnya 1 MB"):
        services.receive_document(document=draft.documents.first(), user=petugas, upload=big)


def test_a_truncated_image_is_refused(draft, petugas, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path

    with pytest.raises(UploadRefused, match="rusak"):
        services.receive_document(
            document=draft.documents.first(),
            user=petugas,
            upload=SimpleUploadedFile("ktp.png", png_bytes()[:20], "image/png"),
        )


def test_incomplete_papers_go_back_to_the_applicant_and_can_be_resubmitted(registered, petugas):
    case = services.return_to_applicant(case=registered, user=petugas, note="Bawa SKTM asli")
    assert case.state == Case.RETURNED and case.returned_by == petugas

    with pytest.raises(services.TransitionRefused):
        services.resubmit_case(case=case, user=petugas)
    for document in case.documents.filter(required=True):
        services.receive_document(document=document, user=petugas)

    assert services.resubmit_case(case=case, user=petugas).state == Case.AT_PETUGAS


def test_complete_papers_are_not_returned(registered, petugas):
    assert registered.documents.exists()
    for document in registered.documents.all():
        services.receive_document(document=document, user=petugas)

    with pytest.raises(services.TransitionRefused):
        services.return_to_applicant(case=registered, user=petugas)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_desks_registering_at_once_get_different_numbers(agencies, demo_users):
    lumajang = Agency.objects.get(slug="lumajang")
    data = sample_data()
    data[0]["agency"] = {"name": lumajang.name, "slug": lumajang.slug, "region": lumajang.region}
    import_sops(data)
    sop = SOP.objects.get(slug="contoh-spm")
    petugas = demo_users["lumajang-petugas"]
    person = PersonFactory(agency=lumajang)
    drafts = [
        services.open_case(
            user=petugas, sop=sop, applicant=person, beneficiary=person, channel="datang", purpose=str(n)
        )
        for n in range(8)
    ]
    _results, errors = run_together(lambda case: services.register_case(case=case, user=petugas), drafts)

    assert errors == []
    numbers = sorted(Case.objects.values_list("number", flat=True))
    year = Case.objects.first().registered_at.year
    assert numbers == [f"LMJ/{year}/{n:06d}" for n in range(1, 9)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_tick_waits_for_a_transition_in_progress_and_is_then_refused(registered, petugas):

    case = registered
    document = case.documents.select_related("case").first()  # read while the case is at the petugas
    locked = threading.Event()

    def move_on():
        # A transition in another session: the case row locked, the case sent on to the Kasi.
        try:
            with transaction.atomic():
                Case.objects.select_for_update().get(pk=case.pk)
                locked.set()
                time.sleep(0.5)
                Case.objects.filter(pk=case.pk).update(state=Case.AT_KASI)
        finally:
            connection.close()

    mover = threading.Thread(target=move_on)
    mover.start()
    assert locked.wait(5), "the other session never locked the case"
    with pytest.raises(services.TransitionRefused, match="selama permohonan di meja petugas"):
        services.receive_document(document=document, user=petugas)
    mover.join()

    assert not CaseDocument.objects.get(pk=document.pk).received


def test_a_scan_whose_record_fails_leaves_no_file_behind(draft, petugas, settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path
    document = draft.documents.first()

    def broken_save(self, *args, **kwargs):
        raise RuntimeError("disk penuh")

    monkeypatch.setattr(CaseDocument, "save", broken_save)
    with pytest.raises(RuntimeError):
        services.receive_document(document=document, user=petugas, upload=SimpleUploadedFile("a.png", png_bytes()))

    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
