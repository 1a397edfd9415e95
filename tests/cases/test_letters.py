import datetime
import hashlib
import io
import json

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from pypdf import PdfReader

from agencies.models import Agency, Official, Position
from cases import letters, services, workflow
from cases.models import Case, DocumentCounter, IssuedDocument, LetterTemplate
from cases.terbilang import date_in_words, terbilang
from sop_catalog.models import SOP
from tests.concurrency import run_together
from tests.conftest import give_all_documents
from tests.factories import CaseFactory, PersonFactory


def text_of(content):
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).split())


@pytest.mark.parametrize(
    "day, words",
    [
        (datetime.date(2026, 11, 23), "Senin tanggal dua puluh tiga bulan November tahun dua ribu dua puluh enam"),
        (datetime.date(2021, 1, 1), "Jumat tanggal satu bulan Januari tahun dua ribu dua puluh satu"),
        (datetime.date(2020, 9, 21), "Senin tanggal dua puluh satu bulan September tahun dua ribu dua puluh"),
        (datetime.date(2024, 2, 29), "Kamis tanggal dua puluh sembilan bulan Februari tahun dua ribu dua puluh empat"),
        (datetime.date(2019, 8, 11), "Minggu tanggal sebelas bulan Agustus tahun dua ribu sembilan belas"),
        (
            datetime.date(1999, 12, 10),
            "Jumat tanggal sepuluh bulan Desember tahun seribu sembilan ratus sembilan puluh sembilan",
        ),
    ],
)
def test_dates_in_words(day, words):
    assert date_in_words(day) == words


@pytest.mark.parametrize(
    "n, words",
    [(0, "nol"), (11, "sebelas"), (15, "lima belas"), (100, "seratus"), (101, "seratus satu"), (1000, "seribu"),
     (1100, "seribu seratus"), (250000, "dua ratus lima puluh ribu"), (2_000_000, "dua juta")],
)  # fmt: skip
def test_numbers_in_words(n, words):
    assert terbilang(n) == words


def spm_case(demo_users, purpose="Keringanan biaya rawat inap"):
    person = PersonFactory(
        name="Siti Aminah", nik="3508015507850003", sex="P", birth_place="Lumajang", address="Jl. Mawar 3"
    )
    return CaseFactory(registered=True, applicant=person, purpose=purpose, destination="RSUD dr. Haryoto Lumajang")


def walk_to_kadis(case, walk):
    while Case.objects.get(pk=case.pk).state != Case.AT_KADIS:
        current = Case.objects.get(pk=case.pk).current_step
        case = walk(case, branch="Ya" if current.sop_step.branches.exists() else "")
    return Case.objects.get(pk=case.pk)


def test_the_spm_is_drafted_initialled_signed_numbered_and_verifiable(catalog, demo_users, walk, client):
    case = spm_case(demo_users)
    draft = IssuedDocument.objects.get(case=case)
    assert draft.status == IssuedDocument.DRAFT

    case = walk_to_kadis(case, walk)
    draft_text = text_of(letters.draft_pdf(draft))
    case = walk(case)  # the Kepala Dinas signs

    assert [p.desk for p in draft.parafs.all()] == ["kasi", "kabid", "sekdin"]
    assert "KONSEP" in draft_text and "Paraf hierarki" in draft_text and "Demo Kepala Bidang" in draft_text
    document = IssuedDocument.objects.get(case=case)
    year = document.issued_at.year
    assert case.state == Case.APPROVED
    assert document.status == IssuedDocument.ISSUED
    assert document.number == f"400.9/1/427.42/{year}"
    pdf = document.pdf.read()
    assert hashlib.sha256(pdf).hexdigest() == document.sha256
    text = text_of(pdf)
    for expected in [
        "Siti Aminah", "Jl. Mawar 3", "Lumajang, 15 Juli 1985", "3508015507850003",
        "Keringanan biaya rawat inap", "RSUD dr. Haryoto Lumajang", "Dra. DEWI SUSIYANTI",
        "NIP. 19640617 199603 2 002", "Kepala Dinas Sosial", document.number, "Surat Pernyataan Miskin",
        "tanda tangan elektronik tidak tersertifikasi",
    ]:  # fmt: skip
        assert expected in text, expected
    assert f"/verifikasi/{document.token}/" in text.replace(" ", "")
    assert "KONSEP" not in text
    assert "BSrE" not in text and "tersertifikasi oleh" not in text


