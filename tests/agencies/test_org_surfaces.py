"""A Linjamsos case never appears in a Rehsos Kasi's or Kabid's inbox, counts, dashboard, report or
exports (issue #14, item 9): on every surface, the two Rehsos cases are shown (or counted: 2) and the
Linjamsos case is not (it would make 3), so each check fails both ways."""

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from cases.models import Case
from sop_catalog.models import SOP
from tests.factories import CaseFactory
from tests.test_access_matrix import url_names

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate().isoformat()
PERIOD = {"dari": TODAY, "sampai": TODAY}
REHSOS_SOP = "lumajang-lansia-terlantar-griya-lansia"  # Seksi … Anak dan Lanjut Usia, Bidang Pelayanan dan Rehsos
STATES = {"kasi": Case.AT_KASI, "kabid": Case.AT_KABID}


def walk_to(case, desk, walk):
    while Case.objects.get(pk=case.pk).current_step.desk != desk:
        step = Case.objects.get(pk=case.pk).current_step
        case = walk(case, branch=step.sop_step.branches.first().label if step.sop_step.branches.exists() else "")
    return Case.objects.get(pk=case.pk)


@pytest.fixture(params=["kasi", "kabid"])
def desk(request):
    return request.param


@pytest.fixture
def cases(catalog, demo_users, walk, desk):
    """Two Rehsos cases and one Linjamsos case (the SPM), all waiting at `desk`."""
    rehsos = SOP.objects.get(slug=REHSOS_SOP, is_current=True)
    return {
        "rehsos": [walk_to(CaseFactory(registered=True, sop=rehsos), desk, walk) for _ in range(2)],
        "linjamsos": walk_to(CaseFactory(registered=True), desk, walk),
    }


@pytest.fixture
def rehsos_client(client, demo_users, desk):
    client.force_login(demo_users[f"lumajang-{desk}-rehsos"])
    return client


def numbers_in(text, cases):
    """Which of the three cases' numbers the text shows."""
    return {c.number for c in [*cases["rehsos"], cases["linjamsos"]] if c.number in text}


def rehsos_numbers(cases):
    return {c.number for c in cases["rehsos"]}


def pdf_text(content):
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).split())


def export(client, what, fmt):
    response = client.get(reverse("cases:export", args=[what, fmt]), PERIOD)
    assert response.status_code == 200
    if fmt == "csv":
        return "\n".join(",".join(row) for row in csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    return "\n".join(",".join(str(v) for v in row if v is not None) for row in sheet.iter_rows(values_only=True))


LISTS = {
    "inbox": lambda client: client.get(reverse("cases:inbox")).content.decode(),
    "case_list": lambda client: client.get(reverse("cases:cases")).content.decode(),
    "notifications": lambda client: client.get(reverse("cases:notifications")).content.decode(),
    "export_permohonan_csv": lambda client: export(client, "permohonan", "csv"),
    "export_permohonan_xlsx": lambda client: export(client, "permohonan", "xlsx"),
    "export_langkah_csv": lambda client: export(client, "langkah", "csv"),
    "export_langkah_xlsx": lambda client: export(client, "langkah", "xlsx"),
}


def test_the_export_surfaces_below_are_every_export_the_urlconf_serves(demo_users, client):
    """One export view in the URLconf; it serves permohonan and langkah as CSV and XLSX, nothing else."""
    assert sorted(name for name in url_names() if "export" in name or "ekspor" in name) == ["export"]
    client.force_login(demo_users["lumajang-kadis"])
    for what, fmt in (("orang", "csv"), ("permohonan", "pdf"), ("surat", "xlsx")):
        assert client.get(reverse("cases:export", args=[what, fmt])).status_code == 404


def test_every_surface_of_a_rehsos_official_holds_the_rehsos_cases_and_never_the_linjamsos_one(
    cases, rehsos_client, desk
):
    """One world of three cases per desk, every surface read from it (the cases' walk is the cost)."""
    # The header badge first: nothing read yet (the pages below may mark notices read).
    badge = rehsos_client.get(reverse("cases:inbox"))
    assert badge.context["unread_count"] == 2
    assert '<span class="count" data-testid="unread">2</span>' in badge.content.decode()

    # Lists and exports: the numbers of the cases each shows.
    shown = {surface: numbers_in(read(rehsos_client), cases) for surface, read in LISTS.items()}
    assert shown == {surface: rehsos_numbers(cases) for surface in LISTS}

    # The inbox count and the dashboard's stat, by state and by SOP.
    dashboard = rehsos_client.get(reverse("cases:dashboard"))
    assert dashboard.context["desk"]["waiting"] == 2
    assert '<a class="stat" href="/kotak-masuk/" data-testid="waiting"><strong>2</strong>' in dashboard.content.decode()
    assert {state: n for state, _label, n in dashboard.context["by_state"]} == {STATES[desk]: 2}
    assert {row["sop__slug"]: row["open"] for row in dashboard.context["by_sop"]} == {REHSOS_SOP: 2}

    # The compliance report, page and PDF.
    figures = rehsos_client.get(reverse("cases:report"), PERIOD).context["figures"]
    rehsos = cases["rehsos"][0].sop.name
    assert {f.label: f.started for f in figures["sops"]} == {rehsos: 2}
    assert figures["totals"]["started"] == 2
    response = rehsos_client.get(reverse("cases:report_pdf"), PERIOD)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert rehsos in text and cases["linjamsos"].sop.name not in text, text[:600]
