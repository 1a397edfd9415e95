"""Load on a real gunicorn (4 workers) over loopback: transitions per second, and 20 clients racing.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sop_bench .venv/bin/python bench/load.py [SECONDS]

Starts gunicorn on 127.0.0.1:8765 against the benchmark database with production settings, signs
in as the Lumajang Kasi and petugas, then (0) loads each busy page (inbox, case page, person
search by NIK and by name, tanda terima and SPM PDFs) with wrk for SECONDS/2 and reports
requests per second and latency percentiles, (1) drives step completions of different cases with wrk (Debian
package `wrk`: a C client, so that the load generator takes little of the 2 cores) for SECONDS
and reports completions per second counted in the audit trail, the latency percentiles wrk saw,
and every request that did not complete a step; (2) sends the same step completion of one case
from 20 threads at once and checks that exactly one won. Only loopback is used.
"""

import http.client
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

HOST, PORT = "127.0.0.1", 8765


class Session:
    """A browser's session: its cookies, the CSRF token sent back with each form, the last redirect."""

    def __init__(self, port=PORT):
        self.cookies = {}
        self.port = port
        self.location = ""

    def request(self, method, path, fields=None):
        connection = http.client.HTTPConnection(HOST, self.port, timeout=30)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), "Host": f"{HOST}:{self.port}"}
        body = None
        if fields is not None:
            fields = {**fields, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}
            body = urllib.parse.urlencode(fields, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://{HOST}:{self.port}{path}"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        self.location = response.getheader("Location", "")
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";")[0]
        data = response.read()
        connection.close()
        return response.status, data

    def login(self, username, password):
        self.request("GET", "/masuk/")
        status, _ = self.request("POST", "/masuk/", {"username": username, "password": password})
        if status != 302:
            raise SystemExit(f"login as {username} failed: {status}")


WRK_SCRIPT = """
-- Each wrk thread posts the step completions of its own share of the cases, in turn.
local items = {%(items)s}
local headers = {["Content-Type"] = "application/x-www-form-urlencoded", ["Cookie"] = "%(cookie)s"}
local started = 0
function setup(thread)
  thread:set("offset", started)
  started = started + 1
end
local sent = 0
function request()
  local item = items[offset + 1 + sent * %(threads)d]
  sent = sent + 1
  if item == nil then
    return wrk.format("GET", "/masuk/")
  end
  local body = "step=" .. item[2] .. "&note=bench&csrfmiddlewaretoken=%(token)s"
  return wrk.format("POST", "/permohonan/" .. item[1] .. "/tindakan/selesai/", headers, body)
end
"""


def wrk_transitions(session, movable, seconds, threads=2, connections=8):
    """Step completions under wrk; the audit trail says how many really completed.

    A refused completion also answers 302 (back to the case page with a message), so refusals are
    the requests wrk counted that left no audit row; requests still in flight when wrk stops are
    completed by the server but not counted by wrk, so the difference is floored at zero.
    """
    from django.utils import timezone

    from cases.models import AuditEntry

    cookie = "; ".join(f"{k}={v}" for k, v in session.cookies.items())
    items = ",".join(f"{{{case},{step}}}" for case, step in movable)
    script = WRK_SCRIPT % {"items": items, "cookie": cookie, "token": session.cookies["csrftoken"], "threads": threads}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    since = timezone.now()
    result = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{int(seconds)}s", "--latency", "-s", handle.name,
         f"http://{HOST}:{PORT}"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    os.unlink(handle.name)
    requests, elapsed, bad, socket, latency = parse_wrk(result.stdout)
    done = AuditEntry.objects.filter(action="step", at__gte=since, note="bench").count()
    return done / elapsed, (
        f"transitions (wrk, {threads} threads, {connections} connections): {done} completed of {requests} requests "
        f"in {elapsed:.1f} s = {done / elapsed:.0f}/s; refused: {max(0, requests - done)}; "
        f"non-2xx/3xx: {bad}; socket errors: {socket}; "
        f"latency p50 {latency.get('50')}, p90 {latency.get('90')}, p99 {latency.get('99')}"
    )


def parse_wrk(out):
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    amount, unit = re.search(r"requests in ([\d.]+)(ms|s|m)\b", out).groups()
    elapsed = float(amount) * {"ms": 0.001, "s": 1, "m": 60}[unit]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket = re.search(r"Socket errors: (.*)", out)
    latency = dict(re.findall(r"^\s+(50|90|99)%\s+(\S+)", out, re.M))
    return requests, elapsed, int(bad.group(1)) if bad else 0, socket.group(1) if socket else "none", latency


