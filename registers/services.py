"""Changes to the registers: recording a padanan on a case step, logging who saw which rows."""

from django.core.exceptions import PermissionDenied
from django.db import transaction

from agencies.loading import Loader
from agencies.models import Agency
from cases.models import AuditEntry, Case
from cases.workflow import TransitionRefused, check_current
from registers import selectors
from registers.models import Access, Check, Match, Register
from sop_catalog.models import Step
from sop_catalog.services import changed_since_loaded


def log_access(*, user, entries, via, ip=None):
    """One access row per register row shown (UU PDP), written as for persons (cases.models.AccessLog)."""
    Access.record(user=user, rows=entries, via=via, ip=ip)


def _stored(results):
    """The part of the lookup kept on the step: names masked, no whole NIK or KK."""
    return [
        {
            "code": r["code"],
            "name": r["name"],
            "period": r["period"].label if r["period"] else None,
            "period_id": r["period"].pk if r["period"] else None,
            "expectation": r["expectation"],
            "found": r["found"],
            "ok": r["ok"],
            "subjects": [
                {"role": s["role"], "name": s["name"], "found": s["found"], "desil": s["desil"]} for s in r["subjects"]
            ],
        }
        for r in results
    ]


@transaction.atomic
def record_match(*, case, user, step_id, override=False, reason="", ip=None):
    """The desk holding the step confirms what the registers say, or overrides it with a reason.

    The lookup is made again here, under the case's row lock, so what is stored is what the
    registers held at that moment, with their periods.
    """
    locked = (
        Case.objects.select_for_update(of=("self",))
        .select_related("agency", "applicant", "beneficiary", "current_step__sop_step")
        .get(pk=case.pk)
    )
    check_current(locked, step_id)
    step = locked.current_step
    if step is None or not locked.holds(user):
        raise PermissionDenied("Langkah ini bukan di meja Anda.")
    found = selectors.padanan(locked, step.sop_step)
    if found is None:
        raise TransitionRefused("Langkah ini tidak memakai data padanan.")
    reason = (reason or "").strip()
    if override and not reason:
        raise TransitionRefused("Tuliskan alasan bila hasil padanan ditimpa.")
    ok = (not found["ok"]) if override else found["ok"]
    match = Match.objects.create(
        case=locked,
        case_step=step,
        user=user,
        outcome=Match.OVERRIDDEN if override else Match.CONFIRMED,
        computed_ok=found["ok"],
        ok=ok,
        reason=reason,
        results=_stored(found["results"]),
        sentence=found["sentence"],
    )
    verdict = "memenuhi" if ok else "tidak memenuhi"
    note = f"Padanan {match.get_outcome_display().lower()}: {verdict}; {found['sentence']}."
    if override:
        note += f" Alasan: {reason}"
    AuditEntry.objects.create(
        case=locked,
        user=user,
        desk=step.desk,
        action="padanan",
        from_state=locked.state,
        to_state=locked.state,
        step=step,
        note=note,
        ip_address=ip,
    )
    log_access(
        user=user,
        entries=[row for r in found["results"] for s in r["subjects"] for row in s["rows"]],
        via=f"padanan {locked}",
        ip=ip,
    )
    return match


class RegisterDataError(Exception):
    """fixtures/register_checks.json does not fit the catalog; the message says where (Indonesian)."""


def _marked_steps(mark, skipped):
    """The steps (one per SOP version) a mark names. A version whose step no longer holds the
    phrases (an admin reworded or renumbered it) is skipped and noted; when no version does, the
    fixture is wrong and nothing is saved."""
    steps = list(
        Step.objects.filter(flow__sop__slug=mark["sop"], flow__order=mark["flow"], no=mark["step"]).select_related(
            "flow__sop"
        )
    )
    admin_changed = changed_since_loaded(mark["sop"])
    if not steps:
        problem = f"SOP {mark['sop']} alur {mark['flow']} langkah {mark['step']} tidak ada di katalog"
        if admin_changed:
            skipped.append(problem)
            return []
        raise RegisterDataError(problem + ".")
    matching, problems = [], []
    for step in steps:
        text = " ".join(step.activity.split()).lower()
        missing = [phrase for phrase in mark["phrases"] if phrase.lower() not in text]
        if missing:
            problems.append(
                f"SOP {mark['sop']} versi {step.flow.sop.version} langkah {step.no} "
                f"(kegiatannya tidak memuat '{missing[0]}')"
            )
        else:
            matching.append(step)
    if not matching and not admin_changed:
        raise RegisterDataError(problems[0].replace(" (", ": ").rstrip(")") + ".")
    skipped.extend(problems)
    return matching


@transaction.atomic
def load_register_data(data, report=None):
    """The standard registers for every agency, and the checks on every version of the marked SOP
    steps; a check an admin changed since it was loaded is left alone (agencies/loading.py)."""
    counts = {"registers": 0, "checks": 0, "steps": 0}
    for agency in Agency.objects.all():
        for item in data["registers"]:
            _, created = Register.objects.get_or_create(
                agency=agency, code=item["code"], defaults={"name": item["name"], "description": item["description"]}
            )
            counts["registers"] += created
    codes = {item["code"] for item in data["registers"]}
    loader = Loader("tanda padanan")
    for mark in data["checks"]:
        unknown = {r["code"] for r in mark["registers"]} - codes
        if unknown:
            raise RegisterDataError(f"SOP {mark['sop']}: register tidak dikenal: {', '.join(sorted(unknown))}.")
        skipped: list[str] = []
        for step in _marked_steps(mark, skipped):
            counts["steps"] += 1
            for order, item in enumerate(mark["registers"], start=1):
                values = {"order": order, "expectation": item["expectation"]}
                key = f"{mark['sop']}/v{step.flow.sop.version}/{mark['flow']}/{step.no}/{item['code']}"
                loader.load_row(key, Check, {"step": step, "register_code": item["code"]}, values)
                counts["checks"] += 1
        loader.skipped.extend((problem, "langkahnya diubah admin sejak dimuat") for problem in skipped)
        loader.counts["skipped"] += len(skipped)
    if report is not None:
        report.append(loader)
    return counts


def padanan_at_step(*, case: Case, user, ip: str | None) -> dict:
    """For the case page: the registers' answer at the current step and what was recorded there.

    The register rows shown are access-logged here, where the page is built.
    """
    step = case.current_step if case.state in case.OPEN_STATES else None
    if step is None or not getattr(case, "has_padanan", True):
        return {"now": None}
    found = selectors.padanan(case, step.sop_step)
    if found is not None:
        log_access(
            user=user,
            entries=[row for r in found["results"] for s in r["subjects"] for row in s["rows"]],
            via=f"permohonan {case}",
            ip=ip,
        )
    return {
        "now": found,
        "step": step,
        "may_record": found is not None and case.holds(user),
        "recorded": selectors.step_matches(case, step),
    }
