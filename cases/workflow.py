"""The step trail and the transitions it fires (docs/workflow.md).

Every action here runs in one transaction with the case row locked, checks that the step the
user saw is still the current one, fires the django-fsm transition, and writes the audit log.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Model, OuterRef
from django.utils import timezone

from agencies import org
from agencies.desks import DESK_LABELS, DESK_RANK, SIGNING_DESKS, acting_desks
from agencies.models import Position, User
from cases import letters, moves, rules, selectors
from cases.calendar import due_on, extra_days_off_soon
from cases.counters import take_next
from cases.models import AgendaCounter, AuditEntry, Case, CaseDocument, CaseStep, Disposition, Notification
from cases.notifications import notify_desk
from cases.rules import AlreadyProcessed, TransitionRefused
from cases.states import STATE_RANK, LetterStatus
from cases.uploads import check_scan
from sop_catalog.models import Branch, BranchAction, Flow, Step

__all__ = ["STATE_RANK", "AlreadyProcessed", "TransitionRefused"]


@dataclass
class Move:
    kind: str  # stay, forward, dispose, sign, complete, return_to_applicant, reject
    next_step: CaseStep | None
    branch: str = ""

    @property
    def label(self) -> str:
        to = DESK_LABELS.get(self.next_step.desk, "") if self.next_step else ""
        return {
            "stay": f"Selesai, lanjut ke langkah {self.next_step.label}" if self.next_step else "Selesai",
            "forward": f"Selesai, teruskan ke {to}",
            "dispose": f"Selesai, disposisikan ke {to}",
            "sign": "Tandatangani (setujui)",
            "complete": "Selesai, tutup permohonan",
            "return_to_applicant": "Kembalikan ke pemohon",
            "reject": "Tolak (tidak layak)",
        }[self.kind]


def _prefetched(instance: Model, name: str) -> bool:
    return name in getattr(instance, "_prefetched_objects_cache", {})


def steps_of(case: Case) -> list[CaseStep]:
    """The case's steps in order, from the page's prefetch when there is one."""
    if _prefetched(case, "steps"):
        return sorted(case.steps.all(), key=lambda step: step.position)
    return list(case.steps.select_related("sop_step").order_by("position"))


def signing_step(case: Case, steps: list[CaseStep]) -> CaseStep | None:
    """The case step whose completion signs (approves) the request, or None.

    The SOP step marked `signs`; when it is shared in turn by several superiors, its Kadis part
    (else its Sekdin part). The mark is validated in the catalog: at most one per flow, on a step
    at the Kadis or Sekdin desk.
    """
    marked = [s for s in steps if s.sop_step.signs]
    for desk in SIGNING_DESKS:
        at_desk = [s for s in marked if s.desk == desk]
        if at_desk:
            return at_desk[-1]
    return None


def fire(case: Case, name: str, user: User, *args: str) -> None:
    """Fire the transition, refused as rules.require_transition refuses it."""
    rules.require_transition(case, user, name)
    getattr(case, name)(*args)


# --- the trail -----------------------------------------------------------------------------


def desks_of(sop_step: Step) -> list[str]:
    """The desks that act on an SOP step in turn (agencies.desks.acting_desks)."""
    return acting_desks(sop_step.desk, [role.desk for role in sop_step.actors.all()])


def create_steps(case: Case) -> list[CaseStep]:
    """The case's steps, from its SOP version's chosen flow (the first when there is one)."""
    flow = case.flow or case.sop.flows.order_by("order").first()
    if flow is None:
        raise TransitionRefused("SOP ini belum memiliki langkah; permohonan tidak dapat didaftarkan.")
    case.flow = flow
    rows = lay_out(case, flow)
    if not rows:
        raise TransitionRefused("Alur SOP ini belum memiliki langkah; permohonan tidak dapat didaftarkan.")
    CaseStep.objects.bulk_create(rows)
    return list(case.steps.order_by("position"))


def lay_out(case: Case, flow: Flow) -> list[CaseStep]:
    """The flow's steps as the case's, unsaved: each SOP step once per desk that acts on it in
    turn, the parts of a shared step numbered (bench/seed.py lays its cases out with it too)."""
    rows: list[CaseStep] = []
    for sop_step in flow.steps.prefetch_related("actors").order_by("no"):
        desks = desks_of(sop_step)
        for part, desk in enumerate(desks, start=1):
            rows.append(
                CaseStep(
                    case=case,
                    sop_step=sop_step,
                    position=len(rows) + 1,
                    no=sop_step.no,
                    part=part if len(desks) > 1 else 0,
                    desk=desk,
                )
            )
    return rows


# The columns a step's start and its end write (a step row is never written whole).
START_FIELDS = ["status", "started_at", "completed_at", "completed_by", "outcome", "due_at", "arrived_by",
                "arrival_kind", "arrival_note", "to_position"]  # fmt: skip
FINISH_FIELDS = ["status", "completed_at", "completed_by", "note", "outcome"]
# The columns of the case a completion changes (Case.save adds its queue columns).
MOVE_FIELDS = ["state", "current_step", "closed_at"]


def start_step(case: Case, step: CaseStep, now: datetime, *, save: bool = True) -> None:
    step.status = CaseStep.CURRENT
    step.started_at = now
    step.completed_at = None
    step.completed_by = None
    step.outcome = ""
    sop_step = step.sop_step
    amount = sop_step.time_max
    # A case locked for a completion says whether days off are near (calendar.extra_days_off_soon).
    days_off_soon = getattr(case, "days_off_soon", None)
    step.due_at = due_on(case.agency, now, amount, sop_step.time_unit, days_off_soon) if amount is not None else None
    if save:
        step.save(update_fields=START_FIELDS)
    case.current_step = step


# Branch actions that end the step's move without a next step, and the move each makes.
CLOSING_ACTIONS: dict[str, str] = {
    BranchAction.APPLICANT: "return_to_applicant",
    BranchAction.REJECT: "reject",
    BranchAction.END: "complete",
}


def plan(case: Case, branch: str = "") -> Move:
    """What completing the current step (with `branch` on a decision) will do."""
    step = case.current_step
    assert step is not None  # a case at a desk has a current step
    steps = steps_of(case)
    following = next((s for s in steps if s.position > step.position), None)
    chosen = _chosen_branch(step, following, branch)
    if chosen is not None and chosen.action in CLOSING_ACTIONS:
        return Move(CLOSING_ACTIONS[chosen.action], None, branch)
    next_step = _target(steps, chosen) if chosen is not None and chosen.action == BranchAction.STEP else following
    signer = signing_step(case, steps)
    if case.state in (Case.AT_KADIS, Case.AT_SEKDIN) and signer is not None and step.pk == signer.pk:
        return Move("sign", next_step, branch)
    if next_step is None:
        return Move("complete", None, branch)
    if case.state == Case.APPROVED:
        return Move("stay", next_step, branch)
    here, there = STATE_RANK[case.state], DESK_RANK[next_step.desk]
    kind = "forward" if there > here else "dispose" if there < here else "stay"
    return Move(kind, next_step, branch)


def _chosen_branch(step: CaseStep, following: CaseStep | None, label: str) -> Branch | None:
    """The decision's branch named `label`; None for a process step (or a part before the last)."""
    # A decision is taken once, by the last desk of a step shared in turn.
    last_part = following is None or following.sop_step_id != step.sop_step_id
    branches = {b.label: b for b in step.sop_step.branches.all()} if last_part else {}
    if not branches:
        return None
    if label not in branches:
        raise TransitionRefused(f"Pilih keputusan langkah ini: {', '.join(branches)}.")
    return branches[label]


