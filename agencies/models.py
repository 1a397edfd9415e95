import base64
import datetime
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from agencies.desks import DESK_LABELS, DESKS

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
    def desk_scopes(self):
        """{desk: None (the whole agency) or the ids of the units served} of every desk this user works
        at today: from the positions held and the desk groups (agencies/org.py; cached per request by
        agencies/usercache.py)."""
        if not hasattr(self, "_desk_scopes"):
            self._load_desks()
        return self._desk_scopes

    @property
    def desk_positions(self):
        """{desk: the ids of the positions this user acts in there today} (a disposisi addressed to
        one of them waits for this user: agencies.org.serves_step)."""
        if not hasattr(self, "_desk_positions"):
            self._load_desks()
        return self._desk_positions

    def _load_desks(self):
        from agencies import org  # noqa: PLC0415 (agencies.org imports the models)

        held = org.held_positions(self) if self.is_active else []
        self._desk_scopes = org.scopes(self, held, self.get_group_permissions()) if self.is_active else {}
        self._desk_positions = org.positions_by_desk(held)

    @property
    def desks(self):
        """Desk codes this user works at today, in the canonical order."""
        scopes = self.desk_scopes
        return [desk for desk, _ in DESKS if desk in scopes]

    @property
    def desk_labels(self):
        return [DESK_LABELS[desk] for desk in self.desks]

    def has_desk(self, desk):
        # Through positions and desk groups only: a superuser is not every desk at once.
        return self.is_active and desk in self.desk_scopes

    @property
    def display_name(self):
        return self.get_full_name() or self.username


class Unit(models.Model):
    """A unit of the agency's organisation: the Sekretariat and its subbagian, a bidang and its seksi, an UPT."""

    SEKRETARIAT = "sekretariat"
    SUBBAGIAN = "subbagian"
    BIDANG = "bidang"
    SEKSI = "seksi"
    UPT = "upt"
    KIND_CHOICES = [
        (SEKRETARIAT, "Sekretariat"),
        (SUBBAGIAN, "Subbagian"),
        (BIDANG, "Bidang"),
        (SEKSI, "Seksi"),
        (UPT, "UPT"),
    ]
    # The parent kind each kind sits under (None: directly under the Kepala Dinas).
    PARENT_KINDS = {SEKRETARIAT: None, SUBBAGIAN: SEKRETARIAT, BIDANG: None, SEKSI: BIDANG, UPT: None}
    # Units whose staff and officials serve the whole agency (the Sekretariat's front desk), not one bidang.
    AGENCY_WIDE_KINDS = (SEKRETARIAT, SUBBAGIAN)

    agency = models.ForeignKey(Agency, verbose_name="instansi", on_delete=models.CASCADE, related_name="units")
    name = models.CharField("nama unit", max_length=200)
    kind = models.CharField("jenis", max_length=20, choices=KIND_CHOICES)
    parent = models.ForeignKey(
        "self",
        verbose_name="di bawah",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        help_text="Seksi di bawah bidangnya; subbagian di bawah Sekretariat.",
    )
    order = models.PositiveIntegerField("urutan", default=0)
    demo = models.BooleanField(
        "unit contoh", default=False, help_text="Unit contoh untuk demo, tidak dari dokumen SOP instansi."
    )

    class Meta:
        verbose_name = "unit kerja"
        verbose_name_plural = "unit kerja"
        ordering = ["agency", "order", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "name"],
                name="unique_unit_name",
                violation_error_message="Unit dengan nama ini sudah ada di instansi ini.",
            )
        ]

    def __str__(self):
        return f"{self.name} (contoh)" if self.demo else self.name

    def clean(self):
        wanted = self.PARENT_KINDS.get(self.kind)
        parent = self.parent
        if parent is not None and self.agency_id and parent.agency_id != self.agency_id:
            raise ValidationError({"parent": "Unit induk harus dari instansi yang sama."})
        if wanted is None and parent is not None:
            raise ValidationError({"parent": f"{self.get_kind_display()} langsung di bawah Kepala Dinas: kosongkan."})
        if wanted is not None and (parent is None or parent.kind != wanted):
            label = dict(self.KIND_CHOICES)[wanted]
            raise ValidationError({"parent": f"{self.get_kind_display()} harus di bawah sebuah {label}."})

    @property
    def bidang(self):
        """The unit a case of this unit's SOPs belongs to at the Kabid's desk: itself, or its parent."""
        return self.parent if self.parent_id and self.kind in (self.SEKSI, self.SUBBAGIAN) else self


