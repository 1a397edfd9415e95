"""Load on a real gunicorn (4 workers) over loopback: transitions per second, and 20 clients racing.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sop_bench .venv/bin/python bench/load.py [SECONDS]

Starts gunicorn on 127.0.0.1:8765 against the benchmark database with production settings, signs
in as the Lumajang petugas, then (1) drives step completions of different cases with wrk (Debian
package `wrk`: a C client, so that the load generator takes little of the 2 cores) for SECONDS
and reports completions per second counted in the audit trail, the latency percentiles wrk saw,
and every request that did not complete a step; (2) sends the same step completion of one case
from 20 threads at once and checks that exactly one won. Only loopback is used.
"""

import http.client
import os
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sop_portal.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

HOST, PORT = "127.0.0.1", 8765


class Session:
    def __init__(self):
        self.cookies = {}

    def request(self, method, path, fields=None):
        connection = http.client.HTTPConnection(HOST, PORT, timeout=30)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), "Host": f"{HOST}:{PORT}"}
        body = None
        if fields is not None:
            fields = {**fields, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}
            body = urllib.parse.urlencode(fields)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://{HOST}:{PORT}{path}"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
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
    """Step completions under wrk; the audit trail says how many really completed."""
    import re
    import shutil
    import tempfile

    from django.utils import timezone

    from cases.models import AuditEntry

    if shutil.which("wrk") is None:
        raise SystemExit("wrk tidak ada: apt-get install wrk")
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
    out = result.stdout
    requests = int(re.search(r"(\d+) requests in ([\d.]+)(m?s)", out).group(1))
    elapsed = float(re.search(r"requests in ([\d.]+)(m?s)", out).group(1))
    elapsed = elapsed / 1000 if re.search(r"requests in [\d.]+ms", out) else elapsed
    done = AuditEntry.objects.filter(action="step", at__gte=since, note="bench").count()
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket = re.search(r"Socket errors: (.*)", out)
    latency = dict(re.findall(r"^\s+(50|90|99)%\s+(\S+)", out, re.M))
    return (
        f"transitions (wrk, {threads} threads, {connections} connections): {done} completed of {requests} requests "
        f"in {elapsed:.1f} s = {done / elapsed:.0f}/s; not completed: {requests - done}; "
        f"non-2xx/3xx: {bad.group(1) if bad else 0}; socket errors: {socket.group(1) if socket else 'none'}; "
        f"latency p50 {latency.get('50')}, p90 {latency.get('90')}, p99 {latency.get('99')}"
    )


def main(seconds):
    from cases.models import AuditEntry, Case, CaseStep

    # Production settings, as an office would run it (no TLS on loopback).
    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-" + "k3J9vqpZ2x8Lw0rT5yB7nM1cH4dF6gS9aQeUiOoPlKjHgFdSaZ",
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_LOG_LEVEL": "ERROR",
        "DB_CONN_MAX_AGE": "60",
        # The numbers were encrypted by bench/seed.py under this process's key: keep it.
        "DJANGO_FIELD_KEY": settings.FIELD_ENCRYPTION_KEY or settings.SECRET_KEY,
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
        for _ in range(50):
            try:
                http.client.HTTPConnection(HOST, PORT, timeout=1).request("GET", "/masuk/")
                break
            except OSError:
                time.sleep(0.2)
        movable = list(
            CaseStep.objects.filter(status=CaseStep.CURRENT, desk="petugas", case__state=Case.AT_PETUGAS)
            .exclude(sop_step__branches__isnull=False)
            .values_list("case_id", "id")[:20000]
        )
        race_case, race_step = movable.pop()
        session = Session()
        session.login("lumajang-petugas", "demo-sop-2026")
        print(wrk_transitions(session, movable, seconds))

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
        print(f"race of 20 clients on one step: {winners} completion recorded, HTTP statuses {sorted(set(replies))}")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 20)
