"""Registers at scale on PostgreSQL: a 500,000-row DTKS extract imported with import_register's
streaming importer, then the padanan lookups timed as bench/measure.py times the NIK search.

    BENCH_DB=registers_bench .venv/bin/python bench/registers.py [ROWS] [RUNS]

Recreates the database BENCH_DB (default registers_bench), writes the generated extract to a
temporary CSV, imports it (time, rows per second, peak memory of the process), adds 20,000-row
PBI-Pusat and PBI-Daerah lists, and prints a Markdown table: the lookup of one NIK and KK in the
three current periods (registers.selectors.padanan), the case page at the SPM padanan step, and
the admin's register search by whole NIK — median and 95th percentile of RUNS requests, and the
SQL queries of one. BENCH_REUSE=1 skips the import and measures on the last run's database.
"""

import csv
import os
import resource
import subprocess
import sys
import tempfile
import time
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DB = os.environ.get("BENCH_DB", "registers_bench")
os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{DB}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sop_portal.settings")
REUSE = os.environ.get("BENCH_REUSE") == "1"  # measure again on the database of the last run
if not REUSE:
    subprocess.run(
    ["psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-c", f"DROP DATABASE IF EXISTS {DB}", "-c",
     f"CREATE DATABASE {DB}", "postgres"],
    check=True,
)  # fmt: skip

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from bench.measure import measure  # noqa: E402
from tests.registers import extracts  # noqa: E402


def peak_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_extract(path, rows, seed, start=0, headers=extracts.DTKS_HEADERS):
    """Written in chunks, so the generator's memory does not count against the import."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=headers, delimiter=";", extrasaction="ignore")
        writer.writeheader()
        written = 0
        while written < rows:
            chunk = extracts.dtks_rows(min(50_000, rows - written), seed=seed + written, start=start + written)
            writer.writerows(chunk)
            written += len(chunk)


def main(rows, runs):

    from agencies.services import create_demo_users
    from registers.models import Period

    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(f"# Registers benchmark {when} on {os.cpu_count()} cores, PostgreSQL\n")
    # The same CPU reference as bench/run.sh, to compare with the other benchmark's figures.
    reference = min(timeit.repeat("sum(i*i for i in range(10**6))", number=1, repeat=5)) * 1000
    load = ", ".join(f"{figure:.1f}" for figure in os.getloadavg())
    print(f"CPU reference: {reference:.0f} ms for sum(i*i for i in range(10**6)); load average {load}\n")
    if REUSE:
        users = {u.username: u for u in create_demo_users()}
        period = Period.objects.get(register__agency__slug="lumajang", register__code="dtks", is_current=True)
        rows = period.entries.count()
        print(f"Import skipped (BENCH_REUSE=1): {rows:,} DTKS rows from the last run.\n")
    else:
        period, users = import_extracts(rows)
    measure_lookups(period, rows, users, runs)


def import_extracts(rows):
    from agencies.services import create_demo_users, load_agencies
    from registers.importing import stream_import
    from registers.models import Period, Register

    call_command("migrate", verbosity=0)
    load_agencies(path=ROOT / "fixtures" / "agencies.json")
    call_command("load_sops", verbosity=0)
    call_command("load_registers", verbosity=0)
    users = {u.username: u for u in create_demo_users()}
    registers = {r.code: r for r in Register.objects.filter(agency__slug="lumajang")}
    with tempfile.TemporaryDirectory() as tmp:
        dtks_path = Path(tmp) / "dtks.csv"
        write_extract(dtks_path, rows, seed=1)
        size = dtks_path.stat().st_size / 2**20
        before = peak_mib()
        period = Period.objects.create(register=registers["dtks"], label="Triwulan III 2026", is_current=True)
        started = time.monotonic()
        stream_import(period=period, path=dtks_path)
        took = time.monotonic() - started
        for code in ("pbi-pusat", "pbi-daerah"):
            path = Path(tmp) / f"{code}.csv"
            write_extract(path, 20_000, seed=7, start=rows // 2 if code == "pbi-pusat" else rows // 3)
            pbi = Period.objects.create(register=registers[code], label="Oktober 2026", is_current=True)
            stream_import(period=pbi, path=path)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE registers_entry")
    print(
        f"Import of {rows:,} DTKS rows ({size:.0f} MiB CSV) with `import_register`'s streaming importer: "
        f"{took:.0f} s ({rows / took:,.0f} rows/s, both passes); peak memory of the process "
        f"{peak_mib():.0f} MiB (before the import {before:.0f} MiB).\n"
    )
    return period, users


def measure_lookups(period, rows, users, runs):
    from django.test import Client

    from cases import services as case_services
    from cases import workflow
    from cases.models import Case, Person
    from registers import selectors
    from registers.models import Entry
    from sop_catalog.models import SOP

    target = Entry.objects.filter(period=period).order_by("id")[rows // 2]
    person = Person.objects.filter(agency=target.agency, nik_hash=target.nik_hash).first() or Person.objects.create(
        agency=target.agency, nik=target.nik, kk_number=target.kk_number, name=target.name
    )
    petugas = users["lumajang-petugas"]
    case = case_services.open_case(
        user=petugas, sop=SOP.objects.get(slug="lumajang-spm", is_current=True), applicant=person,
        beneficiary=person, channel="datang", purpose="bench",
    )  # fmt: skip
    for document in case.documents.all():
        case_services.receive_document(document=document, user=petugas)
    case = case_services.register_case(case=case, user=petugas)
    while case.current_step.no < 3:
        branch = "Ya" if case.current_step.sop_step.branches.exists() else ""
        case = workflow.complete_step(case=case, user=petugas, step_id=case.current_step_id, branch=branch)
    case = Case.objects.select_related("applicant", "beneficiary", "agency", "current_step__sop_step").get(pk=case.pk)
    desk = Client(HTTP_HOST="localhost")
    desk.force_login(petugas)
    admin = Client(HTTP_HOST="localhost")
    admin.force_login(users["lumajang-admin"])

    def lookup():
        return selectors.padanan(case, case.current_step.sop_step)

    found = lookup()
    results = [
        measure("padanan lookup (3 registers, NIK + KK)", lookup, runs),
        measure("case page at the padanan step", lambda: desk.get(f"/permohonan/{case.pk}/"), runs),
        measure("admin register search by NIK", lambda: admin.get("/admin/registers/entry/", {"q": target.nik}), runs),
    ]
    print(f"{Entry.objects.count():,} register rows; the looked-up household: {found['sentence']}; {runs} runs\n")
    print("| request | median ms | p95 ms | queries | status |")
    print("|---|---|---|---|---|")
    for label, median, high, queries, status in results:
        print(f"| {label} | {median:.1f} | {high:.1f} | {queries} | {status} |")
    with connection.cursor() as cursor:
        hashes = [target.nik_hash]
        cursor.execute(
            "EXPLAIN ANALYZE SELECT * FROM registers_entry "
            "WHERE period_id = %s AND (nik_hash = ANY(%s) OR kk_hash = ANY(%s))",
            [period.pk, hashes, [target.kk_hash]],
        )
        print("\n```\n" + "\n".join(row[0] for row in cursor.fetchall()) + "\n```")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500_000, int(sys.argv[2]) if len(sys.argv) > 2 else 30)
