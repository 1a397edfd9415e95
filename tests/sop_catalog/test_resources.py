import io

import pytest
import tablib
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from sop_catalog.models import SOP, Step
from sop_catalog.resources import SOPResource, StepResource

pytestmark = pytest.mark.django_db

HEADER = ["sop", "flow", "no", "activity", "actors", "desk", "requirements", "time_text", "output", "notes"]


def steps_csv(*rows):
    return tablib.Dataset(*rows, headers=HEADER).export("csv")


def test_steps_export_to_csv_with_actor_labels(sample_sop):
    resource = StepResource()

    dataset = resource.export(queryset=resource.get_queryset().filter(flow__sop=sample_sop))

    rows = list(dataset.dict)
    assert len(rows) == 5
    assert rows[2]["actors"] == "Kasi, Kabid, Sekdin"
    assert rows[0]["time_text"] == "10 menit"
    assert rows[0]["sop"] == sample_sop.slug


def test_sops_export_to_xlsx(sample_sop):
    content = SOPResource().export().export("xlsx")

    sheet = load_workbook(io.BytesIO(content)).active
    values = [cell.value for cell in next(sheet.iter_rows(min_row=2, max_row=2))]
    assert sample_sop.number in values


def test_a_step_import_updates_the_step_and_parses_its_time(sample_sop):
    data = tablib.Dataset(
        [sample_sop.slug, 1, 1, "Petugas menerima pemohon", "Pengelola", "", "KTP", "2 jam", "Berkas", ""],
        headers=HEADER,
    )

    result = StepResource().import_data(data, dry_run=False)

    assert not result.has_errors() and not result.has_validation_errors()
    step = Step.objects.get(flow__sop=sample_sop, no=1)
    assert (step.activity, step.time_max, step.time_unit) == ("Petugas menerima pemohon", 2, "hour")


def test_a_step_import_reports_each_bad_row_and_writes_nothing(sample_sop):
    data = tablib.Dataset(
        [sample_sop.slug, 1, 1, "Baris baik", "Pengelola", "", "", "5 menit", "", ""],
        [sample_sop.slug, 1, 2, "Baris buruk", "Camat", "", "", "5 menit", "", ""],
        [sample_sop.slug, 9, 3, "Alur tidak ada", "Kasi", "", "", "", "", ""],
        headers=HEADER,
    )

    result = StepResource().import_data(data, dry_run=True)

    messages = " ".join(str(error.error) for _, errors in result.row_errors() for error in errors) + " ".join(
        str(row.error) for row in result.invalid_rows
    )
    assert "Camat" in messages
    assert "Alur 9" in messages
    assert Step.objects.get(flow__sop=sample_sop, no=1).activity.startswith("Petugas menerima pemohon dan")


def test_a_locked_sop_refuses_step_imports(sample_sop):
    SOP.objects.filter(pk=sample_sop.pk).update(locked=True)
    data = tablib.Dataset([sample_sop.slug, 1, 1, "Ubah", "Pengelola", "", "", "", "", ""], headers=HEADER)

    result = StepResource().import_data(data, dry_run=False)

    assert result.has_errors() or result.has_validation_errors()
    assert Step.objects.get(flow__sop=sample_sop, no=1).activity != "Ubah"


def test_the_admin_import_page_previews_before_it_writes(admin_client, sample_sop):
    url = reverse("admin:sop_catalog_step_import")
    form = admin_client.get(url).context["form"]
    csv_format = next(value for value, label in form.fields["format"].choices if label == "csv")
    upload = io.BytesIO(
        steps_csv([sample_sop.slug, 1, 1, "Petugas menerima pemohon", "Pengelola", "", "", "10 menit", "", ""]).encode()
    )
    upload.name = "langkah.csv"

    response = admin_client.post(url, {"import_file": upload, "format": csv_format})

    page = response.content.decode()
    assert response.status_code == 200
    assert "Petugas menerima pemohon" in page
    assert "confirm" in page.lower()
    assert Step.objects.get(flow__sop=sample_sop, no=1).activity.startswith("Petugas menerima pemohon dan")


