"""Front-desk services: persons, opening and registering cases, documents, returns."""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django_fsm import ConcurrentTransition

from agencies import org
from agencies.desks import FRONT_DESK
from agencies.models import Agency, User
from cases import rules, workflow
from cases.counters import take_next
from cases.models import Case, CaseDocument, Person, PersonAccess, PersonChange, RegistrationCounter
from cases.nik import mask
from cases.rules import AlreadyProcessed, TransitionRefused
from cases.uploads import check_scan
from sop_catalog.models import SOP, Flow

PERSON_FIELDS = [
    "nik", "kk_number", "name", "birth_place", "birth_date", "sex", "address", "rt", "rw",
    "village", "district", "regency", "phone", "without_papers", "description", "found_at", "found_when",
]  # fmt: skip


__all__ = ["AlreadyProcessed", "ConcurrentTransition", "TransitionRefused"]


SECRET_FIELDS = ("nik", "kk_number")
NOT_MY_FRONT_DESK = "Permohonan layanan ini dibuka oleh meja depan unit kerja lain; Anda tidak dapat membukanya."


def _jsonable(value: Any, field: str = "") -> Any:
    """A value for the change history; NIK and KK numbers are kept masked there."""
    if field in SECRET_FIELDS:
        return mask(value) if value else value
    return value.isoformat() if hasattr(value, "isoformat") else value


@transaction.atomic
def create_person(*, agency: Agency, user: User, data: dict[str, Any]) -> Person:
    person = Person(agency=agency, **{field: data.get(field) for field in PERSON_FIELDS if field in data})
    if person.without_papers:
        person.nik = None
    person.full_clean(exclude=["agency"])
    person.save()
    record_person_created(person=person, user=user)
    return person


def record_person_created(*, person: Person, user: User) -> PersonChange:
    """The first history row of a person saved by the app or by the admin."""
    return PersonChange.objects.create(
        person=person,
        user=user,
        created=True,
        changes={
            field: [None, _jsonable(getattr(person, field), field)] for field in PERSON_FIELDS if getattr(person, field)
        },
    )


@transaction.atomic
def update_person(*, person: Person, user: User, data: dict[str, Any]) -> dict[str, list[Any]]:
    """Save the changed fields and keep what changed, by whom, when. Returns the changes."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    changes: dict[str, list[Any]] = {}
    for field in PERSON_FIELDS:
        if field not in data:
            continue
        old, new = getattr(person, field), data[field]
        if field == "nik" and data.get("without_papers"):
            new = None
        if old != new:
            changes[field] = [_jsonable(old, field), _jsonable(new, field)]
            setattr(person, field, new)
    if changes:
        person.full_clean(exclude=["agency"])
        person.save()
        PersonChange.objects.create(person=person, user=user, changes=changes)
    return changes


@transaction.atomic
def open_case(
    *,
    user: User,
    sop: SOP,
    applicant: Person,
    beneficiary: Person,
    channel: str,
    purpose: str,
    destination: str = "",
    sifat: str = Case.SIFAT_BIASA,
    incoming: dict[str, Any] | None = None,
) -> Case:
    """A draft case on the SOP's current version, with the SOP's document checklist, opened by a front
    desk that serves the SOP's unit (the Sekretariat's serves all; a bidang's its own SOPs)."""
    if sop.agency_id != user.agency_id or applicant.agency_id != user.agency_id:
        raise PermissionDenied("SOP dan pemohon harus dari instansi Anda.")
    if beneficiary.agency_id != user.agency_id:
        raise PermissionDenied("Penerima manfaat harus dari instansi Anda.")
    if not org.serves(user, FRONT_DESK, sop.org_unit_id):
        raise PermissionDenied(NOT_MY_FRONT_DESK)
    if sop.status != SOP.ACTIVE or not sop.is_current:
        raise TransitionRefused("SOP ini tidak sedang berlaku; pilih SOP yang berlaku.")
    # The case keeps this version: editing the SOP from now on makes a new version.
    SOP.objects.filter(pk=sop.pk, locked=False).update(locked=True)
    case = Case.objects.create(
        agency_id=user.agency_id,
        sop=sop,
        flow=sop.flows.order_by("order").first(),
        applicant=applicant,
        beneficiary=beneficiary,
        channel=channel,
        purpose=purpose,
        destination=destination,
        sifat=sifat,
        created_by=user,
        **_incoming_fields(channel, incoming),
    )
    CaseDocument.objects.bulk_create(
        [CaseDocument(case=case, order=doc.order, name=doc.name, required=doc.required) for doc in sop.documents.all()]
    )
    return case


