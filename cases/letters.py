"""Letters of a case: templates, drafts with paraf, numbering, signing, storing, verifying.

See docs/documents.md. The signature is an electronic signature *tidak tersertifikasi*
(PP 71/2019): the stored PDF is protected by its SHA-256 and the public verification page, not
by a certificate. `sign_pdf` is the seam where a certified service (BSrE) can sign later.
"""

import hashlib
import importlib
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.template import Context, Engine, TemplateSyntaxError
from django.template.base import FilterExpression, VariableNode
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from agencies.desks import KABID, KADIS, KASI, SEKDIN
from agencies.models import Position
from cases.counters import take_next
from cases.documents import qr_data_uri, render_pdf
from cases.models import Case, DocumentCounter, IssuedDocument, LetterTemplate, Paraf
from cases.terbilang import date_in_words

PARAF_DESKS = (KASI, KABID, SEKDIN)
# Variables a template body may use (docs/documents.md); nothing else reaches the template.
VARIABLES = {
    "pemohon": ["nama", "nik", "tempat_lahir", "tanggal_lahir", "alamat", "jenis_kelamin", "kk"],
    "penerima": ["nama", "nik", "tempat_lahir", "tanggal_lahir", "alamat", "jenis_kelamin", "kk", "ciri", "ditemukan"],
    "permohonan": ["nomor", "maksud", "tujuan", "tanggal", "sifat", "saluran"],
    "sop": ["nama", "nomor"],
    "instansi": ["nama", "wilayah", "alamat"],
    "surat": ["nomor", "tanggal", "perihal", "lampiran", "tanggal_terbilang", "tempat"],
    "pihak_pertama": ["nama", "jabatan", "nip"],
    "pihak_kedua": ["nama", "jabatan", "instansi", "alamat"],
    "saksi": [],
    "padanan": ["kalimat", "hasil", "tanggal", "alasan"],
}
SAMPLE_PERSON = {
    "nama": "Contoh", "nik": "3508015507850003", "tempat_lahir": "Lumajang", "tanggal_lahir": "15 Juli 1985",
    "alamat": "Jl. Contoh 1", "jenis_kelamin": "Perempuan", "kk": "3508010101090012", "ciri": "", "ditemukan": "",
}  # fmt: skip
SAMPLE_CONTEXT = {
    "pemohon": SAMPLE_PERSON,
    "penerima": SAMPLE_PERSON,
    "permohonan": {"nomor": "X/2026/000001", "maksud": "contoh", "tujuan": "contoh", "tanggal": "1 Januari 2026",
                   "sifat": "Biasa", "saluran": "Datang langsung"},
    "sop": {"nama": "Contoh", "nomor": "1"},
    "instansi": {"nama": "Dinas Sosial", "wilayah": "Kabupaten", "alamat": ""},
    "surat": {"nomor": "1", "tanggal": "1 Januari 2026", "perihal": "x", "lampiran": "-",
              "tanggal_terbilang": "Kamis tanggal satu bulan Januari tahun dua ribu dua puluh enam", "tempat": "x"},
    "pihak_pertama": {"nama": "x", "jabatan": "x", "nip": "x"},
    "pihak_kedua": {"nama": "x", "jabatan": "x", "instansi": "x", "alamat": ""},
    "saksi": ["x"],
    "padanan": {"kalimat": "telah dipadankan dengan data DTKS/DTSEN periode Triwulan I 2026 (terdaftar, desil 1)",
                "hasil": "memenuhi", "tanggal": "1 Januari 2026", "alasan": ""},
}  # fmt: skip
# A restricted engine: no template loaders, no custom tags; only the built-in filters.
ENGINE = Engine(debug=False, libraries={}, builtins=["django.template.defaulttags", "django.template.defaultfilters"])


FORBIDDEN_TAGS = re.compile(r"{%\s*(include|extends|block|load|url|debug|ssi|csrf_token|templatetag|widthratio)\b")


