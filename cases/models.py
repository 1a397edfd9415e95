import secrets
import unicodedata
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django_fsm import GET_STATE, ConcurrentTransitionMixin, FSMField, transition

from agencies import org
from agencies.desks import DESK_LABELS, FRONT_DESK, STAFF_DESKS
from agencies.models import Agency
from cases.crypto import EncryptedCharField, blind_index
from cases.nik import mask
from cases.states import (
    CLOSED_STATES,
    DESK_STATES,
    OPEN_STATES,
    STATE_FOR_DESK,
    CaseState,
    LetterStatus,
    StepStatus,
)
from cases.templating import check_template_body, check_template_signing
from sop_catalog.models import SOP


class NeverDeletedQuerySet(models.QuerySet):
    def delete(self):
        raise ValueError("Data ini tidak pernah dihapus; batalkan atau tutup permohonannya saja.")


class NeverDeleted(models.Model):
    """Persons and cases stay: they are closed or cancelled, never deleted (UU PDP keeps the trail)."""

    objects = NeverDeletedQuerySet.as_manager()

    class Meta:
        abstract = True

    def delete(self, *args, **kwargs):
        raise ValueError("Data ini tidak pernah dihapus; batalkan atau tutup permohonannya saja.")


def fold(text):
    """Lower case without accents, for case- and accent-insensitive search."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).lower().split())


class Person(NeverDeleted):
    """One registry of applicants and beneficiaries per agency, keyed by NIK where there is one."""

    MALE = "L"
    FEMALE = "P"
    SEX_CHOICES = [(MALE, "Laki-laki"), (FEMALE, "Perempuan")]

    agency = models.ForeignKey(Agency, verbose_name="instansi", on_delete=models.PROTECT, related_name="persons")
    nik = EncryptedCharField("NIK", null=True, blank=True)
    nik_hash = models.CharField(max_length=64, null=True, blank=True, editable=False, db_index=True)
    kk_number = EncryptedCharField("nomor KK", blank=True, default="")
    kk_hash = models.CharField(max_length=64, null=True, blank=True, editable=False, db_index=True)
    name = models.CharField("nama lengkap", max_length=200)
    name_folded = models.CharField(max_length=200, editable=False, db_index=True)
    birth_place = models.CharField("tempat lahir", max_length=100, blank=True)
    birth_date = models.DateField("tanggal lahir", null=True, blank=True)
    sex = models.CharField("jenis kelamin", max_length=1, choices=SEX_CHOICES, blank=True)
    address = models.CharField("alamat", max_length=300, blank=True)
    rt = models.CharField("RT", max_length=4, blank=True)
    rw = models.CharField("RW", max_length=4, blank=True)
    village = models.CharField("desa/kelurahan", max_length=100, blank=True)
    district = models.CharField("kecamatan", max_length=100, blank=True)
    regency = models.CharField("kabupaten/kota", max_length=100, blank=True)
    phone = models.CharField("telepon", max_length=30, blank=True)
    without_papers = models.BooleanField(
        "tanpa dokumen kependudukan", default=False, help_text="Misalnya ODGJ yang ditemukan di jalan."
    )
    description = models.TextField("ciri-ciri", blank=True)
    found_at = models.CharField("tempat ditemukan", max_length=300, blank=True)
    found_when = models.DateTimeField("waktu ditemukan", null=True, blank=True)
    created_at = models.DateTimeField("didaftarkan", auto_now_add=True)
    updated_at = models.DateTimeField("diperbarui", auto_now=True)

    class Meta:
        verbose_name = "orang"
        verbose_name_plural = "orang"
        ordering = ["name_folded", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "nik_hash"],
                condition=Q(nik_hash__isnull=False),
                name="unique_person_nik_hash_per_agency",
                violation_error_message="NIK ini sudah terdaftar di instansi ini.",
            ),
            models.CheckConstraint(
                condition=Q(without_papers=True) | Q(nik_hash__isnull=False),
                name="person_has_nik_hash_or_is_without_papers",
                violation_error_message="NIK wajib diisi kecuali untuk orang tanpa dokumen kependudukan.",
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.name_folded = fold(self.name)
        self.nik_hash = blind_index(self.nik)
        self.kk_hash = blind_index(self.kk_number)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("cases:person", args=[self.pk])

    def clean(self):
        # Constraints are checked on the blind index: compute it before full_clean validates them.
        self.nik_hash = blind_index(self.nik)
        self.kk_hash = blind_index(self.kk_number)

    @property
    def nik_masked(self):
        return mask(self.nik)

    @property
    def kk_masked(self):
        return mask(self.kk_number)

    @property
    def full_address(self):
        parts = [self.address]
        if self.rt or self.rw:
            parts.append(f"RT {self.rt or '-'}/RW {self.rw or '-'}")
        parts += [self.village, f"Kec. {self.district}" if self.district else "", self.regency]
        return ", ".join(part for part in parts if part)


class PersonChange(models.Model):
    """Every creation and edit of a person: who, what, when."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="changes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField("waktu", auto_now_add=True)
    created = models.BooleanField("pendaftaran", default=False)
    changes = models.JSONField("perubahan", default=dict)

    class Meta:
        verbose_name = "riwayat perubahan orang"
        verbose_name_plural = "riwayat perubahan orang"
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.person} — {self.at:%Y-%m-%d %H:%M}"

    def labelled(self):
        """[(field label, old, new)] in Indonesian, for the history table."""
        return [(Person._meta.get_field(field).verbose_name, old, new) for field, (old, new) in self.changes.items()]


