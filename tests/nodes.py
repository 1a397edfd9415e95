"""App nodes for tests that need more than one process: gunicorn instances sharing a database,
a cache folder and a media folder, as on two machines (tests/agencies/test_usercache.py,
tests/test_two_nodes.py).

`python -m tests.nodes COMMAND ...` runs one step in a process of its own, with the nodes'
environment: `setup`, `world COUNT` (the two-node test's database, printed as JSON), `session
USERNAME` (prints a session cookie value), `revoke USERNAME DESK`, `deactivate USERNAME`.

The nodes run the production settings with DJANGO_DEBUG=1, so the second factor (DJANGO_REQUIRE_2FA)
is off there: a Kepala Dinas or an admin signs in with the password alone.
"""

import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from typing import NamedTuple

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


def query(database_url, sql, *params):
    """The rows of one SQL statement on the nodes' database, read from the test's own process
    (a step in a process of its own costs a Django start-up)."""
    import psycopg

    with psycopg.connect(database_url.replace("postgres://", "postgresql://", 1), autocommit=True) as connection:
        return connection.execute(sql, params).fetchall()


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


class Login(NamedTuple):
    session: str
    csrf: str


def cookies_of(headers):
    cookies = SimpleCookie()
    for value in headers.get_all("Set-Cookie") or []:
        cookies.load(value)
    return {name: morsel.value for name, morsel in cookies.items()}


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

    def request(self, path, *, session, data=None, csrf=None, raw=False):
        """(status, body, headers) of GET (or POST `data`) `path` as the session; redirects not
        followed. The body is text, or its bytes with `raw`."""
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
            response = opener.open(request, timeout=60)
        except urllib.error.HTTPError as error:
            response = error
        with response:
            body = response.read()
            return response.status, body if raw else body.decode("utf-8", "replace"), response.headers

    def csrf_token(self, session):
        _status, _body, headers = self.request("/", session=session)
        return cookies_of(headers).get("csrftoken")

    def login(self, username, password=None):
        """Sign in as a browser does: the login page's CSRF cookie and form token, then the form
        posted. The session cookie and the (rotated) CSRF token it answers with."""
        if password is None:
            from agencies.services import DEMO_PASSWORD as password

        opener = urllib.request.build_opener(NoRedirect)
        with opener.open(urllib.request.Request(self.url + "/masuk/", headers={"Host": "127.0.0.1"})) as page:
            csrf = cookies_of(page.headers)["csrftoken"]
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.read().decode()).group(1)
        form = {"csrfmiddlewaretoken": token, "username": username, "password": password, "next": ""}
        request = urllib.request.Request(
            self.url + "/masuk/",
            data=urllib.parse.urlencode(form).encode(),
            headers={"Host": "127.0.0.1", "Cookie": f"csrftoken={csrf}"},
        )
        try:
            response = opener.open(request, timeout=60)
        except urllib.error.HTTPError as error:  # a redirect, unfollowed, arrives as an "error"
            response = error
        with response:
            status, cookies = response.status, cookies_of(response.headers)
        if status != 302 or "sessionid" not in cookies:
            raise AssertionError(f"login as {username} on node {self.name}: {status}, no session")
        return Login(cookies["sessionid"], cookies.get("csrftoken", csrf))

    def submit(self, path, login, form_id, changes):
        """GET `path`, take the fields of its form `form_id` as a browser would send them, change
        `changes` and POST the form back; (status, body, headers) of the answer."""
        _status, page, _headers = self.request(path, session=login.session, csrf=login.csrf)
        fields = form_fields(page, form_id)
        missing = set(changes) - {name for name, _value in fields}
        if missing:
            raise AssertionError(f"form {form_id} of {path} has no field {sorted(missing)}")
        data = [(name, changes.get(name, value)) for name, value in fields]
        return self.request(path, session=login.session, csrf=login.csrf, data=data)


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


