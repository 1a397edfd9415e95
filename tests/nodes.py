"""App nodes for tests that need more than one process: gunicorn instances sharing a database,
a cache folder and a media folder, as on two machines (tests/agencies/test_usercache.py,
tests/test_two_nodes.py).

`python -m tests.nodes COMMAND ...` runs one step in a process of its own, with the nodes'
environment: `setup`, `session USERNAME` (prints a session cookie value), `revoke USERNAME DESK`,
`deactivate USERNAME`.
"""

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


@contextlib.contextmanager
def fresh_postgres(suffix):
    """A new, empty PostgreSQL database beside the test database (`<test db>_<suffix>`, so each
    xdist worker has its own), dropped afterwards; yields its URL for node_env. The nodes share it
    as app servers on several machines share one."""
    import psycopg
    from django.conf import settings

    database = settings.DATABASES["default"]
    name = f"{database['NAME']}_{suffix}"[:60]
    host, port = database["HOST"] or "127.0.0.1", database["PORT"] or 5432
    admin = f"host={host} port={port} user={database['USER']} dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgres://{database['USER']}@{host}:{port}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def node_env(folder, database_url):
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "PYTEST_", "DATABASE_URL"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="sop_portal.settings",
        DJANGO_DEBUG="1",
        DATABASE_URL=database_url,
        DJANGO_CACHE="file",
        DJANGO_CACHE_DIR=str(folder / "cache"),
        DJANGO_MEDIA_ROOT=str(folder / "media"),
        DJANGO_SOP_PDF_DIR=str(folder / "sop-pdf"),
        DJANGO_SOP_PDF_PRERENDER="0",
        DJANGO_LOG_LEVEL="ERROR",
        # The nodes sign with the agencies' own keys (made by `setup`), kept in one shared folder.
        SIGNING_KEYS_DIR=str(folder / "keys"),
        DOCUMENT_SIGNER="local",
        PYTHONPATH=str(ROOT),
    )
    return env