@transaction.atomic
def choose_flow(*, case: Case, user: User, flow: Flow) -> None:
    """An SOP with several flows (Operasional Griya Lansia): the draft picks the one it follows."""
    rules.require(case, user, "choose_flow")
    if flow.sop_id != case.sop_id:
        raise TransitionRefused("Alur itu bukan bagian dari SOP permohonan ini.")
    if not Case.objects.filter(pk=case.pk, state=Case.DRAFT).update(flow=flow):
        raise TransitionRefused("Permohonan ini sudah didaftarkan; alurnya tidak dapat diganti lagi.")


def case_number(agency: Agency, year: int, serial: int) -> str:
    """The registration number of the agency's `serial`-th case of `year`."""
    prefix = agency.code or agency.slug.upper()  # codes and slugs are unique: so are numbers
    return f"{prefix}/{year}/{serial:06d}"


def _next_number(agency: Agency, year: int) -> str:
    return case_number(agency, year, take_next(RegistrationCounter, agency=agency, year=year))


INCOMING_FIELDS = ("incoming_number", "incoming_date", "incoming_sender", "incoming_subject")


def _incoming_fields(channel: str, incoming: dict[str, Any] | None) -> dict[str, Any]:
    """A case opened from a surat masuk keeps the letter's number, date, sender and perihal."""
    if channel != "surat":
        return {}
    incoming = incoming or {}
    return {field: incoming.get(field) or (None if field == "incoming_date" else "") for field in INCOMING_FIELDS}


def register_case(*, case: Case, user: User, ip: str | None = None) -> Case:
    """Number the draft, lay out its steps from the SOP version and send it to the first desk."""
    year = timezone.localtime().year
    return workflow.register(case=case, user=user, number=lambda c: _next_number(c.agency, year), ip=ip)


@transaction.atomic
def receive_document(
    *, document: CaseDocument, user: User, received: bool = True, upload: UploadedFile | None = None
) -> CaseDocument:
    """Tick a checklist line; with `upload`, store the scan (checked by content).

    The case row is locked first, as the workflow locks it: a tick cannot slip in while the
    petugas step is being completed, and is refused once the case has left the front desk.
    """
    case = Case.objects.select_for_update().get(pk=document.case_id)
    # The line as it is now (another tick or scan may have landed while we waited for the lock).
    document = CaseDocument.objects.select_for_update().get(pk=document.pk)
    document.case = case
    rules.require(case, user, "edit_documents")
    if upload is not None:
        content_type = check_scan(upload)
        document.content_type = content_type
        document.original_name = upload.name[:255]  # type: ignore[index]  # an upload always has a name
        document.size = upload.size
        document.uploaded_by = user
        document.uploaded_at = timezone.now()
        replaced = document.file.name if document.file else ""
        document.file.save("scan", upload, save=False)
        if replaced:
            # The old scan goes only once the new one is recorded.
            storage = document.file.storage
            transaction.on_commit(lambda: storage.delete(replaced))
        received = True
    document.received = received
    try:
        document.save()
    except Exception:
        if upload is not None:
            document.file.delete(save=False)  # no row points at the new scan: do not leave it
        raise
    return document


def return_to_applicant(*, case: Case, user: User, note: str = "", ip: str | None = None) -> Case:
    return workflow.return_to_applicant(case=case, user=user, note=note, ip=ip)


def resubmit_case(*, case: Case, user: User, ip: str | None = None) -> Case:
    return workflow.resubmit(case=case, user=user, ip=ip)


def log_access(*, user: User, persons: Iterable[Person | None], via: str, ip: str | None = None) -> None:
    """Record that `user` saw these persons' data (person page, case page, export)."""
    PersonAccess.record(user=user, rows=persons, via=via, ip=ip)
