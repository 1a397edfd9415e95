"""Server-side timings and query counts of the busiest pages, through Django's test client.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sop_bench .venv/bin/python bench/measure.py [RUNS]

Prints a Markdown table: median and 95th percentile of the time spent in Django per request
(no network), and the number of SQL queries of one request (BEGIN/COMMIT/SAVEPOINT not counted).
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sop_portal.settings")

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
    case = Case.objects.filter(state=Case.AT_KASI).order_by("id").first()
    person = Person.objects.order_by("-id").first()
    letters.open_drafts(case)
    draft = IssuedDocument.objects.filter(case=case, status=IssuedDocument.DRAFT).first()
    movable = list(
        CaseStep.objects.filter(status=CaseStep.CURRENT, desk="petugas", case__state=Case.AT_PETUGAS)
        .exclude(sop_step__branches__isnull=False)
        .values_list("case_id", "id")[: runs + 3]
    )
    moves = iter(movable)

    def transition():
        case_id, step_id = next(moves)
        return petugas.post(f"/permohonan/{case_id}/tindakan/selesai/", {"step": step_id, "note": "bench"})

    rows = [
        measure("inbox (Kasi)", lambda: kasi.get("/kotak-masuk/"), runs),
        measure("case page", lambda: kasi.get(f"/permohonan/{case.pk}/"), runs),
        measure("person search by NIK", lambda: petugas.get("/orang/", {"q": person.nik}), runs),
        measure("person search by name", lambda: petugas.get("/orang/", {"q": person.name}), runs),
        measure("tanda terima PDF", lambda: kasi.get(f"/permohonan/{case.pk}/tanda-terima.pdf"), runs),
        measure("surat (SPM) PDF", lambda: kasi.get(f"/permohonan/{case.pk}/surat/{draft.pk}/konsep.pdf"), runs),
        measure("one transition (step done)", transition, min(runs, len(movable) - 3)),
    ]
    print(f"{Case.objects.count()} permohonan, {Person.objects.count()} orang, {runs} kali per baris\n")
    print("| request | median ms | p95 ms | queries | status |")
    print("|---|---|---|---|---|")
    for label, median, high, queries, status in rows:
        print(f"| {label} | {median:.1f} | {high:.1f} | {queries} | {status} |")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