LETTERS = json.loads((settings.BASE_DIR / "fixtures" / "letters.json").read_text(encoding="utf-8"))
LUMAJANG_SOP_LETTERS = [row["sop_slug"] for row in LETTERS if row["agency"] == "lumajang" and row["sop_slug"]]


def test_lumajang_has_a_letter_for_most_of_its_sops():
    assert len(LUMAJANG_SOP_LETTERS) >= 10


def test_berita_acara_spells_the_date_and_names_both_parties(catalog, demo_users, walk):
    from tests.cases.test_naskah import open_case_without_its_letter, walk_to_step, with_papers  # noqa: PLC0415

    case = walk_to_step(open_case_without_its_letter(demo_users, "lumajang-odgj", with_papers()), walk, 11)
    template = LetterTemplate.objects.get(agency__slug="lumajang", kind=LetterTemplate.BA_PEMULANGAN)

    document = letters.issue_berita_acara(
        case=case,
        user=demo_users["lumajang-petugas"],
        template=template,
        pihak_kedua={"nama": "Drs. Bambang", "jabatan": "Kepala UPT", "instansi": "UPT PSTW Jember"},
        saksi=["Saksi Pertama", "Saksi Kedua", ""],
    )

    text = text_of(document.pdf.read())
    assert f"Pada hari ini {date_in_words(timezone.localdate(document.issued_at))}" in " ".join(text.split())
    for expected in ["PIHAK PERTAMA", "PIHAK KEDUA", "Drs. Bambang", "UPT PSTW Jember", "Saksi Kedua",
                     "BERITA ACARA PEMULANGAN KLIEN", "DEMO PETUGAS PELAYANAN LUMAJANG", document.number]:  # fmt: skip
        assert expected in text, expected


def test_a_sekretaris_signs_on_behalf_and_a_plt_is_named(catalog, demo_users):
    day = datetime.date(2026, 11, 23)
    sekdin = Position.objects.get(agency__slug="lumajang", desk="sekdin")
    sekdin.officials.all().delete()  # the demo official of the fixture
    Official.objects.create(position=sekdin, name="Drs. SEKRETARIS CONTOH", nip="19700101 199003 1 001",
                            rank="Pembina Tk. I (IV/b)", user=demo_users["lumajang-sekdin"])  # fmt: skip
    kadis = Position.objects.get(agency__slug="lumajang", desk="kadis")
    kadis.officials.update(end=datetime.date(2026, 10, 31))
    Official.objects.create(position=kadis, name="Ir. PLT CONTOH", acting="Plt.", start=datetime.date(2026, 11, 1))

    on_behalf = letters.signer_block(sekdin.agency, demo_users["lumajang-sekdin"], day)
    # Who signs for the Kepala Dinas on the day (no account given: the block of the day's holder).
    acting = letters.signer_block(kadis.agency, None, day)
    before = letters.signer_block(kadis.agency, None, datetime.date(2026, 10, 1))

    assert on_behalf["prefix"] == "a.n. Kepala Dinas Sosial"
    assert (on_behalf["title"], on_behalf["name"], on_behalf["rank"]) == (
        "Sekretaris Dinas Sosial", "Drs. SEKRETARIS CONTOH", "Pembina Tk. I (IV/b)"
    )  # fmt: skip
    assert (acting["title"], acting["name"]) == ("Plt. Kepala Dinas Sosial", "Ir. PLT CONTOH")
    assert before["name"] == "Dra. DEWI SUSIYANTI"


