import csv
import datetime
import io
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from cases import reports, selectors, services
from cases.models import Case, CaseStep, SurveyResponse
from sop_catalog.models import SOP
from sop_catalog.services import import_sops
from tests.cases.test_case_views import pdf_text
from tests.conftest import give_all_documents, sample_data
from tests.factories import PersonFactory


@pytest.mark.parametrize(
    "values, p, expected",
    [
        ([10, 20, 30, 40], 50, 25),  # even count: mean of the middle two
        ([10, 20, 30, 40], 90, 37),  # rank 0.9 × 3 = 2.7 → 30 + 0.7 × 10
        ([5, 1, 9], 50, 5),
        ([5, 1, 9], 90, 8.2),  # rank 1.8 → 5 + 0.8 × 4
        ([7], 90, 7),
        ([], 50, None),
    ],
)
def test_percentiles_worked_out_by_hand(values, p, expected):
    result = reports.percentile(values, p)

    assert result == pytest.approx(expected) if expected is not None else result is None


def test_ikm_worked_out_by_hand(registered):
    high = SurveyResponse(case=registered, **{f"u{i}": 4 for i in range(1, 10)})
    good = SurveyResponse(case=registered, **{f"u{i}": 3 for i in range(1, 10)})
    mixed = SurveyResponse(
        case=registered, **{f"u{i}": score for i, score in enumerate([4, 3, 3, 2, 4, 3, 3, 2, 3], 1)}
    )

    assert reports.ikm([high])["index"] == pytest.approx(100.0) and reports.ikm([high])["grade"] == "A"
    both = reports.ikm([high, good])  # each element 3.5 → 3.5 × 25 = 87.5
    assert both["index"] == pytest.approx(87.5) and (both["grade"], both["label"]) == ("B", "Baik")
    one = reports.ikm([mixed])  # mean 27/9 = 3.0 → 75.0
    assert one["index"] == pytest.approx(75.0) and one["grade"] == "C"
    assert reports.ikm([]) is None


@pytest.fixture
def three_cases(spm, petugas, walk):
    """Three SPM cases whose first step took 10, 20 and 40 minutes against a 15-minute due time."""
    start = timezone.now().replace(hour=9, minute=0, second=0, microsecond=0) - datetime.timedelta(days=3)
    made = []
    for minutes in (10, 20, 40):
        person = PersonFactory(agency=spm.agency)
        case = services.open_case(
            user=petugas, sop=spm, applicant=person, beneficiary=person, channel="datang", purpose="x"
        )
        give_all_documents(case, petugas)
        case = walk(services.register_case(case=case, user=petugas))
        CaseStep.objects.filter(case=case, position=1).update(
            started_at=start,
            due_at=start + datetime.timedelta(minutes=15),
            completed_at=start + datetime.timedelta(minutes=minutes),
        )
        CaseStep.objects.filter(case=case, position=2).update(started_at=start, completed_at=None, status="current")
        made.append(case)
    return made


def test_compliance_figures_worked_out_by_hand(three_cases, lumajang):
    today = timezone.localdate()

    figures = reports.compliance(agency=lumajang, start=today - datetime.timedelta(days=7), end=today)

    (sop,) = figures["sops"]
    assert sop.count == 3
    assert sop.median == pytest.approx(20)
    assert sop.p90 == pytest.approx(36)  # rank 1.8 → 20 + 0.8 × 20
    assert (sop.within, sop.with_standard, sop.share_within) == (1, 3, pytest.approx(1 / 3))
    assert sop.started == 3 and sop.finished == 0
    (desk,) = figures["desks"]
    assert desk.label == "Petugas Pelayanan" and desk.count == 3
    assert figures["slowest"][0].label.endswith("Petugas menerima pemohon dan melakukan wawancara")
    assert figures["totals"] == {"started": 3, "finished": 0, "steps": 3}


def test_steps_outside_the_period_are_left_out(three_cases, lumajang):
    long_ago = timezone.localdate() - datetime.timedelta(days=400)

    figures = reports.compliance(agency=lumajang, start=long_ago, end=long_ago + datetime.timedelta(days=30))

    assert figures["sops"] == [] and figures["totals"]["started"] == 0


def login(client, demo_users, username):
    client.force_login(demo_users[username])
    return client


def test_the_report_needs_a_report_desk(client, demo_users, db):
    assert login(client, demo_users, "lumajang-petugas").get("/laporan/mutu-baku/").status_code == 403
    assert login(client, demo_users, "lumajang-kabid").get("/laporan/mutu-baku/").status_code == 200


def test_the_report_page_and_pdf(client, demo_users, three_cases):
    login(client, demo_users, "lumajang-kadis")

    page = client.get("/laporan/mutu-baku/").content.decode()
    pdf = client.get("/laporan/mutu-baku.pdf")

    assert "<svg" in page and "33% (1/3)" in page and "20 menit" in page
    text = pdf_text(pdf.content)
    assert "LAPORAN MONITORING DAN EVALUASI MUTU BAKU SOP" in text and "Penerbitan Surat Pernyataan Miskin" in text


