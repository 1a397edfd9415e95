"""Two versions of one SOP side by side: identity, lists, steps (with times and branches), totals."""

from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

from sop_catalog.flowchart import format_standard, total_time
from sop_catalog.models import SOP, Branch, Step

IDENTITY = [
    ("number", "Nomor SOP"),
    ("name", "Nama SOP"),
    ("unit", "Bidang/unit"),
    ("created_display", "Tanggal pembuatan"),
    ("revised_display", "Tanggal revisi"),
    ("effective_display", "Tanggal efektif"),
    ("approved_by_name", "Disahkan oleh"),
    ("approved_by_title", "Jabatan pengesah"),
    ("approved_by_nip", "NIP pengesah"),
    ("warning", "Peringatan"),
    ("recording", "Pencatatan dan pendataan"),
]
LISTS = [
    ("legal_bases", "Dasar hukum"),
    ("qualifications", "Kualifikasi pelaksana"),
    ("related_sops", "Keterkaitan"),
    ("equipment", "Peralatan/perlengkapan"),
]
STEP_FIELDS = [
    ("activity", "Kegiatan"),
    ("actors", "Pelaksana"),
    ("requirements", "Kelengkapan"),
    ("time", "Waktu"),
    ("output", "Output"),
    ("notes", "Keterangan"),
    ("signs", "Menandatangani"),
    ("document", "Berita acara"),
    ("branches", "Cabang"),
]


@dataclass
class Row:
    label: str
    old: str
    new: str

    @property
    def changed(self) -> bool:
        return self.old != self.new


@dataclass
class ListDiff:
    label: str
    # (mark, text): mark is "" (both), "-" (only in the old version) or "+" (only in the new one).
    items: list[tuple[str, str]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(mark for mark, _ in self.items)


@dataclass
class StepDiff:
    no: int
    # "changed", "same", "added" (only in the new version) or "removed" (only in the old one).
    kind: str
    rows: list[Row]


@dataclass
class FlowDiff:
    title: str
    steps: list[StepDiff]
    total: Row


def _branch_text(branch: Branch) -> str:
    return f"{branch.label} → {branch.target_display}"


def _step_values(step: Step) -> dict[str, str]:
    actors = sorted(step.actors.all(), key=lambda role: role.order)
    return {
        "activity": step.activity,
        "actors": ", ".join(role.label for role in actors) or (step.get_desk_display() if step.desk else ""),
        "requirements": step.requirements,
        "time": step.time_text + (f" ({format_standard(step)})" if format_standard(step) else ""),
        "output": step.output,
        "notes": step.notes,
        "signs": "ya" if step.signs else "",
        "document": step.get_document_display() if step.document else "",
        "branches": "; ".join(_branch_text(branch) for branch in step.branches.all()),
    }


def list_diff(label: str, old: list[str], new: list[str]) -> ListDiff:
    diff = ListDiff(label)
    for op, a1, a2, b1, b2 in SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if op == "equal":
            diff.items.extend(("", text) for text in old[a1:a2])
        else:
            diff.items.extend(("-", text) for text in old[a1:a2])
            diff.items.extend(("+", text) for text in new[b1:b2])
    return diff


def _texts(sop: SOP, key: str) -> list[str]:
    return [item.text for item in getattr(sop, key).all()]


def compare(old: SOP, new: SOP) -> dict[str, Any]:
    """The differences between two versions (both prefetched with sop_with_everything)."""
    identity = [Row(label, str(getattr(old, key)), str(getattr(new, key))) for key, label in IDENTITY]
    lists = [list_diff(label, _texts(old, key), _texts(new, key)) for key, label in LISTS]
    lists.append(
        list_diff(
            "Berkas persyaratan",
            [doc.name + ("" if doc.required else " (tidak wajib)") for doc in old.documents.all()],
            [doc.name + ("" if doc.required else " (tidak wajib)") for doc in new.documents.all()],
        )
    )
    lists.append(
        list_diff(
            "Kolom pelaksana",
            [f"{role.label} ({role.get_desk_display()})" for role in old.roles.all()],
            [f"{role.label} ({role.get_desk_display()})" for role in new.roles.all()],
        )
    )
    old_flows, new_flows = list(old.flows.all()), list(new.flows.all())
    flows = []
    for index in range(max(len(old_flows), len(new_flows))):
        a = old_flows[index] if index < len(old_flows) else None
        b = new_flows[index] if index < len(new_flows) else None
        a_steps = {step.no: step for step in a.steps.all()} if a else {}
        b_steps = {step.no: step for step in b.steps.all()} if b else {}
        steps = []
        for no in sorted(set(a_steps) | set(b_steps)):
            a_values = _step_values(a_steps[no]) if no in a_steps else dict.fromkeys(dict(STEP_FIELDS), "")
            b_values = _step_values(b_steps[no]) if no in b_steps else dict.fromkeys(dict(STEP_FIELDS), "")
            rows = [Row(label, a_values[key], b_values[key]) for key, label in STEP_FIELDS]
            rows = [row for row in rows if row.old or row.new]
            if no not in a_steps:
                kind = "added"
            elif no not in b_steps:
                kind = "removed"
            else:
                kind = "changed" if any(row.changed for row in rows) else "same"
            steps.append(StepDiff(no, kind, rows))
        title = str(b or a)
        total = Row(
            "Jumlah waktu",
            total_time(list(a_steps.values())) if a else "",
            total_time(list(b_steps.values())) if b else "",
        )
        flows.append(FlowDiff(title, steps, total))
    return {
        "identity": identity,
        "identity_changed": any(row.changed for row in identity),
        "lists": lists,
        "flows": flows,
        "changed_steps": sum(step.kind != "same" for flow in flows for step in flow.steps),
    }