class YearCounter(models.Model):
    """A gapless running number per agency and year, taken with cases.counters.take_next (row locked)."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.agency_id}/{self.year}: {self.last}"


class RegistrationCounter(YearCounter):
    """The last registration number given per agency and year."""

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "year"], name="unique_registration_counter")]


def holder(case, user):
    return case.holds(user)


def front_desk(case, user):
    return case.is_front_desk(user)


def sender(case, user):
    """The user who sent the case to the current step, while that desk has not acted on it."""
    return case.taken_back_to(user) is not None


def to_desk(states):
    """A computed target: the state of the desk the transition is called with."""
    return GET_STATE(lambda case, desk: case.STATE_FOR_DESK[desk], states=list(states))


# Inbox order: the most urgent sifat first.
SIFAT_URGENCY = {"sangat_segera": 0, "segera": 1, "rahasia": 2, "biasa": 3}
QUEUE_FIELDS = ("queue_desk", "queue_rank", "queue_since", "queue_to_position")


def rebuild_queues(batch=2000):
    """Recompute every case's queue columns, for rows written without Case.save() (loaddata)."""
    changed, total = [], 0
    for case in Case.objects.select_related("current_step").iterator(chunk_size=batch):
        before = case.queue_columns()
        case.set_queue_position()
        if case.queue_columns() != before:
            changed.append(case)
        if len(changed) == batch:  # written as it goes: a large archive is not held in memory
            Case.objects.bulk_update(changed, QUEUE_FIELDS)
            total, changed = total + len(changed), []
    Case.objects.bulk_update(changed, QUEUE_FIELDS)
    return total + len(changed)