def _target(steps: list[CaseStep], branch: Branch) -> CaseStep:
    target = next((s for s in steps if s.no == branch.step_no), None)
    if target is None:
        raise TransitionRefused(f"Langkah tujuan {branch.step_no} tidak ada di alur SOP ini; hubungi admin.")
    return target


def check_current(case: Case, step_id: str | int | None) -> None:
    """Refuse an action taken on a page that shows a step which is no longer current."""
    if step_id is not None and (not str(step_id).isdecimal() or case.current_step_id != int(step_id)):
        last = case.audit.select_related("user").order_by("-at", "-id").first()
        who = last.user.display_name if last else "pengguna lain"
        raise AlreadyProcessed(f"Permohonan ini sudah diproses oleh {who} — muat ulang halaman.")


def _lock(case: Case, expected_step_id: str | int | None = None) -> Case:
    locked = (
        Case.objects.select_for_update(of=("self",))
        .select_related("agency", "sop", "current_step__sop_step")
        .get(pk=case.pk)
    )
    check_current(locked, expected_step_id)
    return locked


def _lock_for_completion(seen: Case, expected_step_id: str | int | None) -> Case:
    """The case row locked (no joins), then its steps read fresh under the lock, in one more query.

    The agency and the SOP version already loaded with `seen` are kept (a used SOP version is
    locked; the agency's calendar settings are read as the request found them), and so is the
    catalog step with its decisions.
    """
    locked = Case.objects.select_for_update().annotate(days_off_soon=extra_days_off_soon(OuterRef("agency_id")))
    locked = locked.get(pk=seen.pk)
    check_current(locked, expected_step_id)
    for field in (Case.agency, Case.sop):
        if field.is_cached(seen):
            field.field.set_cached_value(locked, field.field.get_cached_value(seen))
    before = seen.current_step if Case.current_step.is_cached(seen) else None
    known = before.sop_step if before is not None and CaseStep.sop_step.is_cached(before) else None
    selectors.with_steps(locked, known if known is not None and _prefetched(known, "branches") else None)
    return locked


