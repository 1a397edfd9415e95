"""A soak: an office's mix of requests on gunicorn for a bounded time, with memory watched.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sop_bench .venv/bin/python bench/soak.py [SECONDS]

On the benchmark database (bench/seed.py; `make bench` leaves one), starts gunicorn (4 workers,
production settings) and a task worker, signs in SOAK_USERS (default 50) sessions spread over the
desks of the three agencies, and lets each browse as an office does, with a pause of 0.5–3 s
between requests: the inbox, a case page of its agency, person search, the notices, the public
catalog and a kept SOP PDF; the front desks complete steps, the Kepala Dinas signs (letters are
numbered), the report desks export. SECONDS (or SOAK_SECONDS, default 1800) bounds the run.
Prints per request kind the count, errors (5xx, or a status other than the expected ones) and
the median and 95th percentile; the resident memory of the gunicorn workers sampled every 10 s,
and whether it stayed flat (the last fifth within 10 % of the second, after the warm-up).
"""

import os
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load import HOST, PORT, ROOT, Session, wait_for_server  # noqa: E402  (configures Django: bench.settings)

PASSWORD = "demo-sop-2026"


def rss_kib(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except FileNotFoundError:
        return 0
    return 0


def worker_pids(master):
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


class Office:
    """The shared state of the run: what each desk can act on, and the results."""

    def __init__(self):
        from cases.models import Case, CaseStep, Person
        from sop_catalog.models import SOP

        self.lock = threading.Lock()
        self.cases = {
            slug: list(Case.objects.filter(agency__slug=slug).values_list("pk", flat=True)[:2000])
            for slug in ("lumajang", "solok", "palangka-raya")
        }
        self.movable = list(
            CaseStep.objects.filter(status=CaseStep.CURRENT, desk="petugas", case__state=Case.AT_PETUGAS)
            .exclude(sop_step__branches__isnull=False)
            .values_list("case_id", "id")[:20000]
        )
        self.signable = list(
            CaseStep.objects.filter(status=CaseStep.CURRENT, desk="kadis", case__state=Case.AT_KADIS)
            .exclude(sop_step__branches__isnull=False)
            .values_list("case_id", "id")[:5000]
        )
        self.names = list(Person.objects.values_list("name", flat=True)[:500])
        # Three SOPs, their PDFs rendered before the clock starts: the soak reads kept PDFs.
        self.sops = list(
            SOP.objects.filter(status=SOP.ACTIVE, is_current=True).order_by("pk").values_list("slug", flat=True)[:3]
        )
        self.times = {}
        self.errors = {}
        self.statuses = {}  # status of each error, by kind (0: no answer within the client's 30 s)

    def take(self, pool):
        with self.lock:
            return pool.pop() if pool else None

    def record(self, kind, elapsed_ms, status, ok):
        with self.lock:
            self.times.setdefault(kind, []).append(elapsed_ms)
            if not ok:
                self.errors[kind] = self.errors.get(kind, 0) + 1
                by_status = self.statuses.setdefault(kind, {})
                by_status[status] = by_status.get(status, 0) + 1


def actions(office, agency, desk):
    """(weight, kind, method, path-or-callable, expected statuses) for a desk."""
    cases = office.cases.get(agency) or [0]
    rows = [
        (5, "inbox", "GET", lambda: "/kotak-masuk/", {200}),
        (5, "case page", "GET", lambda: f"/permohonan/{random.choice(cases)}/", {200, 404}),
        (2, "notices", "GET", lambda: "/pemberitahuan/", {200}),
        (1, "catalog", "GET", lambda: "/katalog/", {200}),
        (1, "SOP PDF (kept)", "GET", lambda: f"/katalog/{random.choice(office.sops)}.pdf", {200}),
    ]
    if desk in ("petugas", "peksos"):
        rows.append(
            (
                3,
                "person search",
                "GET",
                lambda: f"/orang/?q={quote(random.choice(office.names))}",
                {200},
            )
        )
    if desk == "petugas" and agency == "lumajang":
        rows.append((4, "step completion", "POST", "move", {302}))
    if desk == "kadis" and agency == "lumajang":
        rows.append((2, "signing (letter numbered)", "POST", "sign", {302}))
    if desk in ("kasi", "kabid", "sekdin", "kadis", "admin"):
        rows.append((1, "export CSV", "GET", lambda: "/laporan/ekspor/permohonan.csv", {200}))
    return rows


def user_loop(office, session, agency, desk, stop_at):
    rows = actions(office, agency, desk)
    weights = [row[0] for row in rows]
    while time.monotonic() < stop_at:
        _weight, kind, method, target, expected = random.choices(rows, weights)[0]
        fields = None
        if target in ("move", "sign"):
            item = office.take(office.movable if target == "move" else office.signable)
            if item is None:
                continue
            path, fields = f"/permohonan/{item[0]}/tindakan/selesai/", {"step": item[1], "note": "soak"}
        else:
            path = target()
        started = time.perf_counter()
        try:
            status, _body = session.request(method, path, fields)
        except OSError:
            status = 0
        office.record(kind, (time.perf_counter() - started) * 1000, status, status in expected)
        time.sleep(random.uniform(0.5, 3.0))


def p95(values):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main(seconds):
    from django.conf import settings

    users = int(os.environ.get("SOAK_USERS", "50"))
    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-" + "k3J9vqpZ2x8Lw0rT5yB7nM1cH4dF6gS9aQeUiOoPlKjHgFdSaZ",
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_REQUIRE_2FA": "0",
        "DJANGO_LOG_LEVEL": "ERROR",
        "DB_CONN_MAX_AGE": "60",
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "PUBLIC_RATE_LIMIT": "100000",
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "DJANGO_FIELD_KEY": settings.FIELD_ENCRYPTION_KEY,
        "DJANGO_INDEX_KEY": settings.FIELD_INDEX_KEY,
    }
    python = str(ROOT / ".venv/bin/python")
    subprocess.run([python, "manage.py", "collectstatic", "--no-input", "-v0"], cwd=ROOT, env=env, check=True)
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "sop_portal.wsgi", "--workers", "4", "--bind", f"{HOST}:{PORT}",
         "--log-level", "warning", "--timeout", "120"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    worker = subprocess.Popen(
        [python, "manage.py", "db_worker", "--no-reload", "-v0"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL
    )
    try:
        wait_for_server()
        office = Office()
        desks = ["petugas", "petugas", "peksos", "kasi", "kabid", "sekdin", "kadis", "admin"]
        agencies = ["lumajang", "lumajang", "solok", "palangka-raya"]
        people = []
        for n in range(users):
            agency, desk = agencies[(n // len(desks)) % len(agencies)], desks[n % len(desks)]
            session = Session()
            session.login(f"{agency}-{desk}", PASSWORD)
            people.append((session, agency, desk))
        for slug in office.sops:
            people[0][0].request("GET", f"/katalog/{slug}.pdf")
        stop_at = time.monotonic() + seconds
        threads = [
            threading.Thread(target=user_loop, args=(office, *person, stop_at), daemon=True) for person in people
        ]
        for thread in threads:
            thread.start()
        memory = []
        while time.monotonic() < stop_at:
            memory.append(sum(rss_kib(pid) for pid in worker_pids(server.pid)))
            time.sleep(min(10, max(0.1, stop_at - time.monotonic())))
        for thread in threads:
            thread.join(timeout=60)
        memory.append(sum(rss_kib(pid) for pid in worker_pids(server.pid)))
    finally:
        worker.terminate()
        server.terminate()
        server.wait(timeout=30)
        worker.wait(timeout=30)
    report(office, memory, seconds, users)


def report(office, memory, seconds, users):
    total = sum(len(v) for v in office.times.values())
    errors = sum(office.errors.values())
    print(f"Soak: {seconds:.0f} s, {users} signed-in users, {total} requests, {errors} errors\n")
    print("| request | count | errors (by status; 0: no answer in 30 s) | median ms | p95 ms |")
    print("|---|---|---|---|---|")
    for kind, times in sorted(office.times.items()):
        statuses = ", ".join(f"{status}: {n}" for status, n in sorted(office.statuses.get(kind, {}).items()))
        print(
            f"| {kind} | {len(times)} | {office.errors.get(kind, 0)}{f' ({statuses})' if statuses else ''} "
            f"| {statistics.median(times):.0f} | {p95(times):.0f} |"
        )
    # The first fifth is the warm-up (each worker imports WeasyPrint, fills its caches): the
    # second fifth is the baseline.
    fifth = max(1, len(memory) // 5)
    first, last = statistics.median(memory[fifth : 2 * fifth] or memory), statistics.median(memory[-fifth:])
    flat = last <= first * 1.10
    print(
        f"\nMemory of the 4 gunicorn workers (RSS, sampled every 10 s): second fifth {first / 1024:.0f} MiB, "
        f"last fifth {last / 1024:.0f} MiB, peak {max(memory) / 1024:.0f} MiB: "
        f"{'flat' if flat else '**grew**'} (goal: last within 10 % of the second fifth, after the warm-up)"
    )


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else float(os.environ.get("SOAK_SECONDS", "1800")))
