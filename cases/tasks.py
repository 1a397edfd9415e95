"""Side effects run by the task worker (`manage.py db_worker`): e-mail, the overdue sweep, heavy PDFs.

An e-mail's task is enqueued once the transaction that kept the e-mail commits; the notices of a
transition are enqueued inside its transaction (`enqueue_notices`), so their task row commits with
the change it tells of or not at all; the overdue sweep is queued by cron (`notify_overdue
--queue`) and a report PDF by the page that asks for it. A task that fails is queued again with
backoff (`sop_portal.tasks.retry_later`; an e-mail by its outbox row). Each task may run twice (a
retry, or a worker killed after its work but before it wrote its result is run again, see
`requeue_stale_tasks`) and so does its work at most once: the e-mail ledger (`OutgoingMail`), the
notices' event token, the steps' overdue mark and the files it writes tell it what is already done.
"""

import datetime
import logging
import uuid

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django_tasks import TaskResultStatus, task

from cases import notifications
from sop_portal.tasks import can_defer, retry_delay, retry_later

log = logging.getLogger(__name__)


def enqueue_mail(mail_id, *, run_after=None):
    """Queue the sending of a kept e-mail; without a backend that can wait, only now (the sweep retries).

    Never raises: it runs after the transition committed, which a failed enqueue must not turn
    into an error page; the mail stays in the outbox for `send_mail_outbox`.
    """
    try:
        if run_after is not None and can_defer(deliver_mail):
            return deliver_mail.using(run_after=run_after).enqueue(mail_id)
        if run_after is None:
            return deliver_mail.enqueue(mail_id)
    except Exception:  # the queue's database or backend is down: the outbox sweep sends it later
        log.exception("E-mail %s tidak dapat dimasukkan ke antrean tugas", mail_id)
    return None


def enqueue_notices(**event):
    """Queue the notices of one event (notifications.notify_desk) in the current transaction, with a
    token that lets the task write them once however often it runs. Unlike an e-mail this is not
    left to after the commit: the task row is committed with the change it tells of, or not at all."""
    return deliver_notices.enqueue(event=uuid.uuid4().hex, **event)


@task()
def deliver_notices(attempt=1, **event):
    """Write the notices (and queue the e-mail) of one event; nothing when they are written already.
    A failure (the database busy, a deadlock) queues the task again with backoff, as an e-mail's."""
    try:
        return len(notifications.write_notices(**event))
    except Exception:
        if not retry_later(deliver_notices, attempt, f"Pemberitahuan {event.get('event')}", **event):
            raise
        return 0


@task()
def deliver_mail(mail_id):
    """Send one kept e-mail unless it is sent or being sent; after a failure queue the next try."""
    outcome = notifications.send_kept(mail_id)
    if outcome == notifications.FAILED:
        mail = notifications.OutgoingMail.objects.get(pk=mail_id)
        if mail.attempts < settings.MAIL_MAX_ATTEMPTS and mail.next_attempt_at is not None:
            enqueue_mail(mail_id, run_after=mail.next_attempt_at)
    return outcome


@task()
def sweep_outbox():
    """Queue again every kept e-mail whose next try is due (after a worker or the server was down)."""
    due = notifications.due_mail_ids(max_attempts=settings.MAIL_MAX_ATTEMPTS)
    for mail_id in due:
        deliver_mail.enqueue(mail_id)
    return len(due)


@task()
def notify_overdue(attempt=1):
    """Tell each desk, and its superior, of the steps overdue today (once a day per step), and remind
    the desks of parked cases whose outside party's answer is expected today. A failed sweep is
    queued again with backoff; a step or case already told today is not told again."""
    try:
        return notifications.notify_overdue_steps() + notifications.remind_waiting()
    except Exception:
        if not retry_later(notify_overdue, attempt, "Pemeriksaan langkah terlambat"):
            raise
        return 0


@task()
def render_report_pdf(agency_id, start, end, sop_slug, path, units=None, attempt=1):
    """Write the compliance report PDF to `path` in the default storage (skipped when it is there).
    A failed rendering is queued again with backoff."""
    from cases.report_pdf import queued_key, write_report_pdf  # noqa: PLC0415  (it imports this module)

    try:
        return write_report_pdf(
            agency_id=agency_id,
            start=datetime.date.fromisoformat(start),
            end=datetime.date.fromisoformat(end),
            sop_slug=sop_slug,
            path=path,
            units=None if units is None else frozenset(units),
        )
    except Exception:
        arguments = {"agency_id": agency_id, "start": start, "end": end, "sop_slug": sop_slug, "path": path}
        if not retry_later(render_report_pdf, attempt, f"PDF laporan {path}", **arguments, units=units):
            raise
        # The waiting page's reloads leave it to the retry instead of queuing renderings of their own.
        cache.set(queued_key(path), 1, timeout=retry_delay(attempt) + 300)
        return None


def requeue_stale(*, minutes=None):
    """Put back in the queue the tasks "running" for longer than TASK_STALE_MINUTES: their worker died.

    Safe because every task here may run twice (see the module's docstring).
    """
    from django_tasks_db.models import DBTaskResult  # noqa: PLC0415  (only with the database backend)

    minutes = settings.TASK_STALE_MINUTES if minutes is None else minutes
    before = timezone.now() - datetime.timedelta(minutes=minutes)
    stale = DBTaskResult.objects.running().filter(started_at__lt=before)
    count = stale.update(status=TaskResultStatus.READY, started_at=None)
    if count:
        log.warning("%s tugas yang workernya mati dikembalikan ke antrean", count)
    return count