def check_template_body(body):
    """Raise ValidationError (Indonesian) for a body that does not compile, reaches outside the
    letter (include, url, debug …), uses unknown variables, or fails on a sample case."""
    forbidden = FORBIDDEN_TAGS.search(body or "")
    if forbidden:
        raise ValidationError(f"Tag {{% {forbidden.group(1)} %}} tidak boleh dipakai di templat surat.")
    try:
        template = ENGINE.from_string(body)
    except TemplateSyntaxError as exc:
        raise ValidationError(f"Templat tidak dapat dibaca: {exc}") from exc
    unknown = sorted({name for name in _variables(template.nodelist) if not _allowed(name)})
    if unknown:
        raise ValidationError(
            f"Variabel tidak dikenal: {', '.join(unknown)}. Lihat daftar variabel di docs/documents.md."
        )
    try:
        template.render(Context(SAMPLE_CONTEXT, autoescape=False))
    except Exception as exc:  # noqa: BLE001 - any failure here would otherwise surface at signing
        raise ValidationError(f"Templat gagal diisi contoh data: {exc}") from exc


def _variables(nodelist):
    for node in nodelist:
        expressions = []
        if isinstance(node, VariableNode):
            expressions.append(node.filter_expression)
        for attr in ("sequence", "condition"):
            value = getattr(node, attr, None)
            if isinstance(value, FilterExpression):
                expressions.append(value)
        for condition, _ in getattr(node, "conditions_nodelists", []):
            expressions.extend(_condition_vars(condition))
        for expression in expressions:
            if hasattr(expression.var, "var"):
                yield expression.var.var
        loopvars = set(getattr(node, "loopvars", []))
        for child in getattr(node, "child_nodelists", ()):
            inner = getattr(node, child, None)
            if inner:
                yield from (name for name in _variables(inner) if name.split(".")[0] not in loopvars | {"forloop"})
        for _condition, inner in getattr(node, "conditions_nodelists", []):
            yield from _variables(inner)


def _condition_vars(condition):
    if condition is None:
        return []
    found = []
    for attr in ("first", "second"):
        part = getattr(condition, attr, None)
        if part is not None:
            found.extend(_condition_vars(part))
    value = getattr(condition, "value", None)
    if isinstance(value, FilterExpression):
        found.append(value)
    return found


def _allowed(name):
    root, _, rest = name.partition(".")
    if root not in VARIABLES:
        return False
    return not rest or not VARIABLES[root] or rest.split(".")[0] in VARIABLES[root]


# --- context ---------------------------------------------------------------------------------


def _person(person):
    return {
        "nama": person.name,
        "nik": person.nik or "-",
        "tempat_lahir": person.birth_place,
        "tanggal_lahir": date_format(person.birth_date, "j F Y") if person.birth_date else "-",
        "alamat": person.full_address or "-",
        "jenis_kelamin": person.get_sex_display(),
        "kk": person.kk_number,
        "ciri": person.description,
        "ditemukan": person.found_at,
    }


def letter_context(document, *, number="", day=None, signer=None):
    case = document.case
    day = day or timezone.localdate()
    extra = document.extra or {}
    return {
        "pemohon": _person(case.applicant),
        "penerima": _person(case.beneficiary),
        "permohonan": {
            "nomor": case.number,
            "maksud": case.purpose,
            "tujuan": case.destination,
            "tanggal": date_format(timezone.localtime(case.registered_at), "j F Y") if case.registered_at else "",
            "sifat": case.get_sifat_display(),
            "saluran": case.get_channel_display(),
        },
        "sop": {"nama": case.sop.name, "nomor": case.sop.number},
        "instansi": {"nama": case.agency.name, "wilayah": case.agency.region, "alamat": case.agency.address},
        "surat": {
            "nomor": number,
            "tanggal": date_format(day, "j F Y"),
            "perihal": document.title,
            "lampiran": document.template.attachment or "-",
            "tanggal_terbilang": date_in_words(day),
            "tempat": extra.get("tempat") or town(case.agency),
        },
        "pihak_pertama": {
            "nama": signer["name"] if signer else "…………………",
            "jabatan": signer["title"] if signer else "…………………",
            "nip": signer["nip"] if signer else "",
        },
        "pihak_kedua": extra.get("pihak_kedua", {}),
        "saksi": extra.get("saksi", []),
        "padanan": _padanan(case),
    }