def issue_spm(demo_users):
    """An SPM issued by the Kepala Dinas with letters.issue_drafts, what the signing step runs: for the
    tests of an issued letter, not of the walk to that step (test_the_spm_is_drafted_initialled_…'s)."""
    case = spm_case(demo_users)
    letters.issue_drafts(case, demo_users["lumajang-kadis"])
    return IssuedDocument.objects.get(case=case, status=IssuedDocument.ISSUED)


@pytest.fixture
def issued(catalog, demo_users):
    return issue_spm(demo_users)


def test_verification_of_a_valid_document_shows_no_personal_data(issued, client):
    page = client.get(f"/verifikasi/{issued.token}/").content.decode()

    assert "BERLAKU" in page and issued.number in page and issued.sha256 in page
    assert "Dra. DEWI SUSIYANTI" in page and "19640617 199603 2 002" in page
    assert "Siti Aminah" not in page and "3508015507850003" not in page


def test_verification_of_an_unknown_token(client, db):
    response = client.get("/verifikasi/tidak-ada-token-seperti-ini/")

    assert response.status_code == 404
    assert "Dokumen tidak ditemukan" in response.content.decode()


def test_a_draft_is_not_verifiable(catalog, demo_users, client):
    draft = IssuedDocument.objects.get(case=spm_case(demo_users))

    assert client.get(f"/verifikasi/{draft.token}/").status_code == 404


def test_the_original_upload_matches_and_a_tampered_one_does_not(issued, client):
    original = issued.pdf.read()
    tampered = original.replace(b"Siti", b"Sita", 1) if b"Siti" in original else original + b"\n%tamper"

    same = client.post(f"/verifikasi/{issued.token}/", {"pdf": SimpleUploadedFile("a.pdf", original)})
    changed = client.post(f"/verifikasi/{issued.token}/", {"pdf": SimpleUploadedFile("a.pdf", tampered)})

    assert "SAMA PERSIS" in same.content.decode()
    assert "TIDAK SAMA" in changed.content.decode()


def test_a_correction_revokes_the_old_document_which_never_changes(issued, demo_users, client):
    before = issued.pdf.read()

    new = letters.revoke_and_reissue(document=issued, user=demo_users["lumajang-kadis"], reason="Salah alamat")

    issued.refresh_from_db()
    assert issued.status == IssuedDocument.REVOKED and issued.replaced_by == new
    assert issued.pdf.read() == before
    assert new.number.startswith("400.9/2/")
    page = client.get(f"/verifikasi/{issued.token}/").content.decode()
    assert "DICABUT" in page and new.number in page
    assert "Salah alamat" not in page  # the reason is free text: it may hold personal data


def test_only_kadis_or_sekdin_revoke(issued, demo_users):
    with pytest.raises(PermissionDenied):
        letters.revoke_and_reissue(document=issued, user=demo_users["lumajang-kasi"], reason="x")
    with pytest.raises(ValidationError, match="alasan"):
        letters.revoke_and_reissue(document=issued, user=demo_users["lumajang-kadis"], reason=" ")


def test_a_failing_render_at_signing_leaves_the_case_as_it_was(catalog, demo_users, walk, monkeypatch):
    case = walk_to_kadis(spm_case(demo_users), walk)
    step = case.current_step_id

    def broken(pdf, document, **signing):
        raise OSError("penyimpanan gagal")

    monkeypatch.setattr(letters, "sign_pdf", broken)
    with pytest.raises(OSError):
        walk(case)

    case = Case.objects.get(pk=case.pk)
    assert (case.state, case.current_step_id) == (Case.AT_KADIS, step)
    assert IssuedDocument.objects.get(case=case).status == IssuedDocument.DRAFT
    assert not DocumentCounter.objects.exists()


