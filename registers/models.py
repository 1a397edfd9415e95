"""Reference registers (DTKS/DTSEN, PBI-JK Pusat, PBI-Daerah …) kept per agency and period, and
the padanan (match) a desk records on a case step against them."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from agencies.models import Agency
from cases.crypto import EncryptedCharField, blind_index
from cases.models import AccessLog
from cases.nik import mask
from registers.columns import parse_columns


class Register(models.Model):
    """One list an office receives as spreadsheets: DTKS/DTSEN, PBI-JK Pusat, PBI-Daerah, or any other."""

    agency = models.ForeignKey(Agency, verbose_name="instansi", on_delete=models.PROTECT, related_name="registers")
    code = models.SlugField("kode", max_length=40, help_text="Dipakai SOP untuk menyebut register ini, mis. dtks.")
    name = models.CharField("nama", max_length=120)
    description = models.TextField("keterangan", blank=True)
    columns = models.TextField(
        "judul kolom tambahan",
        blank=True,
        help_text="Judul kolom ekstrak yang tidak dikenali otomatis, satu per baris: "
        "judul kolom = NIK, No KK, Nama, Alamat, Desa/Kelurahan, Kecamatan atau Desil. "
        "Contoh: NIK_ART_2025 = NIK",
    )

    class Meta:
        verbose_name = "register data padanan"
        verbose_name_plural = "register data padanan"
        ordering = ["agency", "name"]
        constraints = [models.UniqueConstraint(fields=["agency", "code"], name="unique_register_code_per_agency")]

    def __str__(self):
        return self.name

    def clean(self):
        try:
            parse_columns(self.columns)
        except ValueError as exc:
            raise ValidationError({"columns": str(exc)}) from exc

    def column_aliases(self) -> dict[str, str]:
        try:
            return parse_columns(self.columns)
        except ValueError:
            return {}

    @property
    def current_period(self):
        return self.periods.filter(is_current=True).first()


class Period(models.Model):
    """One extract of a register (e.g. DTKS Triwulan III 2026); exactly one is current at a time."""

    register = models.ForeignKey(Register, verbose_name="register", on_delete=models.PROTECT, related_name="periods")
    agency = models.ForeignKey(Agency, verbose_name="instansi", on_delete=models.PROTECT, related_name="+")
    label = models.CharField("periode", max_length=60, help_text="Mis. Triwulan III 2026 atau Oktober 2026.")
    valid_from = models.DateField("berlaku sejak", null=True, blank=True)
    is_current = models.BooleanField("periode berlaku", default=False)
    row_count = models.PositiveIntegerField("jumlah baris", default=0, editable=False)
    created_at = models.DateTimeField("dibuat", auto_now_add=True)

    class Meta:
        verbose_name = "periode register"
        verbose_name_plural = "periode register"
        ordering = ["register", "-valid_from", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["register", "label"], name="unique_register_period_label"),
            models.UniqueConstraint(
                fields=["register"],
                condition=Q(is_current=True),
                name="one_current_period_per_register",
                violation_error_message="Hanya satu periode yang berlaku per register.",
            ),
        ]

    def __str__(self):
        return f"{self.register} periode {self.label}"

    def save(self, *args, **kwargs):
        self.agency_id = self.register.agency_id
        super().save(*args, **kwargs)


class Entry(models.Model):
    """One row of an extract. NIK and KK are encrypted; lookups go through their blind index."""

    period = models.ForeignKey(Period, verbose_name="periode", on_delete=models.CASCADE, related_name="entries")
    agency = models.ForeignKey(Agency, verbose_name="instansi", on_delete=models.PROTECT, related_name="+")
    nik = EncryptedCharField("NIK", blank=True, default="")
    nik_hash = models.CharField(max_length=64, null=True, blank=True, editable=False)
    kk_number = EncryptedCharField("nomor KK", blank=True, default="")
    kk_hash = models.CharField(max_length=64, null=True, blank=True, editable=False)
    name = models.CharField("nama", max_length=200, blank=True)
    address = models.CharField("alamat", max_length=300, blank=True)
    village = models.CharField("desa/kelurahan", max_length=100, blank=True)
    district = models.CharField("kecamatan", max_length=100, blank=True)
    desil = models.PositiveSmallIntegerField("desil", null=True, blank=True)

    class Meta:
        verbose_name = "baris register"
        verbose_name_plural = "baris register"
        ordering = ["period", "id"]
        indexes = [
            models.Index(fields=["nik_hash", "period"], name="register_entry_nik_idx"),
            models.Index(fields=["kk_hash", "period"], name="register_entry_kk_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(desil__isnull=True) | Q(desil__gte=1, desil__lte=10),
                name="register_entry_desil_1_to_10",
                violation_error_message="Desil harus 1 sampai 10.",
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.nik_masked})"

    def save(self, *args, **kwargs):
        self.fill_derived()
        super().save(*args, **kwargs)

    def fill_derived(self):
        """Blind indexes and the agency key; also used by bulk imports, which bypass save()."""
        self.nik_hash = blind_index(self.nik)
        self.kk_hash = blind_index(self.kk_number)
        if self.period_id and not self.agency_id:
            self.agency_id = self.period.agency_id

    @property
    def nik_masked(self):
        return mask(self.nik)

    @property
    def kk_masked(self):
        return mask(self.kk_number)


class Check(models.Model):
    """An SOP step consults a register: what a match means there (SOP data, loaded from fixtures)."""

    REQUIRED = "required"
    FORBIDDEN = "forbidden"
    SOURCE = "source"
    EXPECTATION_CHOICES = [
        (REQUIRED, "harus terdaftar"),
        (FORBIDDEN, "tidak boleh terdaftar"),
        (SOURCE, "sumber data"),
    ]

    step = models.ForeignKey(
        "sop_catalog.Step", verbose_name="langkah SOP", on_delete=models.CASCADE, related_name="register_checks"
    )
    order = models.PositiveSmallIntegerField("urutan", default=0)
    register_code = models.SlugField("kode register", max_length=40)
    expectation = models.CharField("arti kecocokan", max_length=12, choices=EXPECTATION_CHOICES)

    class Meta:
        verbose_name = "padanan pada langkah SOP"
        verbose_name_plural = "padanan pada langkah SOP"
        ordering = ["step", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["step", "register_code"], name="unique_check_per_step")]

    def __str__(self):
        return f"{self.step}: {self.register_code} {self.get_expectation_display()}"


class Match(models.Model):
    """What the desk recorded at a case step after looking at the registers: append-only."""

    CONFIRMED = "confirmed"
    OVERRIDDEN = "overridden"
    OUTCOME_CHOICES = [(CONFIRMED, "Dikonfirmasi"), (OVERRIDDEN, "Ditimpa dengan alasan")]

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="matches")
    case_step = models.ForeignKey("cases.CaseStep", on_delete=models.PROTECT, related_name="matches")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField("waktu", auto_now_add=True)
    outcome = models.CharField("hasil", max_length=12, choices=OUTCOME_CHOICES)
    computed_ok = models.BooleanField("memenuhi menurut register")
    ok = models.BooleanField("memenuhi")
    reason = models.TextField("alasan", blank=True)
    results = models.JSONField("hasil per register", default=list)
    sentence = models.TextField("kalimat untuk surat", blank=True)

    class Meta:
        verbose_name = "hasil padanan"
        verbose_name_plural = "hasil padanan"
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome="confirmed") | ~Q(reason=""),
                name="match_override_has_reason",
                violation_error_message="Penimpaan hasil padanan wajib diberi alasan.",
            )
        ]

    def __str__(self):
        return f"padanan {self.case} langkah {self.case_step.label}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Hasil padanan tidak dapat diubah; catat padanan baru.")
        super().save(*args, **kwargs)


class Access(AccessLog):
    """Who saw which register row (cases.models.AccessLog, as for persons)."""

    target_field = "entry"

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    entry = models.ForeignKey(Entry, on_delete=models.SET_NULL, null=True, related_name="accesses")

    class Meta(AccessLog.Meta):
        verbose_name = "akses register"
        verbose_name_plural = "akses register"
        indexes = [models.Index(fields=["entry", "at"], name="register_access_idx")]

    @classmethod
    def fields_for(cls, row) -> dict:
        return {"entry_id": row.pk, "agency_id": row.agency_id}

    def __str__(self):
        return f"{self.user} → {self.entry} ({self.via})"
