"""A soak: an office's mix of requests on gunicorn for a bounded time, with memory watched.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sop_soak .venv/bin/python bench/soak.py [SECONDS]

On a benchmark database (bench/seed.py: Lumajang's cases on its SPM SOP, Solok's and Palangka
Raya's on one SOP each), starts gunicorn (4 workers, production settings) on 127.0.0.1:SOAK_PORT
(default 8766, beside bench/load.py's 8765) and a task worker, signs in SOAK_USERS (default 50)
sessions spread over the desks of the three agencies, and lets each browse as an office does,
with a pause of 0.5–3 s between requests: the inbox, a case page of its agency, person search,
the notices, the public catalog and a kept SOP PDF. At each agency the front desks complete steps
and register new applicants as a browser does (the NIK searched and checked, the person form
posted with a new valid NIK, the request opened on an SOP the form offers, registered, its tanda
terima printed); the Kepala Dinas completes the Kadis step (Lumajang's SPM signs and numbers its
letter, Palangka Raya's sends a disposisi down, Solok's closes the case); the report desks export
the cases as CSV. SECONDS (or SOAK_SECONDS, default 1800) bounds the run: no request is sent
past it (a registration stops between its pages), and the server stops once every user is done.

Prints per request kind the count, errors (5xx, or a status other than the expected ones) and
the median and 95th percentile (a broken answer, or none within 30 s, is status 0); then what the
database says was written of the requests that answered as done (a refused completion also
answers 302: completions, letters issued and cases registered are counted there, and a request
that answered as done but wrote nothing counts as an error; one that answered otherwise is
counted once, above); the resident memory of the gunicorn workers and
of the task worker, sampled every 10 s, and whether each stayed flat (the last fifth within 10 %
of the second, after the warm-up).
"""

import http.client
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load import HOST, ROOT, Session, wait_for_server  # noqa: E402  (configures Django: bench.settings)

PASSWORD = "demo-sop-2026"
PORT = int(os.environ.get("SOAK_PORT", "8766"))
AGENCIES = ("lumajang", "solok", "palangka-raya")
# A new applicant's NIK: province, regency and district of the agency's region (cases/nik.py).
NIK_REGION = {"lumajang": "350801", "solok": "137201", "palangka-raya": "627101"}
KADIS_MOVES = {"sign": "Kadis signs (letter numbered)", "dispose": "Kadis disposisi (PDF)", "complete": "Kadis closes"}


