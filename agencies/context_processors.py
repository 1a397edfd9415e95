from agencies.desks import REPORT_DESKS
from cases.privacy import sees_full_numbers


def office(request):
    """The signed-in user's agency and desks for the header."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "current_agency": user.agency,
        "current_desks": user.desk_labels,
        # Cases with unread notices, as the notices page groups them per case.
        "unread_count": user.notifications.filter(read_at__isnull=True).values("case_id").distinct().count(),
        "see_nik": sees_full_numbers(user),
        "can_report": user.agency_id is not None and any(user.has_desk(desk) for desk in REPORT_DESKS),
    }
