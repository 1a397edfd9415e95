"""Queries of the cases app: each list page's query lives here."""

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.db.models import Count, Exists, Model, OuterRef, Prefetch, Q, QuerySet, prefetch_related_objects
from django.utils import timezone

from agencies import org
from agencies.desks import FRONT_DESK
from agencies.models import Agency, User
from cases.calendar import extra_days_off_soon
from cases.crypto import blind_index
from cases.models import (
    AuditEntry,
    Case,
    CaseStep,
    Disposition,
    IssuedDocument,
    Paraf,
    Person,
    PersonChange,
    fold,
)
from cases.nik import normalize_number
from cases.reports import period_bounds
from registers.models import Check
from sop_catalog.flowchart import total_time
from sop_catalog.models import SOP, Branch, Flow, Step
from sop_catalog.selectors import active_sops_for, public_sops


def is_number_query(query: str | None) -> bool:
    return normalize_number((query or "").strip()).isdigit()


def search_persons(*, agency_id: int, query: str | None) -> QuerySet[Person]:
    """Persons of the agency by whole NIK or KK (through their blind index) or by name (partial, case/accent-free)."""
    persons = Person.objects.filter(agency_id=agency_id)
    query = (query or "").strip()
    if not query:
        return persons.order_by("-updated_at", "-id")
    if is_number_query(query):
        # Numbers are stored encrypted: only a whole number can be found.
        digest = blind_index(normalize_number(query))
        return persons.filter(Q(nik_hash=digest) | Q(kk_hash=digest))
    for word in fold(query).split():
        persons = persons.filter(name_folded__contains=word)
    return persons


def nik_owner(*, agency: Agency, nik: str | None, exclude_pk: int | None = None) -> Person | None:
    if not nik:
        return None
    return Person.objects.filter(agency=agency, nik_hash=blind_index(nik)).exclude(pk=exclude_pk).first()


def namesakes(*, agency: Agency, name: str, birth_date: date | None, exclude_pk: int | None = None) -> QuerySet[Person]:
    """Persons with the same name (folded) and date of birth: likely the same person."""
    if not name or not birth_date:
        return Person.objects.none()
    return Person.objects.filter(agency=agency, name_folded=fold(name), birth_date=birth_date).exclude(pk=exclude_pk)


def person_history(person: Person) -> QuerySet[PersonChange]:
    return person.changes.select_related("user")


def cases_of_agency(
    *, agency: Agency, query: str | None = "", state: str = "", units: org.Scope = None
) -> QuerySet[Case]:
    cases = Case.objects.filter(org.scope_q(units), agency=agency).select_related(
        "sop", "applicant", "beneficiary", "current_step"
    )
    if state:
        cases = cases.filter(state=state)
    query = (query or "").strip()
    if query:
        cases = cases.filter(
            Q(number__icontains=query)
            | Q(applicant__name_folded__contains=fold(query))
            | Q(beneficiary__name_folded__contains=fold(query))
        )
    return cases.order_by("-created_at", "-id")


def cases_of_person(person: Person, units: org.Scope = None) -> QuerySet[Case]:
    return (
        Case.objects.filter(Q(applicant=person) | Q(beneficiary=person))
        .filter(org.scope_q(units))
        .select_related("sop")
        .order_by("-created_at", "-id")
    )


def case_for_page(*, pk: int, agency: Agency, units: org.Scope = None) -> Case:
    """The case with what its page shows prefetched: documents, steps (timeline), letters with paraf."""
    return (
        Case.objects.select_related(
            "sop",
            "sop__agency",
            "sop__org_unit",
            "applicant",
            "beneficiary",
            "created_by",
            "agency",
            "returned_by",
            "current_step__sop_step",
            "flow",
        )
        .prefetch_related(
            "documents",
            Prefetch(
                "steps",
                queryset=CaseStep.objects.select_related("sop_step", "completed_by").order_by("position"),
            ),
            Prefetch(
                "letters",
                queryset=IssuedDocument.objects.select_related("template", "replaced_by")
                .prefetch_related(Prefetch("parafs", queryset=Paraf.objects.select_related("user")))
                .order_by("id"),
            ),
        )
        # Whether the current step consults a register (registers app), without a query of its own.
        .annotate(has_padanan=Exists(Check.objects.filter(step_id=OuterRef("current_step__sop_step_id"))))
        .filter(org.scope_q(units))
        .get(pk=pk, agency=agency)
    )


