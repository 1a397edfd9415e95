"""Side effects in the task worker: no notice lost while the mail server is down, none sent twice."""

import datetime
import email
import io
import socket
from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command
from django.db import OperationalError
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from pypdf import PdfReader

from agencies.models import User
from cases import documents, notifications, report_pdf, tasks
from cases.models import Case, CaseStep, Notification, OutgoingMail
from sop_catalog import printing
from sop_catalog.models import SOP, Step
from tests.conftest import give_all_documents

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


class FlakySMTPHandler:
    """A mail server that answers "try again later" to the first `failures` messages."""

    def __init__(self, failures):
        self.failures = failures
        self.refused = 0
        self.received = []

    async def handle_DATA(self, server, session, envelope):
        if self.failures > 0:
            self.failures -= 1
            self.refused += 1
            return "451 4.3.0 Coba lagi nanti"
        self.received.append(email.message_from_bytes(envelope.content))
        return "250 OK"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    handler = FlakySMTPHandler(failures=3)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield handler
    controller.stop()


@pytest.fixture
def db_tasks(settings):
    """Tasks kept in the database and run by `db_worker`, as in production."""
    settings.TASKS = DB_TASKS


def run_worker():
    """`manage.py db_worker --batch`: every ready task, until none is left."""
    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    ).run()


@pytest.fixture
def mailboxes(demo_users):
    User.objects.filter(agency__slug="lumajang").update(email="meja@dinsos.example.go.id")


def test_a_mail_server_down_three_times_loses_no_notice_and_sends_none_twice(
    transactional_db, registered, walk, demo_users, mailboxes, smtp_server, db_tasks
):
    give_all_documents(registered, demo_users["lumajang-petugas"])
    walk(walk(registered), branch="Ya")  # two transitions: the Kasi desk is told
    for number in range(3):
        notifications.queue_mail(subject=f"Uji {number}", body="isi", recipients=["kasi@dinsos.example.go.id"])
    # The transitions queued their notices; the worker writes them and queues their e-mail.
    assert DBTaskResult.objects.filter(task_path="cases.tasks.deliver_notices").count() >= 1
    assert (
        OutgoingMail.objects.count() == DBTaskResult.objects.filter(task_path="cases.tasks.deliver_mail").count() == 3
    )

    run_worker()

    kept = set(OutgoingMail.objects.values_list("message_id", flat=True))
    assert len(kept) >= 4 and Notification.objects.filter(user=demo_users["lumajang-kasi"]).exists()
    assert smtp_server.refused == 3
    delivered = [message["Message-ID"] for message in smtp_server.received]
    assert sorted(delivered) == sorted(kept)
    assert not OutgoingMail.objects.filter(sent_at__isnull=True).exists()
    assert sum(OutgoingMail.objects.values_list("attempts", flat=True)) == len(kept) + 3
    # Run again (a requeued task, a second worker): nothing more is sent.
    for mail_id in OutgoingMail.objects.values_list("pk", flat=True):
        tasks.deliver_mail.enqueue(mail_id)
    run_worker()
    assert len(smtp_server.received) == len(kept)


def test_a_notice_that_fails_to_be_written_is_tried_again_and_written_once(
    transactional_db, registered, walk, demo_users, db_tasks, monkeypatch
):
    real, tries = notifications.write_notices, []

    def busy_once(**event):
        tries.append(event["event"])
        if len(tries) == 1:
            raise OperationalError("database is locked")
        return real(**event)

    monkeypatch.setattr(notifications, "write_notices", busy_once)
    give_all_documents(registered, demo_users["lumajang-petugas"])
    walk(walk(registered), branch="Ya")  # two transitions: the Kasi desk is told

    run_worker()

    assert tries.count(tries[0]) == 2  # the failed event, tried again
    assert DBTaskResult.objects.filter(task_path="cases.tasks.deliver_notices", args_kwargs__kwargs__attempt=2).exists()
    assert Notification.objects.filter(case=registered, user=demo_users["lumajang-kasi"]).count() == 1


def test_a_failed_send_is_queued_again_with_backoff(transactional_db, settings, smtp_server, db_tasks):
    settings.MAIL_RETRY_SECONDS = 30
    kept = notifications.queue_mail(subject="Uji", body="isi", recipients=["kasi@dinsos.example.go.id"])

    run_worker()  # the first try fails; the next waits 30 s, so the batch ends

    kept.refresh_from_db()
    assert kept.sent_at is None and kept.attempts == 1 and "451" in kept.last_error
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.run_after >= kept.next_attempt_at - datetime.timedelta(seconds=1)
    assert kept.next_attempt_at - timezone.now() > datetime.timedelta(seconds=25)
    assert tasks.retry_delay(1) == 30 and tasks.retry_delay(2) == 60 and tasks.retry_delay(30) == 3600