class Position(models.Model):
    """A jabatan in an agency, e.g. Kepala Dinas Sosial, Kepala Bidang Rehabilitasi Sosial."""

    agency = models.ForeignKey(Agency, verbose_name="instansi", on_delete=models.CASCADE, related_name="positions")
    title = models.CharField("jabatan", max_length=200)
    desk = models.CharField("meja", max_length=20, choices=DESKS)
    unit = models.ForeignKey(
        Unit,
        verbose_name="unit kerja",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="positions",
        help_text="Kosongkan untuk Kepala Dinas (memimpin seluruh instansi).",
    )
    order = models.PositiveIntegerField("urutan", default=0)

    class Meta:
        verbose_name = "jabatan"
        verbose_name_plural = "jabatan"
        ordering = ["agency", "order", "title"]
        constraints = [models.UniqueConstraint(fields=["agency", "title"], name="unique_position_title")]

    def __str__(self):
        return f"{self.title} — {self.agency.name}"

    def clean(self):
        if self.unit_id and self.agency_id and self.unit.agency_id != self.agency_id:
            raise ValidationError({"unit": "Unit kerja harus dari instansi yang sama."})

    def holder_on(self, day):
        """The official who acts in this position on `day`: a Plt. or Plh. during their period takes
        precedence over the definitive holder (who is still in office, but not acting)."""
        return acting_holder([o for o in self.officials.all() if o.holds_on(day)])


def acting_holder(officials):
    """Of the officials who hold one position on a day, the one who acts: a Plh. before a Plt. before
    the definitive holder; among equals the latest start. A Plt. or Plh. left without an end date
    gives way to a definitive holder appointed after it began (the post is filled)."""
    officials = list(officials)
    starts = [o.start for o in officials if not o.acting and o.start]

    def superseded(o):
        return bool(o.acting) and o.start is not None and any(start > o.start for start in starts)

    rank = {Official.PLH: 0, Official.PLT: 1, Official.DEFINITIVE: 2}
    candidates = [o for o in officials if not superseded(o)]
    ordered = sorted(candidates, key=lambda o: (rank.get(o.acting, 2), -(o.start or datetime.date.min).toordinal()))
    return ordered[0] if ordered else None


def periods_overlap(a_start, a_end, b_start, b_end):
    """Two periods overlap; an open start or end runs without limit."""
    low, high = datetime.date.min, datetime.date.max
    return (a_start or low) <= (b_end or high) and (b_start or low) <= (a_end or high)


class Official(models.Model):
    """Who holds a position, and when: the name, NIP and pangkat of signature blocks."""

    DEFINITIVE = ""
    PLT = "Plt."
    PLH = "Plh."
    ACTING_CHOICES = [(DEFINITIVE, "Definitif"), (PLT, "Pelaksana Tugas (Plt.)"), (PLH, "Pelaksana Harian (Plh.)")]

    position = models.ForeignKey(Position, verbose_name="jabatan", on_delete=models.CASCADE, related_name="officials")
    name = models.CharField("nama", max_length=200, help_text="Nama lengkap dengan gelar, seperti pada tanda tangan.")
    nip = models.CharField("NIP", max_length=30, blank=True)
    rank = models.CharField("pangkat/golongan", max_length=120, blank=True)
    acting = models.CharField("status", max_length=5, choices=ACTING_CHOICES, blank=True, default=DEFINITIVE)
    user = models.ForeignKey(
        User,
        verbose_name="akun pengguna",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="holdings",
        help_text="Akun yang bekerja di meja jabatan ini selama masa jabatan (kotak masuk, tanda tangan).",
    )
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
                violation_error_message="Tanggal selesai menjabat tidak boleh sebelum tanggal mulai.",
            )
        ]

    def __str__(self):
        return f"{self.acting} {self.name}".strip()

    def holds_on(self, day):
        return (self.start is None or self.start <= day) and (self.end is None or self.end >= day)

    def clean(self):
        if self.acting and self.start is None:
            raise ValidationError(
                {"start": f"Isi tanggal mulai {self.acting}: Plt. dan Plh. menjabat untuk suatu masa."}
            )
        # In the admin's inline every holder of the position is on the page: its formset compares them
        # as typed (an end date given to the old holder in the same save counts).
        if self.position_id is None or getattr(self, "_overlap_checked_by_formset", False):
            return
        for other in self.position.officials.exclude(pk=self.pk):
            clash = overlap_message(self, other)
            if clash:
                raise ValidationError(clash)


def overlap_message(a, b):
    """Why two holders of one position may not both be entered, or "" when they may: two holders of the
    same status (two definitive, two Plt., two Plh.) at the same time. A Plt. or Plh. over the
    definitive holder, or a Plh. standing in for a Plt., is the rule (agencies.models.acting_holder)."""
    if a.acting != b.acting or not periods_overlap(a.start, a.end, b.start, b.end):
        return ""
    kind = "definitif" if not a.acting else a.acting
    start = b.start.strftime("%d-%m-%Y") if b.start else "…"
    end = b.end.strftime("%d-%m-%Y") if b.end else "sekarang"
    return (
        f"Masa jabatan {a.name or 'ini'} tumpang tindih dengan pejabat {kind} lain, {b.name} ({start} s.d. {end}). "
        "Isi tanggal selesai menjabat pejabat lama, atau pilih status Plt./Plh. untuk pejabat yang mewakili."
    )


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
