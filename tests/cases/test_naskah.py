"""Naskah dinas as a Kasubag Umum checks them: layout per bentuk naskah, kop, persons without papers,
berita acara at their SOP step, the surat penolakan (docs/documents.md)."""

import datetime
import io
import json
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from pypdf import PdfReader

from cases import letters, services
from cases.models import IssuedDocument, LetterTemplate
from sop_catalog.models import SOP
from tests.factories import LetterTemplateFactory, PersonFactory
from tests.hostile.test_files import small_png

LETTERS = json.loads((settings.BASE_DIR / "fixtures" / "letters.json").read_text(encoding="utf-8"))
LUMAJANG_SOP_LETTERS = [row["sop_slug"] for row in LETTERS if row["agency"] == "lumajang" and row["sop_slug"]]
BERITA_ACARA = [LetterTemplate.BA_SERAH_TERIMA, LetterTemplate.BA_JENAZAH, LetterTemplate.BA_PEMULANGAN]
OUT = os.environ.get("NASKAH_PDF_DIR")  # set it to keep the PDFs, e.g. to look at them as PNG


def text_of(content, name=""):
    if OUT and name:
        Path(OUT, f"{name}.pdf").write_bytes(content)
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).split())


def with_papers():
    return PersonFactory(name="Siti Aminah", nik="3508015507850003", sex="P", address="Jl. Mawar 3")


def without_papers():
    return PersonFactory(
        name="Mr. X (tanpa identitas)",
        nik=None,
        without_papers=True,
        birth_place="",
        birth_date=None,
        sex="L",
        address="",
        village="",
        district="",
        regency="",
        description="Laki-laki ±40 tahun, rambut gondrong, kaus merah",
        found_at="Alun-alun Lumajang",
        found_when=timezone.make_aware(datetime.datetime(2026, 11, 20, 7, 30)),
    )


def open_case(demo_users, sop_slug, person, **fields):
    petugas = demo_users["lumajang-petugas"]
    case = services.open_case(
        user=petugas,
        sop=SOP.objects.get(slug=sop_slug, is_current=True),
        applicant=person,
        beneficiary=person,
        channel=fields.pop("channel", "datang"),
        purpose=fields.pop("purpose", "Keperluan uji"),
        **fields,
    )
    for document in case.documents.all():
        services.receive_document(document=document, user=petugas)
    return services.register_case(case=case, user=petugas)


def open_case_without_its_letter(demo_users, sop_slug, person, **fields):
    """open_case, the SOP's own letter template deleted first (the berita acara and penolakan templates
    stay): walked past its signing step, the case renders no letter that the test does not read."""
    LetterTemplate.objects.filter(agency__slug="lumajang", sop_slug=sop_slug).delete()
    return open_case(demo_users, sop_slug, person, **fields)


def assert_no_bare_dash(text):
    text = text.replace("Lampiran : -", "").replace("Tembusan : -", "")  # "no attachment" is written "-"
    for bad in [": -", ", -", "NIK : -", " : ,"]:
        assert bad not in text, bad


@pytest.mark.parametrize("papers", ["with", "without"])
@pytest.mark.parametrize("sop_slug", LUMAJANG_SOP_LETTERS)
def test_every_sop_letter_reads_for_a_person_with_and_without_papers(catalog, demo_users, sop_slug, papers):
    person = with_papers() if papers == "with" else without_papers()
    case = open_case(demo_users, sop_slug, person)
    document = IssuedDocument.objects.get(case=case, template__sop_slug=sop_slug)

    text = text_of(letters.draft_pdf(document), f"{sop_slug}-{papers}")

    assert_no_bare_dash(text)
    assert person.name in text and "Keperluan uji" in text
    assert "Dra. DEWI SUSIYANTI" in text
    assert document.title.upper() in text and "NOMOR" in text
    title = " ".join(document.template.title.split()).upper()
    assert f"{title} NOMOR" in text  # a surat keterangan: centred title, NOMOR under it
    assert "Lumajang, " in text and "Kabupaten Lumajang," not in text
    shows_identity = "penerima.identitas" in document.template.body
    if papers == "with":  # the person's NIK and birth only where the template prints the identity
        assert ("3508015507850003" in text) is shows_identity
        assert ("Lumajang, 15 Juli 1985" in text) is shows_identity
    if shows_identity:
        if papers == "with":
            assert "Ciri-ciri" not in text
        else:
            for expected in [
                "NIK : tidak diketahui (tanpa dokumen kependudukan)",
                "Tempat, tanggal lahir : tidak diketahui",
                "Alamat : tidak diketahui",
                "Ciri-ciri : Laki-laki ±40 tahun, rambut gondrong, kaus merah",
                "Tempat ditemukan : Alun-alun Lumajang",
                "Waktu ditemukan : 20 November 2026 pukul 07.30",
            ]:
                assert expected in text, expected