def test_a_task_run_twice_sends_one_email(db, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    kept = OutgoingMail.objects.create(subject="Uji", body="isi", recipients=["a@example.go.id"], message_id="<x@y>")

    first, second = tasks.deliver_mail.call(kept.pk), tasks.deliver_mail.call(kept.pk)

    assert (first, second) == (notifications.SENT, notifications.SKIPPED)
    assert len(mail.outbox) == 1 and mail.outbox[0].extra_headers["Message-ID"] == "<x@y>"


def test_a_mail_claimed_by_a_live_worker_is_not_sent_by_another(db):
    kept = OutgoingMail.objects.create(subject="Uji", body="isi", recipients=["a@example.go.id"])

    assert notifications.claim(kept.pk) is True
    assert notifications.claim(kept.pk) is False
    assert notifications.send_kept(kept.pk) == notifications.SKIPPED
    assert kept.pk not in notifications.due_mail_ids()


def test_a_worker_killed_mid_task_loses_nothing(transactional_db, settings, db_tasks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    kept = notifications.queue_mail(subject="Uji", body="isi", recipients=["a@example.go.id"])
    # A worker took the task, claimed the mail and was killed (kill -9) before it could send it.
    task = DBTaskResult.objects.get()
    task.claim("killed-worker")
    DBTaskResult.objects.filter(pk=task.pk).update(started_at=timezone.now() - datetime.timedelta(minutes=20))
    OutgoingMail.objects.filter(pk=kept.pk).update(claimed_until=timezone.now() - datetime.timedelta(seconds=1))

    run_worker()
    assert mail.outbox == []  # still "running": no live worker takes it

    call_command("requeue_stale_tasks")
    run_worker()

    kept.refresh_from_db()
    assert kept.sent_at is not None and len(mail.outbox) == 1
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    assert DBTaskResult.objects.get().worker_ids == ["killed-worker", "test-worker"]


def test_a_task_running_for_less_than_the_limit_is_left_alone(transactional_db, db_tasks):
    notifications.queue_mail(subject="Uji", body="isi", recipients=["a@example.go.id"])
    DBTaskResult.objects.get().claim("live-worker")

    call_command("requeue_stale_tasks")

    assert DBTaskResult.objects.get().status == "RUNNING"


def test_the_overdue_sweep_runs_in_the_worker_once_a_day(
    transactional_db, registered, demo_users, mailboxes, settings, db_tasks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    CaseStep.objects.filter(case=registered, status=CaseStep.CURRENT).update(
        due_at=timezone.now() - datetime.timedelta(days=2)
    )
    assert Case.objects.get(pk=registered.pk).state in Case.OPEN_STATES

    call_command("notify_overdue", "--queue")
    call_command("notify_overdue", "--queue")
    run_worker()

    notices = Notification.objects.filter(kind=Notification.OVERDUE)
    assert notices.filter(user=demo_users["lumajang-petugas"]).count() == 1
    assert notices.filter(user=demo_users["lumajang-kasi"]).count() == 1
    assert len(mail.outbox) == OutgoingMail.objects.count() >= 2
    assert all(message.subject.startswith("[SOP Portal] Terlambat: LMJ/") for message in mail.outbox)


def test_the_report_pdf_is_rendered_by_the_worker_once(transactional_db, client, demo_users, db_tasks):
    client.force_login(demo_users["lumajang-kadis"])

    waiting = client.get("/laporan/mutu-baku.pdf")
    again = client.get("/laporan/mutu-baku.pdf")
    assert waiting.status_code == again.status_code == 202
    assert 'http-equiv="refresh"' in waiting.content.decode()
    assert DBTaskResult.objects.count() == 1  # one rendering queued, however often the page reloads

    run_worker()
    ready = client.get("/laporan/mutu-baku.pdf")

    assert ready.status_code == 200 and ready["Content-Type"] == "application/pdf"
    assert ready.content.startswith(b"%PDF")
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


def failing_once(monkeypatch, owner, name, error):
    """Make `owner.name` raise `error` on its first call only; the list of its calls."""
    real, calls = getattr(owner, name), []

    def once(*args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            raise error
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, once)
    return calls


def the_retry(task_path):
    """The second run of the task, queued by the first that failed, and that first run."""
    runs = {
        run.args_kwargs["kwargs"].get("attempt", 1): run for run in DBTaskResult.objects.filter(task_path=task_path)
    }
    assert sorted(runs) == [1, 2]
    return runs[2], runs[1]


def test_an_overdue_sweep_that_fails_once_is_tried_again_and_tells_each_desk_once(
    transactional_db, registered, demo_users, settings, db_tasks, monkeypatch
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    CaseStep.objects.filter(case=registered, status=CaseStep.CURRENT).update(
        due_at=timezone.now() - datetime.timedelta(days=2)
    )
    calls = failing_once(monkeypatch, notifications, "notify_overdue_steps", OperationalError("database is locked"))

    call_command("notify_overdue", "--queue")
    run_worker()  # the first run fails and queues the next (MAIL_RETRY_SECONDS is 0 here): both run

    assert len(calls) == 2
    retry, first = the_retry("cases.tasks.notify_overdue")
    assert first.status == retry.status == "SUCCESSFUL" and retry.return_value == 1  # one step overdue
    notices = Notification.objects.filter(kind=Notification.OVERDUE)
    assert notices.filter(user=demo_users["lumajang-petugas"]).count() == 1
    assert notices.filter(user=demo_users["lumajang-kasi"]).count() == 1


def test_a_sweep_failing_at_every_try_stops_after_the_last_attempt(transactional_db, settings, db_tasks, monkeypatch):
    settings.MAIL_MAX_ATTEMPTS = 3

    def broken():
        raise OperationalError("database is down")

    monkeypatch.setattr(notifications, "notify_overdue_steps", broken)
    tasks.notify_overdue.enqueue()
    run_worker()

    runs = DBTaskResult.objects.filter(task_path="cases.tasks.notify_overdue")
    assert sorted(runs.values_list("status", flat=True)) == ["FAILED", "SUCCESSFUL", "SUCCESSFUL"]
    assert runs.get(status="FAILED").args_kwargs["kwargs"] == {"attempt": 3}


def test_a_report_pdf_that_fails_to_render_once_is_rendered_by_the_retry(
    transactional_db, client, demo_users, db_tasks, monkeypatch
):
    calls = failing_once(monkeypatch, documents, "render_pdf", OSError(28, "No space left on device"))
    client.force_login(demo_users["lumajang-kadis"])
    assert client.get("/laporan/mutu-baku.pdf").status_code == 202

    run_worker()

    assert len(calls) == 2
    retry, first = the_retry("cases.tasks.render_report_pdf")
    assert first.status == retry.status == "SUCCESSFUL" and retry.return_value.startswith(f"{report_pdf.FOLDER}/")
    ready = client.get("/laporan/mutu-baku.pdf")
    assert ready.status_code == 200 and ready["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(ready.getvalue())).pages[0].extract_text()
    assert "LAPORAN MONITORING DAN EVALUASI MUTU BAKU SOP" in text and "KABUPATEN LUMAJANG" in text


def test_a_report_pdf_waiting_for_its_retry_is_not_queued_again_by_the_page(
    transactional_db, client, demo_users, db_tasks, settings, monkeypatch
):
    settings.MAIL_RETRY_SECONDS = 30
    failing_once(monkeypatch, documents, "render_pdf", OSError(28, "No space left on device"))
    client.force_login(demo_users["lumajang-kadis"])
    client.get("/laporan/mutu-baku.pdf")

    run_worker()  # the first try fails; the retry waits 30 s, so the batch ends
    assert client.get("/laporan/mutu-baku.pdf").status_code == 202

    assert DBTaskResult.objects.filter(status="READY").count() == 1  # the retry, and no rendering of the reload
    assert DBTaskResult.objects.get(status="READY").args_kwargs["kwargs"]["attempt"] == 2


def test_a_sop_pdf_that_fails_to_render_once_is_rendered_by_the_retry(
    transactional_db, sample_sop, settings, db_tasks, monkeypatch
):
    settings.SOP_PDF_PRERENDER = True
    cache.clear()  # no "already queued" mark left by another test's save
    calls = failing_once(monkeypatch, printing, "render_sop_pdf", OSError(28, "No space left on device"))
    Step.objects.filter(flow__sop=sample_sop).order_by("no").first().save()  # queues the rendering on commit

    run_worker()

    assert [args[0].pk for args in calls] == [sample_sop.pk, sample_sop.pk]
    retry, first = the_retry("sop_catalog.tasks.render_sop_pdf")
    assert (first.return_value, retry.return_value) == (False, True) and retry.status == "SUCCESSFUL"
    kept = printing._cache_path(SOP.objects.get(pk=sample_sop.pk))
    assert "400.9/IV/1.03/2026" in PdfReader(kept).pages[0].extract_text()


def test_a_queue_that_is_down_never_fails_the_committed_transition(
    transactional_db, client, registered, walk, demo_users, mailboxes, monkeypatch
):
    def down(*args, **kwargs):
        raise ConnectionError("antrean mati")

    monkeypatch.setattr(tasks, "deliver_mail", SimpleNamespace(enqueue=down, backend="default"))
    client.force_login(demo_users["lumajang-petugas"])
    give_all_documents(registered, demo_users["lumajang-petugas"])
    case = walk(registered)  # at the petugas step whose completion tells the Kasi desk

    response = client.post(f"/permohonan/{case.pk}/tindakan/selesai/", {"step": case.current_step_id, "branch": "Ya"})

    assert response.status_code == 302
    assert CaseStep.objects.get(case=case, position=2).status == CaseStep.DONE
    assert OutgoingMail.objects.filter(sent_at__isnull=True).exists()  # kept for send_mail_outbox
