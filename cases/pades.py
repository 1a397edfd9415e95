"""PAdES signatures with pyHanko: signing with the agency's own keys (cases.pki) and validating.

`sign_local` puts a PAdES B-B signature (B-T when settings.SIGNING_TSA_URL names a timestamp
authority) in a visible box on the last page; `validate` checks any uploaded PDF: the signature
is intact, covers the whole file, chains to the agency's CA, was not revoked (our CRL) and when
it was made. See docs/documents.md.
"""

import datetime
import logging
from dataclasses import dataclass, field
from io import BytesIO

from asn1crypto import pem, x509
from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format

from agencies.models import Agency
from cases import pki
from cases.rules import TransitionRefused

log = logging.getLogger(__name__)
FIELD_NAME = "TandaTanganElektronik"
LOCAL, BSRE, UNKNOWN = "local", "bsre", "unknown"
# The visible box is where the letter template leaves room beside the QR code (div#kotak-ttd, 80 x 24 mm).
PX_TO_PT = 0.75  # a CSS px is 1/96 in, a PDF point 1/72 in


class SigningError(TransitionRefused):
    """The signature could not be made (keys missing, signer unreachable): nothing is issued."""


@dataclass
class Box:
    """Where the signature box is on the last page, in PDF points from the bottom left."""

    x1: float
    y1: float
    x2: float
    y2: float


def box_from_anchor(page_height_px: float, x1: float, y1: float, x2: float, y2: float) -> Box:
    """WeasyPrint gives an anchor's rectangle in CSS px from the page's top left; PDF counts from the bottom."""
    return Box(x1 * PX_TO_PT, (page_height_px - y2) * PX_TO_PT, x2 * PX_TO_PT, (page_height_px - y1) * PX_TO_PT)


def _latin1(text: str) -> str:
    """The stamp's standard font writes Latin-1; % would be read as a pyHanko placeholder."""
    return text.encode("latin-1", "replace").decode("latin-1").replace("%", "%%")


def stamp_text(signer: dict[str, str], when: datetime.datetime) -> str:
    lines = [signer.get("heading") or "Ditandatangani secara elektronik oleh", signer.get("name", "")]
    title = " ".join(part for part in (signer.get("prefix", ""), signer.get("title", "")) if part)
    if title:
        lines.append(title)
    if signer.get("nip"):
        lines.append(f"NIP. {signer['nip']}")
    lines.append(date_format(timezone.localtime(when), "j F Y H.i T"))
    return "\n".join(_latin1(line) for line in lines)


def _timestamper():  # type: ignore[no-untyped-def]
    if not settings.SIGNING_TSA_URL:
        return None
    from pyhanko.sign.timestamps import HTTPTimeStamper  # noqa: PLC0415

    return HTTPTimeStamper(settings.SIGNING_TSA_URL, timeout=settings.SIGNER_TIMEOUT)


def sign_with_p12(
    pdf: bytes, *, p12: bytes, ca_pem: bytes, signer: dict[str, str], box: Box | None, reason: str, location: str
) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter  # noqa: PLC0415
    from pyhanko.pdf_utils.text import TextBoxStyle  # noqa: PLC0415
    from pyhanko.sign import fields, signers  # noqa: PLC0415
    from pyhanko.stamp import TextStampStyle  # noqa: PLC0415

    try:
        simple = signers.SimpleSigner.load_pkcs12_data(p12, _certs(ca_pem), passphrase=pki.passphrase())
    except ValueError as exc:
        raise SigningError(
            "Kunci tanda tangan tidak dapat dibuka: kata sandi kunci (SIGNING_KEY_PASSPHRASE) salah."
        ) from exc
    if simple is None:
        raise SigningError("Kunci tanda tangan tidak dapat dibuka: kata sandi kunci (SIGNING_KEY_PASSPHRASE) salah.")
    now = timezone.now()
    spec = None
    if box is not None:
        spec = fields.SigFieldSpec(
            FIELD_NAME, on_page=-1, box=(round(box.x1), round(box.y1), round(box.x2), round(box.y2))
        )
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason,
        location=location,
        name=signer.get("name") or None,
    )
    style = TextStampStyle(stamp_text=stamp_text(signer, now), border_width=1, text_box_style=TextBoxStyle(font_size=7))
    timestamper = _timestamper()
    pdf_signer = signers.PdfSigner(meta, signer=simple, timestamper=timestamper, stamp_style=style, new_field_spec=spec)
    try:
        out = pdf_signer.sign_pdf(
            IncrementalPdfFileWriter(BytesIO(pdf)), bytes_reserved=None if timestamper else _room_for(simple)
        )
    except OSError as exc:  # the timestamp authority unreachable
        raise SigningError(f"Server cap waktu (TSA) tidak dapat dihubungi: {exc}") from exc
    return out.getvalue()