def _audit(
    case: Case,
    user: User,
    action: str,
    from_state: str,
    step: CaseStep | None = None,
    note: str = "",
    ip: str | None = None,
) -> None:
    _entry(case, user, action, from_state, step, note, ip).save()


def _entry(
    case: Case,
    user: User,
    action: str,
    from_state: str,
    step: CaseStep | None = None,
    note: str = "",
    ip: str | None = None,
) -> AuditEntry:
    """An audit row as the case stands now, to be inserted with the others of the action."""
    return AuditEntry(
        case=case,
        user=user,
        desk=step.desk if step else "",
        action=action,
        from_state=from_state,
        to_state=case.state,
        step=step,
        note=note,
        ip_address=ip,
    )


def _arrive(
    case: Case,
    step: CaseStep,
    now: datetime,
    previous_desk: str | None,
    *,
    actor: User | None = None,
    kind: str = Notification.ARRIVED,
    note: str = "",
    position: Position | None = None,
    save: bool = True,
) -> None:
    """The step starts; it keeps who sent the case, as what and why (shown on the inbox row), and the
    desk's users but the sender get a notice worded for the event (a disposisi to a position: its
    holder of the day, who alone works on the step while it is current: CaseStep.to_position)."""
    step.arrived_by, step.arrival_kind, step.arrival_note = actor, kind, note
    step.to_position = position
    start_step(case, step, now, save=save)
    if step.desk != previous_desk or kind != Notification.ARRIVED:
        notify_desk(case, step.desk, kind=kind, actor=actor, reason=note, step=step, position=position)


def _return_to_applicant(case: Case, user: User, note: str, ip: str | None, audit_note: str | None = None) -> Case:
    """On the locked case: the papers go back to the applicant; the step waits for them."""
    before = case.state
    fire(case, "return_to_applicant", user)
    case.returned_at, case.returned_by, case.return_note = timezone.now(), user, note
    case.save()
    _audit(case, user, "return_to_applicant", before, case.current_step, audit_note or note, ip)
    return case


def _reject(case: Case, user: User, reason: str, ip: str | None, outcome: str = "Tidak layak") -> Case:
    """On the locked case: tidak layak, with the reason; the current step ends with the decision."""
    if not reason.strip():
        raise TransitionRefused("Tuliskan alasan penolakan.")
    before = case.state
    fire(case, "reject", user)
    now = timezone.now()
    case.closing_reason, case.closed_at = reason, now
    step = case.current_step
    assert step is not None  # a case at a desk has a current step
    _finish(step, user, now, reason, outcome)
    case.current_step = None
    case.save()
    _audit(case, user, "reject", before, step, reason, ip)
    letters.issue_rejection(case, user)
    return case


@transaction.atomic
def return_to_applicant(*, case: Case, user: User, note: str = "", ip: str | None = None) -> Case:
    return _return_to_applicant(_lock(case), user, note, ip)