def test_every_seeded_template_declares_its_form():
    forms = {(row["kind"], row["form"]) for row in LETTERS}
    assert forms == {
        ("rekomendasi", "surat_keterangan"),
        ("pernyataan", "surat_keterangan"),
        ("ba_serah_terima", "berita_acara"),
        ("ba_jenazah", "berita_acara"),
        ("ba_pemulangan", "berita_acara"),
        ("penolakan", "surat_dinas"),
    }


def test_the_spm_names_the_destination_once(catalog, demo_users):
    case = open_case(
        demo_users,
        "lumajang-spm",
        with_papers(),
        purpose="Keringanan biaya rawat inap di RSUD dr. Haryoto Lumajang",
        destination="RSUD dr. Haryoto Lumajang",
    )
    text = text_of(letters.draft_pdf(IssuedDocument.objects.get(case=case)), "spm-destination")
    assert text.count("RSUD dr. Haryoto Lumajang") == 1
    assert "SURAT PERNYATAAN MISKIN NOMOR" in text
    assert "Hal :" not in text and "Sifat :" not in text  # not a surat dinas


def test_a_surat_dinas_has_nomor_sifat_lampiran_hal_yth_and_tembusan(catalog, demo_users):
    template = LetterTemplateFactory(
        form=LetterTemplate.SURAT_DINAS,
        title="Permohonan data",
        addressee="Kepala RSUD dr. Haryoto Lumajang",
        copies="Bupati Lumajang (sebagai laporan)\nArsip",
    )
    case = open_case(demo_users, "lumajang-spm", with_papers())
    document = IssuedDocument.objects.create(case=case, template=template, title=template.title)

    text = text_of(letters.draft_pdf(document), "surat-dinas")

    for expected in [
        "Nomor :",
        "Sifat : Biasa",
        "Lampiran : -",
        "Hal : Permohonan data",
        "Yth. Kepala RSUD dr. Haryoto Lumajang di tempat",
        "Tembusan: 1. Bupati Lumajang (sebagai laporan); 2. Arsip;",
    ]:
        assert expected in text, expected
    assert text.index("Lumajang, ") < text.index("Nomor :")  # place and date at the top, right


def test_a_nota_dinas_has_its_heading_table(catalog, demo_users):
    template = LetterTemplateFactory(
        form=LetterTemplate.NOTA_DINAS, title="Laporan penanganan", addressee="Sekretaris Dinas Sosial"
    )
    case = open_case(demo_users, "lumajang-spm", with_papers())
    document = IssuedDocument.objects.create(case=case, template=template, title=template.title)

    text = text_of(letters.draft_pdf(document), "nota-dinas")

    for expected in [
        "NOTA DINAS NOMOR",
        "Yth. : Sekretaris Dinas Sosial",
        "Dari : Kepala Dinas Sosial",
        "Tanggal :",
        "Hal : Laporan penanganan",
    ]:
        assert expected in text, expected


