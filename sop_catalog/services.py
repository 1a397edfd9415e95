"""SOP JSON import/export and copying (docs/sop-format.md)."""

from decimal import Decimal
from functools import partial
from typing import Any, NoReturn

from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q, Subquery
from django.utils import timezone

from agencies.loading import Loader, fingerprint
from agencies.models import Agency, LoadedRow, Unit
from sop_catalog.models import (
    DESK_CHOICES,
    ONE_SIGNING_STEP,
    PARTIAL_DATE_RE,
    SOP,
    STEP_DOCUMENTS,
    Branch,
    BranchAction,
    Equipment,
    Flow,
    LegalBasis,
    Qualification,
    RelatedSOP,
    RequiredDocument,
    Role,
    Step,
    branch_target_error,
    step_rule_errors,
)
from sop_catalog.selectors import sop_with_everything
from sop_catalog.signals import drop_cached_pdf, one_drop_per_sop, sop_copied
from sop_catalog.timeparse import UNITS, parse_time

DESKS = {code for code, _ in DESK_CHOICES}
STATUSES = {code for code, _ in SOP.STATUS_CHOICES}
# An SOP in the fixture format (docs/sop-format.md): JSON objects, nested.
SOPData = dict[str, Any]
LIST_MODELS: dict[str, type[LegalBasis | Qualification | Equipment]] = {
    "legal_bases": LegalBasis,
    "qualifications": Qualification,
    "equipment": Equipment,
}


LOADED_SOP = "sop"


class SOPFormatError(Exception):
    """A malformed SOP file; the message names the SOP and the field."""


def _number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def export_sop(sop: SOP) -> SOPData:
    """The SOP as a dict in the fixture format; key order is the documented order."""
    related: list[dict[str, str] | str] = []
    for item in sop.related_sops.all():
        related.append({"text": item.text, "slug": item.target_slug} if item.target_slug else item.text)
    flows: list[SOPData] = []
    for flow in sop.flows.all():
        steps: list[SOPData] = []
        for step in flow.steps.all():
            actors = sorted(step.actors.all(), key=lambda role: role.order)
            entry: SOPData = {
                "no": step.no,
                "activity": step.activity,
                "actors": [role.label for role in actors],
            }
            if step.desk:
                entry["desk"] = step.desk
            if step.signs:
                entry["signs"] = True
            if step.document:
                entry["document"] = step.document
            entry.update(
                {
                    "requirements": step.requirements,
                    "time": {
                        "text": step.time_text,
                        "min": _number(step.time_min),
                        "max": _number(step.time_max),
                        "unit": step.time_unit or None,
                    },
                    "output": step.output,
                    "notes": step.notes,
                    "branches": [_export_branch(b) for b in step.branches.all()],
                }
            )
            steps.append(entry)
        flows.append({"title": flow.title, "steps": steps})
    return {
        "agency": {"name": sop.agency.name, "slug": sop.agency.slug, "region": sop.agency.region},
        "slug": sop.slug,
        "number": sop.number,
        "name": sop.name,
        "unit": sop.unit,
        "org_unit": sop.org_unit.name if sop.org_unit is not None else None,
        "created": sop.created or None,
        "revised": sop.revised or None,
        "effective": sop.effective or None,
        "approved_by": {"name": sop.approved_by_name, "title": sop.approved_by_title, "nip": sop.approved_by_nip},
        "legal_bases": [item.text for item in sop.legal_bases.all()],
        "qualifications": [item.text for item in sop.qualifications.all()],
        "related_sops": related,
        "equipment": [item.text for item in sop.equipment.all()],
        "warning": sop.warning,
        "recording": sop.recording,
        "documents": [{"name": doc.name, "required": doc.required} for doc in sop.documents.all()],
        "roles": [{"label": role.label, "desk": role.desk} for role in sop.roles.all()],
        "flows": flows,
        "status": sop.status,
        "version": sop.version,
        "source": sop.source,
    }


def _export_branch(branch: Branch) -> SOPData:
    entry: SOPData = {"label": branch.label, "action": branch.action}
    if branch.action == BranchAction.STEP:
        entry["step"] = branch.step_no
    return entry


