"""Who sees personal data: the one rule every page, PDF, export, scan and admin page follows.

Only the desks that check a person's papers (agencies.desks.NIK_DESKS: petugas, peksos, Kasi) see
whole NIK and KK numbers and open the KTP/KK scans (a scan shows the whole number); everyone else,
the admin desk included, sees numbers masked (3508**********01) and no scans.
"""

from agencies.desks import NIK_DESKS
from cases.nik import mask
from sop_portal.ratelimit import client_address


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
    address = client_address(request)
    return None if address == "unknown" else address
