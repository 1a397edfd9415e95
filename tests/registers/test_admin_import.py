"""Register extracts imported in the admin: Indonesian headers, preview, row errors, all or nothing,
each agency's admin in its own registers only."""

import pytest
from django.db import connection

from cases.crypto import blind_index
from registers.models import Entry, Period, Register
from tests.registers import extracts

IMPORT_URL = "/admin/registers/entry/import/"
CONFIRM_URL = "/admin/registers/entry/process_import/"


@pytest.fixture
def dtks(periods):
    return periods["dtks"]


def preview(client, period, path, fmt):
    with path.open("rb") as handle:
        return client.post(IMPORT_URL, {"period": period.pk, "import_file": handle, "format": fmt})


def confirm(client, response):
    form = response.context["confirm_form"]
    data = {name: form.initial.get(name, "") for name in form.fields}
    return client.post(CONFIRM_URL, data)


def format_index(response, name):
    return next(value for value, label in response.context["form"].fields["format"].choices if label == name)


@pytest.fixture
def admin_client(client, demo_users):
    client.force_login(demo_users["lumajang-admin"])
    return client


def test_the_preview_creates_nothing(admin_client, dtks, tmp_path):
    path = extracts.write_csv(tmp_path / "dtks.csv", extracts.DTKS_HEADERS, extracts.dtks_rows(20))
    fmt = format_index(admin_client.get(IMPORT_URL), "csv")
    response = preview(admin_client, dtks, path, fmt)
    assert response.status_code == 200
    assert response.context["result"].totals["new"] == 20
    assert Entry.objects.count() == 0


def test_confirming_imports_every_row_under_the_period(admin_client, dtks, tmp_path):
    rows = extracts.dtks_rows(20)
    path = extracts.write_csv(tmp_path / "dtks.csv", extracts.DTKS_HEADERS, rows)
    fmt = format_index(admin_client.get(IMPORT_URL), "csv")
    confirm(admin_client, preview(admin_client, dtks, path, fmt))
    assert Entry.objects.filter(period=dtks).count() == 20
    assert Period.objects.get(pk=dtks.pk).row_count == 20


def test_the_indonesian_headers_fill_nik_kk_and_desil(admin_client, dtks, tmp_path):
    row = extracts.dtks_rows(1)[0]
    path = extracts.write_csv(tmp_path / "dtks.csv", extracts.DTKS_HEADERS, [row])
    fmt = format_index(admin_client.get(IMPORT_URL), "csv")
    confirm(admin_client, preview(admin_client, dtks, path, fmt))
    entry = Entry.objects.get()
    assert (entry.nik, entry.kk_number, entry.name, entry.desil) == (
        row["NIK ART"], row["No KK"], row["Nama ART"], row["Desil Nasional"]
    )  # fmt: skip


def test_the_nik_is_stored_encrypted_with_the_persons_blind_index(admin_client, dtks, tmp_path):
    row = extracts.dtks_rows(1)[0]
    path = extracts.write_csv(tmp_path / "dtks.csv", extracts.DTKS_HEADERS, [row])
    fmt = format_index(admin_client.get(IMPORT_URL), "csv")
    confirm(admin_client, preview(admin_client, dtks, path, fmt))
    with connection.cursor() as cursor:
        cursor.execute("SELECT nik, nik_hash FROM registers_entry")
        stored, digest = cursor.fetchone()
    assert row["NIK ART"] not in stored
    assert digest == blind_index(row["NIK ART"])


def test_an_xlsx_pbi_list_with_its_own_headers_imports(admin_client, periods, tmp_path):
    rows = [
        {"NO": 1, "NOKK": extracts.kk(7), "NIK": extracts.nik(7), "NAMA PESERTA": "TUMINI", "KECAMATAN": "TEMPEH"},
        {"NO": 2, "NOKK": extracts.kk(7), "NIK": extracts.nik(8), "NAMA PESERTA": "SLAMET", "KECAMATAN": "TEMPEH"},
    ]
    path = extracts.write_xlsx(tmp_path / "pbi.xlsx", extracts.PBI_HEADERS, rows)
    fmt = format_index(admin_client.get(IMPORT_URL), "xlsx")
    confirm(admin_client, preview(admin_client, periods["pbi-pusat"], path, fmt))
    assert sorted(Entry.objects.filter(period=periods["pbi-pusat"]).values_list("name", flat=True)) == [
        "SLAMET",
        "TUMINI",
    ]


def test_bad_rows_are_reported_in_indonesian_and_nothing_is_imported(admin_client, dtks, tmp_path):
    rows = extracts.dtks_rows(10) + extracts.BAD_ROWS
    path = extracts.write_csv(tmp_path / "dtks.csv", extracts.DTKS_HEADERS, rows)
    fmt = format_index(admin_client.get(IMPORT_URL), "csv")
    response = preview(admin_client, dtks, path, fmt)
    html = response.content.decode()
    assert response.context["result"].has_validation_errors()
    assert "NIK harus 16 angka; yang diisi 11 angka." in html
    assert "Desil harus angka 1 sampai 10; tertulis &#x27;11&#x27;." in html
    assert "NIK dan No KK kosong" in html
    assert "confirm_form" not in response.context or response.context["confirm_form"] is None
    assert Entry.objects.count() == 0


def test_a_file_without_a_nik_column_is_refused(admin_client, dtks, tmp_path):
    path = extracts.write_csv(tmp_path / "x.csv", ["Nama", "Alamat"], [{"Nama": "A", "Alamat": "B"}])
    fmt = format_index(admin_client.get(IMPORT_URL), "csv")
    html = preview(admin_client, dtks, path, fmt).content.decode()
    assert "Kolom wajib tidak ditemukan: NIK atau No KK" in html
    assert Entry.objects.count() == 0


