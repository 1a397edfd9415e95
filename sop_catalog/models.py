import re

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from agencies.desks import ADMIN, DESKS, FRONT_DESK, SIGNING_DESKS, acting_desks
from agencies.models import Agency
from sop_catalog.timeparse import UNITS

PARTIAL_DATE_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?$")
partial_date_validator = RegexValidator(
    PARTIAL_DATE_RE, "Tanggal harus berbentuk TTTT-BB-HH atau TTTT-BB (hanya bulan dan tahun)."
)
MONTHS_ID = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
]

# The desks of agencies.desks that act on steps, and the column of outside parties.
DESK_CHOICES = [(desk, label) for desk, label in DESKS if desk != ADMIN] + [("external", "Pihak luar")]
UNIT_CHOICES = [
    ("minute", "menit"),
    ("hour", "jam"),
    ("day", "hari"),
    ("workday", "hari kerja"),
    ("week", "minggu"),
    ("month", "bulan"),
]
assert [code for code, _ in UNIT_CHOICES] == list(UNITS)


# The desks that sign (approve) a request, the higher first; the superiors of a paraf hierarki.
ONE_SIGNING_STEP = "Hanya satu langkah per alur yang menandatangani/menyetujui."


class BranchAction(models.TextChoices):
    NEXT = "next", "langkah berikutnya"
    STEP = "step", "ke langkah N"
    APPLICANT = "applicant", "kembali ke pemohon (berkas kurang)"
    REJECT = "reject", "tolak (tidak layak)"
    END = "end", "selesai"


def step_rule_errors(*, desk, actor_desks, signs, branch_actions):
    """What is wrong with a step's workflow marks: the one rule for the admin and the JSON import."""
    desks = acting_desks(desk, actor_desks)
    errors = []
    if signs and not set(desks) & set(SIGNING_DESKS):
        errors.append("Hanya langkah di meja Kepala Dinas atau Sekretaris Dinas yang dapat menandatangani/menyetujui.")
    # Only the front desk holds the checklist whose missing papers send the case back.
    if BranchAction.APPLICANT in branch_actions and desks[-1] != FRONT_DESK:
        errors.append(
            "Kembali ke pemohon hanya dari langkah petugas pelayanan (pemegang berkas); dari meja lain pilih tolak."
        )
    return errors


def branch_target_error(action, step_no, step_nos):
    """What is wrong with a branch's target ('' when nothing): the one rule for admin and import."""
    if action not in BranchAction.values:
        return f"Tujuan '{action}' tidak dikenal; pilih {', '.join(BranchAction.values)}."
    if action == BranchAction.STEP:
        if step_no is None:
            return "Isi nomor langkah tujuan."
        if step_no not in step_nos:
            return f"Langkah {step_no} tidak ada di alur ini."
    elif step_no is not None:
        return "Nomor langkah hanya diisi untuk tujuan 'ke langkah N'."
    return ""


def format_partial_date(value):
    """'2020-09-21' -> '21 September 2020'; '2017-08' -> 'Agustus 2017'."""
    if not value:
        return ""
    parts = value.split("-")
    month = MONTHS_ID[int(parts[1]) - 1]
    if len(parts) == 2:
        return f"{month} {parts[0]}"
    return f"{int(parts[2])} {month} {parts[0]}"