def _room_for(simple) -> int:  # type: ignore[no-untyped-def]
    """The room left in the PDF for the CMS signature, in hex digits: its certificates and 2 KB for the
    rest (the signed attributes, the issuer names and the signature: about 600 bytes with our EC keys).

    Left to itself pyHanko makes a dummy signature first to measure it, a third of the signing time.
    With a timestamp authority it still does, as the token's size is the authority's."""
    certificates = [simple.signing_cert, *simple.cert_registry]
    return 2 * (sum(len(certificate.dump()) for certificate in certificates) + 2048)


def sign_local(pdf: bytes, *, agency: Agency, signer: dict[str, str], box: Box | None, reason: str) -> bytes:
    """Sign with the certificate of the official in the signature block (by NIP)."""
    try:
        row = pki.active_for(agency, nip=signer.get("nip", "")) if signer.get("nip") else None
        if row is None:
            raise SigningError(
                f"{signer.get('name') or 'Penanda tangan'} belum memiliki sertifikat tanda tangan elektronik "
                f"{agency.name} yang berlaku: admin menjalankan `manage.py signing_keys issue {agency.slug}`."
            )
        p12_path, ca_path = pki.signing_files(agency, row)
        return sign_with_p12(
            pdf,
            p12=p12_path.read_bytes(),
            ca_pem=ca_path.read_bytes(),
            signer=signer,
            box=box,
            reason=reason,
            location=agency.region or agency.name,
        )
    except pki.KeysError as exc:
        raise SigningError(str(exc)) from exc


def seal_local(
    pdf: bytes, *, agency: Agency, anchor: tuple[float, ...] | None, reason: str, box: Box | None = None
) -> bytes:
    """The agency's e-seal on a document the system issues itself (surat penolakan), when the agency
    signs with its own keys and has an e-seal; otherwise the PDF as rendered."""
    kind = settings.DOCUMENT_SIGNERS.get(agency.slug, settings.DOCUMENT_SIGNER)
    row = pki.active_for(agency, kind=pki.SEAL) if kind == LOCAL and pki.has_ca(agency) else None
    if row is None:
        return pdf
    p12_path, ca_path = pki.signing_files(agency, row)
    return sign_with_p12(
        pdf,
        p12=p12_path.read_bytes(),
        ca_pem=ca_path.read_bytes(),
        signer={"heading": "Disegel secara elektronik oleh", "name": row.name},
        box=box or (box_from_anchor(*anchor) if anchor else None),
        reason=reason,
        location=agency.region or agency.name,
    )


# --- validation ------------------------------------------------------------------------------------


@dataclass
class Report:
    """What the verification page says about the signatures in an uploaded PDF."""

    signed: bool = False
    valid: bool = False
    intact: bool = False
    whole_file: bool = False
    trusted: bool = False
    revoked: bool = False
    kind: str = UNKNOWN  # local (tidak tersertifikasi) / bsre (tersertifikasi BSrE) / unknown
    signer_name: str = ""
    signer_serial: str = ""
    signing_time: datetime.datetime | None = None
    timestamped: bool = False
    problems: list[str] = field(default_factory=list)


def _certs(pem_bytes: bytes) -> list[x509.Certificate]:
    return [x509.Certificate.load(der) for _, _, der in pem.unarmor(pem_bytes, multiple=True)]


