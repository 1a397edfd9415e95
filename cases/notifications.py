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

from agencies import org
from agencies.desks import SUPERIOR
from agencies.usercache import forget_unread
from cases.formats import date_time
from cases.models import Case, CaseStep, Notification, OutgoingMail

log = logging.getLogger(__name__)


def shorten(text, limit):
    """At most `limit` characters, cut at a word boundary and ended with "…" when it was longer."""
    text = re.sub(r"\s+", " ", text or "").strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,.;:—-") + "…"


def notice_text(kind, case, *, step=None, actor=None, reason=""):
    """The wording of a notice per event, with the case number and service, never cut mid-word."""
    who = actor.display_name if actor is not None else ""
    head = f"{case.number} · {shorten(case.sop.name, 70)}"
    where = f"langkah {step.label} di meja {step.desk_label}" if step is not None else ""
    why = f": “{shorten(reason, 110)}”" if reason.strip() else ""
    text = {
        Notification.ARRIVED: f"{head} — masuk ke meja Anda ({where}){f' dari {who}' if who else ''}.",
        Notification.RETURNED: f"{head} — dikembalikan untuk revisi oleh {who}{why}",
        Notification.DISPOSISI: f"{head} — disposisi dari {who}{why}",
        Notification.SIGNED: f"{head} — surat sudah ditandatangani {who}; lanjutkan {where}.",
        Notification.OVERDUE: (
            f"{head} — terlambat: {where}, batas {date_time(step.due_at) if step and step.due_at else '—'}."
        ),
        Notification.REMINDER: f"{head} — hari ini perkiraan jawaban pihak luar{why}",
        Notification.TAKEN_BACK: f"{head} — ditarik kembali oleh {who} sebelum diproses di meja Anda.",
    }[kind]
    return shorten(text, 300)


def notify_desk(
    case, desk, message=None, *, kind=Notification.ARRIVED, actor=None, reason="", step=None, position=None
):
    """Tell the desk of an event: every user of the desk (for the case's unit) but the one who acted,
    or the holder of `position` when it has one (by default the position the step at that desk is
    addressed to, CaseStep.to_position). The wording is fixed now (`notice_text` without
    `message`); finding the users and writing their notices and e-mail is a task
    (`cases.tasks.deliver_notices`) enqueued in the current transaction, so it is kept with the
    change or not at all, and runs off the request's path in the worker."""
    if message is None:
        message = notice_text(kind, case, step=step, actor=actor, reason=reason)
    from cases.tasks import enqueue_notices  # noqa: PLC0415  (cases.tasks imports this module)

    enqueue_notices(
        case_id=case.pk,
        desk=desk,
        message=shorten(message, 300),
        kind=kind,
        actor_id=actor.pk if actor is not None else None,
        reason=reason,
        position_id=position.pk if position is not None else _addressed(step, desk),
    )


def _addressed(step, desk):
    return step.to_position_id if step is not None and step.desk == desk else None


def write_notices(*, event, case_id, desk, message, kind, actor_id=None, reason="", position_id=None):
    """The notices of one event (notify_desk), written once: a second run finds the event's notices.

    The recipients are the desk's users on the day the task runs; an e-mail with a direct link goes
    to those who want one per event, once the transaction commits. Returns the users told."""
    # A savepoint: run at once inside a transition (ImmediateBackend), a failure here leaves the
    # transition usable. The case's row lock makes a second run wait and then find the notices.
    with transaction.atomic():
        # Only the columns the notices and the e-mail use: the case and SOP rows are wide.
        case = (
            Case.objects.select_related("sop")
            .only("number", "agency_id", "sop__name", "sop__org_unit_id")
            .select_for_update(of=("self",))
            .filter(pk=case_id)
            .first()
        )
        if case is None or Notification.objects.filter(event=event).exists():
            return []  # the case was deleted since, or this event's notices are written
        if actor_id is not None and not get_user_model().objects.filter(pk=actor_id).exists():
            actor_id = None  # the account was deleted since: the notice names nobody
        holder = org.staffed_holder(case.agency_id, desk, position_id)  # the rule the inbox follows
        users = [holder] if holder is not None else org.desk_users_list(case.agency_id, desk, case.sop.org_unit_id)
        users = [user for user in users if user.pk != actor_id]
        Notification.objects.bulk_create(
            [
                Notification(
                    user=user, case=case, message=message, kind=kind, actor_id=actor_id, reason=reason, event=event
                )
                for user in users
            ]
        )
        user_ids = [user.pk for user in users]
        transaction.on_commit(lambda: forget_unread(user_ids))
        recipients = [user.email for user in users if user.email and not user.notice_digest]
        if recipients:
            link = settings.SITE_URL + reverse("cases:case", args=[case.pk])
            queue_mail(
                # The event first: a long service name would otherwise push it out of the 80 characters.
                subject=f"[SOP Portal] {dict(Notification.KIND_CHOICES)[kind]}: {case.number} · {case.sop.name}",
                body=f"{message}\n\nBuka permohonan: {link}\n\n— SOP Portal",
                recipients=recipients,
            )
    return users