def run_step(env, *args, timeout=300):
    """Run `python -m tests.nodes ARGS` with the nodes' environment; its standard output."""
    done = subprocess.run(
        [PYTHON, "-m", "tests.nodes", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if done.returncode != 0:
        raise AssertionError(f"tests.nodes {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout.strip()


class Node:
    """One gunicorn instance on a loopback port."""

    def __init__(self, env, name, workers=1):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.name = name
        self.log = open(Path(env["DJANGO_CACHE_DIR"]).parent / f"{name}.log", "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "gunicorn",
                "sop_portal.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--timeout",
                "120",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"node {self.name} stopped: see {self.log.name}")
            try:
                with urllib.request.urlopen(self.url + "/masuk/", timeout=5):
                    return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.3)
        raise AssertionError(f"node {self.name} did not start in {timeout} s")

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()

    def request(self, path, *, session, data=None, csrf=None):
        """(status, body, headers) of GET (or POST `data`) `path` as the session; redirects not followed."""
        cookie = f"sessionid={session}"
        headers = {"Host": "127.0.0.1"}
        if csrf:
            cookie += f"; csrftoken={csrf}"
            headers.update({"X-CSRFToken": csrf, "Referer": self.url + "/"})
        headers["Cookie"] = cookie
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.url + path, data=body, headers=headers)
        opener = urllib.request.build_opener(NoRedirect)
        try:
            with opener.open(request, timeout=60) as response:
                return response.status, response.read().decode("utf-8", "replace"), response.headers
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace"), error.headers

    def csrf_token(self, session):
        _status, _body, headers = self.request("/", session=session)
        cookies = SimpleCookie()
        for value in headers.get_all("Set-Cookie") or []:
            cookies.load(value)
        return cookies["csrftoken"].value if "csrftoken" in cookies else None


class Worker:
    """`manage.py db_worker` beside the nodes."""

    def __init__(self, env):
        self.log = open(Path(env["DJANGO_CACHE_DIR"]).parent / "worker.log", "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [PYTHON, "manage.py", "db_worker", "--no-reload", "--interval", "0.2", "--no-startup-delay"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


# Steps run in their own process (python -m tests.nodes ...).


def _setup():
    from django.core.management import call_command
    from django.test import override_settings

    call_command("migrate", verbosity=0)
    call_command("load_agencies", verbosity=0)
    # The nodes' sessions are made by `session`, never from a password: hash the demo passwords fast
    # (the production hasher spends ~15 s on the 21 demo users).
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        call_command("create_demo_users", verbosity=0)
    call_command("signing_keys", "setup", verbosity=0)


def _session(username):
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from agencies.models import User

    user = User.objects.get(username=username)
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    print(store.session_key)


def _revoke(username, desk):
    import datetime

    from django.contrib.auth.models import Group
    from django.utils import timezone

    from agencies.models import Official, User

    user = User.objects.get(username=username)
    user.groups.remove(Group.objects.get(name=desk))
    # A jabatan desk comes from the position: the holding ends yesterday (through save(), as the admin).
    for holding in Official.objects.filter(user=user, position__desk=desk):
        holding.end = timezone.localdate() - datetime.timedelta(days=1)
        holding.save()


def _deactivate(username):
    from agencies.models import User

    user = User.objects.get(username=username)
    user.is_active = False
    user.save()


def _catalog():
    from django.core.management import call_command

    from agencies.models import User

    call_command("load_sops", verbosity=0)
    call_command("load_letters", verbosity=0)
    User.objects.filter(agency__slug="lumajang").update(email="meja@dinsos.example.go.id")


def _branch(step):
    return "Ya" if step.sop_step.branches.exists() else ""


def _registered():
    """A new registered SPM case of Lumajang: prints its pk, current step pk, desk and branch."""
    from tests.factories import CaseFactory, PersonFactory

    PersonFactory.reset_sequence(9000)  # NIK serials apart from _at_kadis's (each step is a new process)
    case = CaseFactory(registered=True, purpose="Uji dua node")
    step = case.current_step
    print(case.pk, step.pk, step.desk, _branch(step) or "-")


def _at_kadis(count):
    """`count` new SPM cases walked to the Kepala Dinas: prints "pk step_pk" a line."""
    from agencies.models import User
    from cases import workflow
    from cases.models import Case
    from tests.factories import CaseFactory, PersonFactory

    PersonFactory.reset_sequence(100)
    users = {user.username: user for user in User.objects.filter(agency__slug="lumajang")}
    for n in range(int(count)):
        case = CaseFactory(registered=True, purpose=f"Uji paralel {n}")
        while (case := Case.objects.get(pk=case.pk)).state != Case.AT_KADIS:
            step = case.current_step
            workflow.complete_step(
                case=case, user=users[f"lumajang-{step.desk}"], step_id=step.pk, branch=_branch(step)
            )
        print(case.pk, case.current_step_id)


def _numbers():
    from cases.models import IssuedDocument

    for number in IssuedDocument.objects.exclude(number="").values_list("number", flat=True):
        print(number)


def _unsent():
    """Kept e-mails, and those not sent yet or not even written (their notice task still queued or running)."""
    from django_tasks_db.models import DBTaskResult

    from cases.models import OutgoingMail

    pending = DBTaskResult.objects.filter(task_path="cases.tasks.deliver_notices", status__in=["READY", "RUNNING"])
    print(OutgoingMail.objects.count(), OutgoingMail.objects.filter(sent_at__isnull=True).count() + pending.count())


def _mail():
    """Keep one e-mail as a transition does (its task is queued on commit); prints its pk."""
    from django.db import transaction

    from cases.notifications import queue_mail

    with transaction.atomic():
        kept = queue_mail(subject="Uji worker mati", body="isi", recipients=["kasi@dinsos.example.go.id"])
    print(kept.pk)


def _mail_state(pk):
    from cases.models import OutgoingMail

    kept = OutgoingMail.objects.get(pk=pk)
    print(kept.message_id, "sent" if kept.sent_at else "unsent", kept.attempts)


STEPS = {
    "mail": _mail,
    "mail_state": _mail_state,
    "setup": _setup,
    "catalog": _catalog,
    "session": _session,
    "revoke": _revoke,
    "deactivate": _deactivate,
    "registered": _registered,
    "at_kadis": _at_kadis,
    "numbers": _numbers,
    "unsent": _unsent,
}

if __name__ == "__main__":
    import django

    django.setup()
    STEPS[sys.argv[1]](*sys.argv[2:])