@transaction.atomic
def resubmit(*, case: Case, user: User, ip: str | None = None) -> Case:
    """The applicant is back with the papers: the interrupted step starts over."""
    case = _lock(case)
    fire(case, "resubmit", user)
    if case.current_step is not None:
        start_step(case, case.current_step, timezone.now())
    case.save()
    _audit(case, user, "resubmit", Case.RETURNED, case.current_step, ip=ip)
    return case


@transaction.atomic
def register(*, case: Case, user: User, number: Callable[[Case], str], ip: str | None = None) -> Case:
    """Called by services.register_case: number, steps, first desk."""
    case = _lock(case)
    rules.require(case, user, "register")
    steps = create_steps(case)
    letters.open_drafts(case)
    assert case.flow is not None  # create_steps has set it
    if not case.flow.steps.filter(signs=True).exists() and case.letters.filter(status=LetterStatus.DRAFT).exists():
        raise TransitionRefused(
            "SOP ini menerbitkan surat tetapi tidak menandai langkah yang menandatanganinya; hubungi admin."
        )
    fire(case, "register", user, steps[0].desk)
    now = timezone.now()
    case.number = number(case)
    case.registered_at = now
    if case.channel == "surat":  # a surat masuk: its line in the agency's buku agenda
        case.agenda_year = timezone.localtime(now).year
        case.agenda_number = take_next(AgendaCounter, agency_id=case.agency_id, year=case.agenda_year)
    _arrive(case, steps[0], now, previous_desk=None, actor=user)
    case.save()
    _audit(case, user, "register", Case.DRAFT, steps[0], ip=ip)
    return case


def complete_step(
    *,
    case: Case,
    user: User,
    step_id: str | int | None,
    note: str = "",
    branch: str = "",
    disposition: dict[str, Any] | None = None,
    ip: str | None = None,
    render_disposition: Callable[[Disposition], bytes] | None = None,
    credentials: dict[str, str] | None = None,
    locked: bool = False,
) -> Case:
    """Finish the current step and move along the SOP, firing the named transition.

    `credentials`: what a BSrE signer typed for the signing step (NIK, passphrase), used once, never stored.
    `locked`: the caller loaded `case` in its transaction with the row locked, and its steps after
    that (selectors.case_for_action(lock=True)); nothing is loaded again and no savepoint is
    taken: a refusal rolls the caller's transaction back.
    """
    with transaction.atomic(savepoint=not locked):
        if locked:
            check_current(case, step_id)
            if not _prefetched(case, "steps"):
                selectors.with_steps(case)
        else:
            case = _lock_for_completion(case, step_id)
        return _complete(case, user, note, branch, disposition, ip, render_disposition, credentials)


def _complete(
    case: Case,
    user: User,
    note: str,
    branch: str,
    disposition: dict[str, Any] | None,
    ip: str | None,
    render_disposition: Callable[[Disposition], bytes] | None,
    credentials: dict[str, str] | None = None,
) -> Case:
    rules.require(case, user, "complete_step")
    move = plan(case, branch)
    if move.kind == "return_to_applicant":
        return _return_to_applicant(case, user, note, ip, audit_note=note or branch)
    if move.kind == "reject":
        return _reject(case, user, note, ip, outcome=branch)
    _move_on(case, user, move, note, branch, disposition, ip, render_disposition, credentials)
    return case


