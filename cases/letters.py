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
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from pypdf import PdfReader

from agencies import org
from agencies.desks import (
    BERITA_ACARA_DESKS,
    DESK_LABELS,
    KADIS,
    PARAF_DESKS,
    SIGNING_DESKS,
    STAFF_DESKS,
    acting_desks,
)
from agencies.loading import Loader
from agencies.models import Agency, Official, Position, User
from cases import bsre, pades, pki, rules
from cases.counters import take_next
from cases.documents import NASKAH_CSS, qr_data_uri, render_pdf_with_anchor
from cases.models import AuditEntry, Case, DocumentCounter, IssuedDocument, LetterTemplate, Paraf, Person
from cases.templating import body_blocks, check_template_body, check_template_signing, render_body
from cases.terbilang import date_in_words
from registers.selectors import last_match
from sop_catalog.models import SOP

# --- context ---------------------------------------------------------------------------------


UNKNOWN = "tidak diketahui"


def _one_line(text: str) -> str:
    return " ".join((text or "").split())


def _person(person: Person) -> dict[str, Any]:
    """A person as letters print them: "tidak diketahui" for what is not known, never "-" or ", -"."""
    birth_date = date_format(person.birth_date, "j F Y") if person.birth_date else ""
    place = _one_line(person.birth_place)
    born = ", ".join(part for part in [place, birth_date] if part) or UNKNOWN
    if place and not birth_date:
        born = f"{place}, tanggal tidak diketahui"
    found_when = (
        date_format(timezone.localtime(person.found_when), "j F Y \\p\\u\\k\\u\\l H.i") if person.found_when else ""
    )
    papers = not person.without_papers
    values = {
        "nama": _one_line(person.name),
        "nik": person.nik or (UNKNOWN if papers else f"{UNKNOWN} (tanpa dokumen kependudukan)"),
        "tempat_lahir": place or UNKNOWN,
        "tanggal_lahir": birth_date or UNKNOWN,
        "ttl": born,
        "alamat": _one_line(person.full_address) or UNKNOWN,
        "jenis_kelamin": person.get_sex_display() or UNKNOWN,
        "kk": person.kk_number or UNKNOWN,
        "ciri": _one_line(person.description),
        "ditemukan": _one_line(person.found_at),
        "waktu_ditemukan": found_when,
        "tanpa_dokumen": "ya" if person.without_papers else "",
    }
    lines = [
        ("Nama", values["nama"]),
        ("NIK", values["nik"]),
        ("Tempat, tanggal lahir", values["ttl"]),
        ("Jenis kelamin", values["jenis_kelamin"]),
        ("Alamat", values["alamat"]),
    ]
    if person.without_papers or person.description or person.found_at:
        lines += [
            ("Ciri-ciri", values["ciri"] or UNKNOWN),
            ("Tempat ditemukan", values["ditemukan"] or UNKNOWN),
            ("Waktu ditemukan", found_when or UNKNOWN),
        ]
    values["identitas"] = "\n".join(f"{label} : {value}" for label, value in lines)
    return values