class Case(ConcurrentTransitionMixin, NeverDeleted):
    """A permohonan: one request for one SOP version, moving from desk to desk."""

    # The names of cases/states.py, kept on the model for `Case.DRAFT` and friends.
    DRAFT = CaseState.DRAFT
    AT_PETUGAS = CaseState.AT_PETUGAS
    AT_KASI = CaseState.AT_KASI
    AT_KABID = CaseState.AT_KABID
    AT_SEKDIN = CaseState.AT_SEKDIN
    AT_KADIS = CaseState.AT_KADIS
    WAITING_EXTERNAL = CaseState.WAITING_EXTERNAL
    APPROVED = CaseState.APPROVED
    COMPLETED = CaseState.COMPLETED
    RETURNED = CaseState.RETURNED
    REJECTED = CaseState.REJECTED
    CANCELLED = CaseState.CANCELLED
    STATE_CHOICES = CaseState.choices

    DESK_STATES = DESK_STATES
    OPEN_STATES = OPEN_STATES
    CLOSED_STATES = CLOSED_STATES
    STATE_FOR_DESK = STATE_FOR_DESK

    CHANNEL_CHOICES = [
        ("datang", "Datang langsung"),
        ("surat", "Surat"),
        ("laporan", "Laporan masyarakat/TKSK"),
        ("razia", "Razia Satpol PP"),
    ]
    SIFAT_BIASA = "biasa"
    SIFAT_RAHASIA = "rahasia"
    SIFAT_CHOICES = [
        (SIFAT_BIASA, "Biasa"),
        ("segera", "Segera"),
        ("sangat_segera", "Sangat Segera"),
        (SIFAT_RAHASIA, "Rahasia"),
    ]

    agency = models.ForeignKey(Agency, verbose_name="instansi", on_delete=models.PROTECT, related_name="cases")
    number = models.CharField("nomor registrasi", max_length=40, blank=True)
    public_token = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)
    sop = models.ForeignKey(SOP, verbose_name="layanan (SOP)", on_delete=models.PROTECT, related_name="+")
    applicant = models.ForeignKey(Person, verbose_name="pemohon", on_delete=models.PROTECT, related_name="applied")
    beneficiary = models.ForeignKey(
        Person, verbose_name="penerima manfaat", on_delete=models.PROTECT, related_name="benefits"
    )
    channel = models.CharField("saluran", max_length=20, choices=CHANNEL_CHOICES, default="datang")
    purpose = models.TextField("maksud dan tujuan")
    destination = models.CharField("tujuan/instansi yang dituju", max_length=300, blank=True)
    sifat = models.CharField("sifat", max_length=20, choices=SIFAT_CHOICES, default=SIFAT_BIASA)
    notes = models.TextField("catatan", blank=True)
    # A case opened from a surat masuk: the incoming letter's own data and its buku agenda number.
    incoming_number = models.CharField("nomor surat masuk", max_length=120, blank=True)
    incoming_date = models.DateField("tanggal surat masuk", null=True, blank=True)
    incoming_sender = models.CharField("pengirim surat masuk", max_length=300, blank=True)
    incoming_subject = models.CharField("perihal surat masuk", max_length=300, blank=True)
    agenda_number = models.PositiveIntegerField("nomor agenda", null=True, blank=True, editable=False)
    agenda_year = models.PositiveIntegerField("tahun agenda", null=True, blank=True, editable=False)
    state = FSMField("status", default=CaseState.DRAFT, choices=CaseState.choices, protected=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="dibuat oleh", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("dibuat", auto_now_add=True)
    registered_at = models.DateTimeField("didaftarkan", null=True, blank=True)
    flow = models.ForeignKey(
        "sop_catalog.Flow", verbose_name="alur", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    current_step = models.ForeignKey(
        "CaseStep", verbose_name="langkah saat ini", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    waiting_for = models.CharField("menunggu", max_length=300, blank=True)
    waiting_until = models.DateField("perkiraan jawaban", null=True, blank=True)
    waiting_reminded_on = models.DateField(null=True, blank=True, editable=False)
    closing_reason = models.TextField("alasan", blank=True)
    closed_at = models.DateTimeField("ditutup", null=True, blank=True)
    returned_at = models.DateTimeField("dikembalikan", null=True, blank=True)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    return_note = models.TextField("catatan pengembalian", blank=True)
    # The inbox's queue, kept by save() from the state, sifat and current step, so that one index
    # on this table answers "what waits at my desk, most urgent and longest waiting first".
    queue_desk = models.CharField("meja antrean", max_length=20, blank=True, editable=False)
    queue_rank = models.PositiveSmallIntegerField("urutan sifat", default=9, editable=False)
    queue_since = models.DateTimeField("menunggu sejak", null=True, blank=True, editable=False)
    # The jabatan a disposisi addressed the current step to: it waits for that position's holder only.
    queue_to_position = models.ForeignKey(
        "agencies.Position",
        verbose_name="antrean untuk jabatan",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    class Meta:
        verbose_name = "permohonan"
        verbose_name_plural = "permohonan"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "number"], condition=~Q(number=""), name="unique_case_number_per_agency"
            )
        ]
        indexes = [
            # The inbox's page and its count: on PostgreSQL the count reads the index alone (the
            # columns its filters need are included); SQLite has no INCLUDE and ignores them.
            models.Index(
                fields=["agency", "queue_desk", "queue_rank", "queue_since", "id"],
                include=["sop", "state", "queue_to_position"],
                condition=~Q(queue_desk=""),
                name="case_queue_idx",
            )
        ]

    def __str__(self):
        return self.number or f"Konsep #{self.pk}"

    def save(self, *args, **kwargs):
        self.set_queue_position()
        if kwargs.get("update_fields"):  # an empty list still means "save nothing"
            kwargs["update_fields"] = {*kwargs["update_fields"], *QUEUE_FIELDS}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("cases:case", args=[self.pk])

    def queue_position(self):
        """(desk, urgency rank, since, position addressed) of the case in the inbox; no desk when it
        waits at none; the position of a disposisi addressed to one (CaseStep.to_position), else None."""
        rank = SIFAT_URGENCY.get(self.sifat, 9)
        step = self.current_step if self.current_step_id and self.state in self.OPEN_STATES else None
        if step is None:
            return "", rank, None, None
        return step.desk, rank, step.started_at, step.to_position_id

    def set_queue_position(self):
        self.queue_desk, self.queue_rank, self.queue_since, self.queue_to_position_id = self.queue_position()

    def queue_columns(self):
        return self.queue_desk, self.queue_rank, self.queue_since, self.queue_to_position_id

    @property
    def survey_code(self):
        """The code on the tanda terima that lets the applicant answer the survey."""
        return self.public_token.hex[:8].upper()

    # --- conditions -------------------------------------------------------------------

    def required_documents_missing(self):
        return [doc for doc in self.documents.all() if doc.required and not doc.received]

    def has_missing_documents(self):
        return bool(self.required_documents_missing())

    def has_all_required_documents(self):
        return not self.required_documents_missing()

    # --- who holds the case ----------------------------------------------------------------

    def taken_back_to(self, user):
        """The step `user` finished and sent on to the current step, when they may still take the case back:
        the current step started when theirs ended, was sent by them going forward or down (not signed), and
        nothing was done on it since. None otherwise."""
        step = self.current_step
        if step is None or not user.is_authenticated or step.arrived_by_id != user.pk or step.started_at is None:
            return None
        if step.arrival_kind not in ("arrived", "disposisi") or user.agency_id != self.agency_id:
            return None
        previous = (
            self.steps.filter(status=CaseStep.DONE, completed_by=user, completed_at=step.started_at)
            .order_by("-position")
            .first()
        )
        if previous is None or previous.position > step.position:
            return None
        if self.audit.filter(at__gt=step.started_at).exclude(action__in=("forward", "dispose", "step")).exists():
            return None
        return previous

    def holds(self, user):
        """The user works at the desk of the current step, in this case's agency, for its SOP's unit;
        a step a disposisi addressed to a position waits for that position's acting holder."""
        step = self.current_step
        return (
            step is not None
            and user.is_authenticated
            and user.agency_id == self.agency_id
            and org.serves_step(user, step.desk, self.sop.org_unit_id, step.to_position_id)
        )

    @property
    def is_secret(self):
        """Sifat Rahasia: the public never learns its service or step."""
        return self.sifat == self.SIFAT_RAHASIA

    def is_front_desk(self, user):
        return (
            user.is_authenticated
            and user.agency_id == self.agency_id
            and org.serves(user, FRONT_DESK, self.sop.org_unit_id)
        )

    def no_superior_has_acted(self):
        if "steps" in getattr(self, "_prefetched_objects_cache", {}):  # the case page's prefetch
            return not any(s.status == StepStatus.DONE and s.desk not in STAFF_DESKS for s in self.steps.all())
        return not self.steps.filter(status=StepStatus.DONE).exclude(desk__in=STAFF_DESKS).exists()

    # --- transitions (workflow.py fires them inside a transaction, with the row locked) ----

    @transition(
        field=state,
        source=CaseState.DRAFT,
        target=to_desk(DESK_STATES),
        permission=front_desk,
    )
    def register(self, desk):
        """Give the draft its number; the case goes to the desk of the SOP's first step."""

    @transition(
        field=state,
        source=[CaseState.AT_PETUGAS, CaseState.AT_KASI, CaseState.AT_KABID, CaseState.AT_SEKDIN],
        target=to_desk([CaseState.AT_KASI, CaseState.AT_KABID, CaseState.AT_SEKDIN, CaseState.AT_KADIS]),
        permission=holder,
    )
    def forward(self, desk):
        """Up the hierarchy to the desk of the next step."""

    @transition(
        field=state,
        source=[CaseState.AT_KASI, CaseState.AT_KABID, CaseState.AT_SEKDIN, CaseState.AT_KADIS],
        target=to_desk([CaseState.AT_PETUGAS, CaseState.AT_KASI, CaseState.AT_KABID, CaseState.AT_SEKDIN]),
        permission=holder,
    )
    def dispose(self, desk):
        """Down the hierarchy with a disposisi."""

    @transition(
        field=state,
        source=[CaseState.AT_KADIS, CaseState.AT_SEKDIN],
        target=CaseState.APPROVED,
        permission=holder,
    )
    def sign(self):
        """The Kepala Dinas (or the Sekretaris a.n.) signs: the request is approved."""

    @transition(
        field=state,
        source=[*DESK_STATES, CaseState.APPROVED],
        target=CaseState.COMPLETED,
        permission=holder,
    )
    def complete(self):
        """The last step of the SOP is done."""

    @transition(
        field=state,
        source=[*DESK_STATES, CaseState.APPROVED],
        target=CaseState.WAITING_EXTERNAL,
        permission=holder,
    )
    def wait_external(self):
        """Parked while an outside party (BPJS, rumah sakit, Dinas Provinsi …) works."""

    @transition(
        field=state,
        source=CaseState.WAITING_EXTERNAL,
        target=GET_STATE(lambda case, state: state, states=[*DESK_STATES, CaseState.APPROVED]),
        permission=holder,
    )
    def resume(self, state):
        """The outside party answered; back to the desk that recorded the wait."""

    @transition(
        field=state,
        source=[CaseState.AT_KASI, CaseState.AT_KABID, CaseState.AT_SEKDIN, CaseState.AT_KADIS],
        target=to_desk([CaseState.AT_PETUGAS, CaseState.AT_KASI, CaseState.AT_KABID, CaseState.AT_SEKDIN]),
        permission=holder,
    )
    def return_for_revision(self, desk):
        """Back to the previous desk with a note; it resubmits up the same chain."""

    @transition(
        field=state,
        source=[CaseState.AT_PETUGAS, CaseState.AT_KASI, CaseState.AT_KABID, CaseState.AT_SEKDIN, CaseState.AT_KADIS],
        target=to_desk(DESK_STATES),
        permission=sender,
    )
    def take_back(self, desk):
        """Tarik kembali: the sender takes the case back while the next desk has not acted on it."""

    @transition(
        field=state,
        source=[CaseState.AT_PETUGAS, CaseState.AT_KASI, CaseState.AT_KABID, CaseState.AT_SEKDIN, CaseState.AT_KADIS],
        target=CaseState.REJECTED,
        permission=holder,
    )
    def reject(self):
        """Tidak layak, with a reason."""

    @transition(
        field=state,
        source=[CaseState.DRAFT, CaseState.AT_PETUGAS, CaseState.RETURNED],
        target=CaseState.CANCELLED,
        permission=front_desk,
        conditions=[no_superior_has_acted],
    )
    def cancel(self):
        """Withdrawn before any superior acted, with a reason."""

    @transition(
        field=state,
        source=CaseState.AT_PETUGAS,
        target=CaseState.RETURNED,
        permission=front_desk,
        conditions=[has_missing_documents],
    )
    def return_to_applicant(self):
        """Incomplete papers: back to the applicant with the list of what is missing."""

    @transition(
        field=state,
        source=CaseState.RETURNED,
        target=CaseState.AT_PETUGAS,
        permission=front_desk,
        conditions=[has_all_required_documents],
    )
    def resubmit(self):
        """The applicant brought the missing papers."""


def document_path(instance, filename):
    # Never the uploaded name: a random one, with the extension of the checked content type.
    return f"cases/{instance.case.agency_id}/{instance.case_id}/{uuid.uuid4().hex}{instance.extension}"


class CaseDocument(models.Model):
    """One line of a case's checklist, copied from the SOP, with the scan when there is one."""

    EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="documents")
    order = models.PositiveIntegerField("urutan", default=0)
    name = models.CharField("berkas", max_length=200)
    required = models.BooleanField("wajib", default=True)
    received = models.BooleanField("diterima", default=False)
    file = models.FileField("pindaian", upload_to=document_path, blank=True)
    content_type = models.CharField(max_length=40, blank=True)
    original_name = models.CharField("nama berkas asli", max_length=255, blank=True)
    size = models.PositiveIntegerField("ukuran", null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "berkas permohonan"
        verbose_name_plural = "berkas permohonan"
        ordering = ["order", "id"]

    def __str__(self):
        return self.name

    @property
    def extension(self):
        return self.EXTENSIONS.get(self.content_type, "")


class CaseStep(models.Model):
    """One step of the SOP version in this case: its desk, who did it, when, and how it ended."""

    PENDING = StepStatus.PENDING
    CURRENT = StepStatus.CURRENT
    DONE = StepStatus.DONE
    SKIPPED = StepStatus.SKIPPED
    STATUS_CHOICES = StepStatus.choices

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="steps")
    sop_step = models.ForeignKey("sop_catalog.Step", on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField("urutan")
    part = models.PositiveSmallIntegerField("bagian", default=0, help_text="1, 2, 3 … bila beberapa meja bergiliran")
    no = models.PositiveIntegerField("no langkah SOP")
    desk = models.CharField("meja", max_length=20)
    status = models.CharField("status", max_length=10, choices=StepStatus.choices, default=StepStatus.PENDING)
    started_at = models.DateTimeField("mulai", null=True, blank=True)
    due_at = models.DateTimeField("batas waktu", null=True, blank=True)
    completed_at = models.DateTimeField("selesai", null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField("keputusan", max_length=60, blank=True)
    note = models.TextField("catatan", blank=True)
    overdue_notified_on = models.DateField(null=True, blank=True)
    # How the case last arrived at this step: who sent it, as what (Notification.KIND_CHOICES), and why.
    arrived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="dikirim oleh",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    arrival_kind = models.CharField("cara tiba", max_length=20, blank=True)
    arrival_note = models.TextField("alasan/catatan pengirim", blank=True)
    # A disposisi addressed to a jabatan: while the step is current it waits for that position's
    # acting holder only, whoever holds it on the day (agencies.org.waits_for_q).
    to_position = models.ForeignKey(
        "agencies.Position",
        verbose_name="ditujukan kepada jabatan",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = "langkah permohonan"
        verbose_name_plural = "langkah permohonan"
        ordering = ["case", "position"]
        constraints = [models.UniqueConstraint(fields=["case", "position"], name="unique_case_step_position")]
        indexes = [models.Index(fields=["status", "desk", "due_at"], name="case_step_inbox_idx")]

    def __str__(self):
        return f"{self.case} langkah {self.label}"

    @property
    def label(self):
        """6, or 6a/6b/6c when several desks act on SOP step 6 in turn (paraf hierarki)."""
        return f"{self.no}{chr(ord('a') + self.part - 1)}" if self.part else str(self.no)

    @property
    def desk_label(self):
        return DESK_LABELS.get(self.desk, self.desk)

    def is_overdue(self, now=None):
        if self.due_at is None:
            return False
        end = self.completed_at or now or timezone.now()
        return end > self.due_at

    @property
    def duration(self):
        if self.started_at and self.completed_at:
            return self.completed_at - self.started_at
        return None

    @property
    def duration_text(self):
        """The actual time in words: '2 hari 3 jam', '45 menit', '< 1 menit'."""
        if self.duration is None:
            return ""
        minutes = int(self.duration.total_seconds() // 60)
        days, rest = divmod(minutes, 24 * 60)
        hours, minutes = divmod(rest, 60)
        parts = [f"{days} hari" if days else "", f"{hours} jam" if hours else "", f"{minutes} menit" if minutes else ""]
        return " ".join(p for p in parts if p) or "< 1 menit"


class AuditEntry(models.Model):
    """Append-only: every transition and step completion (never updated, never deleted)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="audit")
    at = models.DateTimeField("waktu", auto_now_add=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    desk = models.CharField("meja", max_length=20, blank=True)
    action = models.CharField("tindakan", max_length=40)
    from_state = models.CharField("dari", max_length=20)
    to_state = models.CharField("ke", max_length=20)
    step = models.ForeignKey(CaseStep, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    note = models.TextField("catatan", blank=True)
    ip_address = models.GenericIPAddressField("alamat IP", null=True, blank=True)

    class Meta:
        verbose_name = "jejak audit"
        verbose_name_plural = "jejak audit"
        ordering = ["at", "id"]

    ACTION_LABELS = {
        "register": "Didaftarkan",
        "step": "Langkah selesai",
        "forward": "Diteruskan",
        "dispose": "Didisposisikan",
        "sign": "Ditandatangani",
        "complete": "Selesai",
        "wait_external": "Menunggu pihak luar",
        "resume": "Dilanjutkan",
        "return_for_revision": "Dikembalikan untuk revisi",
        "take_back": "Ditarik kembali oleh pengirim",
        "return_to_applicant": "Dikembalikan ke pemohon",
        "resubmit": "Diajukan kembali",
        "reject": "Ditolak",
        "cancel": "Dibatalkan",
        "padanan": "Dipadankan dengan data register",
        "correct_letter": "Konsep surat dikoreksi",
        "paraf_replacement": "Paraf konsep pengganti",
        "reissue": "Surat dicabut dan diganti",
    }

    def __str__(self):
        return f"{self.case} {self.action} {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Jejak audit tidak dapat diubah.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Jejak audit tidak dapat dihapus.")

    @property
    def action_label(self):
        return self.ACTION_LABELS.get(self.action, self.action)

    @property
    def from_label(self):
        return dict(CaseState.choices).get(self.from_state, self.from_state)

    @property
    def to_label(self):
        return dict(CaseState.choices).get(self.to_state, self.to_state)


class Disposition(models.Model):
    """A superior's written instruction sending the case down, with its lembar disposisi PDF."""

    INSTRUCTIONS = [
        "Untuk diproses",
        "Untuk ditindaklanjuti",
        "Koordinasikan",
        "Siapkan konsep",
        "Untuk diketahui",
        "Untuk dipelajari dan ditelaah",
        "Hadir/wakili",
        "Arsip",
    ]

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="dispositions")
    at = models.DateTimeField("waktu", auto_now_add=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    from_desk = models.CharField("dari meja", max_length=20)
    to_desk = models.CharField("kepada meja", max_length=20)
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The jabatan it is addressed to: whoever holds it when the case is worked on (a successor too).
    to_position = models.ForeignKey(
        "agencies.Position",
        verbose_name="kepada jabatan",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    instructions = models.JSONField("instruksi", default=list)
    note = models.TextField("catatan", blank=True)
    due_date = models.DateField("batas waktu penyelesaian", null=True, blank=True)
    pdf = models.FileField("lembar disposisi", upload_to="disposisi/%Y/", blank=True)

    class Meta:
        verbose_name = "disposisi"
        verbose_name_plural = "disposisi"
        ordering = ["at", "id"]

    def __str__(self):
        return f"Disposisi {self.case} {self.at:%Y-%m-%d}"


class Notification(models.Model):
    ARRIVED = "arrived"
    RETURNED = "returned"
    DISPOSISI = "disposisi"
    OVERDUE = "overdue"
    SIGNED = "signed"
    REMINDER = "reminder"
    TAKEN_BACK = "taken_back"
    KIND_CHOICES = [
        (ARRIVED, "Masuk"),
        (RETURNED, "Dikembalikan untuk revisi"),
        (DISPOSISI, "Disposisi"),
        (OVERDUE, "Terlambat"),
        (SIGNED, "Ditandatangani"),
        (REMINDER, "Pengingat pihak luar"),
        (TAKEN_BACK, "Ditarik kembali"),
    ]

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField("jenis", max_length=20, choices=KIND_CHOICES, default=ARRIVED)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="oleh",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.TextField("alasan/catatan", blank=True)
    message = models.CharField("pesan", max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # The event's token, the same on every notice of it: a notice task run twice writes them once.
    event = models.CharField(max_length=32, blank=True, default="", db_index=True, editable=False)

    class Meta:
        verbose_name = "pemberitahuan"
        verbose_name_plural = "pemberitahuan"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread_idx")]

    def __str__(self):
        return self.message


class OutgoingMail(models.Model):
    """An e-mail notice kept until it is sent: the ledger of the `cases.tasks.deliver_mail` task.

    Saved with the transition that caused it; once that commits a task sends it, retried with
    backoff (`next_attempt_at`). A worker claims the row for a while (`claimed_until`) before it
    talks to the mail server, so two runs of the same task send it once; the fixed `message_id`
    lets a mail server drop the copy of a send whose worker died before it could write `sent_at`.
    """

    subject = models.CharField("subjek", max_length=200)
    body = models.TextField("isi")
    recipients = models.JSONField("penerima", default=list)
    message_id = models.CharField("Message-ID", max_length=200, unique=True, null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField("terkirim", null=True, blank=True)
    attempts = models.PositiveSmallIntegerField("percobaan", default=0)
    last_error = models.CharField("galat terakhir", max_length=300, blank=True)
    next_attempt_at = models.DateTimeField("coba lagi setelah", null=True, blank=True)
    claimed_until = models.DateTimeField("sedang dikirim sampai", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "e-mail keluar"
        verbose_name_plural = "e-mail keluar"
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["sent_at"], name="outgoingmail_unsent_idx")]

    def __str__(self):
        return self.subject


class LetterTemplate(models.Model):
    """An output letter of an SOP (surat rekomendasi, SPM, berita acara …), editable by admins.

    The body is a Django template; only the variables of docs/documents.md may be used and
    the body is checked when it is saved.
    """

    REKOMENDASI = "rekomendasi"
    PERNYATAAN = "pernyataan"
    BA_SERAH_TERIMA = "ba_serah_terima"
    BA_JENAZAH = "ba_jenazah"
    BA_PEMULANGAN = "ba_pemulangan"
    PENOLAKAN = "penolakan"
    KIND_CHOICES = [
        (REKOMENDASI, "Surat rekomendasi"),
        (PERNYATAAN, "Surat pernyataan/keterangan"),
        (BA_SERAH_TERIMA, "Berita acara serah terima klien"),
        (BA_JENAZAH, "Berita acara penyerahan jenazah"),
        (BA_PEMULANGAN, "Berita acara pemulangan klien"),
        (PENOLAKAN, "Surat penolakan permohonan"),
    ]
    BERITA_ACARA = (BA_SERAH_TERIMA, BA_JENAZAH, BA_PEMULANGAN)

    # Bentuk naskah dinas (Permendagri 1/2023): each form has its own layout in letter.html.
    SURAT_DINAS = "surat_dinas"
    SURAT_KETERANGAN = "surat_keterangan"
    BERITA_ACARA_FORM = "berita_acara"
    NOTA_DINAS = "nota_dinas"
    FORM_CHOICES = [
        (SURAT_DINAS, "Surat dinas (Nomor, Sifat, Lampiran, Hal; Yth.; tembusan)"),
        (SURAT_KETERANGAN, "Surat keterangan/pernyataan/rekomendasi (judul di tengah, NOMOR di bawahnya)"),
        (BERITA_ACARA_FORM, "Berita acara"),
        (NOTA_DINAS, "Nota dinas"),
    ]

    agency = models.ForeignKey(Agency, verbose_name="instansi", on_delete=models.CASCADE, related_name="+")
    sop_slug = models.SlugField(
        "SOP (kode URL)", max_length=100, blank=True, help_text="Kosongkan untuk berita acara yang dipakai semua SOP."
    )
    kind = models.CharField("jenis", max_length=20, choices=KIND_CHOICES)
    form = models.CharField(
        "bentuk naskah dinas",
        max_length=20,
        choices=FORM_CHOICES,
        default=SURAT_KETERANGAN,
        help_text="Tata letak menurut tata naskah dinas (Permendagri 1/2023); "
        "berita acara selalu berbentuk berita acara.",
    )
    title = models.CharField("perihal", max_length=300)
    classification_code = models.CharField(
        "kode klasifikasi arsip",
        max_length=20,
        help_text="Kode klasifikasi arsip untuk nomor surat (Permendagri 83/2022), misalnya 400.9.",
    )
    attachment = models.CharField("lampiran", max_length=100, default="-", blank=True)
    addressee = models.TextField(
        "kepada Yth.",
        blank=True,
        help_text="Surat dinas dan nota dinas: alamat tujuan, satu baris per baris (variabel seperti isi surat); "
        "kosong: tujuan permohonan.",
    )
    copies = models.TextField("tembusan", blank=True, help_text="Satu tembusan per baris.")
    body = models.TextField(
        "isi surat", help_text="Templat Django; variabel yang boleh dipakai: lihat docs/documents.md."
    )
    active = models.BooleanField("aktif", default=True)

    class Meta:
        verbose_name = "templat surat"
        verbose_name_plural = "templat surat"
        ordering = ["agency", "sop_slug", "kind"]
        constraints = [models.UniqueConstraint(fields=["agency", "sop_slug", "kind"], name="unique_letter_template")]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.title}"

    def clean(self):
        check_template_body(self.body)
        check_template_body(self.addressee)
        if (self.kind in self.BERITA_ACARA) != (self.form == self.BERITA_ACARA_FORM):
            raise ValidationError({"form": "Berita acara berbentuk berita acara; jenis lain tidak."})
        if self.active and self.kind not in self.BERITA_ACARA:
            check_template_signing(agency_id=self.agency_id, sop_slug=self.sop_slug)


class AgendaCounter(YearCounter):
    """The agency's buku agenda surat masuk: one running agenda number per year."""

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "year"], name="unique_agenda_counter")]


class DocumentCounter(YearCounter):
    """The agency's register of letter numbers, per year (or one running number)."""

    year = models.PositiveIntegerField(help_text="0 when the agency does not reset its numbers each year")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "year"], name="unique_document_counter")]