def _move_on(
    case: Case,
    user: User,
    move: Move,
    note: str,
    branch: str,
    disposition: dict[str, Any] | None,
    ip: str | None,
    render_disposition: Callable[[Disposition], bytes] | None,
    credentials: dict[str, str] | None = None,
) -> None:
    """The step is done: sign when it is the signing step, then complete, or go to the next desk.

    Each row written with its changed columns only. A move to a next step without a signature
    writes the finished step, the started one, the case, the audit rows and the paraf at the end,
    in one statement on PostgreSQL (cases/moves.py); signing and closing write as they go.
    """
    step, before, now = case.current_step, case.state, timezone.now()
    assert step is not None  # a case at a desk has a current step
    next_step = move.next_step
    deferred = next_step is not None and move.kind != "sign"
    _finish(step, user, now, note, branch, save=not deferred)
    entries = [_entry(case, user, "step", before, step, note or branch, ip)]
    if not deferred:
        letters.record_paraf(case, user, step.desk)
    if move.kind == "sign":
        letters.issue_drafts(case, user, credentials)
        fire(case, "sign", user)
        entries.append(_entry(case, user, "sign", before, step, note, ip))
        before = case.state
    if next_step is None:
        _close(case, user, step, before, note, ip, entries)
        return
    _reset_between(case, step, next_step)
    if move.kind == "forward":
        fire(case, "forward", user, next_step.desk)
    record = None
    if move.kind == "dispose":
        fire(case, "dispose", user, next_step.desk)
        record = _disposition(case, user, step, next_step, disposition or {}, note)
    kind = ARRIVAL_KINDS.get(move.kind, Notification.ARRIVED)
    reason = _disposition_text(disposition or {}, note) if move.kind == "dispose" else note
    position = record.to_position if record is not None else None
    _arrive(
        case, next_step, now, previous_desk=step.desk, actor=user, kind=kind, note=reason, position=position,
        save=not deferred,
    )  # fmt: skip
    if record is not None:
        _file_disposition(case, record, next_step, disposition or {}, render_disposition)
    if move.kind in ("forward", "dispose"):
        entries.append(_entry(case, user, move.kind, before, next_step, note, ip))
    if deferred:
        steps = [(step, FINISH_FIELDS), (next_step, START_FIELDS)]
        moves.write(case, MOVE_FIELDS, steps, entries, paraf=(user, step.desk, now))
        return
    case.save(update_fields=MOVE_FIELDS)
    AuditEntry.objects.bulk_create(entries)


ARRIVAL_KINDS = {"dispose": Notification.DISPOSISI, "sign": Notification.SIGNED}


def _file_disposition(
    case: Case,
    record: Disposition,
    next_step: CaseStep,
    data: dict[str, Any],
    render_disposition: Callable[[Disposition], bytes] | None,
) -> None:
    # batas waktu penyelesaian: the one given, else the due time of the step it sends the case to
    due = data.get("due_date") or (timezone.localtime(next_step.due_at).date() if next_step.due_at else None)
    if due:
        record.due_date = due
        record.save(update_fields=["due_date"])
    if render_disposition is not None:
        record.pdf.save(f"disposisi-{case.pk}-{record.pk}.pdf", ContentFile(render_disposition(record)))


def _disposition_text(data: dict[str, Any], note: str) -> str:
    instructions = ", ".join(i for i in data.get("instructions", []) if i in Disposition.INSTRUCTIONS)
    extra = data.get("note") or note
    return f"{instructions} — {extra}" if instructions and extra else instructions or extra


def _close(
    case: Case, user: User, step: CaseStep, before: str, note: str, ip: str | None, entries: list[AuditEntry]
) -> None:
    """The last step is done: the request is completed, once no letter waits for its signature."""
    if case.letters.filter(status=LetterStatus.DRAFT).exists():
        raise TransitionRefused(
            "Surat permohonan ini belum ditandatangani Kepala Dinas; permohonan belum dapat ditutup."
        )
    fire(case, "complete", user)
    case.current_step, case.closed_at = None, step.completed_at
    case.save(update_fields=MOVE_FIELDS)
    entries.append(_entry(case, user, "complete", before, step, note, ip))
    AuditEntry.objects.bulk_create(entries)


def _finish(step: CaseStep, user: User, now: datetime, note: str, branch: str, *, save: bool = True) -> None:
    step.status = CaseStep.DONE
    step.completed_at = now
    step.completed_by = user
    step.note = note
    step.outcome = branch
    if save:
        step.save(update_fields=FINISH_FIELDS)


def _reset_between(case: Case, step: CaseStep, next_step: CaseStep) -> None:
    """Jumping back re-opens the steps in between; jumping ahead skips them."""
    if next_step.position == step.position + 1:
        return  # the next step in order: nothing in between
    if next_step.position < step.position:
        case.steps.filter(position__gte=next_step.position, position__lte=step.position).exclude(pk=step.pk).update(
            status=CaseStep.PENDING, completed_at=None, completed_by=None, outcome=""
        )
    else:
        case.steps.filter(position__gt=step.position, position__lt=next_step.position, status=CaseStep.PENDING).update(
            status=CaseStep.SKIPPED
        )