@pytest.mark.parametrize(
    "body, message",
    [
        ("Nama: {{ pemohon.nama }} {{ pemohon.gaji }}", "pemohon.gaji"),
        ("{{ settings.SECRET_KEY }}", "settings.SECRET_KEY"),
        ("{% if penerima.nik %}{{ rahasia }}{% endif %}", "rahasia"),
        ("{% for s in saksi %}{{ s }}{% endfor %}{{ forloop.counter }}", "forloop.counter"),
        ("{% load static %}", "tidak boleh dipakai"),
        ('{% include "base.html" %}', "tidak boleh dipakai"),
        ('{% url "home" %}', "tidak boleh dipakai"),
        ("{% debug %}", "tidak boleh dipakai"),
        ("{% for a, b in saksi %}{{ a }}{% endfor %}", "gagal diisi contoh"),
        ("{% if pemohon.nama %}tanpa penutup", "tidak dapat dibaca"),
    ],
)
def test_a_template_body_is_checked_on_save(catalog, body, message):
    template = LetterTemplate.objects.filter(agency__slug="lumajang").first()
    template.body = body

    with pytest.raises(ValidationError) as error:
        template.full_clean()

    assert message in str(error.value)


def test_the_admin_previews_a_template_against_a_sample_case(catalog, admin_client):
    template = LetterTemplate.objects.get(sop_slug="lumajang-spm")

    response = admin_client.get(f"/admin/cases/lettertemplate/{template.pk}/pratinjau/")

    assert response["Content-Type"] == "application/pdf"
    text = text_of(response.content)
    assert "SITI AMINAH (CONTOH)" in text and "KONSEP" in text


def test_letter_numbers_follow_the_agency_pattern_and_reset_yearly(catalog, demo_users):
    agency = Agency.objects.get(slug="lumajang")
    first = letters.next_letter_number(agency, "400.9", datetime.date(2026, 12, 31))
    second = letters.next_letter_number(agency, "188.45", datetime.date(2026, 12, 31))
    new_year = letters.next_letter_number(agency, "400.9", datetime.date(2027, 1, 2))
    agency.letter_number_pattern = "{klasifikasi}/{urut}/{tahun}"
    agency.letter_number_yearly_reset = False
    running = letters.next_letter_number(agency, "400.9", datetime.date(2027, 1, 3))

    assert (first, second, new_year, running) == (
        "400.9/1/427.42/2026", "188.45/2/427.42/2026", "400.9/1/427.42/2027", "400.9/1/2027"
    )  # fmt: skip


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_signers_get_numbers_without_gaps_or_duplicates(demo_users):
    kadis = demo_users["lumajang-kadis"]
    cases = []
    for n in range(6):
        case = spm_case(demo_users, purpose=f"uji {n}") if n == 0 else None
        if case is None:
            petugas = demo_users["lumajang-petugas"]
            person = PersonFactory(nik=f"35080115078500{n + 10:02d}")
            case = services.open_case(
                user=petugas, sop=SOP.objects.get(slug="lumajang-spm", is_current=True), applicant=person,
                beneficiary=person, channel="datang", purpose=f"uji {n}",
            )  # fmt: skip
            give_all_documents(case, petugas)
            case = services.register_case(case=case, user=petugas)
        while Case.objects.get(pk=case.pk).state != Case.AT_KADIS:
            current = Case.objects.get(pk=case.pk)
            user = demo_users[f"lumajang-{current.current_step.desk}"]
            branch = "Ya" if current.current_step.sop_step.branches.exists() else ""
            workflow.complete_step(case=current, user=user, step_id=current.current_step_id, branch=branch)
        cases.append(Case.objects.get(pk=case.pk))
    _results, errors = run_together(
        lambda case: workflow.complete_step(case=case, user=kadis, step_id=case.current_step_id), cases
    )

    assert errors == []
    numbers = sorted(int(n.split("/")[1]) for n in IssuedDocument.objects.values_list("number", flat=True))
    assert numbers == list(range(1, len(cases) + 1))
