"""The admin's screen "Susunan jabatan hari ini": the unit tree with who holds each position today,
who acts for whom (Plt./Plh.), and the warnings an office must act on — a desk an SOP's steps need
that nobody serves for that SOP's unit, and accounts that work at a jabatan desk without holding the
jabatan (they serve the whole agency)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Permission

from agencies import org
from agencies.desks import DESK_LABELS, DESKS, POSITION_DESKS, desk_permission
from agencies.models import Agency, Position, Unit, User, acting_holder
from sop_catalog.models import SOP

# The desks whose emptiness stops a case: the jabatan and the front desk.
NEEDED_DESKS = (*POSITION_DESKS, "petugas", "peksos")


def _rows(agency: Agency, day) -> list[dict[str, Any]]:
    units = list(Unit.objects.filter(agency=agency).order_by("order", "name"))
    positions = list(
        Position.objects.filter(agency=agency).prefetch_related("officials__user").order_by("order", "title")
    )
    by_unit: dict[int | None, list[Position]] = {}
    for position in positions:
        by_unit.setdefault(position.unit_id, []).append(position)
    children: dict[int | None, list[Unit]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    rows: list[dict[str, Any]] = [
        {"unit": None, "depth": 0, "positions": [_position(p, day) for p in by_unit.get(None, [])]}
    ]

    def walk(parent: int | None, depth: int) -> None:
        for unit in children.get(parent, []):
            rows.append(
                {"unit": unit, "depth": depth, "positions": [_position(p, day) for p in by_unit.get(unit.pk, [])]}
            )
            walk(unit.pk, depth + 1)

    walk(None, 0)
    return rows


def _position(position: Position, day) -> dict[str, Any]:
    holding = [o for o in position.officials.all() if o.holds_on(day)]
    acting = acting_holder(holding)
    standing = [o for o in holding if o is not acting and not o.acting]
    return {
        "position": position,
        "desk": DESK_LABELS.get(position.desk, position.desk),
        "acting": acting,
        # The definitive holder a Plt./Plh. acts for (on leave, or the post is being filled).
        "for_whom": standing[0] if acting is not None and acting.acting and standing else None,
        "empty": acting is None,
        "no_account": acting is not None and acting.user_id is None,
    }


def _missing_desks(agency: Agency, day) -> list[str]:
    warnings = []
    served: dict[tuple[str, int | None], bool] = {}
    sops = SOP.objects.filter(agency=agency, is_current=True).select_related("org_unit").prefetch_related("roles")
    for sop in sops.order_by("number", "name"):
        desks = [d for d, _ in DESKS if d in NEEDED_DESKS and any(role.desk == d for role in sop.roles.all())]
        for desk in desks:
            key = (desk, sop.org_unit_id)
            if key not in served:
                served[key] = bool(org.desk_user_ids(agency.pk, desk, sop.org_unit_id, day))
            if not served[key]:
                where = f" untuk {sop.org_unit}" if sop.org_unit_id else ""
                warnings.append(
                    f"{sop.name}: tidak ada yang bekerja di meja {DESK_LABELS[desk]}{where} hari ini. "
                    "Isi pejabatnya (atau Plt./Plh.) dan tautkan akun penggunanya."
                )
    return warnings


def _desk_without_position(agency: Agency) -> list[str]:
    warnings = []
    for desk in POSITION_DESKS:
        app_label, codename = desk_permission(desk).split(".")
        permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
        if permission is None:
            continue
        users = User.objects.filter(agency=agency, is_active=True, groups__permissions=permission).distinct()
        for user in users.order_by("username"):
            if not any(d == desk for d, _unit, _pk in org.held_positions(user)):
                warnings.append(
                    f"{user.display_name} ({user.username}) bekerja di meja {DESK_LABELS[desk]} lewat grup, tanpa "
                    "jabatan: melayani seluruh instansi. Jadikan pejabat pada jabatannya, lalu keluarkan dari grup."
                )
    return warnings


def today(agency: Agency) -> dict[str, Any]:
    day = org.today()
    return {
        "agency": agency,
        "rows": _rows(agency, day),
        "warnings": _missing_desks(agency, day) + _desk_without_position(agency),
    }
