"""In-app notices and e-mail to the users of a desk."""

import logging
import re

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from agencies.desks import desk_permission
from cases.models import Notification, OutgoingMail

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


def shorten(text, limit):
    """At most `limit` characters, cut at a word boundary and ended with "…" when it was longer."""
    text = re.sub(r"\s+", " ", text or "").strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,.;:—-") + "…"


def local_time(value):
    """The one date format of notices and pages: "2 Desember 2026 14.00" in the agency's local time."""
    with translation.override("id"):
        return date_format(timezone.localtime(value), "j F Y H.i")


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
            f"{head} — terlambat: {where}, batas {local_time(step.due_at) if step and step.due_at else '—'}."
        ),
        Notification.REMINDER: f"{head} — hari ini perkiraan jawaban pihak luar{why}",
        Notification.TAKEN_BACK: f"{head} — ditarik kembali oleh {who} sebelum diproses di meja Anda.",
    }[kind]
    return shorten(text, 300)


def notify_desk(case, desk, message=None, *, kind=Notification.ARRIVED, actor=None, reason="", step=None):
    """A notice for every user of the desk but the one who acted; an e-mail with a direct link once the
    transaction commits. Without `message` the wording is the event's (`notice_text`)."""
    if message is None:
        message = notice_text(kind, case, step=step, actor=actor, reason=reason)
    users = list(desk_users(case.agency_id, desk))
    if actor is not None:
        users = [user for user in users if user.pk != actor.pk]
    Notification.objects.bulk_create(
        [
            Notification(user=user, case=case, message=shorten(message, 300), kind=kind, actor=actor, reason=reason)
            for user in users
        ]
    )
    recipients = [user.email for user in users if user.email and not user.notice_digest]
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
    return shorten(text, 80)


def queue_mail(*, subject, body, recipients):
    """Keep the e-mail with the current transaction and try to send it once that commits.

    A notice that cannot be sent (bad header, SMTP down) never undoes or hides the transition that
    caused it: the failure is logged and `manage.py send_mail_outbox` (cron) tries again.
    """
    mail = OutgoingMail.objects.create(subject=mail_subject(subject), body=body, recipients=recipients)
    transaction.on_commit(lambda: send_queued(mail))
    return mail


def send_queued(mail):
    """Send one kept e-mail; True when sent. Never raises: the failure is written on the row."""
    mail.attempts += 1
    try:
        send_mail(
            subject=mail_subject(mail.subject),
            message=mail.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=mail.recipients,
        )
    except Exception as exc:  # any failure of the mail backend (BadHeaderError, SMTP down) waits for a retry
        log.exception("E-mail pemberitahuan gagal dikirim ke %s (percobaan %s)", mail.recipients, mail.attempts)
        mail.last_error = f"{type(exc).__name__}: {exc}"[:300]
        mail.save(update_fields=["attempts", "last_error"])
        return False
    mail.sent_at = timezone.now()
    mail.save(update_fields=["attempts", "sent_at"])
    return True


def send_outbox(*, max_attempts=20):
    """Retry every kept e-mail not yet sent; returns (sent, still waiting)."""
    sent = waiting = 0
    for mail in OutgoingMail.objects.filter(sent_at__isnull=True, attempts__lt=max_attempts):
        if send_queued(mail):
            sent += 1
        else:
            waiting += 1
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