def export_sops(*, agency_slug: str | None = None) -> list[SOPData]:
    # Per slug the version in force, or the newest draft of an SOP never published.
    in_force = SOP.objects.filter(slug=OuterRef("slug"), is_current=True)
    newer = SOP.objects.filter(slug=OuterRef("slug"), version__gt=OuterRef("version"))
    sops = (
        sop_with_everything()
        .filter(Q(is_current=True) | (~Exists(in_force) & ~Exists(newer)))
        .order_by("agency__slug", "slug")
    )
    if agency_slug:
        sops = sops.filter(agency__slug=agency_slug)
    return [export_sop(sop) for sop in sops]


# --- validation -------------------------------------------------------------------------


class _Checker:
    def __init__(self, index: int, data: SOPData) -> None:
        self.data = data
        slug = data.get("slug") if isinstance(data, dict) else None
        self.label = f"SOP ke-{index + 1}" + (f" ({slug})" if slug else "")

    def fail(self, field: str, message: str) -> NoReturn:
        raise SOPFormatError(f"{self.label}, kolom {field}: {message}")

    def text(self, obj: SOPData, key: str, field: str | None = None, required: bool = False) -> str:
        value = obj.get(key, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            self.fail(field or key, "harus berupa teks.")
        if required and not value.strip():
            self.fail(field or key, "wajib diisi.")
        return value

    def strings(self, key: str) -> list[str]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(key, "harus berupa daftar teks.")
        return value

    def items(self, key: str) -> list[Any]:
        value = self.data.get(key, [])
        if not isinstance(value, list):
            self.fail(key, "harus berupa daftar.")
        return value

    def date(self, key: str) -> str:
        value = self.data.get(key)
        if value in (None, ""):
            return ""
        if not isinstance(value, str) or not PARTIAL_DATE_RE.match(value):
            self.fail(key, f"tanggal '{value}' tidak sah; gunakan TTTT-BB-HH atau TTTT-BB.")
        return value


def validate_sop(index: int, data: object) -> SOPData:
    """Check one SOP object and return it normalized; raise SOPFormatError naming SOP and field."""
    if not isinstance(data, dict):
        raise SOPFormatError(f"SOP ke-{index + 1}: harus berupa objek JSON.")
    c = _Checker(index, data)
    clean = _validate_identity(c, data)
    for key in ("legal_bases", "qualifications", "equipment"):
        clean[key] = c.strings(key)
    clean["related_sops"] = _validate_related(c, c.items("related_sops"))
    clean["documents"] = _validate_documents(c, c.items("documents"))
    clean["roles"] = _validate_roles(c, c.items("roles"))
    role_desks = {role["label"]: role["desk"] for role in clean["roles"]}
    clean["flows"] = [_validate_flow(c, i, flow, role_desks) for i, flow in enumerate(c.items("flows"))]
    status = data.get("status", SOP.ACTIVE)
    if status not in STATUSES:
        c.fail("status", f"status '{status}' tidak dikenal; pilih draft, active atau retired.")
    clean["status"] = status
    version = data.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        c.fail("version", "harus bilangan bulat 1 atau lebih.")
    clean["version"] = version
    return clean


def _validate_identity(c: _Checker, data: SOPData) -> SOPData:
    agency = data.get("agency")
    if not isinstance(agency, dict):
        c.fail("agency", "harus berupa objek {name, slug, region}.")
    approved = data.get("approved_by") or {}
    if not isinstance(approved, dict):
        c.fail("approved_by", "harus berupa objek {name, title, nip}.")
    return {
        "agency": {
            "name": c.text(agency, "name", "agency.name", required=True),
            "slug": c.text(agency, "slug", "agency.slug", required=True),
            "region": c.text(agency, "region", "agency.region"),
        },
        "slug": c.text(data, "slug", required=True),
        "number": c.text(data, "number"),
        "name": c.text(data, "name", required=True),
        "unit": c.text(data, "unit"),
        "org_unit": c.text(data, "org_unit"),
        "created": c.date("created"),
        "revised": c.date("revised"),
        "effective": c.date("effective"),
        "warning": c.text(data, "warning"),
        "recording": c.text(data, "recording"),
        "source": c.text(data, "source"),
        "approved_by": {k: c.text(approved, k, f"approved_by.{k}") for k in ("name", "title", "nip")},
    }


def _validate_related(c: _Checker, related: list[Any]) -> list[SOPData]:
    clean = []
    for i, item in enumerate(related):
        if isinstance(item, str):
            clean.append({"text": item, "slug": ""})
        elif isinstance(item, dict):
            clean.append(
                {
                    "text": c.text(item, "text", f"related_sops[{i}].text", required=True),
                    "slug": c.text(item, "slug", f"related_sops[{i}].slug"),
                }
            )
        else:
            c.fail(f"related_sops[{i}]", "harus berupa teks atau objek {text, slug}.")
    return clean


def _validate_documents(c: _Checker, documents: list[Any]) -> list[SOPData]:
    clean = []
    for i, doc in enumerate(documents):
        if not isinstance(doc, dict):
            c.fail(f"documents[{i}]", "harus berupa objek {name, required}.")
        required = doc.get("required", True)
        if not isinstance(required, bool):
            c.fail(f"documents[{i}].required", "harus true atau false.")
        clean.append({"name": c.text(doc, "name", f"documents[{i}].name", required=True), "required": required})
    return clean


def _validate_roles(c: _Checker, roles: list[Any]) -> list[SOPData]:
    labels: set[str] = set()
    clean = []
    for i, role in enumerate(roles):
        if not isinstance(role, dict):
            c.fail(f"roles[{i}]", "harus berupa objek {label, desk}.")
        label = c.text(role, "label", f"roles[{i}].label", required=True)
        if label in labels:
            c.fail(f"roles[{i}].label", f"pelaksana '{label}' tercantum dua kali.")
        labels.add(label)
        desk = role.get("desk")
        if desk not in DESKS:
            c.fail(
                f"roles[{i}].desk", f"meja '{desk}' tidak dikenal; pilih salah satu dari {', '.join(sorted(DESKS))}."
            )
        clean.append({"label": label, "desk": desk})
    return clean


def _validate_flow(c: _Checker, fi: int, flow: object, role_desks: dict[str, str]) -> SOPData:
    where = f"flows[{fi}]"
    if not isinstance(flow, dict):
        c.fail(where, "harus berupa objek {title, steps}.")
    steps = flow.get("steps", [])
    if not isinstance(steps, list):
        c.fail(f"{where}.steps", "harus berupa daftar.")
    clean_steps: list[SOPData] = []
    for si, step in enumerate(steps):
        at = f"{where}.steps[{si}]"
        clean = _validate_step(c, at, si, step, role_desks, len(steps))
        if clean["signs"] and any(s["signs"] for s in clean_steps):
            c.fail(f"{at}.signs", ONE_SIGNING_STEP[0].lower() + ONE_SIGNING_STEP[1:])  # mid-sentence
        clean_steps.append(clean)
    return {"title": c.text(flow, "title", f"{where}.title"), "steps": clean_steps}


def _validate_step(c: _Checker, at: str, si: int, step: object, role_desks: dict[str, str], step_count: int) -> SOPData:
    if not isinstance(step, dict):
        c.fail(at, "harus berupa objek.")
    no = step.get("no")
    if no != si + 1:
        c.fail(f"{at}.no", f"nomor langkah harus {si + 1} (berurutan mulai 1), bukan {no!r}.")
    actors = _validate_actors(c, at, step.get("actors", []), role_desks)
    desk = step.get("desk", "") or ""
    if desk and desk not in DESKS:
        c.fail(f"{at}.desk", f"meja '{desk}' tidak dikenal.")
    branches = step.get("branches", [])
    if not isinstance(branches, list):
        c.fail(f"{at}.branches", "harus berupa daftar.")
    clean_branches = [_validate_branch(c, f"{at}.branches[{bi}]", b, step_count) for bi, b in enumerate(branches)]
    signs = step.get("signs", False)
    if not isinstance(signs, bool):
        c.fail(f"{at}.signs", "harus true atau false.")
    document = step.get("document", "") or ""
    if document and document not in dict(STEP_DOCUMENTS):
        c.fail(f"{at}.document", f"dokumen '{document}' tidak dikenal; pilih {', '.join(dict(STEP_DOCUMENTS))}.")
    errors = step_rule_errors(
        desk=desk,
        actor_desks=[role_desks[actor] for actor in actors],
        signs=signs,
        branch_actions=[b["action"] for b in clean_branches],
    )
    if errors:
        c.fail(at, " ".join(errors))
    return {
        "no": no,
        "activity": c.text(step, "activity", f"{at}.activity", required=True),
        "actors": actors,
        "desk": desk,
        "signs": signs,
        "document": document,
        "requirements": c.text(step, "requirements", f"{at}.requirements"),
        "time": _validate_time(c, at, step.get("time") or {}),
        "output": c.text(step, "output", f"{at}.output"),
        "notes": c.text(step, "notes", f"{at}.notes"),
        "branches": clean_branches,
    }


def _validate_actors(c: _Checker, at: str, actors: object, role_desks: dict[str, str]) -> list[str]:
    if not isinstance(actors, list):
        c.fail(f"{at}.actors", "harus berupa daftar label pelaksana.")
    for actor in actors:
        if actor not in role_desks:
            c.fail(f"{at}.actors", f"pelaksana '{actor}' tidak ada di kolom pelaksana (roles).")
    # The actors are written in one bulk insert (one row per step and role): a repeat is refused here,
    # with its place, instead of failing there as a database error.
    repeated = sorted({actor for actor in actors if actors.count(actor) > 1})
    if repeated:
        c.fail(f"{at}.actors", f"pelaksana '{repeated[0]}' tercantum dua kali.")
    return actors


def _validate_time(c: _Checker, at: str, time: object) -> SOPData:
    """The time standard: its text as written, and numbers that must agree with the text's reading."""
    if not isinstance(time, dict):
        c.fail(f"{at}.time", "harus berupa objek {text, min, max, unit}.")
    time_text = c.text(time, "text", f"{at}.time.text")
    parsed = parse_time(time_text)
    given = (time.get("min", parsed.min), time.get("max", parsed.max), time.get("unit", parsed.unit))
    if given[2] not in (None, *UNITS):
        c.fail(f"{at}.time.unit", f"satuan '{given[2]}' tidak dikenal.")
    if tuple(given) != tuple(parsed):
        c.fail(f"{at}.time", f"angka waktu {given} tidak sesuai teks '{time_text}' (seharusnya {tuple(parsed)}).")
    return {"text": time_text, "min": parsed.min, "max": parsed.max, "unit": parsed.unit}


def _validate_branch(c: _Checker, at: str, branch: object, step_count: int) -> SOPData:
    if not isinstance(branch, dict):
        c.fail(at, "harus berupa objek {label, action, step}.")
    action = branch.get("action")
    step_no = branch.get("step")
    if step_no is not None and (not isinstance(step_no, int) or isinstance(step_no, bool)):
        c.fail(f"{at}.step", "harus bilangan bulat.")
    error = branch_target_error(action, step_no, range(1, step_count + 1))
    if error:
        c.fail(f"{at}.step" if action == BranchAction.STEP else f"{at}.action", error)
    return {"label": c.text(branch, "label", f"{at}.label", required=True), "action": action, "step": step_no}


# --- writing ----------------------------------------------------------------------------


def _write_children(sop: SOP, data: SOPData) -> None:
    for key, model in LIST_MODELS.items():
        # Each model gets its own instances; mypy checks the union of the three against each one.
        model.objects.bulk_create(
            [model(sop=sop, order=i, text=text) for i, text in enumerate(data[key], start=1)]  # type: ignore[misc]
        )
    RelatedSOP.objects.bulk_create(
        [
            RelatedSOP(sop=sop, order=i, text=item["text"], target_slug=item["slug"])
            for i, item in enumerate(data["related_sops"], start=1)
        ]
    )
    RequiredDocument.objects.bulk_create(
        [
            RequiredDocument(sop=sop, order=i, name=doc["name"], required=doc["required"])
            for i, doc in enumerate(data["documents"], start=1)
        ]
    )
    # The roles, each flow's steps, every step's actors and branches: one INSERT each (bulk_create
    # sets the keys on SQLite and PostgreSQL), not one or three per row.
    roles = Role.objects.bulk_create(
        [Role(sop=sop, order=i, label=r["label"], desk=r["desk"]) for i, r in enumerate(data["roles"], start=1)]
    )
    by_label = {role.label: role for role in roles}
    actors, branches = [], []
    for fi, flow_data in enumerate(data["flows"], start=1):
        flow = Flow.objects.create(sop=sop, order=fi, title=flow_data["title"])
        steps = Step.objects.bulk_create([_step(flow, step_data) for step_data in flow_data["steps"]])
        for step, step_data in zip(steps, flow_data["steps"], strict=True):
            actors += [Step.actors.through(step=step, role=by_label[label]) for label in step_data["actors"]]
            branches += [
                Branch(step=step, order=bi, label=b["label"], action=b["action"], step_no=b["step"])
                for bi, b in enumerate(step_data["branches"], start=1)
            ]
    Step.actors.through.objects.bulk_create(actors)
    Branch.objects.bulk_create(branches)
    # Rows written in bulk send no post_save: the SOP's cached PDF is dropped for them here.
    drop_cached_pdf(SOP, sop)


def _step(flow: Flow, step_data: SOPData) -> Step:
    time = step_data["time"]
    return Step(
        flow=flow,
        no=step_data["no"],
        activity=step_data["activity"],
        desk=step_data["desk"],
        signs=step_data["signs"],
        document=step_data.get("document", ""),
        requirements=step_data["requirements"],
        time_text=time["text"],
        time_min=time["min"],
        time_max=time["max"],
        time_unit=time["unit"] or "",
        output=step_data["output"],
        notes=step_data["notes"],
    )


def _org_unit(data: SOPData, agency: Agency, *, strict: bool = True) -> Unit | None:
    """The unit named by the file's org_unit, in the SOP's agency (None when it names none; a name the
    agency does not have is refused, or dropped when copying to another agency)."""
    name = data.get("org_unit") or ""
    if not name:
        return None
    unit = Unit.objects.filter(agency=agency, name=name).first()
    if unit is None and strict:
        raise SOPFormatError(
            f"SOP {data['slug']}: unit kerja “{name}” tidak ada di {agency.name}; tambahkan dulu di admin Unit kerja."
        )
    return unit


def _identity_fields(data: SOPData, agency: Agency, *, strict: bool = True) -> dict[str, Any]:
    return {
        "number": data["number"],
        "name": data["name"],
        "unit": data["unit"],
        "org_unit": _org_unit(data, agency, strict=strict),
        "created": data["created"],
        "revised": data["revised"],
        "effective": data["effective"],
        "approved_by_name": data["approved_by"]["name"],
        "approved_by_title": data["approved_by"]["title"],
        "approved_by_nip": data["approved_by"]["nip"],
        "warning": data["warning"],
        "recording": data["recording"],
        "status": data["status"],
        "source": data["source"],
    }


def _comparable(exported: SOPData) -> SOPData:
    """Normalize an exported SOP like validate_sop normalizes input, ignoring the version."""
    normalized = validate_sop(0, exported)
    normalized.pop("version")
    return normalized


def _find_existing(agency: Agency, data: SOPData) -> SOP | None:
    """The version an import compares with: the one in force, else the newest (a draft never published)."""
    current = SOP.objects.filter(agency=agency, is_current=True)
    if data["number"]:
        found = current.filter(number=data["number"]).first()
        if found:
            return found
    found = SOP.objects.filter(slug=data["slug"], is_current=True).first()
    return found or SOP.objects.filter(slug=data["slug"]).order_by("-version").first()


def _update_in_place(existing: SOP, item: SOPData) -> None:
    """Rewrite an unlocked version with the file's content (a draft the file says is in force is published)."""
    if existing.is_current and item["status"] == SOP.DRAFT:
        raise SOPFormatError(f"SOP {item['slug']}: versi yang berlaku tidak dapat dijadikan konsep lewat impor.")
    if item["status"] != SOP.DRAFT and not existing.is_current:
        SOP.objects.filter(slug=existing.slug, is_current=True).update(is_current=False)
    SOP.objects.filter(pk=existing.pk).update(
        slug=item["slug"], is_current=item["status"] != SOP.DRAFT, **_identity_fields(item, existing.agency)
    )
    for model in (*LIST_MODELS.values(), RelatedSOP, RequiredDocument, Flow, Role):
        model.objects.filter(sop=existing).delete()
    _write_children(existing, item)


def _validated(data: object) -> list[SOPData]:
    if not isinstance(data, list):
        raise SOPFormatError("Berkas harus berisi daftar (array) JSON objek SOP.")
    cleaned = [validate_sop(i, item) for i, item in enumerate(data)]
    slugs = [item["slug"] for item in cleaned]
    duplicates = {slug for slug in slugs if slugs.count(slug) > 1}
    if duplicates:
        raise SOPFormatError(f"Kode URL SOP tercantum lebih dari sekali: {', '.join(sorted(duplicates))}.")
    return cleaned


def _import_one(item: SOPData) -> str:
    """Create, update in place, or write as a new version one validated SOP; returns the outcome."""
    agency, _ = Agency.objects.get_or_create(
        slug=item["agency"]["slug"],
        defaults={"name": item["agency"]["name"], "region": item["agency"]["region"]},
    )
    existing = _find_existing(agency, item)
    if existing is None:
        sop = SOP.objects.create(
            agency=agency,
            slug=item["slug"],
            version=item["version"],
            is_current=item["status"] != SOP.DRAFT,
            **_identity_fields(item, agency),
        )
        _write_children(sop, item)
        return "created"
    if existing.agency_id != agency.id:
        raise SOPFormatError(f"SOP {item['slug']}: kode URL sudah dipakai SOP instansi lain ({existing.agency.name}).")
    current = _comparable(export_sop(sop_with_everything().get(pk=existing.pk)))
    incoming = dict(item)
    incoming.pop("version")
    if current == incoming:
        return "unchanged"
    if existing.locked:
        create_new_version(existing, data=item)
        return "new_version"
    _update_in_place(existing, item)
    return "updated"


@transaction.atomic
@one_drop_per_sop()
def import_sops(data: object) -> dict[str, int]:
    """Validate every SOP, then create or update; all or nothing. Returns counts by outcome."""
    counts = {"created": 0, "updated": 0, "new_version": 0, "unchanged": 0}
    for item in _validated(data):
        counts[_import_one(item)] += 1
    return counts


def _head_state(slug: str) -> SOPData | None:
    """The newest version of `slug` (a draft in preparation counts) in the fixture format, without
    its version number; None when there is none."""
    head = sop_with_everything().filter(slug=slug).order_by("-version").first()
    return None if head is None else _state_of(head)


def _head_states(slugs: list[str]) -> dict[str, SOPData]:
    """_head_state of each of `slugs` that has a version, read together (a query per kind of part,
    not per SOP)."""
    newest = SOP.objects.filter(slug=OuterRef("slug")).order_by("-version").values("pk")[:1]
    heads = sop_with_everything().filter(slug__in=slugs, pk=Subquery(newest))
    return {head.slug: _state_of(head) for head in heads}


def _state_of(head: SOP) -> SOPData:
    exported = export_sop(head)
    try:
        return _comparable(exported)
    except SOPFormatError:  # an admin's edit the JSON format does not take (say, steps 1, 2, 4)
        exported.pop("version")
        return exported


def changed_since_loaded(slug: str) -> bool:
    """Whether an admin changed the fixture SOP `slug` (any of its versions' head) since load_sops."""
    recorded = LoadedRow.objects.filter(kind=LOADED_SOP, key=slug).values_list("fingerprint", flat=True).first()
    state = _head_state(slug)
    return recorded is not None and state is not None and fingerprint(state) != recorded


@transaction.atomic
@one_drop_per_sop()
def load_fixture_sops(data: object, *, report: list[Loader] | None = None) -> dict[str, int]:
    """load_sops: import the fixtures, but leave alone every SOP an admin changed since it was
    loaded (an edit, a new version or draft, a retirement): agencies/loading.py. All or nothing."""
    loader = Loader(LOADED_SOP)
    outcomes: dict[str, str] = {}
    items = _validated(data)
    # Every SOP's state read in one go before, and those written read again in one go after.
    before = _head_states([item["slug"] for item in items])
    for item in items:
        incoming = dict(item)
        incoming.pop("version")

        def write(item: SOPData = item) -> None:
            outcomes[item["slug"]] = _import_one(item)

        loader.load(item["slug"], incoming=incoming, read=partial(before.get, item["slug"]), write=write, reread=False)
    after = _head_states(list(outcomes)) if outcomes else {}
    for slug in outcomes:
        loader.record(slug, after.get(slug))
    if report is not None:
        report.append(loader)
    return {
        "created": loader.counts["created"],
        "updated": sum(outcome == "updated" for outcome in outcomes.values()),
        "new_version": sum(outcome == "new_version" for outcome in outcomes.values()),
        "unchanged": loader.counts["unchanged"],
        "skipped": loader.counts["skipped"],
    }


def _next_version(slug: str) -> int:
    return (SOP.objects.filter(slug=slug).aggregate(top=Max("version"))["top"] or 0) + 1


class LifecycleError(Exception):
    """A version that cannot be copied or published now; the message says why, in Indonesian."""


def open_draft(slug: str) -> SOP | None:
    """The draft version of `slug` in preparation, if any (newer than the one in force)."""
    return SOP.objects.filter(slug=slug, status=SOP.DRAFT).order_by("-version").first()


@transaction.atomic
@one_drop_per_sop()
def create_new_version(sop: SOP, *, data: SOPData | None = None) -> SOP:
    """Copy `sop` as version N+1, a draft (*konsep*): the version in force stays in force until
    the draft is published (publish_version).

    With `data` (an import of a locked version) the file's content is written instead, with the
    file's status: a version the file says is in force becomes the current one at once.
    """
    if data is None:
        draft = open_draft(sop.slug)
        if draft is not None:
            raise LifecycleError(
                f"{sop.slug}: konsep versi {draft.version} sudah ada; ubah dan terbitkan konsep itu dulu."
            )
        data = validate_sop(0, export_sop(sop_with_everything().get(pk=sop.pk)))
        data["status"] = SOP.DRAFT
    version = _next_version(sop.slug)
    fields = _identity_fields(data, sop.agency)
    current = fields["status"] != SOP.DRAFT
    if current:
        SOP.objects.filter(slug=sop.slug, is_current=True).update(is_current=False)
    new = SOP.objects.create(agency=sop.agency, slug=sop.slug, version=version, is_current=current, **fields)
    _write_children(new, data)
    sop_copied.send(sender=SOP, sop=new, source=sop)
    return new


def has_letters(slug: str) -> bool:
    """Whether a letter template is issued under this SOP (then each flow needs a signing step)."""
    from cases.models import LetterTemplate  # noqa: PLC0415 (cases depends on the catalog)

    return LetterTemplate.objects.filter(sop_slug=slug).exists()


def _step_errors(where: str, step: Step, nos: list[int]) -> list[str]:
    actors = list(step.actors.all())
    errors = []
    if not step.activity.strip():
        errors.append(f"{where}: kegiatan belum diisi.")
    if not actors and not step.desk:
        errors.append(f"{where}: pilih pelaksananya.")
    branches = list(step.branches.all())
    problems = step_rule_errors(
        desk=step.desk,
        actor_desks=[role.desk for role in actors],
        signs=step.signs,
        branch_actions=[branch.action for branch in branches],
    )
    problems += [
        f"cabang {branch.label}: {error}"
        for branch in branches
        if (error := branch_target_error(branch.action, branch.step_no, nos))
    ]
    return errors + [f"{where}: {problem}" for problem in problems]


def _flow_errors(flow: Flow, *, needs_signing: bool) -> list[str]:
    steps = list(flow.steps.all())
    if not steps:
        return [f"{flow}: belum ada langkah."]
    errors = []
    nos = [step.no for step in steps]
    if nos != list(range(1, len(steps) + 1)):
        errors.append(f"{flow}: nomor langkah harus berurutan mulai 1.")
    signing = sum(step.signs for step in steps)
    if signing > 1:
        errors.append(f"{flow}: {ONE_SIGNING_STEP}")
    if needs_signing and not signing:
        errors.append(
            f"{flow}: SOP ini menerbitkan surat; tandai satu langkah Kepala/Sekretaris Dinas yang "
            "menandatangani/menyetujui."
        )
    for step in steps:
        errors.extend(_step_errors(f"{flow}, langkah {step.no}", step, nos))
    return errors


def publish_errors(sop: SOP) -> list[str]:
    """What stops `sop` from being published (empty when it may be): the checks of *Terbitkan*."""
    errors = []
    if sop.is_current and sop.status == SOP.ACTIVE:
        errors.append(f"Versi {sop.version} sudah berlaku.")
    if not (sop.approved_by_name.strip() and sop.approved_by_title.strip()):
        errors.append("Isi 'disahkan oleh' (nama dan jabatan) sebelum terbit.")
    if not sop.roles.exists():
        errors.append("Belum ada kolom pelaksana.")
    flows = list(sop.flows.prefetch_related("steps__actors", "steps__branches"))
    if not flows:
        errors.append("Belum ada alur langkah.")
    needs_signing = has_letters(sop.slug)
    for flow in flows:
        errors.extend(_flow_errors(flow, needs_signing=needs_signing))
    return errors


def cases_in_flight(slug: str) -> int:
    """Open cases on the version of `slug` in force: they keep it when a new version is published."""
    from cases.models import Case  # noqa: PLC0415

    return Case.objects.filter(sop__slug=slug, sop__is_current=True, state__in=Case.OPEN_STATES).count()


@transaction.atomic
def publish_version(sop: SOP, *, revised: str, effective: str, by: str = "") -> SOP | None:
    """Make `sop` the version in force after publish_errors passes; returns the version it replaces.

    Cases in flight keep the version they started under (their `sop`); new cases take this one.
    """
    # Rows of the slug locked in a fixed order: two publishers of one slug wait for each other.
    list(SOP.objects.select_for_update().filter(slug=sop.slug).order_by("pk"))
    sop.refresh_from_db()
    errors = publish_errors(sop)
    if errors:
        raise LifecycleError(" ".join(errors))
    for value in (revised, effective):
        if value and not PARTIAL_DATE_RE.match(value):
            raise LifecycleError(f"Tanggal {value} tidak sah; gunakan TTTT-BB-HH atau TTTT-BB.")
    previous = SOP.objects.filter(slug=sop.slug, is_current=True).exclude(pk=sop.pk).first()
    SOP.objects.filter(slug=sop.slug, is_current=True).exclude(pk=sop.pk).update(is_current=False)
    sop.status, sop.is_current = SOP.ACTIVE, True
    sop.revised, sop.effective = revised, effective
    sop.published_at, sop.published_by = timezone.now(), by
    sop.save(
        update_fields=["status", "is_current", "revised", "effective", "published_at", "published_by", "updated_at"]
    )
    return previous


@transaction.atomic
def retire(sop: SOP) -> None:
    """The SOP is no longer in force: out of the catalog and the front desk; its cases carry on."""
    SOP.objects.filter(pk=sop.pk).update(status=SOP.RETIRED)


@transaction.atomic
@one_drop_per_sop()
def copy_to_agency(sop: SOP, *, agency: Agency) -> SOP:
    """Copy the SOP to another agency as a draft; its slug takes the agency's prefix."""
    data = validate_sop(0, export_sop(sop_with_everything().get(pk=sop.pk)))
    base = sop.slug.removeprefix(f"{sop.agency.slug}-")
    slug = f"{agency.slug}-{base}"
    suffix = 2
    while SOP.objects.filter(slug=slug).exists():
        slug = f"{agency.slug}-{base}-{suffix}"
        suffix += 1
    fields = _identity_fields(data, agency, strict=False)
    fields.update(status=SOP.DRAFT, approved_by_name="", approved_by_title="", approved_by_nip="")
    new = SOP.objects.create(agency=agency, slug=slug, version=1, is_current=False, **fields)
    _write_children(new, data)
    sop_copied.send(sender=SOP, sop=new, source=sop)
    return new
