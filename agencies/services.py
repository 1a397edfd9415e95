import json
from functools import partial
from pathlib import Path

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from agencies.desks import ADMIN, ADMIN_APPS, DESK_LABELS, DESKS
from agencies.loading import Loader
from agencies.models import Agency, Official, Position, User

DEMO_PASSWORD = "demo-sop-2026"


def ensure_desk_groups(**kwargs: object) -> None:
    """Create one group per desk holding its desk permission (idempotent; runs after migrate)."""
    for desk, _label in DESKS:
        group, _ = Group.objects.get_or_create(name=desk)
        perm = Permission.objects.filter(content_type__app_label="agencies", codename=f"desk_{desk}").first()
        if perm is None:
            continue
        group.permissions.add(perm)
        if desk == ADMIN:
            model_perms = Permission.objects.filter(content_type__app_label__in=ADMIN_APPS).exclude(
                codename__startswith="desk_"
            )
            group.permissions.add(*model_perms)


@transaction.atomic
def load_agencies(*, path: str | Path, report: list[Loader] | None = None) -> dict[str, int]:
    """Create agencies, positions and officials from our JSON file (keyed by slug/title/name), and
    bring to the file's values those no admin changed since they were loaded (agencies/loading.py).

    Returns the number of rows of each kind in the file; `report` receives the loaders' outcomes.
    """
    with open(path, encoding="utf-8") as handle:
        rows = json.load(handle)
    counts = {"agencies": 0, "positions": 0, "officials": 0}
    agencies, positions, officials = Loader("instansi"), Loader("jabatan"), Loader("pejabat")
    for row in rows:
        agency_values = {
            "name": row["name"],
            "code": row.get("code", ""),
            "region": row.get("region", ""),
            "address": row.get("address", ""),
            "postal_code": row.get("postal_code", ""),
            "phone": row.get("phone", ""),
            "email": row.get("email", ""),
            "website": row.get("website", ""),
            "letterhead": "\n".join(row.get("letterhead", [])),
            "unit_code": row.get("unit_code", ""),
        }
        agencies.load_row(row["slug"], Agency, {"slug": row["slug"]}, agency_values)
        counts["agencies"] += 1
        agency = Agency.objects.get(slug=row["slug"])
        for order, pos in enumerate(row.get("positions", []), start=1):
            pos_values = {"desk": pos["desk"], "unit": pos.get("unit", ""), "order": order}
            key = f"{agency.slug}/{pos['title']}"
            positions.load_row(key, Position, {"agency": agency, "title": pos["title"]}, pos_values)
            counts["positions"] += 1
            position = Position.objects.get(agency=agency, title=pos["title"])
            for off in pos.get("officials", []):
                off_values = {"nip": off.get("nip", ""), "rank": off.get("rank", "")}
                lookup = {"position": position, "name": off["name"]}
                officials.load_row(f"{key}/{off['name']}", Official, lookup, off_values)
                counts["officials"] += 1
    if report is not None:
        report.extend([agencies, positions, officials])
    return counts


def demo_username(agency: Agency, desk: str) -> str:
    return f"{agency.slug}-{desk}"


def _user_state(username: str, password: str) -> dict[str, object] | None:
    user = User.objects.filter(username=username).first()
    if user is None:
        return None
    return {
        "agency": user.agency_id,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "is_staff": user.is_staff,
        "is_active": user.is_active,
        "groups": sorted(user.groups.values_list("name", flat=True)),
        "password_ok": user.check_password(password),
        # The hash, not the password: a password an admin changed is a change like any other.
        "password": user.password,
    }


def _write_demo_user(username: str, agency: Agency, desk: str, password: str) -> None:
    user, _ = User.objects.update_or_create(
        username=username,
        defaults={
            "agency": agency,
            "first_name": f"Demo {DESK_LABELS[desk]}",
            "last_name": agency.region,
            "is_staff": desk == ADMIN,
            "is_active": True,
        },
    )
    if not user.check_password(password):
        user.set_password(password)
        user.save(update_fields=["password"])
    user.groups.set([Group.objects.get(name=desk)])


@transaction.atomic
def create_demo_users(*, password: str = DEMO_PASSWORD, report: list[Loader] | None = None) -> list[User]:
    """One user per desk per agency, e.g. lumajang-kasi, with `password`; a user an admin changed
    since it was created (name, groups, password, …) is left alone. Returns the users."""
    loader = Loader("pengguna")
    usernames = []
    for agency in Agency.objects.order_by("name"):
        for desk, label in DESKS:
            username = demo_username(agency, desk)
            values = {
                "agency": agency.pk,
                "first_name": f"Demo {label}",
                "last_name": agency.region,
                "is_staff": desk == ADMIN,
                "is_active": True,
                "groups": [desk],
                "password_ok": True,
            }

            loader.load(
                username,
                incoming=values,
                read=partial(_user_state, username, password),
                write=partial(_write_demo_user, username, agency, desk, password),
            )
            usernames.append(username)
    if report is not None:
        report.append(loader)
    users = {user.username: user for user in User.objects.filter(username__in=usernames)}
    return [users[name] for name in usernames]