def _padanan(case):
    """The last padanan recorded on the case, for letters that cite it ("telah dipadankan dengan data DTKS …")."""
    from registers.selectors import last_match

    match = last_match(case) if case.pk else None  # the admin's preview renders an unsaved sample case
    if match is None:
        return {"kalimat": "", "hasil": "", "tanggal": "", "alasan": ""}
    return {
        "kalimat": match.sentence,
        "hasil": "memenuhi" if match.ok else "tidak memenuhi",
        "tanggal": date_format(timezone.localtime(match.at), "j F Y"),
        "alasan": match.reason,
    }


def render_body(template_body, context):
    return ENGINE.from_string(template_body).render(Context(context, autoescape=False))


def body_blocks(text):
    """Paragraphs of the rendered body; a paragraph of 'Label : value' lines becomes a field table."""
    blocks = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        lines = [line for line in paragraph.splitlines() if line.strip()]
        if lines and all(re.match(r"^[^:]{1,40}\s:\s", line) for line in lines):
            rows = [tuple(part.strip() for part in line.split(" : ", 1)) for line in lines]
            blocks.append({"fields": rows})
        elif lines:
            blocks.append({"text": "\n".join(lines)})
    return blocks


def town(agency):
    """'Kabupaten Lumajang' -> 'Lumajang': the place written before a letter's date."""
    return re.sub(r"^(Kabupaten|Kota)\s+", "", agency.region or agency.name)


# --- signature block ---------------------------------------------------------------------------


def signer_block(agency, user, day, *, on_behalf=True):
    """Jabatan, name, pangkat/golongan and NIP of who signs on `day`.

    The Kepala Dinas signs as himself; a Sekretaris signs letters "a.n. Kepala Dinas". For a
    berita acara (`on_behalf=False`) a Kabid or Sekretaris signs as PIHAK PERTAMA in their own
    position.
    """
    head = Position.objects.filter(agency=agency, desk=KADIS).order_by("order").first()
    head_title = f"{head.title}" if head else "Kepala Dinas"
    desk = next((d for d in (KADIS, SEKDIN, KABID) if user is None or user.has_desk(d)), None)
    if desk is None:
        raise ValidationError("Hanya Kepala Dinas, Sekretaris atau Kepala Bidang yang dapat menandatangani.")
    if desk == KADIS:
        position, prefix = head, ""
    else:
        position = Position.objects.filter(agency=agency, desk=desk).order_by("order").first()
        prefix = f"a.n. {head_title}" if on_behalf else ""
    official = position.holder_on(day) if position else None
    title = position.title if position else head_title
    if official and official.acting:
        title = f"{official.acting} {title}"
    return {
        "prefix": prefix,
        "title": title,
        "agency": agency.region,
        "name": official.name if official else (user.display_name if user else "…………………"),
        "rank": official.rank if official else "",
        "nip": official.nip if official else (user.nip if user else ""),
    }


# --- drafts and paraf --------------------------------------------------------------------------


def templates_for(case):
    return LetterTemplate.objects.filter(agency=case.agency, sop_slug=case.sop.slug, active=True).exclude(
        kind__in=LetterTemplate.BERITA_ACARA
    )


def open_drafts(case):
    """A draft letter for each active template of the case's SOP (done at registration)."""
    for template in templates_for(case):
        IssuedDocument.objects.get_or_create(
            case=case, template=template, status=IssuedDocument.DRAFT, defaults={"title": template.title}
        )


def record_paraf(case, user, desk):
    """A Kasi, Kabid or Sekdin finishing a step initials the case's drafts."""
    if desk not in PARAF_DESKS:
        return
    for document in case.letters.filter(status=IssuedDocument.DRAFT):
        Paraf.objects.update_or_create(document=document, desk=desk, defaults={"user": user, "at": timezone.now()})


def drop_parafs(case, desks):
    """A revision sends the draft back: the initials of the desks that must look again are void."""
    Paraf.objects.filter(document__case=case, document__status=IssuedDocument.DRAFT, desk__in=desks).delete()


