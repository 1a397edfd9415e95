"""The organisation as the office has it: who works at which desk, for which units, today.

A desk (agencies.desks) is reached two ways. A position (jabatan) held on the day gives its desk for
the units it serves: a Kepala Seksi serves their seksi and the bidang above it, a Kepala Bidang their
bidang and its seksi, anyone in the Sekretariat (or a position without a unit, the Kepala Dinas) the
whole agency; and the Sekretaris, the Kepala Dinas and the admins always the whole agency. Of the
holders of one position on a day exactly one acts: a Plt. or Plh. during their period before the
definitive holder (agencies.models.acting_holder). A desk group given to a user without a position at
that desk (a stand-in petugas, an admin) serves the whole agency, as before there were positions.

A case belongs to the unit of its SOP version (sop_catalog.SOP.org_unit); a case whose SOP has no unit
is served by every holder of the desk in the agency. Every inbox, notice, count, list, report and
export asks this module, so the rule has one home.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone

from agencies.desks import AGENCY_DESKS, DESKS, desk_permission
from agencies.models import Official, Position, Unit, User, acting_holder

# A user's scope at one desk: None for the whole agency, else the ids of the units served.
Scope = frozenset[int] | None


def today() -> datetime.date:
    return timezone.localdate()


# How long another worker's per-process cache may keep an agency's unit tree after a change.
TREE_TIMEOUT = 5 * 60


def unit_tree_key(agency_id: int | None) -> str:
    return f"unit-tree:{agency_id}"


def unit_tree(agency_id: int | None) -> dict[int, tuple[int | None, str]]:
    """{unit id: (parent id, kind)} of the agency, cached until a unit of it changes (agencies/usercache.py)."""
    tree = cache.get(unit_tree_key(agency_id))
    if tree is None:
        tree = _read_unit_tree(agency_id)
        cache.set(unit_tree_key(agency_id), tree, TREE_TIMEOUT)
    return tree


def _read_unit_tree(agency_id: int | None) -> dict[int, tuple[int | None, str]]:
    if agency_id is None:
        return {}
    rows = Unit.objects.filter(agency_id=agency_id).values_list("pk", "parent_id", "kind")
    return {pk: (parent, kind) for pk, parent, kind in rows}


def served_units(unit_id: int | None, tree: dict[int, tuple[int | None, str]]) -> Scope:
    """The units a position in `unit_id` serves: the units above it and its subtree; None (the whole
    agency) for a position without a unit or in the Sekretariat."""
    if unit_id is None:
        return None
    if unit_id not in tree:  # a unit newer than the cached tree: itself only, never the whole agency
        return frozenset({unit_id})
    if tree[unit_id][1] in Unit.AGENCY_WIDE_KINDS:
        return None
    served = {unit_id}
    parent = tree[unit_id][0]
    while parent is not None and parent in tree and parent not in served:
        served.add(parent)
        parent = tree[parent][0]
    children: dict[int, list[int]] = {}
    for pk, (up, _kind) in tree.items():
        if up is not None:
            children.setdefault(up, []).append(pk)
    below = list(children.get(unit_id, []))
    while below:
        pk = below.pop()
        if pk not in served:
            served.add(pk)
            below.extend(children.get(pk, []))
    return frozenset(served)


def acting_officials(officials: Iterable[Official], day: datetime.date) -> list[Official]:
    """Of the officials given (with their positions' other officials prefetched or not), those who act on `day`."""
    by_position: dict[int, list[Official]] = {}
    for official in officials:
        if official.holds_on(day):
            by_position.setdefault(official.position_id, []).append(official)
    return [holder for group in by_position.values() if (holder := acting_holder(group)) is not None]


def holding_on_q(day: datetime.date) -> Q:
    """The officials whose period includes `day` (Official.holds_on as a filter)."""
    return (Q(start__isnull=True) | Q(start__lte=day)) & (Q(end__isnull=True) | Q(end__gte=day))


def held_positions(user: User, day: datetime.date | None = None) -> list[tuple[str, int | None, int]]:
    """(desk, unit id, position id) of each position in which the user is the acting holder on `day`."""
    if not (user.is_authenticated and user.is_active and user.agency_id):
        return []
    day = day or today()
    mine = Official.objects.filter(user=user, position__agency_id=user.agency_id)
    mine = mine.filter(holding_on_q(day))
    # Everyone who holds those positions that day, in the same query: the acting one is picked below.
    everyone = Official.objects.filter(position_id__in=mine.values("position_id")).select_related("position")
    return [
        (holder.position.desk, holder.position.unit_id, holder.position_id)
        for holder in acting_officials(everyone, day)
        if holder.user_id == user.pk
    ]


def scopes(user: User, held: list[tuple[str, int | None, int]], group_permissions: set[str]) -> dict[str, Scope]:
    """{desk: scope} of every desk the user works at: from the positions held, or the desk groups."""
    tree = unit_tree(user.agency_id) if held else {}
    result: dict[str, Scope] = {}
    for desk, _label in DESKS:
        units = [unit for held_desk, unit, _pk in held if held_desk == desk]
        if units and desk not in AGENCY_DESKS:
            served = [served_units(unit, tree) for unit in units]
            result[desk] = None if any(s is None for s in served) else frozenset().union(*served)  # type: ignore[arg-type]
        elif units or desk_permission(desk) in group_permissions:
            result[desk] = None
    return result


def scope_q(scope: Scope, unit_field: str = "sop__org_unit_id") -> Q:
    """The cases of a scope: all, or those of the units served and those of SOPs without a unit."""
    if scope is None:
        return Q()
    return Q(**{f"{unit_field}__in": sorted(scope)}) | Q(**{f"{unit_field.removesuffix('_id')}__isnull": True})


def at_my_desks_q(
    user: User,
    desk_field: str = "queue_desk",
    unit_field: str = "sop__org_unit_id",
    position_field: str = "queue_to_position_id",
) -> Q:
    """Cases waiting at one of the user's desks, for the units the user serves there; a step addressed
    to a position (a disposisi) waits only for its acting holder (waits_for_q)."""
    query = Q(pk__in=[])
    positions = user.desk_positions
    staffed = staffed_positions(user.agency_id)
    for desk, scope in user.desk_scopes.items():
        waits = waits_for_q(positions.get(desk), staffed.get(desk, frozenset()), position_field)
        query |= Q(**{desk_field: desk}) & scope_q(scope, unit_field) & waits
    return query


def waits_for_q(held: Iterable[int] | None, staffed: Iterable[int], position_field: str = "queue_to_position_id") -> Q:
    """Steps addressed to nobody, to one of the `held` positions, or to a position that is not
    `staffed` at that desk today (it waits for the whole desk, as its notices go to the whole desk:
    cases.notifications)."""
    return (
        Q(**{f"{position_field}__isnull": True})
        | Q(**{f"{position_field}__in": sorted(held or ())})
        | ~Q(**{f"{position_field}__in": sorted(staffed)})
    )


def staffed_key(agency_id: int | None, day: datetime.date) -> str:
    return f"staffed:{agency_id}:{day.isoformat()}"


def staffed_positions(agency_id: int | None) -> dict[str, frozenset[int]]:
    """{desk: the agency's positions at that desk whose acting holder today (Plh., Plt., definitive:
    acting_holder) has an active account of the agency}. A step addressed to any other position
    waits for the whole desk: nobody could act in it. One rule for the inbox, who may act
    (serves_step) and who is told (cases.notifications); cached per agency and day, dropped when an
    official, a position or an account changes (agencies/usercache.py)."""
    if agency_id is None:
        return {}
    day = today()
    found = cache.get(staffed_key(agency_id, day))
    if found is None:
        officials = Official.objects.filter(holding_on_q(day), position__agency_id=agency_id)
        officials = officials.select_related("position", "user")
        by_desk: dict[str, set[int]] = {}
        for holder in acting_officials(officials, day):
            account = holder.user
            if account is not None and account.is_active and account.agency_id == agency_id:
                by_desk.setdefault(holder.position.desk, set()).add(holder.position_id)
        found = {desk: frozenset(pks) for desk, pks in by_desk.items()}
        cache.set(staffed_key(agency_id, day), found, TREE_TIMEOUT)
    return found


def forget_staffed(agency_id: int | None) -> None:
    cache.delete(staffed_key(agency_id, today()))


def serves_step(user: User, desk: str, unit_id: int | None, position_id: int | None) -> bool:
    """The user may act on a step at `desk` of a case of unit `unit_id` addressed to `position_id`
    (None: to the whole desk): `serves`, and for an addressed step the position's acting holder
    (anyone at the desk while it is not staffed): waits_for_q for one step."""
    if not serves(user, desk, unit_id):
        return False
    if position_id is None or position_id in user.desk_positions.get(desk, frozenset()):
        return True
    return position_id not in staffed_positions(user.agency_id).get(desk, frozenset())


def staffed_holder(agency_id: int, desk: str, position_id: int | None) -> User | None:
    """The account of the acting holder of a staffed position at `desk` (the one told of a step
    addressed to it), or None: the whole desk is told."""
    if position_id is None or position_id not in staffed_positions(agency_id).get(desk, frozenset()):
        return None
    position = Position.objects.filter(pk=position_id).first()
    holder = holder_today(position) if position is not None else None
    account = holder.user if holder is not None else None
    if account is None or not account.is_active or account.agency_id != agency_id:
        return None  # changed since the staffed set was cached
    return account


def positions_by_desk(held: list[tuple[str, int | None, int]]) -> dict[str, frozenset[int]]:
    """{desk: the ids of the positions acted in there} of held_positions."""
    result: dict[str, set[int]] = {}
    for desk, _unit, pk in held:
        result.setdefault(desk, set()).add(pk)
    return {desk: frozenset(pks) for desk, pks in result.items()}


def visible_units(user: User) -> Scope:
    """The units whose cases this user may list, count, report on and export: None (all) for anyone
    who serves the whole agency at some desk; else the units served at any desk (none: no desk)."""
    scopes_ = list(user.desk_scopes.values())
    if any(scope is None for scope in scopes_):
        return None
    return frozenset().union(*scopes_)


def visible_q(user: User, unit_field: str = "sop__org_unit_id") -> Q:
    """visible_units as a filter of cases (a user without desks sees none)."""
    if not user.desk_scopes:
        return Q(pk__in=[])
    return scope_q(visible_units(user), unit_field)


def serving_q(user: User, desk: str, unit_field: str = "org_unit_id") -> Q:
    """The rows (SOPs, with the default field) of the units the user serves at `desk`; none when the
    user does not work there: the query form of `serves`."""
    scopes_ = user.desk_scopes
    if desk not in scopes_:
        return Q(pk__in=[])
    return scope_q(scopes_[desk], unit_field)


def serves(user: User, desk: str, unit_id: int | None) -> bool:
    """The user works at `desk` for a case of unit `unit_id` (None: an SOP without a unit)."""
    scopes_ = user.desk_scopes
    if desk not in scopes_:
        return False
    scope = scopes_[desk]
    return scope is None or unit_id is None or unit_id in scope


def serves_case(user: User, desk: str, case: object) -> bool:
    return serves(user, desk, case_unit_id(case))


def case_unit_id(case: object) -> int | None:
    sop = case.sop  # type: ignore[attr-defined]
    return sop.org_unit_id


def desk_users_list(agency_id: int, desk: str, unit_id: int | None, day: datetime.date | None = None) -> list[User]:
    """The active users of the agency who work at `desk` for a case of unit `unit_id` on `day`: the
    acting holders of the positions at that desk serving the unit, and the users given the desk by a
    group who hold no position at it that day (they serve the whole agency). Two queries."""
    day = day or today()
    officials = Official.objects.filter(position__agency_id=agency_id, position__desk=desk).select_related(
        "position", "user"
    )
    acting = [o for o in acting_officials(officials, day) if o.user_id is not None]
    tree = unit_tree(agency_id) if acting else {}
    found: dict[int, User] = {}
    for official in acting:
        scope = None if desk in AGENCY_DESKS else served_units(official.position.unit_id, tree)
        user = official.user
        if user is not None and (scope is None or unit_id is None or unit_id in scope):
            found[user.pk] = user
    holding = {o.user_id for o in acting}
    app_label, codename = desk_permission(desk).split(".")
    grouped = User.objects.filter(
        agency_id=agency_id,
        is_active=True,
        groups__permissions__content_type__app_label=app_label,
        groups__permissions__codename=codename,
    ).distinct()
    for user in grouped:
        if user.pk not in holding:
            found[user.pk] = user
    return [user for user in found.values() if user.is_active and user.agency_id == agency_id]


def desk_user_ids(agency_id: int, desk: str, unit_id: int | None, day: datetime.date | None = None) -> set[int]:
    return {user.pk for user in desk_users_list(agency_id, desk, unit_id, day)}


def holder_today(position: Position) -> Official | None:
    return position.holder_on(today())


def position_label(position: Position) -> str:
    """'Kepala Seksi Rehabilitasi Sosial — Plt. NAMA' or '… — (kosong)': the holder of today."""
    holder = holder_today(position)
    return f"{position.title} — {holder if holder else '(kosong)'}"


def disposition_positions(user: User, agency_id: int, desk: str, unit_id: int | None) -> list[Position]:
    """The positions a disposisi of this user may go to: at `desk`, serving the case's unit, down the
    tree of the units the disposing official holds a position in (the whole agency for a position
    without a unit or in the Sekretariat: the Kepala Dinas, the Sekretaris)."""
    tree = unit_tree(agency_id)
    held = [unit for _desk, unit, _pk in held_positions(user)]
    units = [unit for unit in held if unit is not None and tree.get(unit, (None, ""))[1] not in Unit.AGENCY_WIDE_KINDS]
    mine: set[int] | None = None
    if held and len(units) == len(held):
        mine = set()
        for unit in units:
            mine |= {pk for pk in tree if _under(pk, unit, tree)}
    positions = (
        Position.objects.filter(agency_id=agency_id, desk=desk).select_related("unit").prefetch_related("officials")
    )
    chosen = []
    for position in positions.order_by("order", "title"):
        scope = served_units(position.unit_id, tree)
        if unit_id is not None and scope is not None and unit_id not in scope:
            continue
        if mine is not None and position.unit_id not in mine:
            continue
        chosen.append(position)
    return chosen


def _under(pk: int, root: int, tree: dict[int, tuple[int | None, str]]) -> bool:
    """`pk` is `root` or below it."""
    seen: set[int] = set()
    current: int | None = pk
    while current is not None and current not in seen:
        if current == root:
            return True
        seen.add(current)
        current = tree[current][0] if current in tree else None
    return False
