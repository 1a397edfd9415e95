from django import forms
from django.conf import settings

from agencies import org
from agencies.models import Position
from cases import selectors
from cases.formats import megabytes
from cases.models import Case, Disposition, LetterTemplate, Person, SurveyResponse
from cases.nik import kk_problems, nik_facts, nik_problems, normalize_number
from cases.regions import region_of_nik
from cases.uploads import UploadRefused, check_pdf_upload


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class PersonForm(forms.ModelForm):
    confirm_namesake = forms.BooleanField(
        label="Saya sudah memeriksa: ini orang yang berbeda dengan nama dan tanggal lahir yang sama",
        required=False,
    )

    class Meta:
        model = Person
        fields = [
            "without_papers", "nik", "kk_number", "name", "birth_place", "birth_date", "sex", "address",
            "rt", "rw", "village", "district", "regency", "phone", "description", "found_at", "found_when",
        ]  # fmt: skip
        widgets = {
            "birth_date": DateInput(),
            "found_when": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "description": forms.Textarea(attrs={"rows": 3}),
            "nik": forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
            "kk_number": forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        }
        help_texts = {
            "nik": "16 angka, tanpa spasi. Tanggal lahir, jenis kelamin, kecamatan dan kabupaten diisi dari NIK "
            "bila masih kosong; periksa dan ubah bila perlu.",
            "found_at": "Wajib untuk orang tanpa dokumen.",
        }

    def __init__(self, *args, agency, **kwargs):
        super().__init__(*args, **kwargs)
        self.agency = agency
        self.duplicate_of = None
        self.namesakes = []
        self.fields["name"].widget.attrs["autofocus"] = True

    def clean_nik(self):
        return normalize_number(self.cleaned_data.get("nik")) or None

    def clean_kk_number(self):
        kk = normalize_number(self.cleaned_data.get("kk_number"))
        for problem in kk_problems(kk) if kk else []:
            self.add_error("kk_number", problem)
        return kk

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("without_papers"):
            cleaned["nik"] = None
            self._require(cleaned, {"description": "Orang tanpa dokumen wajib diisi ciri-cirinya.",
                                    "found_at": "Orang tanpa dokumen wajib diisi tempat ditemukannya."})  # fmt: skip
        else:
            self._fill_from_nik(cleaned)
            self._check_nik(cleaned)
            self._require(cleaned, {"birth_date": "Tanggal lahir wajib diisi.", "sex": "Jenis kelamin wajib diisi."})
        self._check_namesakes(cleaned)
        return cleaned

    def _fill_from_nik(self, cleaned):
        """What a valid NIK encodes fills what was left empty; what was typed stays and is checked."""
        nik = cleaned.get("nik")
        facts = nik_facts(nik) if nik and not self.has_error("nik") else None
        if facts is None:
            return
        if not cleaned.get("birth_date") and not self.has_error("birth_date"):
            cleaned["birth_date"] = facts[0]
        if not cleaned.get("sex") and not self.has_error("sex"):
            cleaned["sex"] = facts[1]
        region = region_of_nik(nik)
        for field in ("regency", "district"):
            if not str(cleaned.get(field) or "").strip() and not self.has_error(field):
                cleaned[field] = region[field]

    def _require(self, cleaned, messages):
        for field, message in messages.items():
            if not str(cleaned.get(field) or "").strip():
                self.add_error(field, message)

    def _check_nik(self, cleaned):
        nik = cleaned.get("nik")
        if not nik:
            if not self.has_error("nik"):
                self.add_error("nik", "NIK wajib diisi; centang “tanpa dokumen kependudukan” bila tidak ada.")
            return
        for problem in nik_problems(nik, birth_date=cleaned.get("birth_date"), sex=cleaned.get("sex")):
            self.add_error("nik", problem)
        owner = selectors.nik_owner(agency=self.agency, nik=nik, exclude_pk=self.instance.pk)
        if owner:
            self.duplicate_of = owner
            self.add_error("nik", f"NIK ini sudah terdaftar atas nama {owner.name}.")

    def _check_namesakes(self, cleaned):
        self.namesakes = list(
            selectors.namesakes(
                agency=self.agency,
                name=cleaned.get("name"),
                birth_date=cleaned.get("birth_date"),
                exclude_pk=self.instance.pk,
            )
        )
        if self.namesakes and not cleaned.get("confirm_namesake") and not self.duplicate_of:
            self.add_error(
                "confirm_namesake",
                "Sudah ada orang dengan nama dan tanggal lahir yang sama. Periksa daftar di atas; "
                "bila memang orang yang berbeda, centang kotak ini lalu simpan lagi.",
            )

    def _post_clean(self):
        # The model's own checks need the agency; the duplicate checks above already ran.
        self.instance.agency = self.agency
        super()._post_clean()

    def validate_unique(self):
        if self.duplicate_of is None:  # the NIK clash already has its own message and link
            super().validate_unique()

    NO_PAPERS = ("description", "found_at", "found_when")

    def shows_no_papers(self):
        """The fields of a person without papers are unfolded when the box is ticked or any of them holds a
        value or an error."""
        return bool(self["without_papers"].value()) or any(
            self[key].value() or self[key].errors for key in self.NO_PAPERS
        )

    def person_data(self):
        return {field: self.cleaned_data.get(field) for field in self.Meta.fields}


