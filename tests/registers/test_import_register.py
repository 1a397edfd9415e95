"""Big extracts through manage.py import_register: checked whole first, then streamed in batches."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from registers import importing
from registers.models import Entry, Period
from tests.registers import extracts


def run(*args):
    out = io.StringIO()
    call_command("import_register", *args, stdout=out)
    return out.getvalue()


def test_the_rows_arrive_in_batches_with_progress(periods, tmp_path):
    path = extracts.write_csv(tmp_path / "dtks.csv", extracts.DTKS_HEADERS, extracts.dtks_rows(1200))
    output = run("lumajang", "dtks", "Triwulan IV 2026", str(path), "--batch", "500")
    assert [line.split()[1] for line in output.splitlines() if "disimpan:" in line] == ["500", "1000", "1200"]
    assert Period.objects.get(label="Triwulan IV 2026").row_count == 1200


def test_a_big_import_keeps_no_batch_in_the_debug_query_log(periods, tmp_path, settings):
    settings.DEBUG = True  # development mode logs every query: the batches' INSERTs must not pile up
    path = extracts.write_csv(tmp_path / "dtks.csv", extracts.DTKS_HEADERS, extracts.dtks_rows(1200))
    run("lumajang", "dtks", "Triwulan IV 2026", str(path), "--batch", "300")

    inserts = [q for q in connection.queries if q["sql"].startswith('INSERT INTO "registers_entry"')]
    assert Period.objects.get(label="Triwulan IV 2026").row_count == 1200
    assert len(inserts) <= 1, len(inserts)  # at most the last, smaller batch


def test_current_makes_the_new_period_the_one_in_force(periods, tmp_path):
    path = extracts.write_csv(tmp_path / "dtks.csv", extracts.DTKS_HEADERS, extracts.dtks_rows(5))
    run("lumajang", "dtks", "Triwulan IV 2026", str(path), "--current")
    assert periods["dtks"].register.current_period.label == "Triwulan IV 2026"


def test_one_bad_row_refuses_the_whole_file(periods, tmp_path):
    rows = extracts.dtks_rows(1000) + extracts.BAD_ROWS[:1]
    path = extracts.write_csv(tmp_path / "dtks.csv", extracts.DTKS_HEADERS, rows)
    with pytest.raises(CommandError, match="baris 1002: NIK: NIK harus 16 angka"):
        run("lumajang", "dtks", "Triwulan IV 2026", str(path), "--batch", "100")
    assert Entry.objects.count() == 0


def test_blank_lines_are_skipped(periods, tmp_path):
    rows = extracts.dtks_rows(3)
    path = extracts.write_csv(tmp_path / "dtks.csv", extracts.DTKS_HEADERS, [rows[0], {}, rows[1], {}, rows[2]])
    run("lumajang", "dtks", "Triwulan IV 2026", str(path))
    assert Entry.objects.filter(period__label="Triwulan IV 2026").count() == 3


def test_an_xlsx_extract_is_read_row_by_row(periods, tmp_path):
    path = extracts.write_xlsx(tmp_path / "dtks.xlsx", extracts.DTKS_HEADERS, extracts.dtks_rows(30))
    run("lumajang", "dtks", "Triwulan IV 2026", str(path))
    assert Entry.objects.filter(period__label="Triwulan IV 2026").count() == 30


def test_a_period_that_already_has_rows_is_refused(periods, tmp_path):
    Entry.objects.create(period=periods["dtks"], nik=extracts.nik(1), name="A")
    path = extracts.write_csv(tmp_path / "dtks.csv", extracts.DTKS_HEADERS, extracts.dtks_rows(3))
    with pytest.raises(CommandError, match="sudah berisi 1 baris"):
        run("lumajang", "dtks", periods["dtks"].label, str(path))


def test_numbers_written_with_dots_or_as_floats_are_read_as_digits():
    row, problems = importing.clean_row({"nik": "3508.0115.0785.0001", "kk_number": "3508010101090012.0", "name": "A"})
    assert (row["nik"], row["kk_number"], problems) == ("3508011507850001", "3508010101090012", {})


def test_the_command_reads_a_column_the_register_maps(periods, tmp_path):
    headers = [("NO_KARTU_KELUARGA_DTSEN" if h == "No KK" else h) for h in extracts.DTKS_HEADERS]
    rows = [
        {("NO_KARTU_KELUARGA_DTSEN" if k == "No KK" else k): v for k, v in r.items()} for r in extracts.dtks_rows(4)
    ]
    path = extracts.write_csv(tmp_path / "dtks.csv", headers, rows)
    register = periods["dtks"].register
    register.columns = "NO_KARTU_KELUARGA_DTSEN = No KK"
    register.save()
    run("lumajang", "dtks", "Triwulan IV 2026", str(path))
    got = Entry.objects.filter(period__label="Triwulan IV 2026").values_list("kk_number", flat=True)
    assert sorted(got) == sorted(r["NO_KARTU_KELUARGA_DTSEN"] for r in rows)
