"""In-app notices and e-mail to the users of a desk."""

import datetime
import logging
import re
from email.utils import make_msgid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from agencies.desks import SUPERIOR, desk_permission
from agencies.usercache import forget_unread
from cases.models import Case, CaseStep, Notification, OutgoingMail

log = logging.getLogger(__name__)


def desk_users(agency_id, desk):
    app_label, codename = desk_permission(desk).split(".")
    return (
        get_user_model()
        .objects.filter(
            agency_id=agency_id,
            is_active=True,
            groups__permissions__content_type__app_label=app_label,
            groups__permissions__codename=codename,
        )
        .distinct()
    )


def notify_desk(case, desk, message):
    """A notice for every user of the desk; an e-mail with a direct link once the transaction commits."""
    users = list(desk_users(case.agency_id, desk))
    Notification.objects.bulk_create([Notification(user=user, case=case, message=message[:300]) for user in users])
    user_ids = [user.pk for user in users]
    transaction.on_commit(lambda: forget_unread(user_ids))
    recipients = [user.email for user in users if user.email]
    if recipients:
        link = settings.SITE_URL + reverse("cases:case", args=[case.pk])
        queue_mail(
            subject=f"[SOP Portal] {message}",
            body=f"{message}\n\nBuka permohonan: {link}\n\n— SOP Portal",
            recipients=recipients,
        )
    return users


def mail_subject(text):
    """One line of at most 80 characters: a line break in a header is refused by Django (BadHeaderError)."""
    return re.sub(r"\s+", " ", text).strip()[:80]


def queue_mail(*, subject, body, recipients):
    """Keep the e-mail with the current transaction; a task sends it once that commits.

    A notice that cannot be sent (bad header, SMTP down) never undoes or hides the transition that
    caused it: the task tries again with backoff, and `manage.py send_mail_outbox` (cron) queues
    every mail whose next try is due, should a worker have been down.
    """
    mail = OutgoingMail.objects.create(
        subject=mail_subject(subject), body=body, recipients=recipients, message_id=make_msgid(domain=mail_domain())
    )
    from cases.tasks import enqueue_mail  # noqa: PLC0415  (cases.tasks imports this module)

    transaction.on_commit(lambda: enqueue_mail(mail.pk))
    return mail


def mail_domain():
    return settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "sop-portal.localhost"


SENT, FAILED, SKIPPED = "sent", "failed", "skipped"


def claim(mail_id):
    """Take the e-mail for this worker: False when it is sent, or another worker holds it."""
    now = timezone.now()
    return bool(
        OutgoingMail.objects.filter(pk=mail_id, sent_at__isnull=True)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + datetime.timedelta(seconds=settings.MAIL_CLAIM_SECONDS))
    )


def send_kept(mail_id):
    """Send one kept e-mail once: SENT, FAILED (written on the row, next try set) or SKIPPED."""
    if not claim(mail_id):
        return SKIPPED
    mail = OutgoingMail.objects.get(pk=mail_id)
    mail.attempts += 1
    message = EmailMessage(
        subject=mail_subject(mail.subject),
        body=mail.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=mail.recipients,
        headers={"Message-ID": mail.message_id} if mail.message_id else None,
    )
    try:
        message.send()
    except Exception as exc:  # any failure of the mail backend (BadHeaderError, SMTP down) waits for a retry
        from cases.tasks import retry_delay  # noqa: PLC0415  (cases.tasks imports this module)

        log.warning("E-mail pemberitahuan gagal dikirim ke %s (percobaan %s): %s", mail.recipients, mail.attempts, exc)
        mail.last_error = f"{type(exc).__name__}: {exc}"[:300]
        mail.next_attempt_at = timezone.now() + datetime.timedelta(seconds=retry_delay(mail.attempts))
        mail.claimed_until = None
        mail.save(update_fields=["attempts", "last_error", "next_attempt_at", "claimed_until"])
        return FAILED
    mail.sent_at = timezone.now()
    mail.claimed_until = None
    mail.next_attempt_at = None
    mail.save(update_fields=["attempts", "sent_at", "claimed_until", "next_attempt_at"])
    return SENT


def due_mail_ids(*, max_attempts=20):
    """Kept e-mails not sent, not being sent, whose next try is due."""
    now = timezone.now()
    return list(
        OutgoingMail.objects.filter(sent_at__isnull=True, attempts__lt=max_attempts)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .values_list("pk", flat=True)
    )


def send_outbox(*, max_attempts=20):
    """Try every due kept e-mail now, in this process; returns (sent, still waiting)."""
    sent = waiting = 0
    for mail_id in due_mail_ids(max_attempts=max_attempts):
        outcome = send_kept(mail_id)
        sent += outcome == SENT
        waiting += outcome == FAILED
    return sent, waiting


def notify_overdue_steps():
    """Tell each desk, and its superior, of its steps overdue today; each step once a day. Returns the count."""
    now = timezone.now()
    today = timezone.localdate()
    overdue = (
        CaseStep.objects.filter(status=CaseStep.CURRENT, due_at__lt=now, case__state__in=Case.OPEN_STATES)
        .exclude(case__state=Case.WAITING_EXTERNAL)
        .exclude(overdue_notified_on=today)
        .select_related("case", "sop_step")
    )
    count = 0
    for step in overdue:
        message = (
            f"Terlambat: permohonan {step.case.number}, langkah {step.label} "
            f"(batas {timezone.localtime(step.due_at):%d-%m-%Y %H.%M}) di meja {step.desk_label}."
        )
        # One step at a time: its notices, e-mails and mark commit together, so a sweep run
        # twice (or cut off halfway) tells no desk twice.
        with transaction.atomic():
            if (
                not CaseStep.objects.filter(pk=step.pk)
                .exclude(overdue_notified_on=today)
                .update(overdue_notified_on=today)
            ):
                continue
            notify_desk(step.case, step.desk, message)
            if SUPERIOR[step.desk] != step.desk:
                notify_desk(step.case, SUPERIOR[step.desk], message)
        count += 1
    return count
