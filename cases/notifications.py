"""In-app notices and e-mail to the users of a desk."""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse

from agencies.desks import desk_permission
from cases.models import Notification

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
    recipients = [user.email for user in users if user.email]
    if recipients:
        link = settings.SITE_URL + reverse("cases:case", args=[case.pk])
        transaction.on_commit(lambda: _mail(message, link, recipients))
    return users


def _mail(message, link, recipients):
    try:
        send_mail(
            subject=f"[SOP Portal] {message[:80]}",
            message=f"{message}\n\nBuka permohonan: {link}\n\n— SOP Portal",
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=recipients,
        )
    except OSError:
        log.exception("E-mail pemberitahuan gagal dikirim ke %s", recipients)
