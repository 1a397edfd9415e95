import datetime
import json
from functools import partial
from pathlib import Path
from typing import Any

from django.apps import apps
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from agencies.desks import ADMIN, ADMIN_APPS, DESKS, POSITION_DESKS
from agencies.loading import Loader
from agencies.models import Agency, Official, Position, Unit, User

DEMO_PASSWORD = "demo-sop-2026"


def ensure_desk_groups(**kwargs: object) -> None:
    """Create one group per desk holding its desk permission (idempotent; runs after migrate).

    migrate sends post_migrate once per app, in the registry's order: the groups are built at the
    last app's, when every app's permissions exist (the admin desk holds those of apps after ours)."""
    sender = kwargs.get("app_config")
    if sender is not None and sender is not [app for app in apps.get_app_configs() if app.models_module][-1]:
        return
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
    counts = {"agencies": 0, "units": 0, "positions": 0, "officials": 0}
    agencies, units = Loader("instansi"), Loader("unit kerja")
    # Kinds named anew with the unit kerja (agencies 0009): the rows recorded before held the unit as text.
    positions, officials = Loader("jabatan (unit kerja)"), Loader("pejabat (masa jabatan)")
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
        counts["units"] += _load_units(agency, row.get("units", []), units)
        by_name = dict(Unit.objects.filter(agency=agency).values_list("name", "pk"))
        for order, pos in enumerate(row.get("positions", []), start=1):
            pos_values = {"desk": pos["desk"], "unit_id": by_name.get(pos.get("unit") or ""), "order": order}
            key = f"{agency.slug}/{pos['title']}"
            positions.load_row(key, Position, {"agency": agency, "title": pos["title"]}, pos_values)
            counts["positions"] += 1
            position = Position.objects.get(agency=agency, title=pos["title"])
            for off in pos.get("officials", []):
                off_values = {
                    "nip": off.get("nip", ""),
                    "rank": off.get("rank", ""),
                    "acting": off.get("acting", ""),
                    "start": _date(off.get("start")),
                    "end": _date(off.get("end")),
                }
                lookup = {"position": position, "name": off["name"]}
                officials.load_row(f"{key}/{off['name']}", Official, lookup, off_values)
                counts["officials"] += 1
    if report is not None:
        report.extend([agencies, units, positions, officials])
    return counts


def _date(text: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(text) if text else None


def _load_units(agency: Agency, rows: list[dict[str, Any]], loader: Loader) -> int:
    """The agency's units, parents first (the file lists them so)."""
    for order, unit in enumerate(rows, start=1):
        parent = Unit.objects.filter(agency=agency, name=unit["parent"]).values_list("pk", flat=True).first()
        values = {"kind": unit["kind"], "parent_id": parent, "order": order, "demo": bool(unit.get("demo"))}
        loader.load_row(f"{agency.slug}/{unit['name']}", Unit, {"agency": agency, "name": unit["name"]}, values)
    return len(rows)


def demo_username(agency: Agency, desk: str) -> str:
    return f"{agency.slug}-{desk}"


class DemoPassword:
    """The demo password hashed once per run, and each stored hash checked against it once: with the
    production hasher (PBKDF2, a million rounds) each hash or check takes about a second, and every
    demo account gets the same hash (the password is the same, and documented)."""

    def __init__(self, password: str) -> None:
        self.password = password
        self._encoded = ""
        self._checked: dict[str, bool] = {}

    def encoded(self) -> str:
        if not self._encoded:
            self._encoded = make_password(self.password)
            self._checked[self._encoded] = True
        return self._encoded

    def matches(self, encoded: str) -> bool:
        if encoded not in self._checked:
            self._checked[encoded] = check_password(self.password, encoded)
        return self._checked[encoded]


def _user_state(username: str, password: DemoPassword) -> dict[str, object] | None:
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
        "password_ok": password.matches(user.password),
        # The hash, not the password: a password an admin changed is a change like any other.
        "password": user.password,
    }


def _write_demo_user(username: str, agency: Agency, values: dict[str, Any], password: DemoPassword) -> None:
    fields = {key: values[key] for key in ("first_name", "last_name", "is_staff", "is_active")}
    user, _ = User.objects.update_or_create(username=username, defaults={"agency": agency, **fields})
    if not password.matches(user.password):
        user.password = password.encoded()
        user.save(update_fields=["password"])
    user.groups.set(Group.objects.filter(name__in=values["groups"]))


DEMO_FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "agencies.json"


def demo_holders(path: str | Path = DEMO_FIXTURE) -> dict[str, list[tuple[str, str, str]]]:
    """{agency slug: [(demo username, position title, official name)]} from the officials of the
    agencies fixture that name a demo_user: the demo accounts that hold those positions."""
    try:
        rows = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    return {
        row["slug"]: [
            (off["demo_user"], pos["title"], off["name"])
            for pos in row.get("positions", [])
            for off in pos.get("officials", [])
            if off.get("demo_user")
        ]
        for row in rows
    }


def _demo_accounts(agency: Agency, holders: list[tuple[str, str, str]]) -> list[tuple[str, str, str, str]]:
    """(username, desk, first name, official name or "") of the agency's demo accounts: one holder per
    position the fixture links, and one desk-group account for every other desk."""
    accounts = []
    positions = dict(Position.objects.filter(agency=agency).values_list("title", "desk"))
    for username, title, official in holders:
        if title in positions:
            accounts.append((username, positions[title], f"Demo {title}", official))
    taken = {account[0] for account in accounts}
    held = {account[1] for account in accounts}
    for desk, label in DESKS:
        username = demo_username(agency, desk)
        if username not in taken and not (desk in POSITION_DESKS and desk in held):
            accounts.append((username, desk, f"Demo {label}", ""))
    return accounts


@transaction.atomic
def create_demo_users(
    *, password: str = DEMO_PASSWORD, report: list[Loader] | None = None, path: str | Path = DEMO_FIXTURE
) -> list[User]:
    """The demo accounts, with `password`: for each position the agencies fixture links to a demo
    account (demo_user), that account, holding the position (a Kasi, Kabid, Sekretaris or Kepala Dinas
    works at the desk of the jabatan, for its units); and e.g. lumajang-petugas for every other desk,
    through its desk group. A user an admin changed since it was created (name, groups, password, …)
    is left alone, and so is an official an admin linked to another account. Returns the users."""
    loader = Loader("pengguna")
    usernames = []
    holders = demo_holders(path)
    demo_password = DemoPassword(password)
    for agency in Agency.objects.order_by("name"):
        for username, desk, first_name, official in _demo_accounts(agency, holders.get(agency.slug, [])):
            values = {
                "agency": agency.pk,
                "first_name": first_name,
                "last_name": agency.region,
                "is_staff": desk == ADMIN,
                "is_active": True,
                # A holder works at a jabatan desk through the position; any other account through a group.
                "groups": [] if official and desk in POSITION_DESKS else [desk],
                "password_ok": True,
            }
            outcome = loader.load(
                username,
                incoming=values,
                read=partial(_user_state, username, demo_password),
                write=partial(_write_demo_user, username, agency, values, demo_password),
            )
            if official and outcome != "skipped":
                user = User.objects.get(username=username)
                linked = Official.objects.filter(position__agency=agency, name=official, user=None)
                for row in linked:  # through save(): the holders' cached desks are renewed
                    row.user = user
                    row.save(update_fields=["user"])
            usernames.append(username)
    if report is not None:
        report.append(loader)
    users = {user.username: user for user in User.objects.filter(username__in=usernames)}
    return [users[name] for name in usernames]
