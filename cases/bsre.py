"""Client of BSrE's e-sign API v2 (certified signatures, tersertifikasi BSrE).

    POST {BSRE_URL}/api/v2/sign/pdf    {"nik", "passphrase", "signatureProperties": [...], "file": [base64]}
    POST {BSRE_URL}/api/v2/seal/pdf    {"idSubscriber", "totp", "signatureProperties": [...], "file": [base64]}
    POST {BSRE_URL}/api/v2/verify/pdf  {"file": base64}

The answer of a signature is {"file": [base64]}; an error answer carries {"status_code", "error"}
with an HTTP error status. The client application authenticates with HTTP Basic
(BSRE_USERNAME, BSRE_PASSWORD); the signer's passphrase is typed at the moment of signing, passed
through once and never stored or logged. Standard library only (urllib): no retries, a timeout.
"""

import base64
import json
import urllib.error
import urllib.request
from typing import Any

from django.conf import settings

from cases.pades import Box, SigningError


class BsreError(SigningError):
    """BSrE refused or could not be reached; the message is for the signer, in Indonesian."""

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


# BSrE's numbered errors that the signer can act on.
KNOWN_ERRORS = {
    2011: "NIK tidak terdaftar sebagai pemilik sertifikat BSrE.",
    2021: "Sertifikat BSrE pemilik NIK ini tidak aktif atau sudah dicabut.",
    2031: "Passphrase salah.",
}


def _post(path: str, body: dict[str, Any]) -> dict[str, Any]:
    if not settings.BSRE_URL:
        raise BsreError("Layanan BSrE belum dikonfigurasi (BSRE_URL).")
    request = urllib.request.Request(
        settings.BSRE_URL.rstrip("/") + path,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    if settings.BSRE_USERNAME:
        token = base64.b64encode(f"{settings.BSRE_USERNAME}:{settings.BSRE_PASSWORD}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=settings.SIGNER_TIMEOUT) as response:  # noqa: S310
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        raise _error_answer(exc) from None
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        raise BsreError(
            "Layanan tanda tangan BSrE tidak dapat dihubungi; surat belum ditandatangani dan belum bernomor. "
            "Coba lagi beberapa saat lagi."
        ) from exc
    except ValueError as exc:
        raise BsreError("Jawaban layanan BSrE tidak dapat dibaca.") from exc


def _error_answer(exc: urllib.error.HTTPError) -> BsreError:
    try:
        answer = json.loads(exc.read() or b"{}")
    except ValueError:
        answer = {}
    code = answer.get("status_code")
    if exc.code == 401:
        message = "Aplikasi tidak diizinkan memakai layanan BSrE (BSRE_USERNAME/BSRE_PASSWORD)."
        return BsreError(message, status_code=code)
    known = KNOWN_ERRORS.get(code) if isinstance(code, int) else None
    detail = known or answer.get("error") or answer.get("message") or f"HTTP {exc.code}"
    return BsreError(f"BSrE menolak tanda tangan: {detail}", status_code=code)


def signature_properties(box: Box | None, *, page: int, reason: str, location: str) -> list[dict[str, Any]]:
    if box is None:
        return [{"tampilan": "INVISIBLE", "reason": reason, "location": location}]
    return [
        {
            "tampilan": "VISIBLE",
            "page": page,
            "originX": round(box.x1, 1),
            "originY": round(box.y1, 1),
            "width": round(box.x2 - box.x1, 1),
            "height": round(box.y2 - box.y1, 1),
            "reason": reason,
            "location": location,
        }
    ]


def _signed_file(answer: dict[str, Any]) -> bytes:
    files = answer.get("file")
    if not isinstance(files, list) or not files:
        raise BsreError("Jawaban layanan BSrE tidak memuat berkas yang ditandatangani.")
    try:
        data = base64.b64decode(files[0], validate=True)
    except ValueError as exc:
        raise BsreError("Berkas dari layanan BSrE rusak.") from exc
    if not data.startswith(b"%PDF"):
        raise BsreError("Berkas dari layanan BSrE bukan PDF.")
    return data


def sign(pdf: bytes, *, nik: str, passphrase: str, box: Box | None, page: int, reason: str, location: str) -> bytes:
    """A personal certified signature; `passphrase` lives only for this call."""
    if not nik or not passphrase:
        raise BsreError("Isi NIK dan passphrase BSrE penanda tangan.")
    body = {
        "nik": nik,
        "passphrase": passphrase,
        "signatureProperties": signature_properties(box, page=page, reason=reason, location=location),
        "file": [base64.b64encode(pdf).decode()],
    }
    return _signed_file(_post("/api/v2/sign/pdf", body))


def seal(pdf: bytes, *, box: Box | None, page: int, reason: str, location: str, totp: str = "") -> bytes:
    """The agency's e-seal (segel elektronik) for documents the system issues itself."""
    body = {
        "idSubscriber": settings.BSRE_SEAL_SUBSCRIBER,
        "totp": totp,
        "signatureProperties": signature_properties(box, page=page, reason=reason, location=location),
        "file": [base64.b64encode(pdf).decode()],
    }
    return _signed_file(_post("/api/v2/seal/pdf", body))


def verify(pdf: bytes) -> dict[str, Any]:
    """BSrE's own report on a PDF: {"conclusion": "VALID" | …, "signatureInformations": [...]}."""
    return _post("/api/v2/verify/pdf", {"file": base64.b64encode(pdf).decode()})