def issued_path(instance, filename):
    return f"issued/{instance.case.agency_id}/{instance.issued_at:%Y}/{instance.token}.pdf"


class IssuedDocument(models.Model):
    """A letter of a case: a draft (KONSEP) until signed, then numbered, stored once, verifiable."""

    DRAFT = LetterStatus.DRAFT
    ISSUED = LetterStatus.ISSUED
    REVOKED = LetterStatus.REVOKED
    STATUS_CHOICES = LetterStatus.choices

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="letters")
    template = models.ForeignKey(LetterTemplate, on_delete=models.PROTECT, related_name="+")
    status = models.CharField("status", max_length=10, choices=LetterStatus.choices, default=LetterStatus.DRAFT)
    token = models.CharField(max_length=43, unique=True, editable=False)
    number = models.CharField("nomor surat", max_length=80, blank=True)
    title = models.CharField("perihal", max_length=300)
    extra = models.JSONField("isian tambahan", default=dict, blank=True)
    context = models.JSONField("isi saat diterbitkan", default=dict, blank=True)
    issued_at = models.DateTimeField("diterbitkan", null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signer = models.JSONField("penanda tangan", default=dict, blank=True)
    pdf = models.FileField("PDF", upload_to=issued_path, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    revoked_at = models.DateTimeField("dicabut", null=True, blank=True)
    revoked_reason = models.TextField("alasan pencabutan", blank=True)
    replaced_by = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = "surat/dokumen"
        verbose_name_plural = "surat/dokumen"
        ordering = ["case", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "template"], condition=Q(status=LetterStatus.DRAFT), name="one_draft_per_template"
            )
        ]

    def __str__(self):
        return f"{self.title} {self.number or '(konsep)'}"

    def save(self, *args, **kwargs):
        if not self.token:
            self.token = secrets.token_urlsafe(32)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("cases:verify", args=[self.token])