@pytest.mark.parametrize("papers", ["with", "without"])
@pytest.mark.parametrize("kind", BERITA_ACARA)
def test_every_berita_acara_reads_for_a_client_with_and_without_papers(catalog, demo_users, kind, papers):
    person = with_papers() if papers == "with" else without_papers()
    case = open_case(demo_users, "lumajang-odgj", person, destination="RSJ dr. Radjiman Wediodiningrat Lawang")
    template = LetterTemplate.objects.get(agency__slug="lumajang", kind=kind)
    document = IssuedDocument(case=case, template=template, title=template.title)
    document.extra = {
        "pihak_kedua": {
            "nama": "Drs. Bambang",
            "nip": "19700101 199003 1 001",
            "jabatan": "Kepala UPT",
            "instansi": "UPT Pelayanan Sosial",
        },
        "saksi": ["Saksi Satu"],
    }

    text = text_of(letters.draft_pdf(document), f"{kind}-{papers}")

    assert_no_bare_dash(text)
    for expected in [
        "Nama : Dra. DEWI SUSIYANTI",
        "NIP : 19640617 199603 2 002",
        "Jabatan : Kepala Dinas Sosial Kabupaten Lumajang",
        "selanjutnya disebut PIHAK PERTAMA",
        "Nama : Drs. Bambang",
        "NIP : 19700101 199003 1 001",
        "selanjutnya disebut PIHAK KEDUA",
        template.title.upper(),
        person.name,
    ]:
        assert expected in text, expected
    if kind == LetterTemplate.BA_PEMULANGAN:
        assert "Radjiman" not in text  # the destination institution is not the client's home
        if papers == "with":
            assert "dipulangkan dari Dinas Sosial Kabupaten Lumajang ke keluarga/daerah asalnya di Jl. Mawar 3" in text
        else:
            assert "ke keluarga/daerah asalnya (alamat asal klien tidak diketahui)" in text
    if papers == "without":
        assert "Ciri-ciri : Laki-laki ±40 tahun" in text and "Tempat ditemukan : Alun-alun Lumajang" in text


def test_the_kop_prints_the_agency_contacts_and_its_logo_on_every_document(catalog, demo_users, tmp_path, settings):
    from django.core.files.base import ContentFile  # noqa: PLC0415

    from cases import documents  # noqa: PLC0415

    settings.MEDIA_ROOT = tmp_path
    case = open_case(demo_users, "lumajang-spm", without_papers())
    agency = case.agency
    agency.address, agency.postal_code, agency.phone = "Jalan Uji No. 9, Lumajang", "67311", "(0334) 123456"
    agency.email, agency.website = "dinsos@uji.example", "https://dinsos.uji.example/"
    agency.logo.save("logo.png", ContentFile(small_png()))
    case.refresh_from_db()
    pdfs = {
        "letter": letters.draft_pdf(IssuedDocument.objects.get(case=case)),
        "tanda_terima": documents.tanda_terima_pdf(case, see_nik=True),
        "kekurangan": documents.missing_documents_pdf(case),
    }
    for name, pdf in pdfs.items():
        text = text_of(pdf, f"kop-{name}")
        for expected in [
            "PEMERINTAH KABUPATEN LUMAJANG",
            "DINAS SOSIAL",
            "Jalan Uji No. 9, Lumajang 67311",
            "Telepon (0334) 123456",
            "Pos-el dinsos@uji.example",
            "Laman dinsos.uji.example",
        ]:
            assert expected in text, (name, expected)
        assert len(PdfReader(io.BytesIO(pdf)).pages[0].images) >= 1, name  # the logo


def test_the_tanda_terima_of_a_person_without_papers_says_what_is_not_known(catalog, demo_users):
    from cases import documents  # noqa: PLC0415

    case = open_case(demo_users, "lumajang-odgj", without_papers())
    text = text_of(documents.tanda_terima_pdf(case, see_nik=False), "tanda-terima-without")

    assert_no_bare_dash(text)
    for expected in [
        "NIK : tidak diketahui (tanpa dokumen kependudukan)",
        "Tempat, tanggal lahir : tidak diketahui",
        "Alamat : tidak diketahui",
        "Ciri-ciri : Laki-laki ±40 tahun",
        "Tempat ditemukan : Alun-alun Lumajang",
        "Waktu ditemukan : 20 November 2026 pukul 07.30",
    ]:
        assert expected in text, expected


def walk_to_step(case, walk, no):
    from cases.models import Case  # noqa: PLC0415

    for _ in range(40):
        case = Case.objects.get(pk=case.pk)
        if case.current_step is None or case.current_step.no == no:
            return case
        case = walk(case, branch="Ya" if case.current_step.sop_step.branches.exists() else "")
    return Case.objects.get(pk=case.pk)


PIHAK_KEDUA = {"nama": "Kepala Desa Tompokersan", "jabatan": "Kepala Desa", "instansi": "Desa Tompokersan"}


