"""The step editor: a flow's steps in one table, numbered by their order, branches inline.

Rows come from the form in their order (`pos`); a row without an activity is blank and ignored.
A branch's target is an action, or another row by its key (`row:<key>`), so moving rows never
breaks a jump: numbers are assigned when saved. Existing steps are updated in place (their
register checks and cases keep pointing at them); removed rows are deleted.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F

from sop_catalog.models import ONE_SIGNING_STEP, Branch, BranchAction, Flow, Role, Step, step_rule_errors
from sop_catalog.timeparse import parse_time

MAX_BRANCHES = 3
ACTIONS = [
    (BranchAction.NEXT.value, "lanjut ke langkah berikutnya"),
    (BranchAction.APPLICANT.value, "kembali ke pemohon"),
    (BranchAction.REJECT.value, "tolak"),
    (BranchAction.END.value, "selesai"),
]


@dataclass
class BranchRow:
    label: str = ""
    target: str = BranchAction.NEXT.value  # an action, or "row:<key>"


# The berita acara a step may produce (Step.document), by value.
DOCUMENTS = {value for value, _ in Step._meta.get_field("document").choices}


@dataclass
class StepRow:
    key: str
    pos: float = 0
    activity: str = ""
    actor_ids: list[int] = field(default_factory=list)
    signs: bool = False
    requirements: str = ""
    time_text: str = ""
    output: str = ""
    notes: str = ""
    document: str = ""
    delete: bool = False
    branches: list[BranchRow] = field(default_factory=list)

    @property
    def blank(self):
        return self.delete or not self.activity.strip()

    @property
    def step_id(self):
        return int(self.key[1:]) if self.key.startswith("s") and self.key[1:].isdigit() else None


def rows_of(flow: Flow) -> list[StepRow]:
    steps = list(flow.steps.prefetch_related("actors", "branches").order_by("no"))
    key_of_no = {step.no: f"s{step.pk}" for step in steps}
    rows = []
    for step in steps:
        branches = [
            BranchRow(
                branch.label,
                f"row:{key_of_no[branch.step_no]}"
                if branch.action == BranchAction.STEP and branch.step_no in key_of_no
                else branch.action,
            )
            for branch in step.branches.all()
        ]
        rows.append(
            StepRow(
                key=f"s{step.pk}",
                pos=step.no,
                activity=step.activity,
                actor_ids=[role.pk for role in step.actors.all()],
                signs=step.signs,
                requirements=step.requirements,
                time_text=step.time_text,
                output=step.output,
                notes=step.notes,
                document=step.document,
                branches=branches,
            )
        )
    return rows


def rows_from_post(data) -> list[StepRow]:
    """The rows of a submitted editor form, in their order."""
    rows = []
    for index in range(min(int(data.get("rows", 0) or 0), 500)):
        p = f"row-{index}-"
        key = data.get(p + "key", "")
        if not key:
            continue
        try:
            pos = float(data.get(p + "pos", index))
        except ValueError:
            pos = index
        branches = []
        for b in range(MAX_BRANCHES):
            label = data.get(f"{p}b{b}-label", "").strip()
            if label:
                branches.append(BranchRow(label[:60], data.get(f"{p}b{b}-target", BranchAction.NEXT.value)))
        actor_ids = [int(v) for v in data.getlist(p + "actors") if v.isdigit()]
        rows.append(
            StepRow(
                key=key,
                pos=pos,
                activity=data.get(p + "activity", "").strip(),
                actor_ids=actor_ids,
                signs=bool(data.get(p + "signs")),
                requirements=data.get(p + "requirements", "").strip(),
                time_text=data.get(p + "time_text", "").strip()[:120],
                output=data.get(p + "output", "").strip(),
                notes=data.get(p + "notes", "").strip(),
                document=data.get(p + "document", "") if data.get(p + "document", "") in DOCUMENTS else "",
                delete=bool(data.get(p + "delete")),
                branches=branches,
            )
        )
    rows.sort(key=lambda row: row.pos)
    return rows


def _row_errors(no, row, roles, number_of):
    errors = []
    actors = [roles[i] for i in row.actor_ids if i in roles]
    if not actors:
        errors.append(f"Langkah {no}: pilih pelaksananya.")
    for branch in row.branches:
        if branch.target.startswith("row:"):
            if branch.target[4:] not in number_of:
                errors.append(f"Langkah {no}, cabang {branch.label}: langkah tujuannya tidak ada (lagi).")
        elif branch.target not in dict(ACTIONS):
            errors.append(f"Langkah {no}, cabang {branch.label}: tujuan tidak dikenal.")
    actions = [BranchAction.STEP if b.target.startswith("row:") else b.target for b in row.branches]
    errors += [
        f"Langkah {no}: {e}"
        for e in step_rule_errors(
            desk="", actor_desks=[role.desk for role in actors], signs=row.signs, branch_actions=actions
        )
    ]
    return errors


def check_rows(flow: Flow, rows: list[StepRow]) -> list[str]:
    """What is wrong with the rows (Indonesian, by step number); empty when they may be saved."""
    roles = {role.pk: role for role in Role.objects.filter(sop_id=flow.sop_id)}
    kept = [row for row in rows if not row.blank]
    number_of = {row.key: no for no, row in enumerate(kept, start=1)}
    errors = []
    if sum(row.signs for row in kept) > 1:
        errors.append(ONE_SIGNING_STEP)
    for no, row in enumerate(kept, start=1):
        errors += _row_errors(no, row, roles, number_of)
    return errors


@transaction.atomic
def save_rows(flow: Flow, rows: list[StepRow]) -> int:
    """Write the rows as the flow's steps, numbered 1, 2, 3 … in order; returns how many."""
    kept = [row for row in rows if not row.blank]
    number_of = {row.key: no for no, row in enumerate(kept, start=1)}
    existing = {step.pk: step for step in Step.objects.select_for_update().filter(flow=flow)}
    keep_ids = {row.step_id for row in kept if row.step_id in existing}
    Step.objects.filter(flow=flow).exclude(pk__in=keep_ids).delete()
    # Out of the way of the numbers about to be given (unique per flow).
    Step.objects.filter(pk__in=keep_ids).update(no=F("no") + 10000, signs=False)
    for no, row in enumerate(kept, start=1):
        step = existing.get(row.step_id) if row.step_id in keep_ids else None
        if step is None:
            step = Step(flow=flow)
        parsed = parse_time(row.time_text)
        step.no, step.activity, step.signs, step.document = no, row.activity, row.signs, row.document
        step.requirements, step.output, step.notes, step.time_text = (
            row.requirements,
            row.output,
            row.notes,
            row.time_text,
        )
        step.time_min, step.time_max, step.time_unit = parsed.min, parsed.max, parsed.unit or ""
        step.save()
        step.actors.set(Role.objects.filter(sop_id=flow.sop_id, pk__in=row.actor_ids))
        step.branches.all().delete()
        Branch.objects.bulk_create(
            [
                Branch(
                    step=step,
                    order=order,
                    label=branch.label,
                    action=BranchAction.STEP if branch.target.startswith("row:") else branch.target,
                    step_no=number_of[branch.target[4:]] if branch.target.startswith("row:") else None,
                )
                for order, branch in enumerate(row.branches, start=1)
            ]
        )
    return len(kept)
