"""Letters of a case: templates, drafts with paraf, numbering, signing, storing, verifying.

See docs/documents.md. A final document is signed as PAdES (cases/pades.py) by the signer the
agency is configured with (`signer_kind`): `local` — the agency's own CA, a signature *tidak
tersertifikasi* (PP 71/2019); `bsre` — BSrE's e-sign API, *tersertifikasi BSrE*; `none` — no
digital signature. In every case the SHA-256 of the stored (signed) bytes is kept and verified.
"""

import datetime
import hashlib
import io
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
from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from agencies.desks import BERITA_ACARA_DESKS, DESK_LABELS, KADIS, PARAF_DESKS
from agencies.loading import Loader
from agencies.models import Agency, Position, User
from cases import bsre, pades, pki, rules
from cases.counters import take_next
from cases.documents import qr_data_uri, render_pdf_with_anchor
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
    # One query for the drafts and whether this desk initialled each already, then one INSERT
    # (and an UPDATE only for a desk initialling again, after a jump back).
    drafts = (
        case.letters.filter(status=IssuedDocument.DRAFT)
        .annotate(initialled=Exists(Paraf.objects.filter(document=OuterRef("pk"), desk=desk)))
        .order_by()  # the model's order joins the case table for nothing
    )
    again: list[int] = []
    first: list[int] = []
    for pk, initialled in drafts.values_list("pk", "initialled"):
        (again if initialled else first).append(pk)
    now = timezone.now()
    if again:
        Paraf.objects.filter(document_id__in=again, desk=desk).update(user=user, at=now)
    if first:
        Paraf.objects.bulk_create(Paraf(document_id=pk, desk=desk, user=user, at=now) for pk in first)


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
    return _render_with_box(
        document, context, draft=draft, signer=signer, verify_url=verify_url, parafs=parafs, kind=NONE
    )[0]


def _render_with_box(
    document: IssuedDocument,
    context: dict[str, Any],
    *,
    draft: bool,
    signer: dict[str, str],
    verify_url: str,
    kind: str,
    parafs: list[dict[str, object]] | None = None,
) -> tuple[bytes, pades.Box | None]:
    """The PDF and, for a final document that gets a digital signature, the box left for it beside the QR."""
    if parafs is None:
        parafs = [
            {"desk": DESK_LABELS.get(p.desk, p.desk), "name": p.user.display_name, "at": p.at}
            for p in document.parafs.select_related("user")
        ]
    signature_box = not draft and kind != NONE
    pdf, anchor = render_pdf_with_anchor(
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
            "signature_box": signature_box,
            "certified": kind == BSRE,
        },
        anchor="kotak-ttd" if signature_box else None,
    )
    return pdf, pades.box_from_anchor(*anchor) if anchor else None


# --- numbering and issuing ---------------------------------------------------------------------


def next_letter_number(agency: Agency, classification_code: str, day: datetime.date) -> str:
    """Take the next number from the agency's register: no gaps, no duplicates (row locked by UPDATE)."""
    year = day.year if agency.letter_number_yearly_reset else 0
    sequence = take_next(DocumentCounter, agency=agency, year=year)
    return agency.letter_number_pattern.format(
        klasifikasi=classification_code, urut=sequence, unit=agency.unit_code or agency.code, tahun=day.year
    )


LOCAL, BSRE, NONE = "local", "bsre", "none"


def signer_kind(agency: Agency) -> str:
    """The agency's signer: settings.DOCUMENT_SIGNERS by slug, else settings.DOCUMENT_SIGNER."""
    kind = settings.DOCUMENT_SIGNERS.get(agency.slug, settings.DOCUMENT_SIGNER)
    if kind not in (LOCAL, BSRE, NONE):
        raise pades.SigningError(f"Penanda tangan dokumen '{kind}' tidak dikenal (local, bsre atau none).")
    return kind


def sign_pdf(
    pdf: bytes,
    document: IssuedDocument,
    *,
    kind: str,
    box: pades.Box | None,
    credentials: dict[str, str] | None = None,
) -> bytes:
    """Sign the final bytes once; nothing touches the file afterwards. Raises SigningError."""
    agency = document.case.agency
    reason = f"{document.title} nomor {document.number}"
    if kind == LOCAL:
        return pades.sign_local(pdf, agency=agency, signer=document.signer, box=box, reason=reason)
    if kind == BSRE:
        credentials = credentials or {}
        return bsre.sign(
            pdf,
            nik=credentials.get("nik", ""),
            passphrase=credentials.get("passphrase", ""),
            box=box,
            page=_page_count(pdf),
            reason=reason,
            location=agency.region or agency.name,
        )
    return pdf


def _page_count(pdf: bytes) -> int:
    from pypdf import PdfReader  # noqa: PLC0415

    return len(PdfReader(io.BytesIO(pdf)).pages)


def _issue(document: IssuedDocument, user: User, credentials: dict[str, str] | None = None) -> IssuedDocument:
    """Number reserved → final PDF rendered with number and QR → signed → SHA-256 stored.

    Runs inside the caller's transaction: a signer that refuses or cannot be reached raises
    SigningError (a TransitionRefused) and the number, the case and the draft roll back.
    """
    now = timezone.now()
    day = timezone.localdate(now)
    agency = document.case.agency
    kind = signer_kind(agency)
    berita_acara = document.template.kind in LetterTemplate.BERITA_ACARA
    signer = signer_block(agency, user, day, on_behalf=not berita_acara)
    number = next_letter_number(agency, document.template.classification_code, day)
    context = letter_context(document, number=number, day=day, signer=signer)
    document.number = number
    document.issued_at = now
    document.signed_by = user
    document.signer = {**signer, "signature": kind}
    document.context = context
    document.status = IssuedDocument.ISSUED
    document.save()  # gives the token its row before the QR is drawn
    verify_url = settings.SITE_URL + reverse("cases:verify", args=[document.token])
    rendered, box = _render_with_box(document, context, draft=False, signer=signer, verify_url=verify_url, kind=kind)
    pdf = sign_pdf(rendered, document, kind=kind, box=box, credentials=credentials)
    document.sha256 = hashlib.sha256(pdf).hexdigest()
    document.pdf.save("surat.pdf", ContentFile(pdf), save=False)
    document.save()
    return document


