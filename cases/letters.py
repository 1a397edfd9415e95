"""Letters of a case: templates, drafts with paraf, numbering, signing, storing, verifying.

See docs/documents.md. The signature is an electronic signature *tidak tersertifikasi*
(PP 71/2019): the stored PDF is protected by its SHA-256 and the public verification page, not
by a certificate. `sign_pdf` is the seam where a certified service (BSrE) can sign later.
"""

import datetime
import hashlib
import importlib
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from agencies.desks import BERITA_ACARA_DESKS, DESK_LABELS, KADIS, PARAF_DESKS
from agencies.models import Agency, Position, User
from cases import rules
from cases.counters import take_next
from cases.documents import qr_data_uri, render_pdf
from cases.models import Case, DocumentCounter, IssuedDocument, LetterTemplate, Paraf, Person
from cases.templating import body_blocks, check_template_body, check_template_signing, render_body
from cases.terbilang import date_in_words
from registers.selectors import last_match
from sop_catalog.models import SOP

# --- context ---------------------------------------------------------------------------------


def _person(person: Person) -> dict[str, str]:
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


def letter_context(
    document: IssuedDocument,
    *,
    number: str = "",
    day: datetime.date | None = None,
    signer: dict[str, str] | None = None,
) -> dict[str, Any]:
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


def _padanan(case: Case) -> dict[str, str]:
    """The last padanan recorded on the case, for letters that cite it ("telah dipadankan dengan data DTKS …")."""
    match = last_match(case) if case.pk else None  # the admin's preview renders an unsaved sample case
    if match is None:
        return {"kalimat": "", "hasil": "", "tanggal": "", "alasan": ""}
    return {
        "kalimat": match.sentence,
        "hasil": "memenuhi" if match.ok else "tidak memenuhi",
        "tanggal": date_format(timezone.localtime(match.at), "j F Y"),
        "alasan": match.reason,
    }


def town(agency: Agency) -> str:
    """'Kabupaten Lumajang' -> 'Lumajang': the place written before a letter's date."""
    return re.sub(r"^(Kabupaten|Kota)\s+", "", agency.region or agency.name)


# --- signature block ---------------------------------------------------------------------------


def signer_block(agency: Agency, user: User | None, day: datetime.date, *, on_behalf: bool = True) -> dict[str, str]:
    """Jabatan, name, pangkat/golongan and NIP of who signs on `day`.

    The Kepala Dinas signs as himself; a Sekretaris signs letters "a.n. Kepala Dinas". For a
    berita acara (`on_behalf=False`) a Kabid or Sekretaris signs as PIHAK PERTAMA in their own
    position.
    """
    head = Position.objects.filter(agency=agency, desk=KADIS).order_by("order").first()
    head_title = f"{head.title}" if head else "Kepala Dinas"
    desk = next((d for d in BERITA_ACARA_DESKS if user is None or user.has_desk(d)), None)
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


def templates_for(case: Case) -> QuerySet[LetterTemplate]:
    return LetterTemplate.objects.filter(agency=case.agency, sop_slug=case.sop.slug, active=True).exclude(
        kind__in=LetterTemplate.BERITA_ACARA
    )


def open_drafts(case: Case) -> None:
    """A draft letter for each active template of the case's SOP (done at registration)."""
    for template in templates_for(case):
        IssuedDocument.objects.get_or_create(
            case=case, template=template, status=IssuedDocument.DRAFT, defaults={"title": template.title}
        )


def record_paraf(case: Case, user: User, desk: str) -> None:
    """A Kasi, Kabid or Sekdin finishing a step initials the case's drafts."""
    if desk not in PARAF_DESKS:
        return
    for document in case.letters.filter(status=IssuedDocument.DRAFT):
        Paraf.objects.update_or_create(document=document, desk=desk, defaults={"user": user, "at": timezone.now()})


def drop_parafs(case: Case, desks: Iterable[str]) -> None:
    """A revision sends the draft back: the initials of the desks that must look again are void."""
    Paraf.objects.filter(document__case=case, document__status=IssuedDocument.DRAFT, desk__in=desks).delete()


def draft_pdf(document: IssuedDocument) -> bytes:
    """The exact letter as it will read, marked KONSEP, with the paraf so far."""
    signer = signer_block(document.case.agency, None, timezone.localdate())
    context = letter_context(document, number="", signer=signer)
    return _render(document, context, draft=True, signer=signer, verify_url="")


def _render(
    document: IssuedDocument,
    context: dict[str, Any],
    *,
    draft: bool,
    signer: dict[str, str],
    verify_url: str,
    parafs: list[dict[str, object]] | None = None,
) -> bytes:
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