class Paraf(models.Model):
    """The initials of one level on a draft (paraf hierarki): who, as which desk, when."""

    document = models.ForeignKey(IssuedDocument, on_delete=models.CASCADE, related_name="parafs")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    desk = models.CharField("meja", max_length=20)
    at = models.DateTimeField("waktu", default=timezone.now)

    class Meta:
        verbose_name = "paraf"
        verbose_name_plural = "paraf"
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.user} ({self.desk})"


class SurveyResponse(models.Model):
    """Survei Kepuasan Masyarakat (PermenPAN-RB 14/2017): nine elements scored 1–4, once per case."""

    ELEMENTS = [
        "Persyaratan",
        "Sistem, mekanisme, dan prosedur",
        "Waktu penyelesaian",
        "Biaya/tarif",
        "Produk spesifikasi jenis pelayanan",
        "Kompetensi pelaksana",
        "Perilaku pelaksana",
        "Penanganan pengaduan, saran, dan masukan",
        "Sarana dan prasarana",
    ]
    SCORES = [(1, "Tidak baik"), (2, "Kurang baik"), (3, "Baik"), (4, "Sangat baik")]

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="survey")
    u1 = models.PositiveSmallIntegerField(ELEMENTS[0], choices=SCORES)
    u2 = models.PositiveSmallIntegerField(ELEMENTS[1], choices=SCORES)
    u3 = models.PositiveSmallIntegerField(ELEMENTS[2], choices=SCORES)
    u4 = models.PositiveSmallIntegerField(ELEMENTS[3], choices=SCORES)
    u5 = models.PositiveSmallIntegerField(ELEMENTS[4], choices=SCORES)
    u6 = models.PositiveSmallIntegerField(ELEMENTS[5], choices=SCORES)
    u7 = models.PositiveSmallIntegerField(ELEMENTS[6], choices=SCORES)
    u8 = models.PositiveSmallIntegerField(ELEMENTS[7], choices=SCORES)
    u9 = models.PositiveSmallIntegerField(ELEMENTS[8], choices=SCORES)
    comment = models.TextField("saran", blank=True)
    created_at = models.DateTimeField("diisi", auto_now_add=True)

    class Meta:
        verbose_name = "survei kepuasan"
        verbose_name_plural = "survei kepuasan"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(u1__range=(1, 4))
                & Q(u2__range=(1, 4))
                & Q(u3__range=(1, 4))
                & Q(u4__range=(1, 4))
                & Q(u5__range=(1, 4))
                & Q(u6__range=(1, 4))
                & Q(u7__range=(1, 4))
                & Q(u8__range=(1, 4))
                & Q(u9__range=(1, 4)),
                name="survey_scores_1_to_4",
            )
        ]

    def __str__(self):
        return f"SKM {self.case}"


