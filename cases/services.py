"""Front-desk services: persons, opening and registering cases, documents, returns."""

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django_fsm import ConcurrentTransition, can_proceed

from cases.models import Case, CaseDocument, Person, PersonChange, RegistrationCounter
from cases.uploads import check_scan
from sop_catalog.models import SOP

PERSON_FIELDS = [
    "nik", "kk_number", "name", "birth_place", "birth_date", "sex", "address", "rt", "rw",
    "village", "district", "regency", "phone", "without_papers", "description", "found_at",
]  # fmt: skip


__all__ = ["ConcurrentTransition"]  # raised by Case.save() when another user moved the case first


class TransitionRefused(Exception):
    """The user may not do this now; the message says why, in Indonesian."""


def _jsonable(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


@transaction.atomic
def create_person(*, agency, user, data):
    person = Person(agency=agency, **{field: data.get(field) for field in PERSON_FIELDS if field in data})
    if person.without_papers:
        person.nik = None
    person.full_clean(exclude=["agency"])
    person.save()
    PersonChange.objects.create(
        person=person,
        user=user,
        created=True,
        changes={field: [None, _jsonable(getattr(person, field))] for field in PERSON_FIELDS if getattr(person, field)},
    )
    return person


@transaction.atomic
def update_person(*, person, user, data):
    """Save the changed fields and keep what changed, by whom, when. Returns the changes."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    changes = {}
    for field in PERSON_FIELDS:
        if field not in data:
            continue
        old, new = getattr(person, field), data[field]
        if field == "nik" and data.get("without_papers"):
            new = None
        if old != new:
            changes[field] = [_jsonable(old), _jsonable(new)]
            setattr(person, field, new)
    if changes:
        person.full_clean(exclude=["agency"])
        person.save()
        PersonChange.objects.create(person=person, user=user, changes=changes)
    return changes


@transaction.atomic
def open_case(*, user, sop, applicant, beneficiary, channel, purpose, destination="", sifat=Case.SIFAT_BIASA):
    """A draft case on the SOP's current version, with the SOP's document checklist."""
    if sop.agency_id != user.agency_id or applicant.agency_id != user.agency_id:
        raise PermissionDenied("SOP dan pemohon harus dari instansi Anda.")
    if beneficiary.agency_id != user.agency_id:
        raise PermissionDenied("Penerima manfaat harus dari instansi Anda.")
    if sop.status != SOP.ACTIVE or not sop.is_current:
        raise TransitionRefused("SOP ini tidak sedang berlaku; pilih SOP yang berlaku.")
    # The case keeps this version: editing the SOP from now on makes a new version.
    SOP.objects.filter(pk=sop.pk, locked=False).update(locked=True)
    case = Case.objects.create(
        agency_id=user.agency_id,
        sop=sop,
        applicant=applicant,
        beneficiary=beneficiary,
        channel=channel,
        purpose=purpose,
        destination=destination,
        sifat=sifat,
        created_by=user,
    )
    CaseDocument.objects.bulk_create(
        [CaseDocument(case=case, order=doc.order, name=doc.name, required=doc.required) for doc in sop.documents.all()]
    )
    return case


def _next_number(agency, year):
    """Increment the agency's yearly counter; the UPDATE locks the row until commit."""
    try:
        with transaction.atomic():
            RegistrationCounter.objects.get_or_create(agency=agency, year=year)
    except IntegrityError:
        pass  # another desk created this year's counter at the same moment
    RegistrationCounter.objects.filter(agency=agency, year=year).update(last=F("last") + 1)
    last = RegistrationCounter.objects.get(agency=agency, year=year).last
    prefix = agency.code or agency.slug.upper()[:3]
    return f"{prefix}/{year}/{last:06d}"


def user_may(method, user):
    """The transition's permission alone (django-fsm's has_transition_perm also checks conditions)."""
    meta = method._django_fsm
    transition = meta.get_transition(meta.field.get_state(method.__self__))
    return transition is not None and transition.has_perm(method.__self__, user)


def _fire(case, transition_name, user):
    method = getattr(case, transition_name)
    if not can_proceed(method, check_conditions=False):
        raise TransitionRefused(
            f"Tindakan ini tidak dapat dilakukan pada permohonan berstatus {case.get_state_display()}."
        )
    if not user_may(method, user):
        raise PermissionDenied("Anda tidak berwenang melakukan tindakan ini pada permohonan ini.")
    if not can_proceed(method):
        raise TransitionRefused("Syarat tindakan ini belum terpenuhi (periksa kelengkapan berkas).")
    method()


def _locked(case):
    return Case.objects.select_for_update().select_related("agency").get(pk=case.pk)


@transaction.atomic
def register_case(*, case, user):
    case = _locked(case)
    _fire(case, "register", user)
    now = timezone.now()
    case.number = _next_number(case.agency, timezone.localtime(now).year)
    case.registered_at = now
    case.save()
    return case


@transaction.atomic
def receive_document(*, document, user, received=True, upload=None):
    """Tick a checklist line; with `upload`, store the scan (checked by content)."""
    case = document.case
    if case.agency_id != user.agency_id:
        raise PermissionDenied("Permohonan ini milik instansi lain.")
    if case.state not in (Case.DRAFT, Case.AT_PETUGAS, Case.RETURNED):
        raise TransitionRefused("Berkas hanya dapat diubah selama permohonan di meja petugas.")
    if upload is not None:
        content_type = check_scan(upload)
        document.content_type = content_type
        document.original_name = upload.name[:255]
        document.size = upload.size
        document.uploaded_by = user
        document.uploaded_at = timezone.now()
        if document.file:
            document.file.delete(save=False)
        document.file.save("scan", upload, save=False)
        received = True
    document.received = received
    document.save()
    return document


@transaction.atomic
def return_to_applicant(*, case, user, note=""):
    case = _locked(case)
    _fire(case, "return_to_applicant", user)
    case.returned_at = timezone.now()
    case.returned_by = user
    case.return_note = note
    case.save()
    return case


@transaction.atomic
def resubmit_case(*, case, user):
    case = _locked(case)
    _fire(case, "resubmit", user)
    case.save()
    return case
