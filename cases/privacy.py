"""Who sees personal data: the one rule every page, PDF, export, scan and admin page follows.

Only the desks that check a person's papers (agencies.desks.NIK_DESKS: petugas, peksos, Kasi) see
whole NIK and KK numbers and open the KTP/KK scans (a scan shows the whole number); everyone else,
the admin desk included, sees numbers masked (3508**********01) and no scans.
"""

from django.conf import settings

from agencies.desks import NIK_DESKS
from cases.nik import mask


def sees_full_numbers(user):
    """True when `user` may see whole NIK/KK numbers and open the scans of papers."""
    return bool(user and user.is_authenticated and any(user.has_desk(desk) for desk in NIK_DESKS))


def may_open_scans(user):
    return sees_full_numbers(user)


def shown_number(user, number):
    """The NIK or KK number as `user` may see it."""
    if not number:
        return number
    return number if sees_full_numbers(user) else mask(number)


def client_ip(request):
    """The client's address for the access log; behind trusted proxies, the one they saw."""
    count = settings.TRUSTED_PROXY_COUNT
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if count and len(forwarded) >= count:
        return forwarded[-count]
    return request.META.get("REMOTE_ADDR") or None