def test_a_bad_date_in_the_report_falls_back_with_a_message(client, demo_users, db):
    response = login(client, demo_users, "lumajang-kadis").get("/laporan/mutu-baku/", {"dari": "kemarin"})

    assert "Tanggal tidak sah" in response.content.decode()


def test_exports_are_scoped_to_the_agency_and_leave_nik_to_the_desks_that_see_it(
    client, demo_users, three_cases, agencies
):
    import_sops(sample_data())  # a case of another agency must not leak into the export
    other = demo_users["solok-petugas"]
    sop = SOP.objects.get(slug="contoh-spm")
    sop.agency = other.agency
    sop.save()
    person = PersonFactory(agency=other.agency, name="Orang Solok")
    services.open_case(user=other, sop=sop, applicant=person, beneficiary=person, channel="datang", purpose="x")

    kasi = login(client, demo_users, "lumajang-kasi").get("/laporan/ekspor/permohonan.csv").content.decode("utf-8-sig")
    kabid = (
        login(client, demo_users, "lumajang-kabid").get("/laporan/ekspor/permohonan.csv").content.decode("utf-8-sig")
    )
    kasi_rows = list(csv.DictReader(io.StringIO(kasi)))
    kabid_rows = list(csv.DictReader(io.StringIO(kabid)))

    assert len(kasi_rows) == len(kabid_rows) == 3
    assert "Orang Solok" not in kasi and "Orang Solok" not in kabid
    assert kasi_rows[0]["NIK pemohon"] == three_cases[0].applicant.nik
    assert "NIK pemohon" not in kabid_rows[0]
    assert three_cases[0].applicant.nik not in kabid


def test_exports_of_steps_as_xlsx_follow_the_filters(client, demo_users, three_cases):
    login(client, demo_users, "lumajang-kabid")

    response = client.get("/laporan/ekspor/langkah.xlsx", {"sop": "lumajang-contoh-spm"})
    none = client.get("/laporan/ekspor/langkah.xlsx", {"sop": "tidak-ada"})

    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Nomor registrasi" and len(rows) == 1 + 3 * 2
    assert {row[10] for row in rows[1:] if row[2] == "1"} == {"ya", "tidak"}
    assert len(list(load_workbook(io.BytesIO(none.content)).active.iter_rows())) == 1


def test_the_dashboard_shows_my_desk_and_the_agency(client, demo_users, three_cases):
    kasi = login(client, demo_users, "lumajang-petugas").get("/").content.decode()
    kadis = login(client, demo_users, "lumajang-kadis").get("/").content.decode()

    assert 'data-testid="waiting"><strong>3</strong>' in kasi
    assert 'href="/kotak-masuk/?terlambat=1"' in kasi
    assert "Kepatuhan standar waktu" not in kasi
    assert "Kepatuhan standar waktu" in kadis and "<svg" in kadis


def test_the_public_service_standards_list_requirements_steps_and_times(client, spm):
    page = client.get(f"/layanan/{spm.agency.slug}/").content.decode()

    for expected in [
        spm.name,
        "Fotokopi KTP",
        "Petugas memeriksa kelengkapan dokumen",
        "15 menit",
        "1 hari kerja + 55 menit",
    ]:
        assert expected in page


def complete_case(case, walk, petugas):
    give_all_documents(case, petugas)
    while Case.objects.get(pk=case.pk).state not in Case.CLOSED_STATES:
        current = Case.objects.get(pk=case.pk).current_step
        case = walk(case, branch="Ya" if current.sop_step.branches.exists() else "")
    return Case.objects.get(pk=case.pk)


def test_the_survey_is_answered_once_from_the_status_page_with_the_code(client, registered, walk, petugas):
    url = f"/status/{registered.number}/"
    before = client.get(url, {"kode": registered.survey_code}).content.decode()
    case = complete_case(registered, walk, petugas)
    answers = {f"u{i}": "4" for i in range(1, 10)} | {"kode": case.survey_code, "comment": "Cepat"}

    without_code = client.get(url).content.decode()
    form = client.get(url, {"kode": case.survey_code}).content.decode()
    bad = client.post(url, {**answers, "u3": "7"}).content.decode()
    client.post(url, answers)
    again = client.post(url, {**answers, "u1": "1"}).content.decode()

    assert 'data-testid="survey"' not in before and 'data-testid="survey"' not in without_code
    assert 'data-testid="survey"' in form and "Waktu penyelesaian" in form
    assert "7 bukan salah satu dari pilihan yang tersedia" in bad
    assert SurveyResponse.objects.get(case=case).u1 == 4
    assert 'data-testid="survey"' not in again and "sudah kami terima" in again


