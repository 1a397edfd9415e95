"""Load on a real gunicorn (4 workers) over loopback: transitions per second, and 20 clients racing.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sop_bench .venv/bin/python bench/load.py [SECONDS]

Starts gunicorn on 127.0.0.1:8765 against the benchmark database, signs in as the Lumajang
petugas, then (1) for SECONDS completes petugas steps of different cases from 8 client threads
and reports transitions per second and errors, and (2) sends the same step completion of one
case from 20 threads at once and checks that exactly one won. Only loopback is used; the loops
are bounded in count and time.
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
        queue = iter(movable)
        lock = threading.Lock()
        done, errors = [0], []
        deadline = time.monotonic() + seconds

        def worker():
            session = Session()
            session.login("lumajang-petugas", "demo-sop-2026")
            while time.monotonic() < deadline:
                with lock:
                    item = next(queue, None)
                if item is None:
                    return
                status, _ = session.request("POST", f"/permohonan/{item[0]}/tindakan/selesai/", {"step": item[1]})
                with lock:
                    if status == 302:
                        done[0] += 1
                    else:
                        errors.append(status)

        started = time.monotonic()
        threads = [threading.Thread(target=worker) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        print(f"transitions: {done[0]} in {elapsed:.1f} s = {done[0] / elapsed:.0f}/s, errors: {len(errors)}")

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
