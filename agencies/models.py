import base64
import datetime
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from agencies.desks import DESK_LABELS, DESKS, desk_permission

WORKDAYS_DEFAULT = "1,2,3,4,5"


class Agency(models.Model):
    name = models.CharField("nama instansi", max_length=200)
    slug = models.SlugField("kode URL", max_length=60, unique=True)
    code = models.CharField(
        "kode registrasi",
        max_length=10,
        blank=True,
        help_text="Awalan nomor registrasi permohonan, unik antarinstansi, misalnya LMJ.",
    )
    region = models.CharField("wilayah", max_length=120, blank=True)
    address = models.TextField("alamat", blank=True)
    postal_code = models.CharField("kode pos", max_length=10, blank=True)
    phone = models.CharField("telepon", max_length=60, blank=True)
    email = models.EmailField("e-mail", blank=True)
    website = models.URLField("situs web", blank=True)
    logo = models.FileField("logo", upload_to="logos/", blank=True, help_text="PNG atau SVG (diperiksa dari isinya).")
    letterhead = models.TextField(
        "baris kop surat",
        blank=True,
        help_text="Satu baris per baris kop, dari atas ke bawah.",
    )
    time_zone = models.CharField("zona waktu", max_length=40, default="Asia/Jakarta")
    office_opens = models.TimeField("jam kantor mulai", default=datetime.time(8, 0))
    office_closes = models.TimeField("jam kantor selesai", default=datetime.time(16, 0))
    unit_code = models.CharField(
        "kode unit",
        max_length=30,
        blank=True,
        help_text="Kode unit pada nomor surat, misalnya 427.42 untuk Dinas Sosial Kabupaten Lumajang.",
    )
    letter_number_pattern = models.CharField(
        "pola nomor surat",
        max_length=100,
        default="{klasifikasi}/{urut}/{unit}/{tahun}",
        help_text="Bagian: {klasifikasi} kode klasifikasi arsip, {urut} nomor urut, {unit} kode unit, {tahun} tahun.",
    )
    letter_number_yearly_reset = models.BooleanField("nomor urut surat mulai dari 1 setiap tahun", default=True)
    workdays = models.CharField(
        "hari kerja",
        max_length=20,
        default=WORKDAYS_DEFAULT,
        help_text="Nomor hari ISO dipisah koma: 1 = Senin … 7 = Minggu.",
    )

    class Meta:
        verbose_name = "instansi"
        verbose_name_plural = "instansi"
        ordering = ["name"]
        permissions = [(f"desk_{desk}", f"Meja {label}") for desk, label in DESKS]
        constraints = [
            models.UniqueConstraint(
                fields=["code"],
                condition=~models.Q(code=""),
                name="unique_agency_code",
                violation_error_message="Kode registrasi ini sudah dipakai instansi lain.",
            )
        ]

    def __str__(self):
        return self.name

    def clean(self):
        try:
            self.letter_number_pattern.format(klasifikasi="400.9", urut=1, unit="427.42", tahun=2026)
        except (KeyError, IndexError, ValueError) as exc:
            parts = "{klasifikasi}, {urut}, {unit}, {tahun}"
            message = f"Pola nomor surat tidak sah ({exc}); gunakan {parts}."
            raise ValidationError({"letter_number_pattern": message}) from exc
        if "{urut}" not in self.letter_number_pattern:
            raise ValidationError({"letter_number_pattern": "Pola nomor surat harus memuat {urut}."})
        days = [part.strip() for part in self.workdays.split(",") if part.strip()]
        if not days or not all(day.isdecimal() and 1 <= int(day) <= 7 for day in days):
            raise ValidationError({"workdays": "Isi nomor hari 1–7 dipisah koma, misalnya 1,2,3,4,5."})
        if self.office_opens and self.office_closes and self.office_opens >= self.office_closes:
            raise ValidationError({"office_closes": "Jam kantor selesai harus sesudah jam mulai."})
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValidationError(
                {"time_zone": "Zona waktu tidak dikenal; gunakan Asia/Jakarta, Asia/Makassar atau Asia/Jayapura."}
            ) from exc

    @property
    def logo_data_uri(self):
        """The logo embedded in the PDF (PNG or SVG, checked at upload); empty when there is none or it is gone."""
        if not self.logo:
            return ""
        try:
            with self.logo.open("rb") as handle:
                data = handle.read()
        except OSError:
            return ""
        kind = "image/png" if data.startswith(b"\x89PNG") else "image/svg+xml"
        return f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"

    @property
    def town(self):
        """'Kabupaten Lumajang' -> 'Lumajang': the place written before a letter's date."""
        return re.sub(r"^(Kabupaten|Kota)\s+", "", self.region or self.name)

    @property
    def kop_address(self):
        """The kop's address line: 'Jalan … Lumajang 67311'."""
        return " ".join(part for part in [" ".join(self.address.split()), self.postal_code] if part)

    @property
    def kop_contacts(self):
        """The kop's contact line: telepon, pos-el, laman."""
        parts = [f"Telepon {self.phone}" if self.phone else "", f"Pos-el {self.email}" if self.email else ""]
        parts.append(
            f"Laman {self.website.removeprefix('https://').removeprefix('http://').rstrip('/')}" if self.website else ""
        )
        return " · ".join(part for part in parts if part)

    @property
    def letterhead_lines(self):
        return [line.strip() for line in self.letterhead.splitlines() if line.strip()]

    @property
    def workday_numbers(self):
        return {int(day) for day in self.workdays.split(",") if day.strip()}