@pytest.mark.long(4)  # the first test of the demo world on a worker seeds it (tests/conftest.py)
def test_seed_demo_fills_every_state_with_progress(demo_world):
    out = demo_world  # seed_demo --cases 40 --agency lumajang --seed 5, then --cases 5 --if-empty

    assert "40/40 permohonan dibuat" in out and "tidak dibuat lagi" in out
    states = set(Case.objects.values_list("state", flat=True))
    assert {Case.COMPLETED, Case.AT_PETUGAS, Case.DRAFT} <= states and len(states) >= 6
    assert CaseStep.objects.filter(
        status=CaseStep.DONE, completed_at__lt=timezone.now() - datetime.timedelta(days=1)
    ).exists()
    assert SurveyResponse.objects.exists()


def test_exports_carry_local_time_real_cells_indonesian_names_and_a_bom(client, demo_users, three_cases):
    login(client, demo_users, "lumajang-kabid")

    book = load_workbook(io.BytesIO(client.get("/laporan/ekspor/langkah.xlsx").content))
    csv_bytes = client.get("/laporan/ekspor/permohonan.csv").content
    cases_book = load_workbook(io.BytesIO(client.get("/laporan/ekspor/permohonan.xlsx").content))

    sheet = book.active
    assert sheet.title == "Langkah" and cases_book.active.title == "Permohonan"
    headers = [cell.value for cell in sheet[1]]
    assert headers[6:10] == ["Mulai (WIB)", "Batas waktu (WIB)", "Selesai (WIB)", "Waktu nyata (menit)"]
    started = sheet.cell(row=2, column=7)
    assert started.is_date and isinstance(started.value, datetime.datetime) and started.value.second == 0
    step = CaseStep.objects.filter(case__agency__slug="lumajang", started_at__isnull=False).order_by(
        "case_id", "position"
    )[0]
    local = timezone.localtime(step.started_at, ZoneInfo("Asia/Jakarta"))
    assert started.value == local.replace(tzinfo=None, second=0, microsecond=0)
    minutes = [row[9].value for row in sheet.iter_rows(min_row=2) if row[9].value is not None]
    assert minutes and all(isinstance(value, (int, float)) for value in minutes)
    assert csv_bytes.startswith(b"\xef\xbb\xbf") and b"+00:00" not in csv_bytes
    assert "Didaftarkan (WIB)" in csv_bytes.decode("utf-8-sig").splitlines()[0]


@pytest.fixture
def thousands(monkeypatch):
    """Counts of an office's year: the report's and the dashboard's figures as if 1,234 cases had started."""
    real = reports.compliance

    def compliance(**kwargs):
        figures = real(**kwargs)
        figures["totals"].update(started=1234, finished=1000, steps=25000)
        return figures

    monkeypatch.setattr(reports, "compliance", compliance)
    monkeypatch.setattr(selectors, "desk_summary", lambda *, user: {"waiting": 1000, "overdue": 0, "due_today": 0})


def test_the_report_writes_counts_with_a_dot_between_thousands(client, demo_users, thousands):
    client.force_login(demo_users["lumajang-kabid"])

    page = client.get("/laporan/mutu-baku/").content.decode()

    assert 'data-testid="started">1.234<' in page and 'data-testid="finished">1.000<' in page


def test_the_dashboard_writes_counts_with_a_dot_between_thousands(client, demo_users, thousands):
    client.force_login(demo_users["lumajang-kadis"])

    page = client.get("/dasbor/").content.decode()

    assert "<strong>1.000</strong><span>menunggu</span>" in page
    assert "Langkah selesai: 25.000; permohonan dimulai 1.234, selesai 1.000." in page


@pytest.mark.parametrize("username", ["lumajang-kasi", "lumajang-kabid"])  # with NIK, and without
def test_a_case_export_reads_its_rows_in_one_query_however_many_cases(
    client, demo_users, three_cases, spm, petugas, username
):
    login(client, demo_users, username)
    client.get("/")  # the user's desks cached, as for a desk that works all day
    with CaptureQueriesContext(connection) as few:
        small = client.get("/laporan/ekspor/permohonan.csv").content.decode("utf-8-sig")
    for _ in range(4):
        person = PersonFactory(agency=spm.agency)
        services.open_case(user=petugas, sop=spm, applicant=person, beneficiary=person, channel="datang", purpose="x")

    with CaptureQueriesContext(connection) as many:
        large = client.get("/laporan/ekspor/permohonan.csv").content.decode("utf-8-sig")

    assert len(list(csv.DictReader(io.StringIO(small)))) == 3
    assert len(list(csv.DictReader(io.StringIO(large)))) == 7
    # A column the narrowed query left out would be read once per row (a deferred field).
    assert len(many) == len(few)