def _purpose(case: Case) -> str:
    """Maksud and tujuan as one phrase, the destination named once ("… di RSUD X", not "… di RSUD X, pada RSUD X")."""
    purpose = _one_line(case.purpose).rstrip(".")
    destination = _one_line(case.destination)
    if destination and destination.casefold() not in purpose.casefold():
        return f"{purpose} pada {destination}" if purpose else destination
    return purpose


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
            "keperluan": _purpose(case),
            "alasan": case.closing_reason,
            "tanggal": date_format(timezone.localtime(case.registered_at), "j F Y") if case.registered_at else "",
            "sifat": case.get_sifat_display(),
            "saluran": case.get_channel_display(),
        },
        "sop": {"nama": case.sop.name, "nomor": case.sop.number},
        "instansi": {"nama": case.agency.name, "wilayah": case.agency.region, "alamat": case.agency.kop_address},
        "surat": {
            "nomor": number,
            "tanggal": date_format(day, "j F Y"),
            "perihal": document.title,
            "lampiran": document.template.attachment or "-",
            "tanggal_terbilang": date_in_words(day),
            "tempat": extra.get("tempat") or town(case.agency),
            # berita acara pemulangan: from where the client leaves, and the home recorded for the client
            "asal": _one_line(extra.get("asal", "")) or case.agency.name,
            "tujuan_pulang": _one_line(extra.get("tujuan_pulang", "")) or _one_line(case.beneficiary.full_address),
        },
        "pihak_pertama": {
            "nama": signer["name"] if signer else "…………………",
            "jabatan": " ".join(part for part in [signer["title"], signer.get("agency", "")] if part)
            if signer
            else "…………………",
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
    return agency.town


# --- signature block ---------------------------------------------------------------------------


def signer_block(
    agency: Agency, user: User | None, day: datetime.date, *, on_behalf: bool = True, desk: str | None = None
) -> dict[str, str]:
    """Jabatan, name, pangkat/golongan and NIP of who signs on `day`.

    The Kepala Dinas signs as himself; a Sekretaris signs letters "a.n. Kepala Dinas". For a
    berita acara (`on_behalf=False`) a Kabid or Sekretaris signs as PIHAK PERTAMA in their own
    position. Without a user (a draft, a preview) the block is the acting holder's of `desk`'s
    position on `day` (the Kepala Dinas when no desk is given), or a blank line when nobody acts.
    """
    head = Position.objects.filter(agency=agency, desk=KADIS).order_by("order").first()
    head_title = f"{head.title}" if head else "Kepala Dinas"
    desk = desk or next((d for d in BERITA_ACARA_DESKS if user is None or user.has_desk(d)), None)
    if desk is None:
        raise ValidationError("Hanya Kepala Dinas, Sekretaris atau Kepala Bidang yang dapat menandatangani.")
    position = _signing_position(agency, user, desk, day)
    prefix = f"a.n. {head_title}" if desk != KADIS and on_behalf else ""
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


def _signing_position(agency: Agency, user: User | None, desk: str, day: datetime.date) -> Position | None:
    """The position in whose name `user` signs at `desk` on `day`: the one they act in that day (a Plt.
    of the Kepala Dinas, the Kabid of their own bidang), else the agency's first at that desk."""
    if user is not None:
        held = [pk for held_desk, _unit, pk in org.held_positions(user, day) if held_desk == desk]
        if held:
            return Position.objects.filter(pk=held[0]).first()
    return Position.objects.filter(agency=agency, desk=desk).order_by("order", "pk").first()


def signing_desk(desks: Iterable[str]) -> str:
    """Of the desks of a flow's signing step, the one that signs: the Kepala Dinas's part, else the
    Sekretaris's (as cases.workflow.signing_step); the Kepala Dinas when no step is marked."""
    marked = set(desks)
    return next((desk for desk in SIGNING_DESKS if desk in marked), KADIS)


def draft_signer(case: Case, day: datetime.date) -> dict[str, str]:
    """The block a case's draft shows: the desk that will sign it, as held on `day`."""
    desks = case.steps.filter(sop_step__signs=True).values_list("desk", flat=True) if case.pk else []
    return signer_block(case.agency, None, day, desk=signing_desk(desks))


def berita_acara_signer(agency: Agency, user: User, day: datetime.date) -> dict[str, str]:
    """PIHAK PERTAMA of a berita acara: a Kadis, Sekretaris or Kabid in their own position, or the
    officer of the step's desk (petugas, peksos) under the position their account holds, with NIP."""
    if any(user.has_desk(desk) for desk in BERITA_ACARA_DESKS):
        return signer_block(agency, user, day, on_behalf=False)
    official = (
        Official.objects.filter(user=user, position__agency=agency)
        .filter(Q(start__isnull=True) | Q(start__lte=day))
        .filter(Q(end__isnull=True) | Q(end__gte=day))
        .select_related("position")
        .order_by("-acting", "-start")
        .first()
    )
    desk = next((d for d in user.desks if d in DESK_LABELS), "")
    title = official.position.title if official else DESK_LABELS.get(desk, "Petugas")
    return {
        "prefix": "",
        "title": f"{official.acting} {title}".strip() if official else title,
        # "Kepala Seksi … / Kabupaten Lumajang" (the title names the Dinas); staff under the Dinas's name.
        "agency": agency.region if official and official.position.desk not in STAFF_DESKS else agency.name,
        "name": official.name if official else user.display_name,
        "rank": official.rank if official else "",
        "nip": (official.nip if official else "") or user.nip,
    }


def rejection_signer(agency: Agency, user: User, day: datetime.date) -> dict[str, str]:
    """Who signs a surat penolakan: the official who rejected (Kadis; Sekretaris or Kabid "a.n." the
    Kadis); a rejection at a staff desk goes out under the Kepala Dinas, who signs the agency's letters."""
    if any(user.has_desk(desk) for desk in BERITA_ACARA_DESKS):
        return signer_block(agency, user, day)
    return signer_block(agency, None, day)


# --- drafts and paraf --------------------------------------------------------------------------


def templates_for(case: Case) -> QuerySet[LetterTemplate]:
    return LetterTemplate.objects.filter(agency=case.agency, sop_slug=case.sop.slug, active=True).exclude(
        kind__in=[*LetterTemplate.BERITA_ACARA, LetterTemplate.PENOLAKAN]
    )


def default_form(kind: str) -> str:
    """The layout a kind of letter takes when its row does not say."""
    if kind in LetterTemplate.BERITA_ACARA:
        return LetterTemplate.BERITA_ACARA_FORM
    if kind == LetterTemplate.PENOLAKAN:
        return LetterTemplate.SURAT_DINAS
    return LetterTemplate.SURAT_KETERANGAN


def open_drafts(case: Case) -> None:
    """A draft letter for each active template of the case's SOP (done at registration)."""
    for template in templates_for(case):
        IssuedDocument.objects.get_or_create(
            case=case, template=template, status=IssuedDocument.DRAFT, defaults={"title": template.title}
        )


def record_paraf(case: Case, user: User, desk: str, now: datetime.datetime | None = None) -> None:
    """A Kasi, Kabid or Sekdin finishing a step initials the case's drafts (at `now`, else now).

    On PostgreSQL a completion that moves the case on records it within its one write instead
    (cases/moves.py, the same rows)."""
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
    now = now or timezone.now()
    if again:
        Paraf.objects.filter(document_id__in=again, desk=desk).update(user=user, at=now)
    if first:
        Paraf.objects.bulk_create(Paraf(document_id=pk, desk=desk, user=user, at=now) for pk in first)


def drop_parafs(case: Case, desks: Iterable[str]) -> None:
    """A revision sends the draft back: the initials of the desks that must look again are void."""
    Paraf.objects.filter(document__case=case, document__status=IssuedDocument.DRAFT, desk__in=desks).delete()


def draft_pdf(document: IssuedDocument) -> bytes:
    """The exact letter as it will read, marked KONSEP, with the paraf so far."""
    signer = draft_signer(document.case, timezone.localdate())
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
    if parafs is None and document.pk is None:
        parafs = []  # the preview of a berita acara before it is issued
    if parafs is None:
        parafs = [
            {"desk": DESK_LABELS.get(p.desk, p.desk), "name": p.user.display_name, "at": p.at}
            for p in document.parafs.select_related("user")
        ]
    signature_box = not draft and kind != NONE
    template = document.template
    addressee = render_body(template.addressee, context) if template.addressee.strip() else document.case.destination
    pdf, anchor = render_pdf_with_anchor(
        "documents/letter.html",
        {
            "agency": document.case.agency,
            "document": document,
            "kind": template.kind,
            "form": template.form,
            "berita_acara": template.form == LetterTemplate.BERITA_ACARA_FORM,
            "addressee": [line for line in (" ".join(x.split()) for x in addressee.splitlines()) if line],
            "copies": [line.strip() for line in template.copies.splitlines() if line.strip()],
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
        css=[NASKAH_CSS],
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
    """Sign the final bytes once; nothing touches the file afterwards. Raises SigningError.

    A surat penolakan, and a berita acara whose signer holds no certificate (a petugas or peksos as
    PIHAK PERTAMA) or typed no BSrE credentials, carry the agency's e-seal instead: documents the
    system issues for the agency."""
    agency = document.case.agency
    reason = f"{document.title} nomor {document.number}"
    if kind == NONE:
        return pdf
    if _sealed(document, kind, credentials):
        if kind == LOCAL:
            return pades.seal_local(pdf, agency=agency, anchor=None, box=box, reason=reason)
        return bsre.seal(pdf, box=box, page=_page_count(pdf), reason=reason, location=agency.region or agency.name)
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


def _sealed(document: IssuedDocument, kind: str, credentials: dict[str, str] | None) -> bool:
    template_kind = document.template.kind
    if template_kind == LetterTemplate.PENOLAKAN:
        return True
    if template_kind not in LetterTemplate.BERITA_ACARA:
        return False
    if kind == BSRE:
        return not (credentials or {}).get("nik")
    nip = (document.signer or {}).get("nip", "")
    return not (nip and pki.has_ca(document.case.agency) and pki.active_for(document.case.agency, nip=nip))


def _page_count(pdf: bytes) -> int:
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
    if document.template.kind == LetterTemplate.PENOLAKAN:
        signer = rejection_signer(agency, user, day)
    else:
        signer = berita_acara_signer(agency, user, day) if berita_acara else signer_block(agency, user, day)
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
        check_template_body(row.get("addressee", ""))
        agency = Agency.objects.get(slug=row["agency"])
        if row["kind"] not in LetterTemplate.BERITA_ACARA:
            check_template_signing(agency_id=agency.pk, sop_slug=row["sop_slug"])
        values = {
            "title": row["title"],
            "form": row.get("form") or default_form(row["kind"]),
            "classification_code": row["classification_code"],
            "attachment": row.get("attachment", "-"),
            "addressee": row.get("addressee", ""),
            "copies": "\n".join(row.get("copies", [])),
            "body": row["body"],
        }
        lookup = {"agency": agency, "sop_slug": row["sop_slug"], "kind": row["kind"]}
        loader.load_row(f"{agency.slug}/{row['sop_slug'] or '-'}/{row['kind']}", LetterTemplate, lookup, values)
        count += 1
    if report is not None:
        report.append(loader)
    return count


def _berita_acara_document(
    *, case: Case, user: User, template: LetterTemplate, pihak_kedua: dict[str, str], saksi: list[str],
    tempat: str, extra: dict[str, str] | None,
) -> IssuedDocument:  # fmt: skip
    if template.kind not in LetterTemplate.BERITA_ACARA or template.agency_id != case.agency_id:
        raise ValidationError("Templat ini bukan berita acara instansi ini.")
    rules.require_issue_berita_acara(case, user, template.kind)
    if not (pihak_kedua.get("nama") or "").strip():
        raise ValidationError("Isi nama PIHAK KEDUA.")
    fields = {key: value for key, value in (extra or {}).items() if key in ("asal", "tujuan_pulang") and value}
    return IssuedDocument(
        case=case,
        template=template,
        title=template.title,
        extra={"pihak_kedua": pihak_kedua, "saksi": [s for s in saksi if s.strip()], "tempat": tempat, **fields},
    )


@transaction.atomic
def issue_berita_acara(
    *,
    case: Case,
    user: User,
    template: LetterTemplate,
    pihak_kedua: dict[str, str],
    saksi: list[str],
    tempat: str = "",
    extra: dict[str, str] | None = None,
    credentials: dict[str, str] | None = None,
) -> IssuedDocument:
    """A numbered berita acara (serah terima, jenazah, pemulangan) for the case, issued at once, at the
    SOP step that produces it (rules.require_issue_berita_acara)."""
    document = _berita_acara_document(
        case=case, user=user, template=template, pihak_kedua=pihak_kedua, saksi=saksi, tempat=tempat, extra=extra
    )
    document.save()
    return _issue(document, user, credentials)


def berita_acara_preview(
    *, case: Case, user: User, template: LetterTemplate, pihak_kedua: dict[str, str], saksi: list[str],
    tempat: str = "", extra: dict[str, str] | None = None,
) -> bytes:  # fmt: skip
    """The berita acara as it will read, marked KONSEP, before a number is taken (nothing is saved)."""
    document = _berita_acara_document(
        case=case, user=user, template=template, pihak_kedua=pihak_kedua, saksi=saksi, tempat=tempat, extra=extra
    )
    signer = berita_acara_signer(case.agency, user, timezone.localdate())
    context = letter_context(document, number="", signer=signer)
    return _render(document, context, draft=True, signer=signer, verify_url="", parafs=[])


def issue_rejection(case: Case, user: User) -> IssuedDocument | None:
    """The surat penolakan of a rejected case: a numbered surat dinas from the register, signed, with
    its QR, in the transaction of the rejection (none when the agency has no penolakan template)."""
    template = LetterTemplate.objects.filter(agency=case.agency, kind=LetterTemplate.PENOLAKAN, active=True).first()
    if template is None:
        return None
    document = IssuedDocument.objects.create(case=case, template=template, title=template.title)
    return _issue(document, user)


@transaction.atomic
def revoke_and_reissue(
    *,
    document: IssuedDocument,
    user: User,
    reason: str,
    corrections: dict[str, str] | None = None,
    credentials: dict[str, str] | None = None,
) -> IssuedDocument:
    """A correction: a new numbered document revokes the old one; the old PDF never changes.

    With `corrections` that change the content (maksud, tujuan, perihal), the replacement is a
    draft that passes the paraf chain again (`paraf_replacement`) and is signed with
    `sign_replacement`, which then revokes the old document; the old one stays valid until then.
    `credentials`: what a BSrE signer typed, for a replacement issued at once.
    """
    if not reason.strip():
        raise ValidationError("Tuliskan alasan pencabutan.")
    document = IssuedDocument.objects.select_for_update().select_related("case").get(pk=document.pk)
    rules.require_revoke(document.case, user, document)
    if corrections and _changes(document, corrections):
        return _replacement_draft(document, user, reason, corrections)
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
        closing_reason="Contoh alasan penolakan",
    )
    document = IssuedDocument(case=case, template=template, title=template.title)
    document.extra = {
        "pihak_kedua": {"nama": "Contoh Pihak Kedua", "jabatan": "Kepala UPT", "instansi": "UPT Contoh"},
        "saksi": ["Saksi Satu", "Saksi Dua"],
    }
    return document


def preview_pdf(template: LetterTemplate) -> bytes:
    """The template filled with a sample case, marked KONSEP: checked by admins before use.

    Signed by a sample signer: the official who acts today at the desk that signs the SOP's letters
    (its Kepala Dinas, or the Sekretaris "a.n." where the SOP's signing step is theirs; the blank line
    when nobody acts), whoever previews it; an admin holds no signing desk."""
    document = sample_case_document(template)
    sop = document.case.sop
    flow = sop.flows.order_by("order").first() if sop.pk else None
    marked = flow.steps.filter(signs=True).prefetch_related("actors") if flow else []
    desks = [desk for step in marked for desk in acting_desks(step.desk, [role.desk for role in step.actors.all()])]
    signer = signer_block(template.agency, None, timezone.localdate(), desk=signing_desk(desks))
    context = letter_context(document, number="CONTOH/001/2026", signer=signer)
    return _render(document, context, draft=True, signer=signer, verify_url="", parafs=[])


# --- corrections -------------------------------------------------------------------------------

CORRECTABLE = {"maksud": ("purpose", "Maksud dan tujuan"), "tujuan": ("destination", "Instansi yang dituju")}


def _changes(document: IssuedDocument, corrections: dict[str, str]) -> dict[str, tuple[str, str]]:
    """label -> (old, new) for the corrected fields that differ."""
    case = document.case
    found = {}
    for key, (field, label) in CORRECTABLE.items():
        if key in corrections and corrections[key] is not None:
            new = " ".join(str(corrections[key]).split()) if key == "tujuan" else str(corrections[key]).strip()
            if new != getattr(case, field):
                if key == "maksud" and not new:
                    raise ValidationError("Maksud dan tujuan tidak boleh kosong.")
                found[label] = (getattr(case, field), new)
    perihal = " ".join((corrections.get("perihal") or "").split())
    if perihal and perihal != document.title:
        found["Perihal"] = (document.title, perihal)
    return found


def _apply(
    document: IssuedDocument, user: User, changes: dict[str, tuple[str, str]], action: str, note: str = ""
) -> None:
    case = document.case
    for _key, (field, label) in CORRECTABLE.items():
        if label in changes:
            setattr(case, field, changes[label][1])
    case.save(update_fields=["purpose", "destination"])
    if "Perihal" in changes:
        document.title = changes["Perihal"][1]
    lines = [f"{label}: “{old}” → “{new}”" for label, (old, new) in changes.items()]
    AuditEntry.objects.create(
        case=case,
        user=user,
        desk=next((d for d in user.desks), ""),
        action=action,
        from_state=case.state,
        to_state=case.state,
        note="\n".join(([note] if note else []) + [f"{document.title}"] + lines),
    )


def require_correct_draft(document: IssuedDocument, user: User) -> None:
    """Before signing, the desk holding the case (the desk handling the draft now) corrects it."""
    case = document.case
    if not (case.agency_id == user.agency_id and case.holds(user)):
        raise PermissionDenied("Konsep surat dikoreksi oleh meja yang sedang menangani permohonan.")
    if document.status != IssuedDocument.DRAFT:
        raise rules.TransitionRefused(
            "Surat yang sudah ditandatangani dikoreksi lewat “Cabut dan terbitkan pengganti”."
        )


@transaction.atomic
def correct_draft(*, document: IssuedDocument, user: User, corrections: dict[str, str]) -> dict[str, tuple[str, str]]:
    """Maksud, tujuan (destination) and perihal of a draft, changed by the desk handling it, audited."""
    document = IssuedDocument.objects.select_for_update().select_related("case").get(pk=document.pk)
    require_correct_draft(document, user)
    changes = _changes(document, corrections)
    if changes:
        _apply(document, user, changes, "correct_letter")
        document.save(update_fields=["title"])
    return changes


def _replacement_draft(
    document: IssuedDocument, user: User, reason: str, corrections: dict[str, str]
) -> IssuedDocument:
    if document.case.letters.filter(template=document.template, status=IssuedDocument.DRAFT).exists():
        raise rules.TransitionRefused("Konsep pengganti surat ini sudah ada; selesaikan paraf dan tanda tangannya.")
    changes = _changes(document, corrections)
    new = IssuedDocument(
        case=document.case,
        template=document.template,
        title=document.title,
        extra={**document.extra, "replaces": document.pk, "revoke_reason": reason},
    )
    _apply(new, user, changes, "reissue", note=f"Cabut {document.number}: {reason}")
    new.save()
    return new


def paraf_chain(document: IssuedDocument) -> list[str]:
    """The desks whose paraf a replacement needs, in order: those that initialled the original."""
    replaces = (document.extra or {}).get("replaces")
    original = IssuedDocument.objects.filter(pk=replaces).first() if replaces is not None else None
    desks = set(original.parafs.values_list("desk", flat=True)) if original else set()
    return [desk for desk in PARAF_DESKS if desk in desks]


def _next_paraf(document: IssuedDocument) -> str | None:
    done = set(document.parafs.values_list("desk", flat=True))
    return next((desk for desk in paraf_chain(document) if desk not in done), None)


@transaction.atomic
def paraf_replacement(*, document: IssuedDocument, user: User) -> Paraf:
    """The next desk of the chain initials the corrected replacement."""
    document = IssuedDocument.objects.select_for_update().select_related("case__sop").get(pk=document.pk)
    if document.case.agency_id != user.agency_id or not any(user.has_desk(desk) for desk in PARAF_DESKS):
        raise PermissionDenied("Paraf diberikan Kepala Seksi, Kepala Bidang atau Sekretaris.")
    if document.status != IssuedDocument.DRAFT or "replaces" not in (document.extra or {}):
        raise rules.TransitionRefused("Hanya konsep pengganti yang diparaf di sini.")
    desk = _next_paraf(document)
    if desk is None or not org.serves(user, desk, document.case.sop.org_unit_id):
        raise rules.TransitionRefused(
            f"Paraf berikutnya: {DESK_LABELS.get(desk, desk)}." if desk else "Paraf konsep pengganti sudah lengkap."
        )
    paraf = Paraf.objects.create(document=document, desk=desk, user=user)
    AuditEntry.objects.create(
        case=document.case, user=user, desk=desk, action="paraf_replacement", from_state=document.case.state,
        to_state=document.case.state, note=document.title,
    )  # fmt: skip
    return paraf


@transaction.atomic
def sign_replacement(
    *, document: IssuedDocument, user: User, credentials: dict[str, str] | None = None
) -> IssuedDocument:
    """The signer signs the corrected replacement once its paraf chain is complete; the old one is revoked."""
    document = IssuedDocument.objects.select_for_update().select_related("case").get(pk=document.pk)
    if document.case.agency_id != user.agency_id or not any(user.has_desk(desk) for desk in SIGNING_DESKS):
        raise PermissionDenied("Hanya Kepala Dinas atau Sekretaris yang menandatangani pengganti.")
    replaces = (document.extra or {}).get("replaces")
    old = (
        IssuedDocument.objects.select_for_update().filter(pk=replaces, status=IssuedDocument.ISSUED).first()
        if replaces is not None
        else None
    )
    if document.status != IssuedDocument.DRAFT or old is None:
        raise rules.TransitionRefused("Hanya konsep pengganti dari surat yang berlaku yang ditandatangani di sini.")
    rules.require_revoke(document.case, user, old)
    missing = _next_paraf(document)
    if missing:
        raise rules.TransitionRefused(f"Konsep pengganti belum diparaf {DESK_LABELS.get(missing, missing)}.")
    new = _issue(document, user, credentials)
    old.status = IssuedDocument.REVOKED
    old.revoked_at = timezone.now()
    old.revoked_reason = document.extra.get("revoke_reason", "")
    old.replaced_by = new
    old.save()
    return new


def letter_actions(case: Case, user: User, documents: Iterable[IssuedDocument]) -> dict[str, set[int]]:
    """Which correction buttons the case page shows this user, per letter."""
    found: dict[str, set[int]] = {"correct": set(), "paraf": set(), "sign": set()}
    for document in documents:
        if document.status != IssuedDocument.DRAFT:
            continue
        if case.holds(user):
            found["correct"].add(document.pk)
        if "replaces" in (document.extra or {}):
            desk = _next_paraf(document)
            if desk and org.serves(user, desk, case.sop.org_unit_id):
                found["paraf"].add(document.pk)
            old = IssuedDocument.objects.filter(pk=document.extra["replaces"]).first()
            if desk is None and old is not None and rules.may_revoke(case, user, old):
                found["sign"].add(document.pk)
    return found