def test_a_berita_acara_pemulangan_is_issued_at_its_step_by_its_desk(catalog, demo_users, walk):
    from django.core.exceptions import PermissionDenied  # noqa: PLC0415

    from cases import rules  # noqa: PLC0415
    from cases.rules import TransitionRefused  # noqa: PLC0415

    case = open_case_without_its_letter(
        demo_users, "lumajang-odgj", without_papers(), destination="RSJ dr. Radjiman Wediodiningrat Lawang"
    )
    template = LetterTemplate.objects.get(agency__slug="lumajang", kind=LetterTemplate.BA_PEMULANGAN)
    petugas, kadis = demo_users["lumajang-petugas"], demo_users["lumajang-kadis"]
    kwargs = {"template": template, "pihak_kedua": PIHAK_KEDUA, "saksi": ["TKSK Lumajang"]}

    with pytest.raises(TransitionRefused):  # step 11 not reached yet
        letters.issue_berita_acara(case=case, user=petugas, **kwargs)
    assert rules.berita_acara_kinds(case, petugas) == []

    case = walk_to_step(case, walk, 11)
    assert case.current_step.no == 11 and case.current_step.desk == "petugas"
    assert rules.berita_acara_kinds(case, petugas) == [LetterTemplate.BA_PEMULANGAN]
    with pytest.raises(PermissionDenied):  # not the step's desk
        letters.issue_berita_acara(case=case, user=kadis, **kwargs)
    with pytest.raises(TransitionRefused):  # no berita acara jenazah in this SOP
        letters.issue_berita_acara(
            case=case,
            user=petugas,
            **{**kwargs, "template": LetterTemplate.objects.get(agency__slug="lumajang", kind="ba_jenazah")},
        )

    preview = text_of(letters.berita_acara_preview(case=case, user=petugas, **kwargs), "ba-pemulangan-konsep")
    assert "KONSEP" in preview and "NOMOR …" in preview
    assert not IssuedDocument.objects.filter(case=case, template=template).exists()  # no number taken

    document = letters.issue_berita_acara(case=case, user=petugas, **kwargs)
    text = text_of(document.pdf.read(), "ba-pemulangan-issued")
    assert document.number in text and "KONSEP" not in text
    assert "Kepala Desa Tompokersan" in text and "Ciri-ciri : Laki-laki ±40 tahun" in text
    assert "Radjiman" not in text

    case = walk(case)  # past step 11: still allowed
    assert rules.berita_acara_kinds(Case_get(case), petugas) == [LetterTemplate.BA_PEMULANGAN]


def Case_get(case):  # noqa: N802
    from cases.models import Case  # noqa: PLC0415

    return Case.objects.get(pk=case.pk)


def test_no_berita_acara_on_a_rejected_case(catalog, demo_users, walk):
    from cases import rules  # noqa: PLC0415
    from cases.models import Case  # noqa: PLC0415

    case = walk_to_step(open_case_without_its_letter(demo_users, "lumajang-odgj", without_papers()), walk, 11)
    petugas = demo_users["lumajang-petugas"]
    assert rules.berita_acara_kinds(case, petugas) == [LetterTemplate.BA_PEMULANGAN]
    Case.objects.filter(pk=case.pk).update(state=Case.REJECTED)  # as if rejected once the step was reached
    case = Case.objects.get(pk=case.pk)
    assert rules.berita_acara_kinds(case, petugas) == []
    assert "issue_berita_acara" not in rules.actions(case, petugas)


def test_a_rejection_issues_a_numbered_verifiable_surat_penolakan(catalog, demo_users, client):
    from cases import workflow  # noqa: PLC0415

    case = open_case(demo_users, "lumajang-spm", with_papers(), purpose="Keringanan biaya rawat inap")
    petugas = demo_users["lumajang-petugas"]
    case = workflow.reject(case=case, user=petugas, step_id=case.current_step_id, reason="SKTM sudah kedaluwarsa.")

    document = IssuedDocument.objects.get(case=case, template__kind=LetterTemplate.PENOLAKAN)
    assert document.status == IssuedDocument.ISSUED and document.number.startswith("400.9/")
    assert document.signer["name"] == "Dra. DEWI SUSIYANTI"  # a staff desk's rejection goes out under the Kadis
    client.force_login(petugas)
    response = client.get(f"/permohonan/{case.pk}/surat-penolakan.pdf")
    pdf = response.content
    assert pdf == document.pdf.open("rb").read()  # the stored original, not a new rendering
    text = text_of(pdf, "surat-penolakan")
    for expected in [f"Nomor : {document.number}", "Sifat : Biasa", "Hal : Pemberitahuan hasil permohonan",
                     "Yth. Sdr. Siti Aminah", "SKTM sudah kedaluwarsa.", "Kepala Dinas Sosial", "Dra. DEWI SUSIYANTI",
                     "NIP. 19640617 199603 2 002", "tanda tangan elektronik tidak tersertifikasi"]:  # fmt: skip
        assert expected in text, expected
    assert "Lumajang, " in text and "Kabupaten Lumajang," not in text
    assert f"/verifikasi/{document.token}/" in text.replace(" ", "")
    assert client.get(f"/verifikasi/{document.token}/").status_code == 200