def next_letter_number(agency: Agency, classification_code: str, day: datetime.date) -> str:
    """Take the next number from the agency's register: no gaps, no duplicates (row locked by UPDATE)."""
    year = day.year if agency.letter_number_yearly_reset else 0
    sequence = take_next(DocumentCounter, agency=agency, year=year)
    return agency.letter_number_pattern.format(
        klasifikasi=classification_code, urut=sequence, unit=agency.unit_code or agency.code, tahun=day.year
    )


def sign_pdf(pdf_bytes: bytes, document: IssuedDocument) -> bytes:
    """The seam for a certified signing service: settings.DOCUMENT_SIGNER names a callable."""
    module, _, name = settings.DOCUMENT_SIGNER.rpartition(".")
    return getattr(importlib.import_module(module), name)(pdf_bytes, document)


def no_certificate(pdf_bytes: bytes, document: IssuedDocument) -> bytes:
    """Default: the PDF stays as rendered (tidak tersertifikasi); its SHA-256 is what is verified."""
    return pdf_bytes


def _issue(document: IssuedDocument, user: User) -> IssuedDocument:
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


def issue_drafts(case: Case, user: User) -> list[IssuedDocument]:
    """The Kadis's (or Sekretaris a.n.) sign transition: number, render, store each draft once."""
    return [_issue(document, user) for document in case.letters.filter(status=IssuedDocument.DRAFT)]


@transaction.atomic
def load_templates(*, path: str | Path) -> int:
    """Create or update letter templates from fixtures/letters.json (keyed by agency, SOP, kind)."""
    with open(path, encoding="utf-8") as handle:
        rows = json.load(handle)
    count = 0
    for row in rows:
        check_template_body(row["body"])
        agency = Agency.objects.get(slug=row["agency"])
        if row["kind"] not in LetterTemplate.BERITA_ACARA:
            check_template_signing(agency_id=agency.pk, sop_slug=row["sop_slug"])
        LetterTemplate.objects.update_or_create(
            agency=agency,
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
def issue_berita_acara(
    *,
    case: Case,
    user: User,
    template: LetterTemplate,
    pihak_kedua: dict[str, str],
    saksi: list[str],
    tempat: str = "",
) -> IssuedDocument:
    """A numbered berita acara (serah terima, jenazah, pemulangan) for the case, issued at once."""
    if template.kind not in LetterTemplate.BERITA_ACARA or template.agency_id != case.agency_id:
        raise ValidationError("Templat ini bukan berita acara instansi ini.")
    rules.require(case, user, "issue_berita_acara")
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
def revoke_and_reissue(*, document: IssuedDocument, user: User, reason: str) -> IssuedDocument:
    """A correction: a new numbered document revokes the old one; the old PDF never changes."""
    if not reason.strip():
        raise ValidationError("Tuliskan alasan pencabutan.")
    document = IssuedDocument.objects.select_for_update().select_related("case").get(pk=document.pk)
    rules.require_revoke(document.case, user, document)
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


def verify_upload(document: IssuedDocument, uploaded: UploadedFile) -> bool:
    """True when the uploaded file is byte for byte the stored original."""
    digest = hashlib.sha256()
    for chunk in uploaded.chunks():
        digest.update(chunk)
    return digest.hexdigest() == document.sha256


def sample_case_document(template: LetterTemplate) -> IssuedDocument:
    """An unsaved document on an unsaved sample case, to preview a template in the admin."""
    agency = template.agency
    sop = SOP.objects.filter(agency=agency, slug=template.sop_slug).order_by("-is_current", "-version").first() or SOP(
        name="Contoh layanan", number="-"
    )
    person = Person(
        agency=agency,
        name="SITI AMINAH (CONTOH)",
        nik="3508015507850003",
        birth_place=agency.region or "Contoh",
        birth_date=datetime.date(1985, 7, 15),
        sex=Person.FEMALE,
        address="Jl. Contoh No. 1",
        village="Desa Contoh",
        district="Kecamatan Contoh",
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


def preview_pdf(template: LetterTemplate) -> bytes:
    """The template filled with a sample case, marked KONSEP: checked by admins before use.

    Signed by a sample signer: the official who signs for the agency today (its Kepala Dinas, or the
    placeholder when none is on record), whoever previews it; an admin holds no signing desk."""
    document = sample_case_document(template)
    signer = signer_block(template.agency, None, timezone.localdate())
    context = letter_context(document, number="CONTOH/001/2026", signer=signer)
    return _render(document, context, draft=True, signer=signer, verify_url="", parafs=[])