def draft_pdf(document):
    """The exact letter as it will read, marked KONSEP, with the paraf so far."""
    signer = signer_block(document.case.agency, None, timezone.localdate())
    context = letter_context(document, number="", signer=signer)
    return _render(document, context, draft=True, signer=signer, verify_url="")


def _render(document, context, *, draft, signer, verify_url, parafs=None):
    from agencies.desks import DESK_LABELS

    if parafs is None:
        parafs = [
            {"desk": DESK_LABELS.get(p.desk, p.desk), "name": p.user.display_name, "at": p.at}
            for p in document.parafs.select_related("user")
        ]
    return render_pdf(
        "documents/letter.html",
        {
            "agency": document.case.agency,
            "document": document,
            "kind": document.template.kind,
            "berita_acara": document.template.kind in LetterTemplate.BERITA_ACARA,
            "surat": context["surat"],
            "blocks": body_blocks(render_body(document.template.body, context)),
            "draft": draft,
            "signer": signer,
            "parafs": parafs,
            "verify_url": verify_url,
            "qr": qr_data_uri(verify_url) if verify_url else "",
            "pihak_kedua": context["pihak_kedua"],
            "saksi": context["saksi"],
        },
    )


# --- numbering and issuing ---------------------------------------------------------------------


def next_letter_number(agency, classification_code, day):
    """Take the next number from the agency's register: no gaps, no duplicates (row locked by UPDATE)."""
    year = day.year if agency.letter_number_yearly_reset else 0
    sequence = take_next(DocumentCounter, agency=agency, year=year)
    return agency.letter_number_pattern.format(
        klasifikasi=classification_code, urut=sequence, unit=agency.unit_code or agency.code, tahun=day.year
    )


def sign_pdf(pdf_bytes, document):
    """The seam for a certified signing service: settings.DOCUMENT_SIGNER names a callable."""
    module, _, name = settings.DOCUMENT_SIGNER.rpartition(".")
    return getattr(importlib.import_module(module), name)(pdf_bytes, document)


def no_certificate(pdf_bytes, document):
    """Default: the PDF stays as rendered (tidak tersertifikasi); its SHA-256 is what is verified."""
    return pdf_bytes


def _issue(document, user):
    now = timezone.now()
    day = timezone.localdate(now)
    agency = document.case.agency
    berita_acara = document.template.kind in LetterTemplate.BERITA_ACARA
    signer = signer_block(agency, user, day, on_behalf=not berita_acara)
    number = next_letter_number(agency, document.template.classification_code, day)
    context = letter_context(document, number=number, day=day, signer=signer)
    document.number = number
    document.issued_at = now
    document.signed_by = user
    document.signer = signer
    document.context = context
    document.status = IssuedDocument.ISSUED
    document.save()  # gives the token its row before the QR is drawn
    verify_url = settings.SITE_URL + reverse("cases:verify", args=[document.token])
    pdf = sign_pdf(_render(document, context, draft=False, signer=signer, verify_url=verify_url), document)
    document.sha256 = hashlib.sha256(pdf).hexdigest()
    document.pdf.save("surat.pdf", ContentFile(pdf), save=False)
    document.save()
    return document


def issue_drafts(case, user):
    """The Kadis's (or Sekretaris a.n.) sign transition: number, render, store each draft once."""
    return [_issue(document, user) for document in case.letters.filter(status=IssuedDocument.DRAFT)]


@transaction.atomic
def load_templates(*, path):
    """Create or update letter templates from fixtures/letters.json (keyed by agency, SOP, kind)."""
    import json

    from agencies.models import Agency

    with open(path, encoding="utf-8") as handle:
        rows = json.load(handle)
    count = 0
    for row in rows:
        check_template_body(row["body"])
        LetterTemplate.objects.update_or_create(
            agency=Agency.objects.get(slug=row["agency"]),
            sop_slug=row["sop_slug"],
            kind=row["kind"],
            defaults={
                "title": row["title"],
                "classification_code": row["classification_code"],
                "attachment": row.get("attachment", "-"),
                "body": row["body"],
            },
        )
        count += 1
    return count