def _disposition(
    case: Case, user: User, step: CaseStep, next_step: CaseStep, data: dict[str, Any], note: str
) -> Disposition:
    instructions = [i for i in data.get("instructions", []) if i in Disposition.INSTRUCTIONS]
    if not instructions:
        raise TransitionRefused("Pilih sedikitnya satu instruksi disposisi.")
    position = data.get("to_position")
    if position is not None and position not in org.disposition_positions(
        user, case.agency_id, next_step.desk, case.sop.org_unit_id
    ):
        raise TransitionRefused("Penerima disposisi harus jabatan di meja tujuan, di bawah unit Anda.")
    holder = org.holder_today(position) if position is not None else None
    return Disposition.objects.create(
        case=case,
        by=user,
        from_desk=step.desk,
        to_desk=next_step.desk,
        to_position=position,
        to_user=holder.user if holder is not None else None,
        instructions=instructions,
        note=data.get("note", note),
    )


@transaction.atomic
def wait_external(
    *,
    case: Case,
    user: User,
    step_id: str | int | None,
    waiting_for: str,
    until: date | None = None,
    ip: str | None = None,
) -> Case:
    """Park the case until an outside party answers; `until` is the expected date, when the desk is reminded
    (`manage.py notify_overdue`). A parked case is never late: its waiting time is added to the step's due time."""
    case = _lock(case, step_id)
    rules.require(case, user, "wait_external")
    if not waiting_for.strip():
        raise TransitionRefused("Tuliskan apa yang ditunggu, misalnya “proses BPJS ± 3 bulan”.")
    if until is not None and until < timezone.localdate():
        raise TransitionRefused("Perkiraan tanggal jawaban tidak boleh sebelum hari ini.")
    before = case.state
    fire(case, "wait_external", user)
    case.waiting_for = waiting_for
    case.waiting_until, case.waiting_reminded_on = until, None
    case.save()
    expected = f" (perkiraan {until:%d-%m-%Y})" if until else ""
    _audit(case, user, "wait_external", before, case.current_step, waiting_for + expected, ip)
    return case


@transaction.atomic
def resume(
    *,
    case: Case,
    user: User,
    step_id: str | int | None,
    note: str = "",
    ip: str | None = None,
    answer_scan: Any = None,
) -> Case:
    """The outside party answered: `note` is what it answered (kept in the audit); `answer_scan`, an optional
    scan of its letter, becomes a line of the case's documents ("Jawaban pihak luar …")."""
    case = _lock(case, step_id)
    rules.require(case, user, "resume")
    if answer_scan is not None:
        _keep_answer_scan(case, user, answer_scan, note)
    assert case.current_step is not None  # a case at a desk has a current step
    parked = case.audit.filter(action="wait_external").order_by("-at", "-id").first()
    back = parked.from_state if parked else Case.STATE_FOR_DESK[case.current_step.desk]
    fire(case, "resume", user, back)
    step = case.current_step
    if parked and step.due_at is not None:
        # The outside party's time does not count against the desk's standard.
        step.due_at += timezone.now() - parked.at
        step.save(update_fields=["due_at"])
    waited_for = case.waiting_for
    case.waiting_for, case.waiting_until, case.waiting_reminded_on = "", None, None
    case.save()
    answer = f"Jawaban pihak luar ({waited_for}): {note}" if note.strip() else ""
    _audit(case, user, "resume", Case.WAITING_EXTERNAL, case.current_step, answer, ip)
    return case


def _keep_answer_scan(case: Case, user: User, upload: Any, note: str) -> None:
    content_type = check_scan(upload)
    now = timezone.now()
    document = CaseDocument(
        case=case,
        order=10_000 + case.documents.count(),
        name=f"Jawaban pihak luar ({timezone.localtime(now):%d-%m-%Y}): {note}"[:200].rstrip(": "),
        required=False,
        received=True,
        content_type=content_type,
        original_name=upload.name[:255],
        size=upload.size,
        uploaded_by=user,
        uploaded_at=now,
    )
    document.file.save("scan", upload, save=False)
    try:
        document.save()
    except Exception:
        document.file.delete(save=False)
        raise


