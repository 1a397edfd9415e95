import json
from pathlib import Path

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from agencies.desks import ADMIN, ADMIN_APPS, DESKS
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
def load_agencies(*, path: str | Path) -> dict[str, int]:
    """Create or update agencies, positions and officials from our JSON file (keyed by slug/title)."""
    with open(path, encoding="utf-8") as handle:
        rows = json.load(handle)
    counts = {"agencies": 0, "positions": 0, "officials": 0}
    for row in rows:
        agency, _ = Agency.objects.update_or_create(
            slug=row["slug"],
            defaults={
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
            },
        )
        counts["agencies"] += 1
        for order, pos in enumerate(row.get("positions", []), start=1):
            position, _ = Position.objects.update_or_create(
                agency=agency,
                title=pos["title"],
                defaults={"desk": pos["desk"], "unit": pos.get("unit", ""), "order": order},
            )
            counts["positions"] += 1
            for off in pos.get("officials", []):
                Official.objects.update_or_create(
                    position=position,
                    name=off["name"],
                    defaults={"nip": off.get("nip", ""), "rank": off.get("rank", "")},
                )
                counts["officials"] += 1
    return counts


def demo_username(agency: Agency, desk: str) -> str:
    return f"{agency.slug}-{desk}"


@transaction.atomic
def create_demo_users(*, password: str = DEMO_PASSWORD) -> list[User]:
    """One user per desk per agency, e.g. lumajang-kasi; resets their password. Returns the users."""
    users: list[User] = []
    for agency in Agency.objects.order_by("name"):
        for desk, label in DESKS:
            user, _ = User.objects.update_or_create(
                username=demo_username(agency, desk),
                defaults={
                    "agency": agency,
                    "first_name": f"Demo {label}",
                    "last_name": agency.region,
                    "is_staff": desk == ADMIN,
                    "is_active": True,
                },
            )
            user.set_password(password)
            user.save()
            user.groups.set([Group.objects.get(name=desk)])
            users.append(user)
    return users
