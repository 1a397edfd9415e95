"""Reading register extracts: Indonesian headers mapped to fields, rows checked, big files streamed."""

import csv
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from django.db import reset_queries, transaction
from openpyxl import load_workbook

from cases.nik import kk_problems, nik_problems, normalize_number
from registers.columns import ALIASES, HEADERS, LABELS, fold_header
from registers.models import Entry, Period

__all__ = ["ALIASES", "HEADERS", "LABELS", "fold_header"]


def map_headers(headers: Iterable, extra: dict[str, str] | None = None) -> dict[int, str]:
    """Column index → Entry field, for the headers we know (and the register's own, `extra`:
    folded header → field); the others are ignored."""
    aliases = {**ALIASES, **(extra or {})}
    mapping: dict[int, str] = {}
    for index, header in enumerate(headers):
        field = aliases.get(fold_header(header))
        if field and field not in mapping.values():
            mapping[index] = field
    return mapping


def missing_headers(fields: Iterable[str]) -> list[str]:
    present = set(fields)
    missing = [] if "nik" in present or "kk_number" in present else ["NIK atau No KK"]
    return missing + ([] if "name" in present else ["Nama"])


def clean_row(values: dict) -> tuple[dict, dict[str, str]]:
    """Normalised values and the Indonesian problems of one row, keyed by field."""
    row = {field: str(values.get(field) if values.get(field) is not None else "").strip() for field in LABELS}
    if row["nik"].endswith(".0"):  # spreadsheets that stored the number as a float
        row["nik"] = row["nik"][:-2]
    if row["kk_number"].endswith(".0"):
        row["kk_number"] = row["kk_number"][:-2]
    row["nik"], row["kk_number"] = normalize_number(row["nik"]), normalize_number(row["kk_number"])
    problems: dict[str, str] = {}
    if not row["nik"] and not row["kk_number"]:
        problems["nik"] = "NIK dan No KK kosong; salah satunya wajib diisi."
    elif row["nik"] and (nik_issue := nik_problems(row["nik"])):
        problems["nik"] = " ".join(nik_issue)
    if row["kk_number"] and (kk_issue := kk_problems(row["kk_number"])):
        problems["kk_number"] = " ".join(kk_issue)
    if not row["name"]:
        problems["name"] = "Nama kosong."
    desil = row.pop("desil")
    if desil.endswith(".0"):
        desil = desil[:-2]
    row["desil"] = None
    if desil:
        if desil.isdigit() and 1 <= int(desil) <= 10:
            row["desil"] = int(desil)
        else:
            problems["desil"] = f"Desil harus angka 1 sampai 10; tertulis '{desil}'."
    return row, problems


def read_rows(path: Path) -> Iterator[list]:
    """Rows of a CSV (UTF-8, ; or , separated) or XLSX file, one at a time, headers first."""
    if path.suffix.lower() == ".xlsx":
        workbook = load_workbook(path, read_only=True, data_only=True)
        try:
            yield from (list(row) for row in workbook.active.iter_rows(values_only=True))
        finally:
            workbook.close()
        return
    with path.open(encoding="utf-8-sig", newline="") as handle:
        sample = handle.read(4096)
        handle.seek(0)
        dialect = csv.Sniffer().sniff(sample, delimiters=";,\t") if sample else csv.excel
        yield from csv.reader(handle, dialect)


def is_blank(values: list) -> bool:
    return all(value is None or str(value).strip() == "" for value in values)


class ImportRefused(Exception):
    """The file cannot be imported; the message lists why (Indonesian), nothing was saved."""


def stream_import(
    *,
    period: Period,
    path: Path,
    batch: int = 5000,
    progress: Callable[[str, int], None] | None = None,
    max_errors: int = 50,
) -> int:
    """Import a big extract into `period` all or nothing, holding one batch in memory at a time.

    Every row is checked first in a pass that keeps nothing but the problems; only a clean file
    is written, in one transaction, with bulk inserts of `batch` rows. `progress(stage, rows)` is
    called every `batch` rows, stage "diperiksa" then "disimpan".
    """
    rows = read_rows(path)
    headers = next(rows, None)
    if headers is None:
        raise ImportRefused("Berkas kosong.")
    mapping = map_headers(headers, period.register.column_aliases())
    if missing := missing_headers(mapping.values()):
        raise ImportRefused(f"Kolom wajib tidak ditemukan: {', '.join(missing)}.")
    _check_pass(rows, mapping, batch=batch, progress=progress, max_errors=max_errors)
    rows = read_rows(path)
    next(rows)
    with transaction.atomic():
        done = _write_pass(rows, mapping, period=period, batch=batch, progress=progress)
        period.row_count = period.entries.count()
        period.save(update_fields=["row_count"])
    return done


def _fields(values: list[Any], mapping: dict[int, str]) -> dict[str, Any]:
    return {field: values[i] if i < len(values) else None for i, field in mapping.items()}


def _check_pass(
    rows: Iterator[list[Any]],
    mapping: dict[int, str],
    *,
    batch: int,
    progress: Callable[[str, int], None] | None,
    max_errors: int,
) -> None:
    """Check every row, keeping only the first `max_errors` problems; refuse the file if any."""
    shown: list[str] = []
    bad = 0
    for number, values in enumerate(rows, start=2):
        if progress and (number - 1) % batch == 0:
            progress("diperiksa", number - 1)
        if is_blank(values):
            continue
        _row, problems = clean_row(_fields(values, mapping))
        if problems:
            bad += 1
            if len(shown) < max_errors:
                shown.append(f"baris {number}: " + " ".join(f"{LABELS[f]}: {p}" for f, p in problems.items()))
    if bad:
        more = bad - len(shown)
        raise ImportRefused(
            f"{bad} baris bermasalah, tidak ada yang disimpan.\n"
            + "\n".join(shown)
            + (f"\n… dan {more} baris lagi." if more else "")
        )


def _write_pass(
    rows: Iterator[list[Any]],
    mapping: dict[int, str],
    *,
    period: Period,
    batch: int,
    progress: Callable[[str, int], None] | None,
) -> int:
    """Insert the (checked) rows in bulk, `batch` at a time; returns how many were written."""
    done = 0
    pending: list[Entry] = []
    for values in rows:
        if is_blank(values):
            continue
        row, _ = clean_row(_fields(values, mapping))
        entry = Entry(period=period, agency_id=period.agency_id, **row)
        entry.fill_derived()
        pending.append(entry)
        if len(pending) >= batch:
            Entry.objects.bulk_create(pending)
            # With DEBUG on, Django keeps every query's SQL (up to 9,000): each batch's INSERT is
            # megabytes, which made a 500,000-row import grow by ~4 MiB per 10,000 rows.
            reset_queries()
            done += len(pending)
            pending = []
            if progress:
                progress("disimpan", done)
    if pending:
        Entry.objects.bulk_create(pending)
        done += len(pending)
        if progress:
            progress("disimpan", done)
    return done