def _trust(agency: Agency | None) -> tuple[list[x509.Certificate], list[bytes], list[x509.Certificate]]:
    """Our CA with its CRL, and BSrE's roots when the deployment configured them."""
    local, crls = [], []
    if agency is not None and pki.has_ca(agency):
        local = _certs(pki.ca_certificate_pem(agency))
        crl = pki.crl_pem(agency)
        if crl:
            crls = [der for _, _, der in pem.unarmor(crl, multiple=True)]
    bsre = []
    if settings.BSRE_ROOT_CERTS:
        with open(settings.BSRE_ROOT_CERTS, "rb") as handle:
            bsre = _certs(handle.read())
    return local, crls, bsre


def validate(data: bytes, agency: Agency | None) -> Report:
    """Check the last signature: valid only if intact, covering the whole file, trusted and not revoked.

    The bytes come from anyone (the public verification page): whatever the PDF parser or the
    validator trips over is a damaged file to report, never a server error.
    """
    try:
        return _validate(data, agency)
    except Exception:  # noqa: BLE001 — untrusted input into a third-party parser
        log.warning("PDF yang diunggah tidak dapat diperiksa", exc_info=True)
        return Report(problems=["Berkas atau tanda tangannya rusak sehingga tidak dapat diperiksa."])


def _validate(data: bytes, agency: Agency | None) -> Report:
    from pyhanko.pdf_utils.misc import PdfReadError  # noqa: PLC0415
    from pyhanko.pdf_utils.reader import PdfFileReader  # noqa: PLC0415
    from pyhanko.sign.validation import validate_pdf_signature  # noqa: PLC0415
    from pyhanko.sign.validation.errors import SignatureValidationError  # noqa: PLC0415
    from pyhanko.sign.validation.status import SignatureCoverageLevel  # noqa: PLC0415
    from pyhanko_certvalidator import ValidationContext  # noqa: PLC0415

    report = Report()
    try:
        reader = PdfFileReader(BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        report.problems.append(f"Berkas bukan PDF yang dapat dibaca ({exc.__class__.__name__}).")
        return report
    if not signatures:
        report.problems.append("Berkas ini tidak memuat tanda tangan elektronik.")
        return report
    report.signed = True
    local, crls, bsre = _trust(agency)
    embedded = signatures[-1]
    cert = embedded.signer_cert
    report.signer_name = cert.subject.native.get("common_name", "")
    report.signer_serial = format(cert.serial_number, "x")
    issuer_keys = {c.key_identifier for c in local}
    report.kind = LOCAL if cert.authority_key_identifier in issuer_keys else UNKNOWN
    if bsre and cert.authority_key_identifier in {c.key_identifier for c in bsre} | _intermediate_keys(bsre):
        report.kind = BSRE
    context = ValidationContext(
        trust_roots=local + bsre,
        crls=crls,
        allow_fetching=False,
        time_tolerance=datetime.timedelta(0),  # a revocation a moment ago counts
        revocation_mode="require" if report.kind == LOCAL else "soft-fail",
    )
    try:
        status = validate_pdf_signature(embedded, context)
    except (SignatureValidationError, ValueError) as exc:
        report.problems.append(f"Tanda tangan tidak dapat diperiksa: {exc}")
        return report
    report.intact = bool(status.intact and status.valid)
    report.whole_file = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    report.trusted = bool(status.trusted)
    report.revoked = bool(status.revoked)
    report.timestamped = status.timestamp_validity is not None
    report.signing_time = (
        status.timestamp_validity.timestamp if status.timestamp_validity else status.signer_reported_dt
    )
    if not report.intact:
        report.problems.append("Isi berkas berubah sesudah ditandatangani: tanda tangan tidak cocok.")
    elif not report.whole_file:
        report.problems.append("Ada perubahan yang ditambahkan sesudah tanda tangan (pembaruan bertahap).")
    if report.revoked:
        report.problems.append("Sertifikat penanda tangan sudah dicabut.")
    elif not report.trusted:
        report.problems.append("Sertifikat penanda tangan tidak diterbitkan oleh CA instansi ini maupun BSrE.")
    report.valid = report.intact and report.whole_file and report.trusted and not report.revoked
    return report


def _intermediate_keys(roots: list[x509.Certificate]) -> set[bytes]:
    return {c.key_identifier for c in roots if c.ca}