def mail_subject(text):
    """One line of at most 80 characters: a line break in a header is refused by Django (BadHeaderError)."""
    return shorten(text, 80)


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
        # At least once: killed after the server accepted the message and before the save below,
        # the row stays unsent and is sent again, with the same Message-ID, once its claim runs out.
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


def send_digests(*, since):
    """One e-mail per user who chose the daily digest: their unread notices since `since`, grouped per case.
    Returns how many e-mails were queued."""
    users = get_user_model().objects.filter(is_active=True, notice_digest=True).exclude(email="")
    count = 0
    for user in users:
        notices = list(
            user.notifications.filter(read_at__isnull=True, created_at__gte=since)
            .select_related("case")
            .order_by("case_id", "-created_at")
        )
        if not notices:
            continue
        cases: dict[int, list] = {}
        for notice in notices:
            cases.setdefault(notice.case_id, []).append(notice)
        lines = []
        for group in cases.values():
            link = settings.SITE_URL + reverse("cases:case", args=[group[0].case_id]) + "?dari=pemberitahuan"
            lines.append(f"- {group[0].message}{f' (+{len(group) - 1} lainnya)' if len(group) > 1 else ''}\n  {link}")
        queue_mail(
            subject=f"[SOP Portal] Ringkasan pemberitahuan: {len(cases)} permohonan",
            body="Pemberitahuan yang belum dibaca sejak kemarin:\n\n" + "\n".join(lines) + "\n\n— SOP Portal",
            recipients=[user.email],
        )
        count += 1
    return count


def notify_overdue_steps():
    """Tell each desk, and its superior, of its steps overdue today; each step once a day. Returns the count."""
    now = timezone.now()
    today = timezone.localdate()
    overdue = (
        CaseStep.objects.filter(status=CaseStep.CURRENT, due_at__lt=now, case__state__in=Case.OPEN_STATES)
        .exclude(case__state=Case.WAITING_EXTERNAL)
        .exclude(overdue_notified_on=today)
        .select_related("case__sop", "sop_step")
    )
    count = 0
    for step in overdue:
        # One step at a time: its notices, e-mails and mark commit together, so a sweep run
        # twice (or cut off halfway) tells no desk twice.
        with transaction.atomic():
            if (
                not CaseStep.objects.filter(pk=step.pk)
                .exclude(overdue_notified_on=today)
                .update(overdue_notified_on=today)
            ):
                continue
            notify_desk(step.case, step.desk, kind=Notification.OVERDUE, step=step)
            if SUPERIOR[step.desk] != step.desk:
                notify_desk(step.case, SUPERIOR[step.desk], kind=Notification.OVERDUE, step=step)
        count += 1
    return count


def remind_waiting(today=None):
    """Once, on the expected date of an outside party's answer (or the first sweep after it), the desk
    holding the parked case is reminded; a parked case is never "terlambat". Returns the count."""
    today = today or timezone.localdate()
    due = Case.objects.filter(
        state=Case.WAITING_EXTERNAL, waiting_until__lte=today, waiting_reminded_on__isnull=True
    ).select_related("sop", "current_step__sop_step")
    count = 0
    for case in due:
        step = case.current_step
        if step is None:
            continue
        with transaction.atomic():
            if not Case.objects.filter(pk=case.pk, waiting_reminded_on__isnull=True).update(waiting_reminded_on=today):
                continue
            notify_desk(case, step.desk, kind=Notification.REMINDER, step=step, reason=case.waiting_for)
        count += 1
    return count
