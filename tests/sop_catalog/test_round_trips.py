"""Every import-export resource in admin re-imports its own export unchanged, in XLSX and CSV."""

import io

import pytest
import tablib
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from import_export.admin import ExportMixin, ImportMixin

from agencies.admin_scope import scope
from registers.models import Period, Register
from sop_catalog.models import SOP, Step
from sop_catalog.services import create_new_version

pytestmark = pytest.mark.django_db

ROUND_TRIPS = sorted(
    model._meta.label
    for model, model_admin in admin.site._registry.items()
    if isinstance(model_admin, ImportMixin) and isinstance(model_admin, ExportMixin)
)
FORMATS = ["csv", "xlsx"]


def admin_of(label):
    return next(a for m, a in admin.site._registry.items() if m._meta.label == label)


def url(model_admin, view):
    meta = model_admin.model._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}")


def format_index(formats, name):
    return next(i for i, f in enumerate(formats) if f().get_title().lower() == name)


def snapshot(model_admin, user):
    return list(scope(model_admin.model._default_manager.all(), user).order_by("pk").values())


def export(client, model_admin, fmt):
    page = client.get(url(model_admin, "export"))
    form = page.context["form"]
    data = {bf.html_name: bf.value() for bf in form if bf.value() not in (None, False)}
    data["format"] = str(format_index(model_admin.get_export_formats(), fmt))
    response = client.post(url(model_admin, "export"), data)
    assert response.status_code == 200
    return response.content


def import_file(client, model_admin, content, fmt, name="ekspor"):
    upload = io.BytesIO(content)
    upload.name = f"{name}.{fmt}"
    index = format_index(model_admin.get_import_formats(), fmt)
    return client.post(url(model_admin, "import"), {"resource": "0", "format": str(index), "import_file": upload})


def test_there_are_round_trips_to_test():
    assert ROUND_TRIPS == ["sop_catalog.SOP", "sop_catalog.Step"]


@pytest.mark.long(5)
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("label", ROUND_TRIPS)
def test_an_export_reimports_unchanged(client, demo_users, label, fmt):
    user = demo_users["lumajang-admin"]
    client.force_login(user)
    model_admin = admin_of(label)
    before = snapshot(model_admin, user)
    with CaptureQueriesContext(connection) as queries:
        content = export(client, model_admin, fmt)

    # The export page and its file in a few statements, not one per row (the steps' export read each
    # step's actors on its own: over 200 for Lumajang's 190 steps).
    assert len(queries) <= 20, len(queries)
    preview = import_file(client, model_admin, content, fmt)

    result = preview.context["result"]
    problems = [
        (i, row.errors, row.validation_error) for i, row in enumerate(result.rows) if row.errors or row.validation_error
    ]
    assert not result.base_errors and problems == [], problems[:3]
    assert len(result.rows) == len(before)
    confirm = preview.context["confirm_form"]
    done = client.post(url(model_admin, "process_import"), {**confirm.initial})
    assert done.status_code == 302
    assert snapshot(model_admin, user) == before


def page_text(response):
    return response.content.decode()


@pytest.fixture
def lumajang_admin(client, demo_users):
    client.force_login(demo_users["lumajang-admin"])
    return client


def test_a_file_in_the_wrong_format_is_said_in_indonesian(lumajang_admin):
    model_admin = admin_of("sop_catalog.SOP")

    response = import_file(lumajang_admin, model_admin, b"\x00\x01 bukan xlsx {", "xlsx")

    assert "Berkas tidak dapat dibaca dalam format yang dipilih" in page_text(response)
    assert "JSONDecodeError" not in page_text(response) and "BadZipFile" not in page_text(response)


def test_a_missing_key_column_is_said_in_indonesian(lumajang_admin):
    model_admin = admin_of("sop_catalog.SOP")

    response = import_file(lumajang_admin, model_admin, b"agency,version,name\nlumajang,1,Nama\n", "csv")

    assert "Kolom wajib tidak ada di berkas: slug" in page_text(response)
    assert "Traceback" not in page_text(response) and "FieldError" not in page_text(response)


def test_a_locked_version_refuses_each_step_row_in_indonesian(lumajang_admin):
    sop = SOP.objects.filter(agency__slug="lumajang", is_current=True, flows__steps__isnull=False).distinct().first()
    model_admin = admin_of("sop_catalog.Step")
    exported = tablib.Dataset().load(export(lumajang_admin, model_admin, "csv").decode("utf-8-sig"), format="csv")
    mine = tablib.Dataset(headers=exported.headers)
    for row in exported.dict:
        if row["sop"] == sop.slug:
            mine.append([f"{v} diubah" if k == "activity" else v for k, v in row.items()])
    SOP.objects.filter(pk=sop.pk).update(locked=True)

    response = import_file(lumajang_admin, model_admin, mine.export("csv").encode("utf-8"), "csv")

    result = response.context["result"]
    assert len(mine) > 1 and len(result.rows) == len(mine)
    refused = [row for row in result.rows if row.validation_error is not None]
    assert len(refused) == len(mine)
    assert all("sudah dipakai permohonan" in " ".join(row.validation_error.messages) for row in refused)
    assert "confirm_form" not in response.context or response.context["confirm_form"] is None
    assert not Step.objects.filter(flow__sop=sop, activity__endswith=" diubah").exists()