class SOP(models.Model):
    DRAFT = "draft"
    ACTIVE = "active"
    RETIRED = "retired"
    STATUS_CHOICES = [(DRAFT, "Konsep"), (ACTIVE, "Berlaku"), (RETIRED, "Tidak berlaku")]

    agency = models.ForeignKey(Agency, verbose_name="instansi", on_delete=models.PROTECT, related_name="sops")
    slug = models.SlugField("kode URL", max_length=100)
    version = models.PositiveIntegerField("versi", default=1)
    is_current = models.BooleanField(
        "versi terkini",
        default=False,
        help_text="Versi yang berlaku: tampil di katalog dan dipakai permohonan baru. Konsep tidak pernah terkini.",
    )
    locked = models.BooleanField(
        "terkunci",
        default=False,
        help_text="Sudah dipakai permohonan: tidak dapat diubah, salin sebagai versi baru.",
    )
    number = models.CharField("nomor SOP", max_length=80, blank=True)
    name = models.CharField("nama SOP", max_length=300)
    unit = models.CharField("bidang/unit", max_length=200, blank=True, help_text="Seperti tertulis pada kepala SOP.")
    org_unit = models.ForeignKey(
        "agencies.Unit",
        verbose_name="unit kerja pelaksana",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sops",
        help_text="Bidang (atau seksi) yang menjalankan SOP ini: langkah Kasi dan Kabid masuk ke jabatan unit ini.",
    )
    created = models.CharField("tanggal pembuatan", max_length=10, blank=True, validators=[partial_date_validator])
    revised = models.CharField("tanggal revisi", max_length=10, blank=True, validators=[partial_date_validator])
    effective = models.CharField("tanggal efektif", max_length=10, blank=True, validators=[partial_date_validator])
    approved_by_name = models.CharField("disahkan oleh (nama)", max_length=200, blank=True)
    approved_by_title = models.CharField("disahkan oleh (jabatan)", max_length=200, blank=True)
    approved_by_nip = models.CharField("disahkan oleh (NIP)", max_length=40, blank=True)
    warning = models.TextField("peringatan", blank=True)
    recording = models.TextField("pencatatan dan pendataan", blank=True)
    status = models.CharField("status", max_length=10, choices=STATUS_CHOICES, default=DRAFT)
    source = models.CharField("berkas sumber", max_length=200, blank=True)
    published_at = models.DateTimeField("diterbitkan", null=True, blank=True)
    published_by = models.CharField("diterbitkan oleh", max_length=150, blank=True)
    updated_at = models.DateTimeField("diperbarui", auto_now=True)

    class Meta:
        verbose_name = "SOP"
        verbose_name_plural = "SOP"
        ordering = ["agency__name", "number", "name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["slug", "version"], name="unique_sop_slug_version"),
            models.UniqueConstraint(fields=["slug"], condition=Q(is_current=True), name="unique_current_sop_slug"),
            models.CheckConstraint(
                condition=Q(is_current=False) | ~Q(status="draft"),
                name="draft_sop_never_current",
                violation_error_message="Konsep belum berlaku: terbitkan dulu sebelum menjadi versi terkini.",
            ),
            models.UniqueConstraint(
                fields=["agency", "number", "version"],
                condition=~Q(number=""),
                name="unique_sop_number_version",
            ),
        ]

    def __str__(self):
        label = f"{self.number} — {self.name}" if self.number else self.name
        return f"{label} (v{self.version})" if self.version > 1 else label

    def get_absolute_url(self):
        return reverse("sop_catalog:detail", args=[self.slug])

    def clean(self):
        super().clean()
        if self.org_unit_id and self.agency_id and self.org_unit.agency_id != self.agency_id:
            raise ValidationError({"org_unit": "Unit kerja pelaksana harus unit instansi SOP ini."})

    def get_version_url(self):
        return reverse("sop_catalog:version", args=[self.slug, self.version])

    def get_version_pdf_url(self):
        return reverse("sop_catalog:version_pdf", args=[self.slug, self.version])

    @property
    def is_draft(self):
        return self.status == self.DRAFT

    @property
    def created_display(self):
        return format_partial_date(self.created)

    @property
    def revised_display(self):
        return format_partial_date(self.revised)

    @property
    def effective_display(self):
        return format_partial_date(self.effective)


class OrderedText(models.Model):
    order = models.PositiveIntegerField("urutan", default=0)
    text = models.TextField("isi")

    class Meta:
        abstract = True
        ordering = ["order", "id"]

    def __str__(self):
        return self.text[:80]


class LegalBasis(OrderedText):
    sop = models.ForeignKey(SOP, on_delete=models.CASCADE, related_name="legal_bases")

    class Meta(OrderedText.Meta):
        verbose_name = "dasar hukum"
        verbose_name_plural = "dasar hukum"