def case_for_action(*, pk: int, agency_id: int, lock: bool = False) -> Case:
    """The case as an action needs it: its current step with the step's decisions, nothing else.

    A few joins only: the case page's query (eleven tables) costs PostgreSQL more to plan than to
    run. With `lock` (inside a transaction, for a step completion) the case row is locked by the
    first query and its steps are read after it (`with_steps`), so that
    workflow.complete_step(locked=True) loads nothing again.
    """
    if lock:
        # One query: the steps, each joined to the case (locked), its agency and SOP, and whether
        # days off are near (the next step's due time then needs no list of them).
        rows: list[Any] = list(
            _steps(CaseStep.objects.filter(case_id=pk, case__agency_id=agency_id))
            .select_related("case__sop", "case__agency")
            .annotate(days_off_soon=extra_days_off_soon(OuterRef("case__agency_id")))
            .select_for_update(of=("case",))
        )
        if rows:
            case = rows[0].case
            case.days_off_soon = rows[0].days_off_soon
            _attach_steps(case, rows)
            return case
        # A case without steps yet (a draft): the case alone.
        locked = Case.objects.select_related("sop", "agency").select_for_update(of=("self",))
        case = locked.annotate(days_off_soon=extra_days_off_soon(OuterRef("agency_id"))).get(pk=pk, agency_id=agency_id)
        _attach_steps(case, [])
        return case
    return (
        Case.objects.select_related("sop", "agency", "current_step__sop_step")
        .prefetch_related("current_step__sop_step__branches")
        .get(pk=pk, agency_id=agency_id)
    )


def with_steps(case: Case, known: Step | None = None) -> Sequence[CaseStep]:
    """Every step of the case with its catalog step, kept as the case's `steps` prefetch; the
    current one among them, with its decisions.

    The decisions are queried only for a decision step (each row says whether its catalog step has
    any), or taken from `known`, a catalog step already loaded with its `branches` prefetched
    (a used SOP version is locked). Under the case's row lock these rows are fresh.
    """
    steps = list(_steps(CaseStep.objects.filter(case_id=case.pk)))
    _attach_steps(case, steps, known)
    return steps


def _steps(steps: QuerySet[CaseStep]) -> QuerySet[CaseStep]:
    """With their catalog steps, each saying whether it has decisions, in order."""
    decides = Exists(Branch.objects.filter(step_id=OuterRef("sop_step_id")))
    return steps.select_related("sop_step").annotate(decides=decides).order_by("position")


def _attach_steps(case: Case, steps: list[Any], known: Step | None = None) -> None:
    for step in steps:
        CaseStep.case.field.set_cached_value(step, case)
    _keep(case, "steps", steps)
    current = next((s for s in steps if s.pk == case.current_step_id), None)
    if current is not None:
        if known is not None and known.pk == current.sop_step_id:
            current.sop_step = known
        elif getattr(current, "decides", True):
            prefetch_related_objects([current.sop_step], "branches")
        else:
            _keep(current.sop_step, "branches", [])
    case.current_step = current


def _keep(instance: Model, name: str, rows: list[Any]) -> None:
    """Leave `rows` as the instance's prefetch of relation `name`, as prefetch_related would."""
    cached = getattr(instance, name).all()
    cached._result_cache, cached._prefetch_done = rows, True
    instance.__dict__.setdefault("_prefetched_objects_cache", {})[name] = cached


def case_by_number(number: str) -> Case | None:
    return (
        Case.objects.select_related("sop", "agency", "current_step__sop_step")
        .filter(number=number)
        .exclude(number="")
        .first()
    )


def inbox(
    *,
    user: User,
    sop_slug: str = "",
    sifat: str = "",
    overdue: bool = False,
    due_today: bool = False,
    parked: bool | None = None,
) -> QuerySet[Case]:
    """Cases waiting at the user's desks in the user's agency, most urgent and longest waiting first.

    Read from the case's queue columns (kept by Case.save) through one partial index, so that the
    page and its count do not grow with the cases that wait elsewhere.
    """
    now = timezone.now()
    # The desks the user works at, for the units served there (agencies/org.py): a Kasi of one bidang
    # never sees another bidang's cases.
    cases = Case.objects.filter(org.at_my_desks_q(user), agency_id=user.agency_id).select_related(
        "sop", "beneficiary", "current_step__sop_step", "current_step__arrived_by"
    )
    # parked=None: every case at the desks (the dashboard's count); False: the inbox's own tab; True: the
    # cases waiting for an outside party, in their own tab.
    if parked is True:
        cases = cases.filter(state=Case.WAITING_EXTERNAL)
    elif parked is False:
        cases = cases.exclude(state=Case.WAITING_EXTERNAL)
    if sop_slug:
        cases = cases.filter(sop__slug=sop_slug)
    if sifat:
        cases = cases.filter(sifat=sifat)
    if overdue:
        cases = cases.filter(current_step__due_at__lt=now).exclude(state=Case.WAITING_EXTERNAL)
    if due_today:
        cases = cases.filter(current_step__due_at__gte=now, current_step__due_at__date=timezone.localdate())
    return cases.order_by("queue_rank", "queue_since", "id")


def openable_sops(user: User) -> QuerySet[SOP]:
    """The SOPs this user's front desk may open a case on: current, active, of units it serves."""
    return active_sops_for(user.agency).filter(org.serving_q(user, FRONT_DESK))  # type: ignore[arg-type]