def test_a_step_import_refuses_a_signing_mark_on_a_front_desk_step(sample_sop):
    data = tablib.Dataset(
        [sample_sop.slug, 1, 1, "Petugas menerima pemohon", "Pengelola", "", "1", "KTP", "2 jam", "Berkas", ""],
        headers=[*HEADER[:6], "signs", *HEADER[6:]],
    )

    result = StepResource().import_data(data, dry_run=True)

    assert result.has_validation_errors()
    assert "meja Kepala Dinas" in str(result.invalid_rows[0].error_dict)


def test_a_step_import_moves_the_signing_mark_with_the_row_actors(sample_sop):
    Step.objects.filter(flow__sop=sample_sop).update(signs=False)
    data = tablib.Dataset(
        [sample_sop.slug, 1, 1, "Kepala Dinas menerima", "Kadin", "", "1", "KTP", "2 jam", "Berkas", ""],
        headers=[*HEADER[:6], "signs", *HEADER[6:]],
    )

    result = StepResource().import_data(data, dry_run=False)

    assert not result.has_errors() and not result.has_validation_errors()
    assert Step.objects.get(flow__sop=sample_sop, no=1).signs


def test_a_step_import_reads_the_flow_and_its_steps_once_and_a_repeated_row_wins(sample_sop):
    def row(step, activity):
        actors = ", ".join(role.label for role in step.actors.order_by("order"))
        return [sample_sop.slug, 1, step.no, activity, actors, step.desk, "", "5 menit", "", ""]

    steps = list(Step.objects.filter(flow__sop=sample_sop, flow__order=1).order_by("no"))
    assert len(steps) == 5
    rows = [row(step, f"Langkah {step.no} diubah") for step in steps] + [row(steps[1], "Langkah 2 diubah lagi")]

    with CaptureQueriesContext(connection) as queries:
        result = StepResource().import_data(tablib.Dataset(*rows, headers=HEADER), dry_run=False)

    assert not result.has_errors() and not result.has_validation_errors(), result.invalid_rows[:1]
    assert dict(Step.objects.filter(flow__sop=sample_sop).values_list("no", "activity")) == {
        1: "Langkah 1 diubah", 2: "Langkah 2 diubah lagi", 3: "Langkah 3 diubah", 4: "Langkah 4 diubah",
        5: "Langkah 5 diubah",
    }  # fmt: skip
    sql = [query["sql"] for query in queries.captured_queries]
    # The flow once for the six rows; the flow's steps once, and the repeated row's step again.
    assert len([q for q in sql if q.startswith('SELECT "sop_catalog_flow"."id"')]) == 1
    assert len([q for q in sql if q.startswith('SELECT "sop_catalog_step"."id"')]) == 2
    # Step's constraints are asked only for the repeated row: the others are stored steps at their
    # own flow and number, and none signs (the query per constraint and row of before).
    unique = [q for q in sql if q.startswith('SELECT 1 AS "a" FROM "sop_catalog_step"')]
    signing = [q for q in sql if '"_check"' in q]
    assert (len(unique), len(signing)) == (1, 0)


SIGNS_HEADER = [*HEADER[:6], "signs", *HEADER[6:]]


def signing_rows(sop, *marks):
    """Rows of flow 1 giving steps their signing mark: (no, actors, signs)."""
    return tablib.Dataset(
        *[[sop.slug, 1, no, f"Langkah {no}", actors, "", signs, "", "1 hari", "", ""] for no, actors, signs in marks],
        headers=SIGNS_HEADER,
    )


def test_a_step_import_refuses_a_second_signing_step_in_a_flow(sample_sop):
    assert list(Step.objects.filter(flow__sop=sample_sop, signs=True).values_list("no", flat=True)) == [4]

    # Step 4 as stored (its mark kept) and step 1 given a mark as well: step 1 is refused.
    result = StepResource().import_data(signing_rows(sample_sop, (4, "Kadin", 1), (1, "Kadin", 1)), dry_run=True)

    assert [row.import_type for row in result.rows] == ["update", "invalid"]
    assert "Hanya satu langkah per alur" in str(result.invalid_rows[0].error_dict)


def test_a_step_import_moves_the_signing_mark_when_the_file_takes_it_off_first(sample_sop):
    result = StepResource().import_data(signing_rows(sample_sop, (4, "Kadin", 0), (1, "Kadin", 1)), dry_run=False)

    assert not result.has_errors() and not result.has_validation_errors(), result.invalid_rows[:1]
    assert list(Step.objects.filter(flow__sop=sample_sop, signs=True).values_list("no", flat=True)) == [1]