class Qualification(OrderedText):
    sop = models.ForeignKey(SOP, on_delete=models.CASCADE, related_name="qualifications")

    class Meta(OrderedText.Meta):
        verbose_name = "kualifikasi pelaksana"
        verbose_name_plural = "kualifikasi pelaksana"


class Equipment(OrderedText):
    sop = models.ForeignKey(SOP, on_delete=models.CASCADE, related_name="equipment")

    class Meta(OrderedText.Meta):
        verbose_name = "peralatan/perlengkapan"
        verbose_name_plural = "peralatan/perlengkapan"


class RelatedSOP(OrderedText):
    sop = models.ForeignKey(SOP, on_delete=models.CASCADE, related_name="related_sops")
    target_slug = models.SlugField(
        "SOP terkait di katalog",
        max_length=100,
        blank=True,
        help_text="Kode URL SOP yang dirujuk, bila ada di katalog.",
    )

    class Meta(OrderedText.Meta):
        verbose_name = "keterkaitan"
        verbose_name_plural = "keterkaitan"


class RequiredDocument(models.Model):
    """A paper the applicant brings: the case's document checklist is copied from these."""

    sop = models.ForeignKey(SOP, on_delete=models.CASCADE, related_name="documents")
    order = models.PositiveIntegerField("urutan", default=0)
    name = models.CharField("nama berkas", max_length=200)
    required = models.BooleanField("wajib", default=True)

    class Meta:
        verbose_name = "berkas persyaratan"
        verbose_name_plural = "berkas persyaratan"
        ordering = ["order", "id"]

    def __str__(self):
        return self.name


class Role(models.Model):
    sop = models.ForeignKey(SOP, on_delete=models.CASCADE, related_name="roles")
    order = models.PositiveIntegerField("urutan", default=0)
    label = models.CharField("pelaksana (seperti tertulis)", max_length=120)
    desk = models.CharField("meja", max_length=20, choices=DESK_CHOICES)

    class Meta:
        verbose_name = "kolom pelaksana"
        verbose_name_plural = "kolom pelaksana"
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["sop", "label"], name="unique_role_label")]

    def __str__(self):
        return self.label


class Flow(models.Model):
    sop = models.ForeignKey(SOP, verbose_name="SOP", on_delete=models.CASCADE, related_name="flows")
    order = models.PositiveIntegerField("urutan", default=0)
    title = models.CharField("judul alur", max_length=300, blank=True)

    class Meta:
        verbose_name = "alur"
        verbose_name_plural = "alur"
        ordering = ["order", "id"]

    def __str__(self):
        return self.title or f"Alur {self.order}"


# Documents a step produces (the kinds of cases.LetterTemplate that are berita acara).
STEP_DOCUMENTS = [
    ("ba_serah_terima", "Berita acara serah terima klien"),
    ("ba_jenazah", "Berita acara penyerahan jenazah"),
    ("ba_pemulangan", "Berita acara pemulangan klien"),
]