INCOMING = {
    "incoming_number": "400.9/77/427.21/2026",
    "incoming_date": datetime.date(2026, 11, 30),
    "incoming_sender": "Camat Tempeh",
    "incoming_subject": "Permohonan rujukan ODGJ terlantar",
}


def test_a_surat_masuk_gets_its_agenda_number_and_the_lembar_disposisi_shows_it(catalog, demo_users, client):
    from cases import documents, workflow  # noqa: PLC0415
    from cases.models import Case  # noqa: PLC0415
    from sop_catalog.services import import_sops  # noqa: PLC0415
    from tests.test_access_matrix import DATA  # noqa: PLC0415

    import_sops(json.loads((DATA / "dispose_sop.json").read_text(encoding="utf-8")))
    person = with_papers()
    first = open_case(demo_users, "lumajang-uji-disposisi", person, channel="surat", incoming=INCOMING)
    second = open_case(demo_users, "lumajang-uji-disposisi", person, channel="surat", incoming=INCOMING)
    walk_in = open_case(demo_users, "lumajang-uji-disposisi", person, incoming=INCOMING)

    assert (first.agenda_number, second.agenda_number) == (1, 2) and first.agenda_year == timezone.localdate().year
    assert walk_in.agenda_number is None and walk_in.incoming_number == ""  # not a letter: nothing kept
    assert first.incoming_sender == "Camat Tempeh"

    case = first
    while Case.objects.get(pk=case.pk).state != Case.AT_KABID:
        case = Case.objects.get(pk=case.pk)
        step = case.current_step
        case = workflow.complete_step(
            case=case, user=demo_users[f"lumajang-{step.desk}"], step_id=step.pk,
            branch="Ya" if step.sop_step.branches.exists() else "",
            disposition={"instructions": ["Untuk diproses"]}, render_disposition=documents.disposition_pdf,
        )  # fmt: skip
    disposition = case.dispositions.get()
    assert disposition.due_date is not None
    text = text_of(disposition.pdf.open("rb").read(), "lembar-disposisi")
    for expected in ["LEMBAR DISPOSISI", "Surat dari Camat Tempeh", "Nomor surat 400.9/77/427.21/2026",
                     f"Nomor agenda 1/{first.agenda_year}", "Tanggal surat 30 November 2026",
                     "Permohonan rujukan ODGJ terlantar", f"Nomor registrasi {case.number}",
                     f"Batas waktu {date_format_j(disposition.due_date)}", "DINAS SOSIAL"]:  # fmt: skip
        assert expected in text, expected

    client.force_login(demo_users["lumajang-petugas"])
    page = client.get("/surat-masuk/").content.decode()
    assert "400.9/77/427.21/2026" in page and f"1/{first.agenda_year}" in page
    exported = client.get("/surat-masuk/", {"format": "csv"}).content.decode()
    assert "Camat Tempeh" in exported and exported.count("\n") == 3  # header and two letters
    client.force_login(demo_users["solok-petugas"])
    assert "400.9/77/427.21/2026" not in client.get("/surat-masuk/").content.decode()


def date_format_j(day):
    from django.utils.formats import date_format  # noqa: PLC0415

    return date_format(day, "j F Y")


def test_the_buku_register_surat_keluar_lists_numbers_and_exports_them(catalog, demo_users, client):
    from cases import workflow  # noqa: PLC0415

    case = open_case(demo_users, "lumajang-spm", with_papers())
    petugas = demo_users["lumajang-petugas"]
    case = workflow.reject(case=case, user=petugas, step_id=case.current_step_id, reason="Uji")
    document = IssuedDocument.objects.get(case=case, template__kind=LetterTemplate.PENOLAKAN)

    client.force_login(petugas)
    page = client.get("/surat-keluar/").content.decode()
    exported = client.get("/surat-keluar/", {"format": "csv"}).content.decode()
    client.force_login(demo_users["solok-petugas"])
    other = client.get("/surat-keluar/").content.decode()

    assert document.number in page and "Pemberitahuan hasil permohonan" in page and "Siti Aminah" in page
    assert document.number in exported and "Dra. DEWI SUSIYANTI" in exported
    assert document.number not in other