@transaction.atomic
def issue_berita_acara(*, case, user, template, pihak_kedua, saksi, tempat=""):
    """A numbered berita acara (serah terima, jenazah, pemulangan) for the case, issued at once."""
    if template.kind not in LetterTemplate.BERITA_ACARA or template.agency_id != case.agency_id:
        raise ValidationError("Templat ini bukan berita acara instansi ini.")
    if not case.number or case.state in (Case.DRAFT, Case.CANCELLED):
        raise ValidationError("Berita acara hanya untuk permohonan yang sudah didaftarkan dan tidak dibatalkan.")
    if user.agency_id != case.agency_id or not any(user.has_desk(d) for d in (KADIS, SEKDIN, KABID)):
        raise ValidationError("Berita acara ditandatangani Kepala Dinas, Sekretaris atau Kepala Bidang.")
    if not (pihak_kedua.get("nama") or "").strip():
        raise ValidationError("Isi nama PIHAK KEDUA.")
    document = IssuedDocument.objects.create(
        case=case,
        template=template,
        title=template.title,
        extra={"pihak_kedua": pihak_kedua, "saksi": [s for s in saksi if s.strip()], "tempat": tempat},
    )
    return _issue(document, user)


@transaction.atomic
def revoke_and_reissue(*, document, user, reason):
    """A correction: a new numbered document revokes the old one; the old PDF never changes."""
    if not reason.strip():
        raise ValidationError("Tuliskan alasan pencabutan.")
    document = IssuedDocument.objects.select_for_update().get(pk=document.pk)
    if document.status != IssuedDocument.ISSUED:
        raise ValidationError("Hanya surat yang berlaku yang dapat dicabut.")
    if not (user.agency_id == document.case.agency_id and (user.has_desk(KADIS) or user.has_desk(SEKDIN))):
        raise ValidationError("Hanya Kepala Dinas atau Sekretaris yang dapat mencabut surat.")
    new = IssuedDocument.objects.create(
        case=document.case, template=document.template, title=document.title, extra=document.extra
    )
    new = _issue(new, user)
    document.status = IssuedDocument.REVOKED
    document.revoked_at = timezone.now()
    document.revoked_reason = reason
    document.replaced_by = new
    document.save()
    return new


def verify_upload(document, uploaded):
    """True when the uploaded file is byte for byte the stored original."""
    digest = hashlib.sha256()
    for chunk in uploaded.chunks():
        digest.update(chunk)
    return digest.hexdigest() == document.sha256


def sample_case_document(template):
    """An unsaved document on an unsaved sample case, to preview a template in the admin."""
    import datetime

    from cases.models import Person
    from sop_catalog.models import SOP

    agency = template.agency
    sop = SOP.objects.filter(slug=template.sop_slug, is_current=True).first() or SOP(name="Contoh layanan", number="-")
    person = Person(
        agency=agency,
        name="SITI AMINAH (CONTOH)",
        nik="3508015507850003",
        birth_place="Lumajang",
        birth_date=datetime.date(1985, 7, 15),
        sex=Person.FEMALE,
        address="Jl. Contoh No. 1",
        village="Tompokersan",
        district="Lumajang",
    )
    case = Case(
        agency=agency,
        sop=sop,
        applicant=person,
        beneficiary=person,
        number="CONTOH/2026/000001",
        purpose="Contoh maksud dan tujuan permohonan",
        destination="RSUD Contoh",
        registered_at=timezone.now(),
    )
    document = IssuedDocument(case=case, template=template, title=template.title)
    document.extra = {
        "pihak_kedua": {"nama": "Contoh Pihak Kedua", "jabatan": "Kepala UPT", "instansi": "UPT Contoh"},
        "saksi": ["Saksi Satu", "Saksi Dua"],
    }
    return document


def preview_pdf(template, user):
    """The template filled with a sample case, marked KONSEP: checked by admins before use."""
    document = sample_case_document(template)
    signer = signer_block(template.agency, user, timezone.localdate())
    context = letter_context(document, number="CONTOH/001/2026", signer=signer)
    return _render(document, context, draft=True, signer=signer, verify_url="", parafs=[])