def test_step_rows_name_their_sop_version(lumajang_admin):
    old = SOP.objects.filter(agency__slug="lumajang", is_current=True, flows__steps__isnull=False).distinct().first()
    new = create_new_version(old)
    model_admin = admin_of("sop_catalog.Step")
    exported = tablib.Dataset().load(export(lumajang_admin, model_admin, "csv").decode("utf-8-sig"), format="csv")
    assert exported.headers[:4] == ["sop", "version", "flow", "no"]
    first_v1 = next(row for row in exported.dict if row["sop"] == old.slug and str(row["version"]) == "1")
    one = tablib.Dataset(headers=exported.headers)
    one.append([f"DIUBAH {v}" if k == "activity" else v for k, v in first_v1.items()])
    changed = one.export("csv")

    preview = import_file(lumajang_admin, model_admin, changed.encode("utf-8"), "csv")
    lumajang_admin.post(url(model_admin, "process_import"), {**preview.context["confirm_form"].initial})

    assert Step.objects.filter(flow__sop=old, activity__startswith="DIUBAH").count() == 1
    assert not Step.objects.filter(flow__sop=new, activity__startswith="DIUBAH").exists()


def test_a_row_of_another_agency_is_a_row_error(lumajang_admin):
    model_admin = admin_of("sop_catalog.SOP")
    content = b"agency,slug,version,number,name,status\nsolok,solok-selundupan,1,,Selundupan,active\n"

    response = import_file(lumajang_admin, model_admin, content, "csv")

    result = response.context["result"]
    assert [row.import_type for row in result.rows] == ["invalid"]
    assert "milik instansi lain" in " ".join(result.rows[0].validation_error.messages)


def test_a_register_file_without_its_columns_shows_no_traceback(lumajang_admin, lumajang):
    register = Register.objects.create(agency=lumajang, code="uji", name="Register uji")
    period = Period.objects.create(register=register, label="Triwulan IV 2026", is_current=True)
    upload = io.BytesIO(b"kolom,lain\n1,2\n")
    upload.name = "register.csv"

    response = lumajang_admin.post(
        reverse("admin:registers_entry_import"),
        {"period": period.pk, "resource": "0", "format": "0", "import_file": upload},
    )

    text = page_text(response)
    assert "Kolom wajib tidak ditemukan" in text
    assert "Traceback" not in text and "ValueError" not in text


def sop_rows(client, of, **changes):
    exported = tablib.Dataset().load(
        export(client, admin_of("sop_catalog.SOP"), "csv").decode("utf-8-sig"), format="csv"
    )
    mine = tablib.Dataset(headers=exported.headers)
    for row in exported.dict:
        if row["slug"] == of:
            mine.append([changes.get(k, v) for k, v in row.items()])
    return mine


def test_an_imported_new_sop_starts_as_a_draft_whatever_its_status_cell_says(lumajang_admin):
    sop = SOP.objects.filter(agency__slug="lumajang", is_current=True).first()
    rows = sop_rows(lumajang_admin, sop.slug, slug="lumajang-impor-baru", status=SOP.ACTIVE)
    model_admin = admin_of("sop_catalog.SOP")

    preview = import_file(lumajang_admin, model_admin, rows.export("csv").encode("utf-8"), "csv")
    lumajang_admin.post(url(model_admin, "process_import"), {**preview.context["confirm_form"].initial})

    imported = SOP.objects.get(slug="lumajang-impor-baru")
    assert (imported.status, imported.is_current) == (SOP.DRAFT, False)
    assert lumajang_admin.get("/katalog/lumajang-impor-baru/").status_code == 404


def test_an_import_never_changes_a_status(lumajang_admin):
    sop = SOP.objects.filter(agency__slug="lumajang", is_current=True, locked=False).first()
    rows = sop_rows(lumajang_admin, sop.slug, status=SOP.RETIRED)

    response = import_file(lumajang_admin, admin_of("sop_catalog.SOP"), rows.export("csv").encode("utf-8"), "csv")

    (row,) = response.context["result"].rows
    assert "status tidak diubah lewat impor" in " ".join(row.validation_error.messages)
    assert SOP.objects.get(pk=sop.pk).status == SOP.ACTIVE


def test_a_step_import_shows_on_the_public_page_once_confirmed(lumajang_admin):
    model_admin = admin_of("sop_catalog.Step")
    sop = SOP.objects.filter(agency__slug="lumajang", is_current=True, flows__steps__isnull=False).first()
    page = f"/katalog/{sop.slug}/"
    assert lumajang_admin.get(page).status_code == 200  # the public page, built and cached
    before = SOP.objects.get(pk=sop.pk).updated_at
    rows = tablib.Dataset().load(export(lumajang_admin, model_admin, "csv").decode("utf-8-sig"), format="csv")
    mine = [row for row in rows.dict if row["sop"] == sop.slug]  # the file may carry only some rows
    assert mine
    mine[0]["activity"] = "Aktivitas yang diubah lewat impor berkas"
    content = tablib.Dataset(*[list(row.values()) for row in mine], headers=rows.headers).export("csv")

    preview = import_file(lumajang_admin, model_admin, content.encode("utf-8"), "csv")
    assert SOP.objects.get(pk=sop.pk).updated_at == before  # a preview rolls back its touch of the SOP
    lumajang_admin.post(url(model_admin, "process_import"), {**preview.context["confirm_form"].initial})

    assert SOP.objects.get(pk=sop.pk).updated_at > before
    assert "Aktivitas yang diubah lewat impor berkas" in page_text(lumajang_admin.get(page))
