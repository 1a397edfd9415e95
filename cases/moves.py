"""The writes of a step completion in one statement on PostgreSQL (issue 22, docs/performance.md).

A completion that moves the case on writes the finished step, the started step, the case, its
audit rows and, at a paraf desk, the initials on the case's drafts. On PostgreSQL these go as one
statement of data-modifying CTEs (one round trip, and SQL built from the model's fields without
the ORM's query compiler); elsewhere (SQLite) as the ORM's saves, one after the other. Either way
the same columns get the same values: each value goes through its field's `pre_save` and
`get_db_prep_save`, as `save(update_fields=…)` and `bulk_create` do.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Model
from django_fsm import ConcurrentTransition

from agencies.desks import PARAF_DESKS
from agencies.models import User
from cases.models import QUEUE_FIELDS, AuditEntry, Case, CaseStep, IssuedDocument, Paraf


def _columns(obj: Model, names: Sequence[str], add: bool) -> tuple[list[str], list[object]]:
    meta = obj._meta
    columns: list[str] = []
    values: list[Any] = []
    for name in names:
        field = meta.get_field(name)
        value = field.pre_save(obj, add)  # type: ignore[union-attr]
        columns.append(connection.ops.quote_name(str(field.column)))  # type: ignore[union-attr]
        values.append(field.get_db_prep_save(value, connection))  # type: ignore[union-attr]
    return columns, values


Part = tuple[str, list[Any]]


def _update(obj: Model, names: Sequence[str], where: str = "", where_params: Sequence[object] = ()) -> Part:
    columns, values = _columns(obj, names, add=False)
    table, pk = connection.ops.quote_name(obj._meta.db_table), connection.ops.quote_name(obj._meta.pk.column)
    assignments = ", ".join(f"{column} = %s" for column in columns)
    sql = f"UPDATE {table} SET {assignments} WHERE {pk} = %s{where} RETURNING 1"
    return sql, [*values, obj.pk, *where_params]


def _insert(rows: Sequence[Model]) -> Part:
    meta = rows[0]._meta
    names = [f.name for f in meta.concrete_fields if not f.primary_key]
    table = connection.ops.quote_name(meta.db_table)
    params: list[Any] = []
    groups = []
    columns: list[str] = []
    for row in rows:
        columns, values = _columns(row, names, add=True)
        params.extend(values)
        groups.append("(" + ", ".join(["%s"] * len(values)) + ")")
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join(groups)} RETURNING 1", params


def _paraf(case: Case, user: User, desk: str, now: datetime) -> list[Part]:
    """The initials of `desk` on the case's drafts: replaced where it initialled already (after a
    jump back), added where not — letters.record_paraf in one statement."""
    q = connection.ops.quote_name
    paraf, document = q(Paraf._meta.db_table), q(IssuedDocument._meta.db_table)
    again = (
        f"UPDATE {paraf} SET user_id = %s, at = %s FROM {document} d "
        f"WHERE {paraf}.document_id = d.id AND d.case_id = %s AND d.status = %s AND {paraf}.desk = %s RETURNING 1"
    )
    first = (
        f"INSERT INTO {paraf} (document_id, user_id, desk, at) SELECT d.id, %s, %s, %s FROM {document} d "
        f"WHERE d.case_id = %s AND d.status = %s AND NOT EXISTS "
        f"(SELECT 1 FROM {paraf} p WHERE p.document_id = d.id AND p.desk = %s) RETURNING 1"
    )
    draft = IssuedDocument.DRAFT
    return [
        (again, [user.pk, now, case.pk, draft, desk]),
        (first, [user.pk, desk, now, case.pk, draft, desk]),
    ]


def in_one_statement() -> bool:
    return connection.vendor == "postgresql"


def write(
    case: Case,
    case_fields: Sequence[str],
    steps: Sequence[tuple[CaseStep, Sequence[str]]],
    entries: Sequence[AuditEntry],
    paraf: tuple[User, str, datetime] | None = None,
) -> None:
    """Write the steps' and the case's changed columns, insert the audit rows, record the paraf.

    The case's UPDATE is conditioned on its state as read (django-fsm's ConcurrentTransitionMixin);
    under the row lock it always matches, and ConcurrentTransition is raised as the mixin does if not.
    """
    if not in_one_statement():
        for step, names in steps:
            step.save(update_fields=names)
        if paraf is not None:
            from cases.letters import record_paraf  # noqa: PLC0415  (letters imports the workflow's models)

            record_paraf(case, *paraf)
        case.save(update_fields=case_fields)
        AuditEntry.objects.bulk_create(entries)
        return
    parts = [_update(step, names) for step, names in steps]
    case.set_queue_position()
    initial = case._ConcurrentTransitionMixin__initial_states["state"]  # type: ignore[attr-defined]
    parts.append(_update(case, [*case_fields, *QUEUE_FIELDS], " AND state = %s", [initial]))
    moved = len(parts) - 1
    if entries:
        parts.append(_insert(entries))
    if paraf is not None and paraf[1] in PARAF_DESKS:
        parts.extend(_paraf(case, *paraf))
    names = [f"w{i}" for i in range(len(parts))]
    sql = "WITH " + ", ".join(f"{name} AS ({part})" for name, (part, _) in zip(names, parts, strict=True))
    sql += f" SELECT (SELECT count(*) FROM w{moved})"
    params = [value for _, values in parts for value in values]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        (updated,) = cursor.fetchone()
    if updated != 1:
        raise ConcurrentTransition("Cannot save object! The state has been changed since fetched from the database!")
    case._update_initial_state()
