import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import Resolver404, resolve
from pypdf import PdfReader

from cases import services
from cases.models import Case
from sop_catalog.models import SOP
from tests.cases.test_persons import fold_of
from tests.factories import PersonFactory
from tests.files import BLANK_PDF


def pdf_text(content):
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).split())


def test_a_petugas_opens_a_case_for_a_different_beneficiary(petugas_client, spm, lumajang):
    applicant = PersonFactory(agency=lumajang, name="Kepala Desa Tompokersan")
    beneficiary = PersonFactory(agency=lumajang, name="Mbah Sarinem")

    response = petugas_client.post(
        f"/permohonan/baru/?pemohon={applicant.pk}&penerima={beneficiary.pk}",
        {"sop": spm.pk, "channel": "surat", "purpose": "Rekomendasi lansia terlantar", "sifat": "segera",
         "incoming_number": "140/12/2026", "incoming_date": "2026-11-30", "incoming_sender": "Kepala Desa Tompokersan"},
    )  # fmt: skip

    case = Case.objects.get()
    assert response["Location"] == f"/permohonan/{case.pk}/"
    assert (case.applicant, case.beneficiary, case.sifat) == (applicant, beneficiary, "segera")
    assert (case.incoming_number, str(case.incoming_date)) == ("140/12/2026", "2026-11-30")


def test_a_case_from_a_surat_masuk_needs_the_letter_number_date_and_sender(petugas_client, spm, lumajang):
    applicant = PersonFactory(agency=lumajang)

    response = petugas_client.post(
        f"/permohonan/baru/?pemohon={applicant.pk}",
        {"sop": spm.pk, "channel": "surat", "purpose": "x", "sifat": "biasa"},
    )

    assert set(response.context["form"].errors) == {"incoming_number", "incoming_date", "incoming_sender"}
    assert not Case.objects.exists()


def test_the_incoming_letter_is_folded_for_a_walk_in_case_and_open_when_it_holds_anything(
    petugas_client, spm, lumajang
):
    applicant = PersonFactory(agency=lumajang)
    url = f"/permohonan/baru/?pemohon={applicant.pk}"
    walk_in = {"sop": spm.pk, "channel": "datang", "sifat": "biasa"}  # no purpose: the form comes back

    empty = petugas_client.get(url).content.decode()
    letter = petugas_client.post(url, walk_in | {"channel": "surat", "purpose": "x"}).content.decode()
    typed = petugas_client.post(url, walk_in | {"incoming_subject": "Permohonan SPM"}).content.decode()

    assert " open" not in fold_of(empty, "incoming-fold")
    assert " open" in fold_of(letter, "incoming-fold") and "Wajib untuk permohonan dari surat masuk" in letter
    assert " open" in fold_of(typed, "incoming-fold") and 'value="Permohonan SPM"' in typed
    assert not Case.objects.exists()


def test_opening_a_case_needs_an_applicant(petugas_client, spm):
    response = petugas_client.post(
        "/permohonan/baru/", {"sop": spm.pk, "channel": "datang", "purpose": "x", "sifat": "biasa"}
    )

    assert "Pilih atau daftarkan pemohon" in response.content.decode()
    assert not Case.objects.exists()


def test_only_active_sops_of_my_agency_are_offered(petugas_client, spm, sample_sop):
    form = petugas_client.get("/permohonan/baru/").context["form"]

    offered = set(form.fields["sop"].queryset)
    assert spm in offered and sample_sop not in offered  # sample_sop belongs to another agency
    assert SOP.objects.get(slug="lumajang-pkh") not in offered  # a draft
    assert {sop.agency for sop in offered} == {spm.agency}


def test_the_tanda_terima_holds_number_nik_service_documents_and_time(petugas_client, registered, petugas):
    services.receive_document(document=registered.documents.first(), user=petugas)

    response = petugas_client.get(f"/permohonan/{registered.pk}/tanda-terima.pdf")

    text = pdf_text(response.content)
    assert response["Content-Type"] == "application/pdf"
    for expected in [
        "TANDA TERIMA BERKAS PERMOHONAN",
        registered.number,
        registered.applicant.nik,
        "Penerbitan Surat Pernyataan Miskin (SPM)",
        "400.9/IV/1.03/2026",
        "SKTM asli dari Desa, ditandatangani Camat",
        "1 hari kerja + 55 menit",
        f"/status/{registered.number}/",
        "PEMERINTAH KABUPATEN LUMAJANG",
    ]:
        assert expected in text, expected