def test_another_agencys_admin_cannot_import_into_these_registers(client, demo_users, dtks, tmp_path):
    client.force_login(demo_users["solok-admin"])
    path = extracts.write_csv(tmp_path / "dtks.csv", extracts.DTKS_HEADERS, extracts.dtks_rows(3))
    fmt = format_index(client.get(IMPORT_URL), "csv")
    response = preview(client, dtks, path, fmt)
    assert "period" in response.context["form"].errors
    assert Entry.objects.count() == 0


def test_another_agencys_admin_does_not_see_these_rows_or_periods(client, demo_users, dtks):
    Entry.objects.create(period=dtks, nik=extracts.nik(1), name="WARGA LUMAJANG")
    client.force_login(demo_users["solok-admin"])
    assert "WARGA LUMAJANG" not in client.get("/admin/registers/entry/").content.decode()
    assert client.get(f"/admin/registers/period/{dtks.pk}/change/").status_code == 302
    assert client.get(f"/admin/registers/register/{dtks.register_id}/change/").status_code == 302


def test_the_admin_finds_a_row_by_its_whole_nik(admin_client, dtks):
    Entry.objects.create(period=dtks, nik=extracts.nik(1), name="DICARI")
    Entry.objects.create(period=dtks, nik=extracts.nik(2), name="LAINNYA")
    html = admin_client.get("/admin/registers/entry/", {"q": extracts.nik(1)}).content.decode()
    assert "DICARI" in html and "LAINNYA" not in html


def test_marking_a_period_current_unmarks_the_previous_one(admin_client, dtks):
    response = admin_client.post(
        "/admin/registers/period/add/", {"register": dtks.register_id, "label": "Triwulan IV 2026", "is_current": "on"}
    )
    assert response.status_code == 302
    assert list(Period.objects.filter(register=dtks.register, is_current=True).values_list("label", flat=True)) == [
        "Triwulan IV 2026"
    ]


def test_every_agency_gets_the_standard_registers(lumajang_spm, demo_users):
    solok = demo_users["solok-admin"].agency
    assert set(Register.objects.filter(agency=solok).values_list("code", flat=True)) == {
        "dtks",
        "pbi-pusat",
        "pbi-daerah",
        "penerima-bantuan",
    }


def test_a_period_marked_current_in_the_register_page_replaces_the_current_one(admin_client, dtks):
    register = dtks.register
    data = {
        "code": register.code,
        "name": register.name,
        "description": "",
        "agency": register.agency_id,
        "periods-TOTAL_FORMS": "2",
        "periods-INITIAL_FORMS": "1",
        "periods-0-id": dtks.pk,
        "periods-0-register": register.pk,
        "periods-0-label": dtks.label,
        "periods-1-register": register.pk,
        "periods-1-label": "Triwulan IV 2026",
        "periods-1-is_current": "on",
    }
    response = admin_client.post(f"/admin/registers/register/{register.pk}/change/", data)
    assert response.status_code == 302
    assert list(register.periods.filter(is_current=True).values_list("label", flat=True)) == ["Triwulan IV 2026"]


def renamed(rows, old, new):
    return [{(new if key == old else key): value for key, value in row.items()} for row in rows]


def test_a_column_the_register_maps_is_read_as_its_field(admin_client, dtks, tmp_path):
    headers = [("IDENTITAS_ART_2025" if h == "NIK ART" else h) for h in extracts.DTKS_HEADERS]
    rows = renamed(extracts.dtks_rows(3), "NIK ART", "IDENTITAS_ART_2025")
    path = extracts.write_csv(tmp_path / "dtks.csv", headers, rows)
    fmt = format_index(admin_client.get(IMPORT_URL), "csv")
    Register.objects.filter(pk=dtks.register_id).update(columns="IDENTITAS_ART_2025 = NIK")
    confirm(admin_client, preview(admin_client, dtks, path, fmt))
    assert sorted(Entry.objects.values_list("nik", flat=True)) == sorted(r["IDENTITAS_ART_2025"] for r in rows)


def test_without_the_mapping_that_column_is_ignored(admin_client, dtks, tmp_path):
    headers = [("IDENTITAS_ART_2025" if h == "NIK ART" else h) for h in extracts.DTKS_HEADERS]
    path = extracts.write_csv(
        tmp_path / "dtks.csv", headers, renamed(extracts.dtks_rows(3), "NIK ART", "IDENTITAS_ART_2025")
    )
    fmt = format_index(admin_client.get(IMPORT_URL), "csv")
    confirm(admin_client, preview(admin_client, dtks, path, fmt))
    assert list(Entry.objects.values_list("nik", flat=True)) == ["", "", ""]


def test_a_bad_mapping_line_is_a_form_error_in_indonesian(admin_client, dtks):
    register = dtks.register
    url = f"/admin/registers/register/{register.pk}/change/"
    form = admin_client.get(url).context["adminform"].form
    data = {name: form.initial.get(name) or "" for name in form.fields}
    data.update({"agency": register.agency_id, "columns": "IDENTITAS = nomor rumah", "periods-TOTAL_FORMS": 0,
                 "periods-INITIAL_FORMS": 0})  # fmt: skip
    response = admin_client.post(url, data)
    assert "Baris 1 (&#x27;IDENTITAS = nomor rumah&#x27;): tulis judul kolom = NIK" in response.content.decode()
    assert Register.objects.get(pk=register.pk).columns == ""