def rss_kib(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return 0
    return 0


def children(pid):
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def tree_rss_kib(pid):
    """The process and its children (the task worker, should it fork)."""
    return rss_kib(pid) + sum(tree_rss_kib(child) for child in children(pid))


class Office:
    """The shared state of the run: what each desk can act on, and the results."""

    def __init__(self):
        from django.utils import timezone

        from cases import selectors, workflow
        from cases.models import Case, CaseStep, Person
        from sop_catalog.models import SOP

        self.since = timezone.now()
        self.lock = threading.Lock()
        self.cases = {
            slug: list(Case.objects.filter(agency__slug=slug).values_list("pk", flat=True)[:2000]) for slug in AGENCIES
        }

        def current(desk, states, limit):
            rows = (
                CaseStep.objects.filter(status=CaseStep.CURRENT, desk=desk, case__state__in=states)
                .exclude(sop_step__branches__isnull=False)
                .values_list("case__agency__slug", "case_id", "id")
            )
            pools = {slug: [] for slug in AGENCIES}
            for slug in AGENCIES:
                pools[slug] = [(case, step) for _s, case, step in rows.filter(case__agency__slug=slug)[:limit]]
            return pools

        self.movable = current("petugas", [Case.AT_PETUGAS, Case.APPROVED], 20000)
        self.signable = current("kadis", [Case.AT_KADIS], 5000)
        # What the Kadis step does at each agency, as the workflow plans it for its first case.
        self.kadis_kind = {}
        for slug, pool in self.signable.items():
            move = None
            if pool:
                case = selectors.case_for_action(pk=pool[-1][0], agency_id=Case.objects.get(pk=pool[-1][0]).agency_id)
                move = workflow.plan(case).kind
            self.kadis_kind[slug] = KADIS_MOVES.get(move, "Kadis step")
        self.names = {
            slug: list(Person.objects.filter(agency__slug=slug).values_list("name", flat=True)[:500]) or ["warga"]
            for slug in AGENCIES
        }
        # New applicants: numbered on from the highest number an earlier run gave (not from their
        # count: a flow cut short after the person form leaves a person but no case, and numbers
        # counted again would hand its NIK out a second time).
        self.registered = {}
        for slug in AGENCIES:
            names = Person.objects.filter(agency__slug=slug, name__startswith=f"Warga Soak {slug} ")
            used = [int(m.group(1)) for name in names.values_list("name", flat=True)
                    if (m := re.fullmatch(r"Warga Soak \S+ (\d+)", name))]  # fmt: skip
            self.registered[slug] = max(used, default=-1) + 1
        # Three SOPs, their PDFs rendered before the clock starts: the soak reads kept PDFs.
        self.sops = list(
            SOP.objects.filter(status=SOP.ACTIVE, is_current=True).order_by("pk").values_list("slug", flat=True)[:3]
        )
        # (what, agency): requests that answered as done (the 302 of a completion, of "number it"),
        # so should have written; one that answered otherwise is an error of its request kind already.
        self.posted = {}
        self.export_rows = {}
        self.times = {}
        self.errors = {}
        self.statuses = {}  # status of each error, by kind (0: no answer within the client's 30 s)

    def take(self, pool):
        with self.lock:
            return pool.pop() if pool else None

    def new_nik(self, agency):
        """A valid NIK (cases/nik.py) that no one of the agency holds: a birth date from 1950 on and a
        serial, numbered on from the applicants of earlier runs."""
        with self.lock:
            n = self.registered[agency]
            self.registered[agency] += 1
        born = date(1950, 1, 1) + timedelta(days=n // 9999)
        return f"{NIK_REGION[agency]}{born:%d%m%y}{n % 9999 + 1:04d}", born, n

    def count(self, what, agency):
        with self.lock:
            self.posted[(what, agency)] = self.posted.get((what, agency), 0) + 1

    def record(self, kind, elapsed_ms, status, ok):
        with self.lock:
            self.times.setdefault(kind, []).append(elapsed_ms)
        if not ok:
            self.error(kind, status)

    def error(self, kind, status):
        """An error of a request kind, without a timing sample (for one already timed as answered)."""
        with self.lock:
            self.errors[kind] = self.errors.get(kind, 0) + 1
            by_status = self.statuses.setdefault(kind, {})
            by_status[status] = by_status.get(status, 0) + 1


def actions(office, agency, desk):
    """(weight, kind, method, path-or-callable, expected statuses) for a desk."""
    cases = office.cases.get(agency) or [0]
    names = office.names[agency]
    rows = [
        (5, "inbox", "GET", lambda: "/kotak-masuk/", {200}),
        (5, "case page", "GET", lambda: f"/permohonan/{random.choice(cases)}/", {200, 404}),
        (2, "notices", "GET", lambda: "/pemberitahuan/", {200}),
        (1, "catalog", "GET", lambda: "/katalog/", {200}),
        (1, "SOP PDF (kept)", "GET", lambda: f"/katalog/{random.choice(office.sops)}.pdf", {200}),
    ]
    if desk in ("petugas", "peksos"):
        rows.append((3, "person search", "GET", lambda: f"/orang/?q={quote(random.choice(names))}", {200}))
    if desk == "petugas":
        rows.append((4, f"step completion · {agency}", "POST", "move", {302}))
        rows.append((1, "registration", "FLOW", "register", set()))
    if desk == "kadis":
        rows.append((2, f"{office.kadis_kind[agency]} · {agency}", "POST", "sign", {302}))
    if desk in ("kasi", "kabid", "sekdin", "kadis", "admin"):
        rows.append((1, f"export CSV · {agency}", "GET", lambda: "/laporan/ekspor/permohonan.csv", {200}))
    return rows


def timed(office, session, kind, method, path, expected, fields=None):
    started = time.perf_counter()
    try:
        status, body = session.request(method, path, fields)
    except (OSError, http.client.HTTPException):  # no answer, or a broken one (IncompleteRead, BadStatusLine)
        status, body = 0, b""
    ok = status in expected
    office.record(kind, (time.perf_counter() - started) * 1000, status, ok)
    return ok, body


def pause(stop_at=None):
    """A user's pause between requests; False when it ends past `stop_at` (a flow sends no more)."""
    time.sleep(random.uniform(0.5, 3.0))
    return stop_at is None or time.monotonic() < stop_at


def register(office, session, agency, stop_at):
    """The front desk registers a new applicant and opens a request, page by page as a browser does;
    a step that fails ends the flow (its error is counted), and so does the end of the run (no
    request is sent past `stop_at`; a flow so cut short counts nothing)."""
    nik, born, n = office.new_nik(agency)
    name = f"Warga Soak {agency} {n}"
    steps = [
        ("register: NIK search", f"/orang/?pilih=pemohon&q={nik}", None),
        ("register: NIK check (JSON)", f"/orang/nik/?nik={nik}", None),
        ("register: person form", f"/orang/baru/?pilih=pemohon&nik={nik}", None),
    ]
    for kind, path, _ in steps:
        if not timed(office, session, kind, "GET", path, {200})[0] or not pause(stop_at):
            return
    person = {"nik": nik, "kk_number": "", "name": name, "birth_place": "Soak", "birth_date": born.isoformat(),
              "sex": "L", "address": "Jl. Soak 1", "rt": "001", "rw": "002", "village": "Desa Soak", "district": "",
              "regency": "", "phone": "", "description": "", "found_at": "", "found_when": ""}  # fmt: skip
    ok, _ = timed(office, session, "register: new person (POST)", "POST", "/orang/baru/?pilih=pemohon", {302}, person)
    wizard = session.location
    if ok and "pemohon=" in wizard and pause(stop_at):
        open_request(office, session, agency, wizard, stop_at)


def open_request(office, session, agency, wizard, stop_at):
    """The rest of register(): the request opened for the new applicant, numbered, its receipt printed."""
    ok, page = timed(office, session, "register: request form", "GET", wizard, {200})
    if not ok:
        return
    select = re.search(rb'<select name="sop".*?</select>', page, re.S)
    choices = re.findall(rb'<option value="(\d+)"', select.group(0)) if select else []
    if not choices:
        # The form answered 200 but offers the front desk no SOP to open: an error of that page
        # (its request is timed above; no second, empty sample), and the flow ends.
        office.error("register: request form", "no SOP offered")
        return
    if not pause(stop_at):
        return
    fields = {"sop": random.choice(choices).decode(), "channel": "datang", "purpose": f"soak {agency}",
              "destination": "", "sifat": "biasa"}  # fmt: skip
    ok, _ = timed(office, session, "register: open request (POST)", "POST", wizard, {302}, fields)
    case_match = re.search(r"/permohonan/(\d+)/$", session.location)
    if not ok or not case_match or not pause(stop_at):
        return
    case = case_match.group(1)
    if not timed(office, session, "case page", "GET", f"/permohonan/{case}/", {200})[0] or not pause(stop_at):
        return
    if not timed(office, session, "register: number it (POST)", "POST", f"/permohonan/{case}/daftarkan/", {302}, {})[0]:
        return
    office.count("registration", agency)  # answered as registered: check_writes looks for its number
    if not pause(stop_at):
        return
    timed(office, session, "register: tanda terima PDF", "GET", f"/permohonan/{case}/tanda-terima.pdf", {200})


def user_loop(office, session, agency, desk, stop_at):
    from cases.models import Disposition

    rows = actions(office, agency, desk)
    weights = [row[0] for row in rows]
    while time.monotonic() < stop_at:
        _weight, kind, method, target, expected = random.choices(rows, weights)[0]
        if target == "register":
            register(office, session, agency, stop_at)
        elif target in ("move", "sign"):
            item = office.take((office.movable if target == "move" else office.signable)[agency])
            if item is None:
                continue
            fields = {"step": item[1], "note": f"soak {target}"}
            if target == "sign":  # the disposisi, when the Kadis step sends the case down
                fields["instructions"] = [Disposition.INSTRUCTIONS[0]]
            if timed(office, session, kind, method, f"/permohonan/{item[0]}/tindakan/selesai/", expected, fields)[0]:
                office.count(target, agency)  # answered 302: check_writes looks for what it wrote
        else:
            ok, body = timed(office, session, kind, method, target(), expected)
            if ok and kind.startswith("export"):
                with office.lock:
                    office.export_rows[agency] = max(office.export_rows.get(agency, 0), body.count(b"\n") - 1)
        pause()


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
        # The keys bench/seed.py set up (`signing_keys setup`), for the Kadis's signature.
        "SIGNING_KEYS_DIR": str(settings.SIGNING_KEYS_DIR),
        "SIGNING_KEY_PASSPHRASE": settings.SIGNING_KEY_PASSPHRASE,
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
        wait_for_server(PORT)
        if server.poll() is not None:
            raise SystemExit(f"gunicorn did not start on port {PORT} (in use? set SOAK_PORT)")
        office = Office()
        desks = ["petugas", "petugas", "peksos", "kasi", "kabid", "sekdin", "kadis", "admin"]
        agencies = ["lumajang", "lumajang", "solok", "palangka-raya"]
        people = []
        for n in range(users):
            agency, desk = agencies[(n // len(desks)) % len(agencies)], desks[n % len(desks)]
            session = Session(PORT)
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
        memory, task_memory = [], []
        while time.monotonic() < stop_at:
            memory.append(sum(rss_kib(pid) for pid in children(server.pid)))
            task_memory.append(tree_rss_kib(worker.pid))
            time.sleep(min(10, max(0.1, stop_at - time.monotonic())))
        # Every user ends its request or flow before the server stops (a flow sends nothing past
        # stop_at; a request waits at most the client's 30 s): no error made by the stop itself,
        # and check_writes reads a finished run.
        for thread in threads:
            thread.join()
        memory.append(sum(rss_kib(pid) for pid in children(server.pid)))
        task_memory.append(tree_rss_kib(worker.pid))
        time.sleep(5)  # the task worker's last notices
    finally:
        worker.terminate()
        server.terminate()
        server.wait(timeout=30)
        worker.wait(timeout=30)
    written = check_writes(office)
    report(office, memory, task_memory, seconds, users, written)


def check_writes(office):
    """What the database holds of the run's writes, by agency, against the requests that made them."""
    from cases.models import AuditEntry, Case, IssuedDocument

    lines, missing = [], 0
    for slug in AGENCIES:
        audit = AuditEntry.objects.filter(case__agency__slug=slug, action="step", at__gte=office.since)
        moved, kadis = audit.filter(note="soak move").count(), audit.filter(note="soak sign").count()
        letters = IssuedDocument.objects.filter(case__agency__slug=slug, issued_at__gte=office.since).count()
        registered = Case.objects.filter(agency__slug=slug, purpose=f"soak {slug}", registered_at__gte=office.since)
        registered = registered.exclude(number="").count()
        posted = {what: office.posted.get((what, slug), 0) for what in ("move", "sign", "registration")}
        refused = (posted["move"] - moved) + (posted["sign"] - kadis)
        unregistered = posted["registration"] - registered
        missing += max(0, refused) + max(0, unregistered)
        lines.append(
            f"| {slug} | {moved} of {posted['move']} | {kadis} of {posted['sign']} ({office.kadis_kind[slug]}) "
            f"| {letters} | {registered} of {posted['registration']} | {office.export_rows.get(slug, 0)} |"
        )
    return lines, missing


def flat(memory):
    """(second fifth, last fifth, peak, flat?) in KiB: the first fifth is the warm-up (each worker
    imports WeasyPrint, fills its caches), the second the baseline."""
    fifth = max(1, len(memory) // 5)
    first, last = statistics.median(memory[fifth : 2 * fifth] or memory), statistics.median(memory[-fifth:])
    return first, last, max(memory), last <= first * 1.10


def report(office, memory, task_memory, seconds, users, written):
    lines, missing = written
    total = sum(len(v) for v in office.times.values())
    errors = sum(office.errors.values()) + missing
    print(f"Soak: {seconds:.0f} s, {users} signed-in users, {total} requests, {errors} errors\n")
    print("| request | count | errors (by status; 0: no answer in 30 s) | median ms | p95 ms |")
    print("|---|---|---|---|---|")
    for kind, times in sorted(office.times.items()):
        statuses = ", ".join(f"{status}: {n}" for status, n in sorted(office.statuses.get(kind, {}).items(), key=str))
        print(
            f"| {kind} | {len(times)} | {office.errors.get(kind, 0)}{f' ({statuses})' if statuses else ''} "
            f"| {statistics.median(times):.0f} | {p95(times):.0f} |"
        )
    print("\nWritten, as the database holds it, of the requests that answered as done (one that "
          f"answered so but wrote nothing counts as an error: {missing}; one that answered otherwise "
          "is an error above, counted once):\n")  # fmt: skip
    print("| agency | step completions | Kadis steps | letters issued | registrations | rows of the largest export |")
    print("|---|---|---|---|---|---|")
    print("\n".join(lines))
    for label, samples in (("the 4 gunicorn workers", memory), ("the task worker (db_worker)", task_memory)):
        first, last, peak, steady = flat(samples)
        print(
            f"\nMemory of {label} (RSS, sampled every 10 s): second fifth {first / 1024:.0f} MiB, "
            f"last fifth {last / 1024:.0f} MiB, peak {peak / 1024:.0f} MiB: "
            f"{'flat' if steady else '**grew**'} (goal: last within 10 % of the second fifth, after the warm-up)"
        )


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else float(os.environ.get("SOAK_SECONDS", "1800")))