class AccessLog(models.Model):
    """Who saw which personal data, when and where (UU PDP): append-only. One home for the log of
    persons (PersonAccess) and of register rows (registers.Access); `record` writes either."""

    target_field: str = ""  # the foreign key to the row that was seen

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField("waktu", auto_now_add=True)
    via = models.CharField("lewat", max_length=80)
    ip_address = models.GenericIPAddressField("alamat IP", null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-at", "-id"]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Catatan akses tidak dapat diubah.")
        super().save(*args, **kwargs)

    @classmethod
    def fields_for(cls, row) -> dict:
        return {f"{cls.target_field}_id": row.pk}

    @classmethod
    def record(cls, *, user, rows, via: str, ip: str | None = None) -> None:
        """One log row per distinct row seen (None left out), in one INSERT."""
        seen = {row.pk: row for row in rows if row is not None}
        limit = cls._meta.get_field("via").max_length
        cls.objects.bulk_create(
            [cls(user=user, via=via[:limit], ip_address=ip, **cls.fields_for(row)) for _, row in sorted(seen.items())]
        )


class PersonAccess(AccessLog):
    target_field = "person"

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="accesses")

    class Meta(AccessLog.Meta):
        verbose_name = "akses data pribadi"
        verbose_name_plural = "akses data pribadi"
        indexes = [models.Index(fields=["person", "at"], name="person_access_idx")]

    def __str__(self):
        return f"{self.user} → {self.person} ({self.via})"


class RecapJob(models.Model):
    """A confirmed kecamatan recap being turned into cases a chunk at a time, so the page can show
    progress. The rows (NIKs included) are kept encrypted and wiped when the job is finished."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    sop = models.ForeignKey(SOP, on_delete=models.PROTECT, related_name="+")
    district = models.CharField("kecamatan", max_length=100)
    token_digest = models.CharField(max_length=64, unique=True)
    rows_data = EncryptedCharField("baris rekap", blank=True)
    total = models.PositiveIntegerField("jumlah baris")
    done = models.PositiveIntegerField("baris diproses", default=0)
    created_cases = models.JSONField("permohonan dibuat", default=list)
    skipped = models.JSONField("baris tidak dibuat", default=list)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField("selesai", null=True, blank=True)

    class Meta:
        verbose_name = "rekap kecamatan"
        verbose_name_plural = "rekap kecamatan"
        ordering = ["-started_at", "-id"]

    def __str__(self):
        return f"Rekap Kecamatan {self.district} ({self.done}/{self.total})"

    def get_absolute_url(self):
        return reverse("intake:recap_job", args=[self.pk])

    @property
    def percent(self) -> int:
        return 100 if not self.total else round(100 * self.done / self.total)