class User(AbstractUser):
    agency = models.ForeignKey(
        Agency,
        verbose_name="instansi",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    nip = models.CharField("NIP", max_length=30, blank=True)
    notice_digest = models.BooleanField(
        "ringkasan harian",
        default=False,
        help_text="Pemberitahuan dikirim lewat e-mail sekali sehari (ringkasan), bukan satu e-mail per kejadian.",
    )
    # Raised whenever the user's desks, permissions or agency change (agencies/usercache.py): the
    # cached desks of a signed-in user are keyed by it, so no worker can serve revoked ones.
    cache_version = models.PositiveIntegerField(default=0, editable=False)

    class Meta(AbstractUser.Meta):
        verbose_name = "pengguna"
        verbose_name_plural = "pengguna"

    def save(self, *args, **kwargs):
        # A full save of a row read before a desk was revoked must not write its old cache_version
        # back: only agencies/usercache.py raises it, in the database.
        if not self._state.adding and self.pk is not None and kwargs.get("update_fields") is None:
            fields = self._meta.concrete_fields
            kwargs["update_fields"] = [f.name for f in fields if not f.primary_key and f.name != "cache_version"]
        super().save(*args, **kwargs)

    @property
    def desks(self):
        """Desk codes this user holds, in the canonical order (from the cached group permissions)."""
        permissions = self.get_group_permissions() if self.is_active else set()
        return [desk for desk, _ in DESKS if desk_permission(desk) in permissions]

    @property
    def desk_labels(self):
        return [DESK_LABELS[desk] for desk in self.desks]

    def has_desk(self, desk):
        # Through the desk groups only: a superuser is not every desk at once.
        return self.is_active and desk_permission(desk) in self.get_group_permissions()

    @property
    def display_name(self):
        return self.get_full_name() or self.username


class Position(models.Model):
    """A jabatan in an agency, e.g. Kepala Dinas Sosial, Kepala Bidang Rehabilitasi Sosial."""

    agency = models.ForeignKey(Agency, verbose_name="instansi", on_delete=models.CASCADE, related_name="positions")
    title = models.CharField("jabatan", max_length=200)
    desk = models.CharField("meja", max_length=20, choices=DESKS)
    unit = models.CharField("bidang/seksi", max_length=200, blank=True)
    order = models.PositiveIntegerField("urutan", default=0)

    class Meta:
        verbose_name = "jabatan"
        verbose_name_plural = "jabatan"
        ordering = ["agency", "order", "title"]
        constraints = [models.UniqueConstraint(fields=["agency", "title"], name="unique_position_title")]

    def __str__(self):
        return f"{self.title} — {self.agency.name}"

    def holder_on(self, day):
        """The official who holds this position on `day` (definitive holders before acting ones)."""
        return (
            self.officials.filter(Q(start__isnull=True) | Q(start__lte=day))
            .filter(Q(end__isnull=True) | Q(end__gte=day))
            .order_by("acting", "-start")
            .first()
        )


class Official(models.Model):
    """Who holds a position, and when: the name, NIP and pangkat of signature blocks."""

    DEFINITIVE = ""
    PLT = "Plt."
    PLH = "Plh."
    ACTING_CHOICES = [(DEFINITIVE, "Definitif"), (PLT, "Pelaksana Tugas (Plt.)"), (PLH, "Pelaksana Harian (Plh.)")]

    position = models.ForeignKey(Position, verbose_name="jabatan", on_delete=models.CASCADE, related_name="officials")
    name = models.CharField("nama", max_length=200)
    nip = models.CharField("NIP", max_length=30, blank=True)
    rank = models.CharField("pangkat/golongan", max_length=120, blank=True)
    acting = models.CharField("status", max_length=5, choices=ACTING_CHOICES, blank=True, default=DEFINITIVE)
    user = models.ForeignKey(User, verbose_name="akun pengguna", on_delete=models.SET_NULL, null=True, blank=True)
    start = models.DateField("mulai menjabat", null=True, blank=True)
    end = models.DateField("selesai menjabat", null=True, blank=True)

    class Meta:
        verbose_name = "pejabat"
        verbose_name_plural = "pejabat"
        ordering = ["position", "-start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(start__isnull=True) | Q(end__gte=models.F("start")),
                name="official_end_after_start",
            )
        ]

    def __str__(self):
        return f"{self.acting} {self.name}".strip()


class Holiday(models.Model):
    """A day off an admin adds to the national calendar (the holidays package): all agencies, or one."""

    agency = models.ForeignKey(
        Agency,
        verbose_name="instansi",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="holidays",
        help_text="Kosongkan untuk semua instansi.",
    )
    date = models.DateField("tanggal")
    name = models.CharField("keterangan", max_length=200)

    class Meta:
        verbose_name = "hari libur tambahan"
        verbose_name_plural = "hari libur tambahan"
        ordering = ["-date"]
        constraints = [models.UniqueConstraint(fields=["agency", "date"], name="unique_holiday_per_agency")]

    def __str__(self):
        return f"{self.date:%d-%m-%Y} {self.name}"


class LoadedRow(models.Model):
    """A row a fixture command wrote, with the fingerprint of what it held just after: a later run
    that finds another fingerprint knows an admin changed the row and leaves it alone
    (agencies/loading.py)."""

    kind = models.CharField("jenis", max_length=40)
    key = models.CharField("kunci", max_length=300)
    fingerprint = models.CharField("sidik", max_length=64)
    loaded_at = models.DateTimeField("dimuat", auto_now=True)

    class Meta:
        verbose_name = "baris yang dimuat"
        verbose_name_plural = "baris yang dimuat"
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="unique_loaded_row")]

    def __str__(self):
        return f"{self.kind} {self.key}"