def wrk_get(session, label, path, seconds, connections=4, rates=None):
    """One page under wrk: requests per second and latency percentiles, errors counted."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        cookie = "; ".join(f"{k}={v}" for k, v in session.cookies.items())
        handle.write(f'wrk.headers["Cookie"] = "{cookie}"\n')
    result = subprocess.run(
        # --timeout 10s: wrk's default of 2 s would count a PDF queued behind three others as an error.
        ["wrk", "-t2", f"-c{connections}", f"-d{int(seconds)}s", "--timeout", "10s", "--latency", "-s", handle.name,
         f"http://{HOST}:{PORT}{path}"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    os.unlink(handle.name)
    requests, elapsed, bad, socket, latency = parse_wrk(result.stdout)
    if rates is not None:
        rates[label] = requests / elapsed
    return (
        f"| {label} | {requests / elapsed:.0f} | {latency.get('50')} | {latency.get('90')} | {latency.get('99')} "
        f"| {bad} non-2xx/3xx, socket errors: {socket} |"
    )


def wait_for_server(port=PORT):
    for _ in range(50):
        try:
            http.client.HTTPConnection(HOST, port, timeout=1).request("GET", "/masuk/")
            return
        except OSError:
            time.sleep(0.2)


def race(race_case, race_step):
    """20 signed-in clients complete the same step at once: exactly one completion may be recorded."""
    from cases.models import AuditEntry

    sessions = []
    for _ in range(20):
        session = Session()
        session.login("lumajang-petugas", "demo-sop-2026")
        sessions.append(session)
    barrier = threading.Barrier(20)
    replies = []

    def racer(session):
        barrier.wait()
        status, body = session.request("POST", f"/permohonan/{race_case}/tindakan/selesai/", {"step": race_step})
        replies.append(status)

    threads = [threading.Thread(target=racer, args=(s,)) for s in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = AuditEntry.objects.filter(case_id=race_case, action="step", step_id=race_step).count()
    return f"race of 20 clients on one step: {winners} completion recorded, HTTP statuses {sorted(set(replies))}"


def main(seconds):
    from cases import letters
    from cases.models import Case, CaseStep, IssuedDocument, Person

    if shutil.which("wrk") is None:
        raise SystemExit("wrk tidak ada: apt-get install wrk")

    # Production settings, as an office would run it (no TLS on loopback).
    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-" + "k3J9vqpZ2x8Lw0rT5yB7nM1cH4dF6gS9aQeUiOoPlKjHgFdSaZ",
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_LOG_LEVEL": "ERROR",
        "DB_CONN_MAX_AGE": "60",
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "PUBLIC_RATE_LIMIT": "100000",
        # The numbers were encrypted by bench/seed.py under this process's key: keep it.
        "DJANGO_FIELD_KEY": settings.FIELD_ENCRYPTION_KEY,
        "DJANGO_INDEX_KEY": settings.FIELD_INDEX_KEY,
    }
    subprocess.run(
        [str(ROOT / ".venv/bin/python"), "manage.py", "collectstatic", "--no-input", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "sop_portal.wsgi", "--workers", "4", "--bind", f"{HOST}:{PORT}",
         "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        wait_for_server()
        movable = list(
            CaseStep.objects.filter(status=CaseStep.CURRENT, desk="petugas", case__state=Case.AT_PETUGAS)
            .filter(case__agency__slug="lumajang")  # the agency measured (bench/seed.py)
            .exclude(sop_step__branches__isnull=False)
            .values_list("case_id", "id")[:20000]
        )
        race_case, race_step = movable.pop()
        case = Case.objects.filter(agency__slug="lumajang", state=Case.AT_KASI).order_by("id").first()
        letters.open_drafts(case)
        draft = IssuedDocument.objects.filter(case=case, status=IssuedDocument.DRAFT).first()
        person = Person.objects.filter(agency__slug="lumajang").order_by("-id").first()
        kasi, front = Session(), Session()
        kasi.login("lumajang-kasi", "demo-sop-2026")
        front.login("lumajang-petugas", "demo-sop-2026")
        quoted = urllib.parse.quote
        pages = [
            ("floor (bench/floor.py)", front, "/bench/floor/"),
            ("inbox (Kasi)", kasi, "/kotak-masuk/"),
            ("case page", kasi, f"/permohonan/{case.pk}/"),
            ("person search by NIK", front, f"/orang/?q={person.nik}"),
            ("person search by name", front, f"/orang/?q={quoted(person.name)}"),
            ("tanda terima PDF", kasi, f"/permohonan/{case.pk}/tanda-terima.pdf"),
            ("surat (SPM) PDF", kasi, f"/permohonan/{case.pk}/surat/{draft.pk}/konsep.pdf"),
        ]
        page_seconds = max(5, seconds / 2)
        print(f"Pages under wrk (2 threads, 4 connections, {page_seconds:.0f} s each):\n")
        print("| request | requests/s | p50 | p90 | p99 | errors |")
        print("|---|---|---|---|---|---|")
        rates = {}
        for label, client, path in pages:
            print(wrk_get(client, label, path, page_seconds, rates=rates), flush=True)
        print()
        session = Session()
        session.login("lumajang-petugas", "demo-sop-2026")
        profiler = None
        if os.environ.get("BENCH_PROFILE"):
            # py-spy samples every gunicorn worker during the wrk run: collapsed stacks for a flame graph.
            profiler = subprocess.Popen(
                [str(ROOT / ".venv/bin/py-spy"), "record", "--subprocesses", "--nonblocking", "-f", "raw",
                 "-d", str(int(seconds)), "-o", os.environ["BENCH_PROFILE"], "-p", str(server.pid)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
        # The floor again, with the same 8 connections as the completions: the ratio's base.
        floor_rate = {}
        wrk_get(session, "floor", "/bench/floor/", page_seconds, connections=8, rates=floor_rate)
        done_rate, line = wrk_transitions(session, movable, seconds)
        print(line)
        if profiler is not None:
            profiler.wait(timeout=60)
        share = done_rate / floor_rate["floor"]
        print(
            "\n| ratio to the floor | rate/s | floor rate/s (8 connections) | ratio | goal | met? |\n"
            "|---|---|---|---|---|---|\n"
            f"| step completions under load | {done_rate:.0f} | {floor_rate['floor']:.0f} | {share:.2f}× | ≥ 0.8× "
            f"| {'yes' if share >= 0.8 else '**no**'} |\n"
        )

        print(race(race_case, race_step))
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 20)