class CaseForm(forms.Form):
    sop = forms.ModelChoiceField(queryset=None, label="Layanan (SOP)", empty_label="— pilih layanan —")
    channel = forms.ChoiceField(label="Saluran", choices=Case.CHANNEL_CHOICES)
    purpose = forms.CharField(label="Maksud dan tujuan", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    destination = forms.CharField(
        label="Instansi yang dituju",
        required=False,
        max_length=300,
        widget=forms.TextInput(attrs={"placeholder": "misalnya rumah sakit tujuan, BPJS, atau panti"}),
    )
    sifat = forms.ChoiceField(label="Sifat", choices=Case.SIFAT_CHOICES)
    incoming_number = forms.CharField(label="Nomor surat masuk", max_length=120, required=False)
    incoming_date = forms.DateField(label="Tanggal surat masuk", required=False, widget=DateInput())
    incoming_sender = forms.CharField(label="Pengirim surat masuk", max_length=300, required=False)
    incoming_subject = forms.CharField(label="Perihal surat masuk", max_length=300, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sop"].queryset = selectors.openable_sops(user)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("channel") == "surat":
            for field in ("incoming_number", "incoming_date", "incoming_sender"):
                if not cleaned.get(field):
                    self.add_error(field, "Wajib untuk permohonan dari surat masuk.")
        return cleaned

    INCOMING = ("incoming_number", "incoming_date", "incoming_sender", "incoming_subject")

    def incoming(self):
        return {key: self.cleaned_data.get(key) for key in self.INCOMING}

    def shows_incoming(self):
        """The incoming-letter fields are unfolded when the channel is a letter or when any of them holds a
        value or an error, so nothing typed is hidden."""
        if self["channel"].value() == "surat":
            return True
        return any(self[key].value() or self[key].errors for key in self.INCOMING)


class DocumentForm(forms.Form):
    received = forms.BooleanField(label="Diterima", required=False)
    scan = forms.FileField(
        label="Pindaian (PDF, JPEG, PNG)",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
    )

    def clean_scan(self):
        scan = self.cleaned_data.get("scan")
        limit = settings.CASE_UPLOAD_MAX_MB * 1024 * 1024
        if scan and scan.size > limit:
            raise forms.ValidationError(
                f"Berkas terlalu besar ({megabytes(scan.size)}); batasnya {settings.CASE_UPLOAD_MAX_MB} MB."
            )
        return scan


class ReturnForm(forms.Form):
    note = forms.CharField(
        label="Catatan untuk pemohon", required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=1000
    )


class CompleteStepForm(forms.Form):
    """Completing the current step: a note, the branch of a decision, and a disposisi going down."""

    note = forms.CharField(label="Catatan", required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    branch = forms.ChoiceField(label="Keputusan", required=False, widget=forms.RadioSelect)
    instructions = forms.MultipleChoiceField(
        label="Instruksi disposisi",
        required=False,
        choices=[(text, text) for text in Disposition.INSTRUCTIONS],
        widget=forms.CheckboxSelectMultiple,
    )
    to_position = forms.ModelChoiceField(
        label="Diteruskan kepada (jabatan)",
        required=False,
        queryset=None,
        empty_label="— semua di meja tujuan —",
        help_text="Disposisi mengikuti jabatan: bila pejabatnya berganti, penggantinya yang menerima.",
    )
    disposition_note = forms.CharField(
        label="Catatan disposisi", required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=1000
    )
    bsre_nik = forms.CharField(label="NIK penanda tangan (BSrE)", required=False, max_length=16)
    bsre_passphrase = forms.CharField(
        label="Passphrase BSrE",
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Diketik saat menandatangani; tidak disimpan.",
    )

    def __init__(self, *args, branches=(), positions=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].choices = [(label, label) for label in branches]
        self.fields["branch"].required = bool(branches)
        # The positions offered (a list: agencies.org.disposition_positions), or for a post every
        # position of the agency: complete_step checks the chosen one under the row lock.
        chosen = positions if positions is not None else []
        queryset = Position.objects.filter(pk__in=[p.pk for p in chosen]) if isinstance(chosen, list) else chosen
        self.fields["to_position"].queryset = queryset
        self.fields["to_position"].label_from_instance = org.position_label


class ReasonForm(forms.Form):
    text = forms.CharField(label="Alasan", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class WaitForm(forms.Form):
    text = forms.CharField(
        label="Menunggu apa", max_length=300, help_text="Misalnya: proses BPJS ± 3 bulan, jawaban Dinas Provinsi."
    )


class BeritaAcaraForm(forms.Form):
    template = forms.ModelChoiceField(label="Jenis berita acara", queryset=None, empty_label=None)
    bsre_nik = CompleteStepForm.base_fields["bsre_nik"]
    bsre_passphrase = CompleteStepForm.base_fields["bsre_passphrase"]
    tempat = forms.CharField(
        label="Tempat", max_length=200, required=False, help_text="Kosongkan: nama daerah instansi."
    )
    nama = forms.CharField(label="PIHAK KEDUA: nama", max_length=200)
    nip = forms.CharField(label="PIHAK KEDUA: NIP (bila pejabat/ASN)", max_length=30, required=False)
    jabatan = forms.CharField(label="PIHAK KEDUA: jabatan", max_length=200, required=False)
    instansi = forms.CharField(label="PIHAK KEDUA: instansi/hubungan", max_length=200, required=False)
    alamat = forms.CharField(label="PIHAK KEDUA: alamat", max_length=300, required=False)
    asal = forms.CharField(
        label="Pemulangan: dipulangkan dari", max_length=300, required=False, help_text="Kosongkan: nama instansi."
    )
    tujuan_pulang = forms.CharField(
        label="Pemulangan: ke keluarga/daerah asal di",
        max_length=300,
        required=False,
        help_text="Kosongkan: alamat klien yang tercatat.",
    )
    saksi = forms.CharField(
        label="Saksi (satu nama per baris)", required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=1000
    )

    def __init__(self, *args, agency, kinds=None, **kwargs):
        super().__init__(*args, **kwargs)
        templates = LetterTemplate.objects.filter(agency=agency, kind__in=LetterTemplate.BERITA_ACARA, active=True)
        if kinds is not None:
            templates = templates.filter(kind__in=kinds)
        self.fields["template"].queryset = templates.order_by("kind")

    def issue_kwargs(self):
        """The keyword arguments of letters.issue_berita_acara / berita_acara_preview."""
        data = self.cleaned_data
        return {
            "template": data["template"],
            "pihak_kedua": {key: data[key] for key in ("nama", "nip", "jabatan", "instansi", "alamat")},
            "saksi": data["saksi"].splitlines(),
            "tempat": data["tempat"],
            "extra": {"asal": data["asal"], "tujuan_pulang": data["tujuan_pulang"]},
        }


class VerifyUploadForm(forms.Form):
    pdf = forms.FileField(label="Berkas PDF yang akan diperiksa")

    def clean_pdf(self):
        """Public upload: a PDF no larger than a scan; its hash compared, its signature checked, never stored."""
        pdf = self.cleaned_data["pdf"]
        try:
            check_pdf_upload(pdf)
        except UploadRefused as exc:
            raise forms.ValidationError(str(exc)) from exc
        return pdf


class SurveyForm(forms.ModelForm):
    class Meta:
        model = SurveyResponse
        fields = ["u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9", "comment"]
        widgets = {f"u{i}": forms.RadioSelect for i in range(1, 10)} | {"comment": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for i in range(1, 10):
            self.fields[f"u{i}"].choices = SurveyResponse.SCORES