def issue_drafts(case: Case, user: User, credentials: dict[str, str] | None = None) -> list[IssuedDocument]:
    """The Kadis's (or Sekretaris a.n.) sign transition: number, render, sign, store each draft once."""
    drafts = case.letters.filter(status=IssuedDocument.DRAFT)
    return [_issue(document, user, credentials) for document in drafts]


@transaction.atomic
def load_templates(*, path: str | Path, report: list[Loader] | None = None) -> int:
    """Create letter templates from fixtures/letters.json (keyed by agency, SOP, kind), and bring to
    the file's text those no admin edited since they were loaded (agencies/loading.py)."""
    with open(path, encoding="utf-8") as handle:
        rows = json.load(handle)
    loader = Loader("templat surat")
    count = 0
    for row in rows:
        check_template_body(row["body"])
        agency = Agency.objects.get(slug=row["agency"])
        if row["kind"] not in LetterTemplate.BERITA_ACARA:
            check_template_signing(agency_id=agency.pk, sop_slug=row["sop_slug"])
        values = {
            "title": row["title"],
            "classification_code": row["classification_code"],
            "attachment": row.get("attachment", "-"),
            "body": row["body"],
        }
        lookup = {"agency": agency, "sop_slug": row["sop_slug"], "kind": row["kind"]}
        loader.load_row(f"{agency.slug}/{row['sop_slug'] or '-'}/{row['kind']}", LetterTemplate, lookup, values)
        count += 1
    if report is not None:
        report.append(loader)
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
    credentials: dict[str, str] | None = None,
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
    return _issue(document, user, credentials)


@transaction.atomic
def revoke_and_reissue(
    *, document: IssuedDocument, user: User, reason: str, credentials: dict[str, str] | None = None
) -> IssuedDocument:
    """A correction: a new numbered document revokes the old one; the old PDF never changes."""
    if not reason.strip():
        raise ValidationError("Tuliskan alasan pencabutan.")
    document = IssuedDocument.objects.select_for_update().select_related("case").get(pk=document.pk)
    rules.require_revoke(document.case, user, document)
    new = IssuedDocument.objects.create(
        case=document.case, template=document.template, title=document.title, extra=document.extra
    )
    new = _issue(new, user, credentials)
    document.status = IssuedDocument.REVOKED
    document.revoked_at = timezone.now()
    document.revoked_reason = reason
    document.replaced_by = new
    document.save()
    return new


def verify_upload(document: IssuedDocument, uploaded: UploadedFile) -> bool:
    """True when the uploaded file is byte for byte the stored original."""
    return hashlib.sha256(_read(uploaded)).hexdigest() == document.sha256


def _read(uploaded: UploadedFile) -> bytes:
    uploaded.seek(0)
    return b"".join(uploaded.chunks())


def check_upload(document: IssuedDocument, uploaded: UploadedFile) -> tuple[bool, pades.Report]:
    """The hash compared with the stored one, and the signature itself checked by pyHanko.

    A certificate revoked because its key was replaced (superseded) or its holder left
    (berhenti menjabat) after this document was issued does not void it; a compromised key does.
    """
    data = _read(uploaded)
    same = hashlib.sha256(data).hexdigest() == document.sha256
    report = pades.validate(data, document.case.agency)
    if report.revoked and report.intact and report.whole_file and document.issued_at:
        row = next((r for r in pki.issued(document.case.agency) if r.serial == report.signer_serial), None)
        if row is not None and pki.revoked_after(row, document.issued_at):
            report.revoked, report.valid = False, True
            report.problems = [
                f"Sertifikat penanda tangan dicabut pada {str(row.revoked_at)[:10]} ({row.reason}), "
                "sesudah dokumen ini diterbitkan: tanda tangan tetap sah."
            ]
    return same, report


def check_any_upload(uploaded: UploadedFile) -> tuple[IssuedDocument | None, pades.Report]:
    """A PDF without its QR address: the issued document with these exact bytes, if any, and the
    signature checked against the CA of whichever agency issued the signer's certificate (or BSrE)."""
    data = _read(uploaded)
    digest = hashlib.sha256(data).hexdigest()
    document = (
        IssuedDocument.objects.select_related("case__agency")
        .exclude(status=IssuedDocument.DRAFT)
        .filter(sha256=digest)
        .first()
    )
    if document is not None:
        return document, check_upload(document, uploaded)[1]
    for agency in Agency.objects.order_by("pk"):
        if pki.has_ca(agency):
            report = pades.validate(data, agency)
            if report.kind == pades.LOCAL or not report.signed:
                return None, report
    return None, pades.validate(data, None)


def sample_case_document(template: LetterTemplate) -> IssuedDocument:
    """An unsaved document on an unsaved sample case, to preview a template in the admin."""
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


def preview_pdf(template: LetterTemplate, user: User) -> bytes:
    """The template filled with a sample case, marked KONSEP: checked by admins before use."""
    document = sample_case_document(template)
    signer = signer_block(template.agency, user, timezone.localdate())
    context = letter_context(document, number="CONTOH/001/2026", signer=signer)
    return _render(document, context, draft=True, signer=signer, verify_url="", parafs=[])