class FormFields(HTMLParser):
    """The name and value pairs a browser posts for the form with id `form_id`."""

    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id, self.inside, self.fields = form_id, False, []
        self.select = self.options = self.textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        if not self.inside or ("name" not in attrs and tag != "option") or "disabled" in attrs:
            return
        kind = attrs.get("type", "text")
        if tag == "input" and kind not in ("submit", "button", "image", "reset", "file"):
            if kind not in ("checkbox", "radio") or "checked" in attrs:
                self.fields.append((attrs["name"], attrs.get("value", "on" if kind in ("checkbox", "radio") else "")))
        elif tag == "select":
            self.select, self.options = attrs, []
        elif tag == "option" and self.select is not None:
            self.options.append((attrs.get("value", ""), "selected" in attrs))
        elif tag == "textarea":
            self.textarea = (attrs["name"], [])

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1].append(data)

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select" and self.select is not None:
            chosen = [value for value, selected in self.options if selected]
            if not chosen and self.options and "multiple" not in self.select:
                chosen = [self.options[0][0]]
            self.fields += [(self.select["name"], value) for value in chosen]
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            self.fields.append((self.textarea[0], "".join(self.textarea[1]).removeprefix("\n")))
            self.textarea = None


def form_fields(page, form_id):
    parser = FormFields(form_id)
    parser.feed(page)
    if not parser.fields:
        raise AssertionError(f"no form {form_id} with fields on the page")
    return parser.fields


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


# Steps run in their own process (python -m tests.nodes ...).


def _setup():
    from django.core.management import call_command
    from django.test import override_settings

    call_command("migrate", verbosity=0)
    call_command("load_agencies", verbosity=0)
    # The nodes' sessions are made by `session`, or from a password only for the few users `world`
    # gives the production hasher: hash the demo passwords fast (the production hasher spends ~15 s
    # on the 34 demo users).
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


# The two-node test's accounts that sign in with a password, on a node's login page.
LOGINS = ("lumajang-petugas", "lumajang-kasi", "lumajang-kadis", "lumajang-admin")


def _world(letters):
    """The two-node test's database, made before the nodes start: the agencies, their users (those
    of LOGINS with the production hasher, for a real login), the catalog; one registered SPM case of
    Lumajang walked to its last step at the petugas desk, and `letters` walked to the Kepala Dinas.
    Prints JSON: the case, its step and the next step's desk; the letters' case and step; the Kasi's
    holding and its position."""
    from agencies.models import Official, User
    from agencies.services import DEMO_PASSWORD
    from cases import workflow
    from cases.models import Case
    from tests.factories import CaseFactory, PersonFactory

    _setup()
    _catalog()
    for user in User.objects.filter(username__in=LOGINS):
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    users = {user.username: user for user in User.objects.filter(agency__slug="lumajang")}

    def walk(case, until):
        while not until(case := Case.objects.get(pk=case.pk)):
            step = case.current_step
            workflow.complete_step(
                case=case, user=users[f"lumajang-{step.desk}"], step_id=step.pk, branch=_branch(step)
            )
        return case

    def last_at_its_desk(case):
        step = case.current_step
        return case.steps.get(position=step.position + 1).desk != step.desk

    PersonFactory.reset_sequence(100)
    moving = walk(CaseFactory(registered=True, purpose="Uji dua node"), last_at_its_desk)
    step = moving.current_step
    at_kadis = [
        walk(CaseFactory(registered=True, purpose=f"Uji paralel {n}"), lambda case: case.state == Case.AT_KADIS)
        for n in range(int(letters))
    ]
    world = {
        "case": moving.pk,
        "number": moving.number,
        "step": step.pk,
        "branch": _branch(step),
        "next_desk": moving.steps.get(position=step.position + 1).desk,
        "letters": [[case.pk, case.current_step_id] for case in at_kadis],
    }
    holding = Official.objects.get(user__username="lumajang-kasi")
    world.update(kasi_holding=holding.pk, kasi_position=holding.position_id)
    print(json.dumps(world))


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
    "session": _session,
    "revoke": _revoke,
    "deactivate": _deactivate,
    "world": _world,
}

if __name__ == "__main__":
    import django

    django.setup()
    STEPS[sys.argv[1]](*sys.argv[2:])