def test_the_desk_handling_a_draft_corrects_maksud_tujuan_and_perihal_with_audit(catalog, demo_users, client):
    from cases.models import AuditEntry  # noqa: PLC0415

    case = open_case(demo_users, "lumajang-spm", with_papers(), destination="RSUD dr. Haryoto")
    draft = IssuedDocument.objects.get(case=case)
    client.force_login(demo_users["lumajang-kasi"])  # not the desk holding the case now
    refused = client.post(f"/permohonan/{case.pk}/surat/{draft.pk}/koreksi/", {"tujuan": "RSUD Pasirian"})
    client.force_login(demo_users["lumajang-petugas"])
    client.post(
        f"/permohonan/{case.pk}/surat/{draft.pk}/koreksi/",
        {"maksud": "Keringanan biaya rawat inap", "tujuan": "RSUD Pasirian", "perihal": draft.title},
    )

    assert refused.status_code == 403
    case.refresh_from_db()
    assert (case.purpose, case.destination) == ("Keringanan biaya rawat inap", "RSUD Pasirian")
    entry = AuditEntry.objects.get(case=case, action="correct_letter")
    assert "Instansi yang dituju: “RSUD dr. Haryoto” → “RSUD Pasirian”" in entry.note
    assert "RSUD Pasirian" in text_of(letters.draft_pdf(draft))


def test_a_signed_letter_is_corrected_through_a_replacement_that_passes_the_paraf_chain_again(
    catalog, demo_users, walk, client
):
    from tests.cases.test_letters import walk_to_kadis  # noqa: PLC0415

    case = open_case(demo_users, "lumajang-spm", with_papers(), destination="RSUD dr. Haryoto")
    case = walk(walk_to_kadis(case, walk))
    old = IssuedDocument.objects.get(case=case, status=IssuedDocument.ISSUED)
    kadis = demo_users["lumajang-kadis"]

    draft = letters.revoke_and_reissue(
        document=old, user=kadis, reason="Salah penulisan tujuan", corrections={"tujuan": "RSUD Pasirian"}
    )
    assert draft.status == IssuedDocument.DRAFT and draft.number == ""
    old.refresh_from_db()
    assert old.status == IssuedDocument.ISSUED  # valid until its replacement is signed
    assert letters.paraf_chain(draft) == ["kasi", "kabid", "sekdin"]
    with pytest.raises(letters.rules.TransitionRefused, match="belum diparaf Kepala Seksi"):
        letters.sign_replacement(document=draft, user=kadis)
    with pytest.raises(letters.rules.TransitionRefused, match="Paraf berikutnya: Kepala Seksi"):
        letters.paraf_replacement(document=draft, user=demo_users["lumajang-kabid"])
    client.force_login(kadis)
    page = client.get(f"/permohonan/{case.pk}/").content.decode()
    assert "Tandatangani pengganti" not in page
    for desk in ("kasi", "kabid", "sekdin"):
        client.force_login(demo_users[f"lumajang-{desk}"])
        assert "Paraf konsep pengganti" in client.get(f"/permohonan/{case.pk}/").content.decode()
        client.post(f"/permohonan/{case.pk}/surat/{draft.pk}/paraf/")
    client.force_login(kadis)
    assert "Tandatangani pengganti" in client.get(f"/permohonan/{case.pk}/").content.decode()
    client.post(f"/permohonan/{case.pk}/surat/{draft.pk}/tandatangani/")

    new, old = IssuedDocument.objects.get(pk=draft.pk), IssuedDocument.objects.get(pk=old.pk)
    assert new.status == IssuedDocument.ISSUED and new.number and new.number != old.number
    assert (
        old.status == IssuedDocument.REVOKED
        and old.replaced_by == new
        and old.revoked_reason == "Salah penulisan tujuan"
    )
    new_text = text_of(new.pdf.read(), "spm-pengganti")
    assert "RSUD Pasirian" in new_text and "RSUD dr. Haryoto" not in new_text
    assert "RSUD dr. Haryoto" in text_of(old.pdf.read())  # the old PDF never changes
