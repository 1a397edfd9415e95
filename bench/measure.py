"""Server-side timings and query counts of the busiest pages, through Django's test client.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sop_bench .venv/bin/python bench/measure.py [RUNS]

Prints a Markdown table: median and 95th percentile of the time spent in Django per request
(no network), and the number of SQL queries of one request (BEGIN/COMMIT/SAVEPOINT not counted).
Then the ratios of issue 20: each page's median over the median of the floor (bench/floor.py: the
cheapest signed-in page behind the same middleware), both timed in turn in the same loop so that
a slower moment of the shared machine slows both, against its goal. BENCH_JSON=FILE writes the
figures as JSON; BENCH_COMPARE=FILE (the JSON of a smaller run) also checks that the inbox makes
the same queries at both sizes.
"""

import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.core.signals import request_finished, request_started  # noqa: E402
from django.db import close_old_connections, connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def p95(values):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def measure(label, call, runs):
    for _ in range(2):
        call()
    with CaptureQueriesContext(connection) as queries:
        response = call()
    # Now (the next request resets the query log); transaction control is not a query.
    control = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")
    count = sum(1 for query in queries.captured_queries if not query["sql"].upper().startswith(control))
    status = getattr(response, "status_code", "-")
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return label, statistics.median(times), p95(times), count, status


def timed(call):
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def ratio(label, call, floor, runs, goal):
    """Median of `call` over the median of `floor`, the two timed in turn `runs` times."""
    for _ in range(2):
        call()
        floor()
    page_times, floor_times = [], []
    for _ in range(runs):
        floor_times.append(timed(floor))
        page_times.append(timed(call))
        floor_times.append(timed(floor))
    page, base = statistics.median(page_times), statistics.median(floor_times)
    return {"label": label, "page_ms": page, "floor_ms": base, "ratio": page / base, "goal": goal}


def print_ratios(ratios, persons):
    print("\n| ratio to the floor | page ms | floor ms | ratio | goal | met? |")
    print("|---|---|---|---|---|---|")
    for row in ratios:
        met = "yes" if row["ratio"] <= row["goal"] else "**no**"
        if row.get("needs_persons") and persons < row["needs_persons"]:
            met += f" (goal set at {row['needs_persons']:,} persons; here {persons:,})"
        print(
            f"| {row['label']} | {row['page_ms']:.1f} | {row['floor_ms']:.1f} | {row['ratio']:.2f}× "
            f"| ≤ {row['goal']}× | {met} |"
        )


def main(runs):
    # As in Django's tests: keep one connection, so that the queries of a request can be counted.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    from agencies.models import User
    from cases import letters
    from cases.models import Case, CaseStep, IssuedDocument, Person

    users = {u.username: u for u in User.objects.filter(username__startswith="lumajang-")}
    kasi, petugas = Client(HTTP_HOST="localhost"), Client(HTTP_HOST="localhost")
    kasi.force_login(users["lumajang-kasi"])
    petugas.force_login(users["lumajang-petugas"])
    # Lumajang's, the agency measured (bench/seed.py gives the other two a small share of their own).
    lumajang = Case.objects.filter(agency__slug="lumajang")
    case = lumajang.filter(state=Case.AT_KASI).order_by("id").first()
    person = Person.objects.filter(agency__slug="lumajang").order_by("-id").first()
    letters.open_drafts(case)
    draft = IssuedDocument.objects.filter(case=case, status=IssuedDocument.DRAFT).first()
    movable = list(
        CaseStep.objects.filter(status=CaseStep.CURRENT, desk="petugas", case__state=Case.AT_PETUGAS)
        .filter(case__agency__slug="lumajang")
        .exclude(sop_step__branches__isnull=False)
        .values_list("case_id", "id")[: runs + 3]
    )
    moves = iter(movable)

    def transition():
        case_id, step_id = next(moves)
        return petugas.post(f"/permohonan/{case_id}/tindakan/selesai/", {"step": step_id, "note": "bench"})

    from sop_catalog.models import SOP

    public = Client(HTTP_HOST="localhost")
    sop = SOP.objects.filter(status=SOP.ACTIVE, is_current=True).order_by("pk").first()
    floor = lambda: kasi.get("/bench/floor/")  # noqa: E731
    inbox = lambda: kasi.get("/kotak-masuk/")  # noqa: E731
    case_page = lambda: kasi.get(f"/permohonan/{case.pk}/")  # noqa: E731
    nik_search = lambda: petugas.get("/orang/", {"q": person.nik})  # noqa: E731
    sop_pdf = lambda: public.get(f"/katalog/{sop.slug}.pdf", REMOTE_ADDR=f"10.9.{random.randrange(255)}.1")  # noqa: E731
    rows = [
        measure("floor (bench/floor.py)", floor, runs),
        measure("inbox (Kasi)", inbox, runs),
        measure("case page", lambda: kasi.get(f"/permohonan/{case.pk}/"), runs),
        measure("person search by NIK", lambda: petugas.get("/orang/", {"q": person.nik}), runs),
        measure("person search by name", lambda: petugas.get("/orang/", {"q": person.name}), runs),
        measure("tanda terima PDF", lambda: kasi.get(f"/permohonan/{case.pk}/tanda-terima.pdf"), runs),
        measure("surat (SPM) PDF", lambda: kasi.get(f"/permohonan/{case.pk}/surat/{draft.pk}/konsep.pdf"), runs),
        measure("public SOP PDF (kept)", sop_pdf, runs),
        measure("one transition (step done)", transition, min(runs, len(movable) - 3)),
    ]
    persons = Person.objects.filter(agency__slug="lumajang").count()
    print(
        f"Lumajang: {lumajang.count()} permohonan, {persons} orang (semua instansi: {Case.objects.count()} "
        f"permohonan), {runs} kali per baris\n"
    )
    print("| request | median ms | p95 ms | queries | status |")
    print("|---|---|---|---|---|")
    for label, median, high, queries, status in rows:
        print(f"| {label} | {median:.1f} | {high:.1f} | {queries} | {status} |")
    ratios = [
        ratio("inbox (Kasi)", inbox, floor, runs, 1.5),
        ratio("case page", case_page, floor, runs, 2.0),
        {**ratio("person search by NIK", nik_search, floor, runs, 1.2), "needs_persons": 200_000},
        ratio("public SOP PDF (kept)", sop_pdf, floor, runs, 1.5),
    ]
    print_ratios(ratios, persons)
    queries = {label: count for label, _m, _h, count, _s in rows}
    if os.environ.get("BENCH_COMPARE"):
        smaller = json.loads(Path(os.environ["BENCH_COMPARE"]).read_text())
        same = smaller["queries"]["inbox (Kasi)"] == queries["inbox (Kasi)"]
        print(
            f"\ninbox queries: {smaller['queries']['inbox (Kasi)']} at {smaller['cases']:,} cases, "
            f"{queries['inbox (Kasi)']} at {lumajang.count():,}: goal the same; met? {'yes' if same else '**no**'}"
        )
    if os.environ.get("BENCH_JSON"):
        Path(os.environ["BENCH_JSON"]).write_text(
            json.dumps({"cases": lumajang.count(), "persons": persons, "queries": queries, "ratios": ratios})
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