def inbox_sops(user: User) -> QuerySet[SOP]:
    # A user without an agency (agency_id None) matches no SOP, which is what such a user should see.
    return SOP.objects.filter(agency_id=user.agency_id, is_current=True).order_by("number", "name")  # type: ignore[misc]


def case_timeline(case: Case) -> list[CaseStep]:
    return sorted(case.steps.all(), key=lambda step: step.position)


def case_audit(case: Case) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(case=case).select_related("user", "step").order_by("at", "id")


def case_dispositions(case: Case) -> QuerySet[Disposition]:
    return Disposition.objects.filter(case=case).select_related("by", "to_user", "to_position").order_by("at", "id")


def case_letters(case: Case) -> list[IssuedDocument]:
    return sorted(case.letters.all(), key=lambda document: document.pk)


def desk_summary(*, user: User) -> dict[str, int]:
    """At my desks: waiting, overdue, due later today."""
    now = timezone.now()
    cases = inbox(user=user)
    return {
        "waiting": cases.count(),
        "overdue": cases.filter(current_step__due_at__lt=now).exclude(state=Case.WAITING_EXTERNAL).count(),
        "due_today": cases.filter(
            current_step__due_at__gte=now, current_step__due_at__date=timezone.localdate()
        ).count(),
    }


def cases_by_state(*, agency_id: int, units: org.Scope = None) -> list[tuple[str, str, int]]:
    labels = dict(Case.STATE_CHOICES)
    rows = Case.objects.filter(org.scope_q(units), agency_id=agency_id).values("state").annotate(n=Count("id"))
    counts = {row["state"]: row["n"] for row in rows}
    return [(state, labels[state], counts[state]) for state, _ in Case.STATE_CHOICES if counts.get(state)]


def open_cases_by_sop(*, agency_id: int, units: org.Scope = None) -> list[dict[str, str | int]]:
    return list(
        Case.objects.filter(org.scope_q(units), agency_id=agency_id, state__in=Case.OPEN_STATES)
        .values("sop__name", "sop__slug")
        .annotate(open=Count("id"))
        .order_by("-open", "sop__name")
    )


# The columns the case export writes (cases.resources.CaseExport) and orders by: a row with every
# column of the case, its SOP and both persons took a third more time to read and build.
EXPORT_CASE_FIELDS = (
    "number", "state", "sifat", "channel", "registered_at", "closed_at", "created_at",
    "sop__name", "sop__number", "applicant__name", "beneficiary__name",
)  # fmt: skip
EXPORT_NIK_FIELDS = ("applicant__nik", "beneficiary__nik")


def cases_for_export(
    *,
    agency: Agency,
    start: date,
    end: date,
    state: str = "",
    sop_slug: str = "",
    units: org.Scope = None,
    with_nik: bool = False,
) -> QuerySet[Case]:
    """The agency's cases of the period with only what the export writes; the persons' NIK (each a
    decryption) only `with_nik`, for the desks that see whole numbers."""
    since, until = period_bounds(start, end)
    cases = (
        Case.objects.filter(org.scope_q(units), agency=agency, created_at__gte=since, created_at__lt=until)
        .select_related("sop", "applicant", "beneficiary")
        .only(*EXPORT_CASE_FIELDS, *(EXPORT_NIK_FIELDS if with_nik else ()))
    )
    if state:
        cases = cases.filter(state=state)
    if sop_slug:
        cases = cases.filter(sop__slug=sop_slug)
    return cases.order_by("created_at", "id")


def steps_for_export(
    *, agency: Agency, start: date, end: date, sop_slug: str = "", units: org.Scope = None
) -> QuerySet[CaseStep]:
    since, until = period_bounds(start, end)
    steps = CaseStep.objects.filter(
        org.scope_q(units, "case__sop__org_unit_id"), case__agency=agency, started_at__gte=since, started_at__lt=until
    ).select_related("case__sop", "sop_step")
    if sop_slug:
        steps = steps.filter(case__sop__slug=sop_slug)
    return steps.order_by("case_id", "position")


def published_services(agency: Agency) -> list[dict[str, object]]:
    """Active SOPs of the agency with requirements, steps and total time (public Standar Pelayanan)."""
    services: list[dict[str, object]] = []
    # What the page shows (documents, flows, steps), not every list of the SOP: a third of the time.
    steps = Prefetch("steps", queryset=Step.objects.order_by("no"))
    sops = SOP.objects.filter(agency=agency, pk__in=public_sops()).prefetch_related(
        "documents", Prefetch("flows", queryset=Flow.objects.prefetch_related(steps))
    )
    for sop in sops.order_by("name"):
        flows = [{"flow": flow, "total": total_time(list(flow.steps.all()))} for flow in sop.flows.all()]
        services.append({"sop": sop, "flows": flows, "total": flows[0]["total"] if len(flows) == 1 else ""})
    return services
