from agencies.desks import REPORT_DESKS
from agencies.usercache import unread_count
from cases.privacy import sees_full_numbers


def office(request):
    """The signed-in user's agency and desks for the header."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "current_agency": user.agency,
        "current_desks": user.desk_labels,
        # Cases with unread notices, as the notices page groups them per case (cached, agencies/usercache.py).
        "unread_count": unread_count(user),
        "see_nik": sees_full_numbers(user),
        "can_report": user.agency_id is not None and any(user.has_desk(desk) for desk in REPORT_DESKS),
    }