@transaction.atomic
def return_for_revision(*, case: Case, user: User, step_id: str | int | None, note: str, ip: str | None = None) -> Case:
    case = _lock(case, step_id)
    rules.require(case, user, "return_for_revision")
    if not note.strip():
        raise TransitionRefused("Tuliskan apa yang harus diperbaiki.")
    step = case.current_step
    assert step is not None  # a case at a desk has a current step
    here = DESK_RANK[step.desk]
    lower = [desk for desk, rank in DESK_RANK.items() if rank < here]
    previous = (
        case.steps.filter(status=CaseStep.DONE, position__lt=step.position, desk__in=lower)
        .order_by("-completed_at", "-position")
        .first()
    )
    if previous is None:
        raise TransitionRefused("Tidak ada meja sebelumnya di bawah meja ini untuk menerima revisi.")
    before = case.state
    fire(case, "return_for_revision", user, previous.desk)
    letters.drop_parafs(
        case, {s.desk for s in case.steps.filter(position__gte=previous.position, position__lte=step.position)}
    )
    step.status = CaseStep.PENDING
    step.started_at = step.due_at = None
    step.save()
    _reset_between(case, step, previous)
    # Back to the position a disposisi addressed it to, if one did: its holder revises it.
    _arrive(
        case, previous, timezone.now(), previous_desk=step.desk, actor=user, kind=Notification.RETURNED, note=note,
        position=previous.to_position,
    )  # fmt: skip
    previous.note = ""
    previous.save()
    case.save()
    _audit(case, user, "return_for_revision", before, previous, note, ip)
    return case


@transaction.atomic
def take_back(*, case: Case, user: User, step_id: str | int | None, note: str = "", ip: str | None = None) -> Case:
    """Tarik kembali: the sender takes the case back to the step they finished, while the desk it was sent to
    has not acted on it; the step sent to waits again, the sender's initials on a draft letter are void, the
    desk is told, and the audit keeps who took it back and why."""
    case = _lock(case, step_id)
    rules.require(case, user, "take_back")
    previous = case.taken_back_to(user)
    current = case.current_step
    assert previous is not None and current is not None  # the transition's permission checked both
    before, now = case.state, timezone.now()
    fire(case, "take_back", user, previous.desk)
    letters.drop_parafs(case, {previous.desk})
    current.status, current.started_at, current.due_at = CaseStep.PENDING, None, None
    current.arrived_by, current.arrival_kind, current.arrival_note = None, "", ""
    addressed, current.to_position = current.to_position, None
    current.save()
    case.steps.filter(position__gt=previous.position, position__lt=current.position, status=CaseStep.SKIPPED).update(
        status=CaseStep.PENDING
    )
    previous.arrived_by, previous.arrival_kind, previous.arrival_note = user, Notification.TAKEN_BACK, note
    # previous.to_position stays: a step a disposisi addressed to the sender's position is theirs again.
    start_step(case, previous, now)
    case.save()
    _audit(case, user, "take_back", before, previous, note or f"ditarik dari meja {current.desk_label}", ip)
    notify_desk(case, current.desk, kind=Notification.TAKEN_BACK, actor=user, step=current, position=addressed)
    return case


@transaction.atomic
def reject(*, case: Case, user: User, step_id: str | int | None, reason: str, ip: str | None = None) -> Case:
    case = _lock(case, step_id)
    rules.require(case, user, "reject")
    return _reject(case, user, reason, ip)


@transaction.atomic
def cancel(*, case: Case, user: User, reason: str, ip: str | None = None) -> Case:
    case = _lock(case)
    if not reason.strip():
        raise TransitionRefused("Tuliskan alasan pembatalan.")
    before = case.state
    fire(case, "cancel", user)
    case.closing_reason, case.closed_at = reason, timezone.now()
    step = case.current_step
    if step is not None:
        step.status = CaseStep.SKIPPED
        step.save()
    case.current_step = None
    case.save()
    _audit(case, user, "cancel", before, step, reason, ip)
    return case