def test_a_draft_has_no_tanda_terima(petugas_client, draft):
    assert petugas_client.get(f"/permohonan/{draft.pk}/tanda-terima.pdf").status_code == 404


def test_the_missing_documents_list_is_printed_for_the_applicant(petugas_client, registered):
    petugas_client.post(f"/permohonan/{registered.pk}/kembalikan/", {"note": "Bawa KK asli juga"})

    response = petugas_client.get(f"/permohonan/{registered.pk}/kekurangan-berkas.pdf")

    text = pdf_text(response.content)
    assert "PEMBERITAHUAN KEKURANGAN BERKAS" in text
    assert "Fotokopi KTP" in text and "Bawa KK asli juga" in text
    assert "Surat pengantar RT/RW" not in text  # optional papers are not demanded


def test_the_public_status_page_shows_state_but_no_personal_data(client, registered):
    response = client.get(f"/status/{registered.number}/", {"kode": registered.survey_code})

    page = response.content.decode()
    assert "Di petugas pelayanan" in page
    assert registered.applicant.name not in page
    assert registered.applicant.nik not in page
    assert client.get("/status/LMJ/2026/999999/").status_code == 404


def test_an_upload_through_the_page_refuses_a_renamed_executable(petugas_client, draft, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    document = draft.documents.first()
    fake = SimpleUploadedFile("sktm.pdf", b"MZ" + b"\x00" * 100, "application/pdf")

    response = petugas_client.post(f"/permohonan/{draft.pk}/berkas/{document.pk}/", {"scan": fake}, follow=True)

    assert "bukan PDF, JPEG atau PNG" in response.content.decode()
    document.refresh_from_db()
    assert not document.file


def test_a_scan_is_served_only_inside_the_agency(client, petugas_client, draft, demo_users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    document = draft.documents.first()
    scan = SimpleUploadedFile("a.pdf", BLANK_PDF, "application/pdf")
    petugas_client.post(f"/permohonan/{draft.pk}/berkas/{document.pk}/", {"scan": scan})
    url = f"/permohonan/{draft.pk}/berkas/{document.pk}/pindaian/"

    own = petugas_client.get(url)
    client.force_login(demo_users["solok-kasi"])
    other = client.get(url)

    assert own.status_code == 200 and b"".join(own.streaming_content).startswith(b"%PDF")
    assert other.status_code == 404


def test_the_media_root_is_not_served_as_static_files(client, settings):
    with pytest.raises(Resolver404):
        resolve("/media/cases/1/1/x.pdf")


def test_two_clicks_on_register_give_one_number(petugas_client, draft):
    first = petugas_client.post(f"/permohonan/{draft.pk}/daftarkan/", follow=True)
    second = petugas_client.post(f"/permohonan/{draft.pk}/daftarkan/", follow=True)

    assert "terdaftar dengan nomor" in first.content.decode()
    assert "tidak dapat dilakukan" in second.content.decode()
    assert Case.objects.get().number.endswith("/000001")


def test_identifiers_are_never_written_with_a_thousands_dot(petugas_client, registered, lumajang):
    """Counts get "1.234" (the angka filter); a pk in a URL and the year of a case number stay as they are."""
    applicant = PersonFactory(agency=lumajang, pk=12345)
    beneficiary = PersonFactory(agency=lumajang, pk=12346)

    wizard = petugas_client.get("/permohonan/baru/?pemohon=12345&penerima=12346").content.decode()
    inbox = petugas_client.get("/kotak-masuk/").content.decode()

    assert (applicant.pk, beneficiary.pk) == (12345, 12346)
    assert "?pemohon=12345&amp;penerima=12346" in wizard and "12.345" not in wizard
    year = registered.registered_at.year
    assert f"/{year}/" in registered.number and registered.number in inbox
    assert f"{year // 1000}.{year % 1000:03d}" not in inbox  # "2.026"