class Step(models.Model):
    flow = models.ForeignKey(Flow, verbose_name="alur", on_delete=models.CASCADE, related_name="steps")
    no = models.PositiveIntegerField("no")
    activity = models.TextField("kegiatan")
    actors = models.ManyToManyField(Role, verbose_name="pelaksana", blank=True, related_name="steps")
    desk = models.CharField(
        "meja pencatat",
        max_length=20,
        choices=DESK_CHOICES,
        blank=True,
        help_text="Kosongkan: meja pelaksana internal pertama, atau petugas bila pelaksananya pihak luar.",
    )
    requirements = models.TextField("kelengkapan", blank=True)
    time_text = models.CharField("waktu", max_length=120, blank=True)
    time_min = models.DecimalField("waktu minimum", max_digits=8, decimal_places=2, null=True, blank=True)
    time_max = models.DecimalField("waktu maksimum", max_digits=8, decimal_places=2, null=True, blank=True)
    time_unit = models.CharField("satuan waktu", max_length=10, choices=UNIT_CHOICES, blank=True)
    output = models.TextField("output", blank=True)
    notes = models.TextField("keterangan", blank=True)
    document = models.CharField(
        "dokumen yang diterbitkan",
        max_length=20,
        choices=STEP_DOCUMENTS,
        blank=True,
        help_text="Berita acara yang dibuat di langkah ini, oleh meja langkah ini (docs/documents.md).",
    )
    signs = models.BooleanField(
        "menandatangani/menyetujui",
        default=False,
        help_text="Langkah Kepala/Sekretaris Dinas yang menyetujui permohonan dan menandatangani suratnya; "
        "paling banyak satu per alur.",
    )

    class Meta:
        verbose_name = "langkah"
        verbose_name_plural = "langkah"
        ordering = ["flow__order", "no"]
        constraints = [
            models.UniqueConstraint(fields=["flow", "no"], name="unique_step_no"),
            models.UniqueConstraint(
                fields=["flow"],
                condition=Q(signs=True),
                name="one_signing_step_per_flow",
                violation_error_message=ONE_SIGNING_STEP,
            ),
        ]

    def __str__(self):
        return f"{self.no}. {self.activity[:60]}"

    def get_constraints(self):
        """The constraints full_clean() checks, but those named in `held_constraints`: the step import
        sets it for a row it has shown cannot break them (StepResource.validate_instance), sparing a
        query each."""
        held = getattr(self, "held_constraints", ())
        return [(model, [c for c in found if c.name not in held]) for model, found in super().get_constraints()]

    def clean(self):
        if (self.time_min is None) != (self.time_max is None) or (self.time_max is not None and not self.time_unit):
            raise ValidationError("Isi waktu minimum, maksimum dan satuan bersama-sama, atau kosongkan ketiganya.")
        if self.time_min is not None and self.time_min > self.time_max:
            raise ValidationError("Waktu minimum tidak boleh lebih besar dari maksimum.")
        # The admin form sets `pending_actor_desks` from the actors it is about to save.
        actor_desks = getattr(self, "pending_actor_desks", None)
        if actor_desks is None:
            actor_desks = [role.desk for role in self.actors.all()] if self.pk else []
        actions = [branch.action for branch in self.branches.all()] if self.pk else []
        errors = step_rule_errors(desk=self.desk, actor_desks=actor_desks, signs=self.signs, branch_actions=actions)
        if errors:
            raise ValidationError(errors)

    def effective_desk(self, actors=None):
        if self.desk:
            return self.desk
        for role in actors if actors is not None else self.actors.all():
            if role.desk != "external":
                return role.desk
        return "petugas"


class Branch(models.Model):
    step = models.ForeignKey(Step, verbose_name="langkah", on_delete=models.CASCADE, related_name="branches")
    order = models.PositiveIntegerField("urutan", default=0)
    label = models.CharField("label", max_length=60)
    action = models.CharField("tujuan", max_length=10, choices=BranchAction.choices, default=BranchAction.NEXT)
    step_no = models.PositiveIntegerField(
        "ke langkah no",
        null=True,
        blank=True,
        help_text="Hanya untuk tujuan 'ke langkah N': nomor langkah di alur ini.",
    )

    class Meta:
        verbose_name = "cabang keputusan"
        verbose_name_plural = "cabang keputusan"
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(action=BranchAction.STEP, step_no__isnull=False)
                | (~Q(action=BranchAction.STEP) & Q(step_no__isnull=True)),
                name="branch_step_no_iff_jump",
                violation_error_message="Nomor langkah diisi tepat bila tujuannya 'ke langkah N'.",
            ),
        ]

    def __str__(self):
        return f"{self.label} → {self.target_display}"

    @property
    def target_display(self):
        if self.action == BranchAction.STEP:
            return f"langkah {self.step_no}"
        return self.get_action_display()

    def clean(self):
        if not self.step_id:
            return
        step_nos = set(Step.objects.filter(flow_id=self.step.flow_id).values_list("no", flat=True))
        error = branch_target_error(self.action, self.step_no, step_nos)
        if error:
            raise ValidationError({"step_no" if self.action == BranchAction.STEP else "action": error})
        errors = step_rule_errors(
            desk=self.step.desk,
            actor_desks=[role.desk for role in self.step.actors.all()],
            signs=False,
            branch_actions=[self.action],
        )
        if errors:
            raise ValidationError({"action": errors})
