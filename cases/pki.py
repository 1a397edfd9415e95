"""The agency's own certificate authority: CA, a certificate per official, an e-seal, rotation, CRL.

Everything lives under settings.SIGNING_KEYS_DIR/<agency slug>/ (see docs/deployment.md):

    ca.p12, ca.pem            the CA's key (PKCS#12, encrypted) and its public certificate
    crl.pem                   the CA's certificate revocation list, rewritten on every revocation
    certs/<serial>.p12|.pem   one key and certificate per official (by NIP) and for the e-seal
    index.json                what was issued to whom, and what is revoked

Private keys exist only inside PKCS#12 files encrypted with settings.SIGNING_KEY_PASSPHRASE
(environment variable SIGNING_KEY_PASSPHRASE); the passphrase is never written to disk.
Keys are EC P-256: fast to make and to use, and read by pyHanko, PDF readers and pdfsig alike.
"""

import datetime
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings
from django.utils import timezone

from agencies.models import Agency, Official

CA_YEARS = 10
CERT_YEARS = 2
CRL_DAYS = 30
PERSON = "person"
SEAL = "seal"


class KeysError(Exception):
    """Keys missing, passphrase missing or wrong: told to the operator in Indonesian."""


@dataclass
class Issued:
    serial: str
    kind: str
    name: str
    nip: str
    title: str
    not_before: str
    not_after: str
    revoked_at: str | None = None
    reason: str = ""

    @property
    def active(self) -> bool:
        return self.revoked_at is None and self.not_after > timezone.now().isoformat()


# --- files --------------------------------------------------------------------------------------


def agency_dir(agency: Agency) -> Path:
    return Path(settings.SIGNING_KEYS_DIR) / agency.slug


def passphrase() -> bytes:
    value = settings.SIGNING_KEY_PASSPHRASE
    if not value:
        raise KeysError("SIGNING_KEY_PASSPHRASE belum diisi: kunci tanda tangan tidak dapat dibuka.")
    return value.encode()


def _write(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Atomic write: a crash never leaves half a key or half an index."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    os.chmod(temporary, mode)
    os.replace(temporary, path)


def _index(agency: Agency) -> dict[str, Any]:
    path = agency_dir(agency) / "index.json"
    if not path.exists():
        return {"certificates": []}
    return json.loads(path.read_text(encoding="utf-8"))


def _save_index(agency: Agency, index: dict[str, Any]) -> None:
    _write(agency_dir(agency) / "index.json", json.dumps(index, indent=1, ensure_ascii=False).encode(), 0o644)


def issued(agency: Agency) -> list[Issued]:
    return [Issued(**row) for row in _index(agency)["certificates"]]


def has_ca(agency: Agency) -> bool:
    return (agency_dir(agency) / "ca.pem").exists()


def ca_certificate_pem(agency: Agency) -> bytes:
    return (agency_dir(agency) / "ca.pem").read_bytes()


def crl_url(agency: Agency) -> str:
    """Where PDF readers fetch the CRL (named in every certificate): the public verification site."""
    return f"{settings.SITE_URL}/verifikasi/crl/{agency.slug}.crl"


def crl_der(agency: Agency) -> bytes | None:
    pem_bytes = crl_pem(agency)
    if pem_bytes is None:
        return None
    return x509.load_pem_x509_crl(pem_bytes).public_bytes(serialization.Encoding.DER)


def crl_pem(agency: Agency) -> bytes | None:
    path = agency_dir(agency) / "crl.pem"
    return path.read_bytes() if path.exists() else None


def _load_p12(path: Path) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    try:
        key, cert, _ = pkcs12.load_key_and_certificates(path.read_bytes(), passphrase())
    except ValueError as exc:
        raise KeysError(f"Kunci {path.name} tidak dapat dibuka: kata sandi (SIGNING_KEY_PASSPHRASE) salah.") from exc
    assert isinstance(key, ec.EllipticCurvePrivateKey) and cert is not None
    return key, cert


def _store_p12(path: Path, name: str, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate) -> None:
    encryption = (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(50_000)
        .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
        .hmac_hash(hashes.SHA256())
        .build(passphrase())
    )
    _write(path, pkcs12.serialize_key_and_certificates(name.encode(), key, cert, None, encryption))
    _write(path.with_suffix(".pem"), cert.public_bytes(serialization.Encoding.PEM), 0o644)


# --- certificates --------------------------------------------------------------------------------


def _name(agency: Agency, common_name: str, *, nip: str = "", title: str = "") -> x509.Name:
    parts = [x509.NameAttribute(NameOID.COUNTRY_NAME, "ID"), x509.NameAttribute(NameOID.ORGANIZATION_NAME, agency.name)]
    if title:
        parts.append(x509.NameAttribute(NameOID.TITLE, title[:64]))
    if nip:
        parts.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, nip.replace(" ", "")))
    parts.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64]))
    return x509.Name(parts)


def create_ca(agency: Agency, *, force: bool = False) -> x509.Certificate:
    """The agency's root: signs the officials' certificates and the CRL. Refuses to replace one silently."""
    if has_ca(agency) and not force:
        raise KeysError(f"{agency.name} sudah memiliki CA; --force menggantinya (sertifikat lama tak berlaku lagi).")
    key = ec.generate_private_key(ec.SECP256R1())
    now = timezone.now()
    name = _name(agency, f"CA Tanda Tangan Elektronik {agency.name}")
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=365 * CA_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),  # keyCertSign, cRLSign
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _store_p12(agency_dir(agency) / "ca.p12", "CA", key, cert)
    _save_index(agency, {"certificates": []})
    write_crl(agency)
    return cert


def _issue(agency: Agency, *, kind: str, name: str, nip: str, title: str) -> Issued:
    if not has_ca(agency):
        raise KeysError(f"{agency.name} belum memiliki CA: jalankan `manage.py signing_keys ca {agency.slug}`.")
    ca_key, ca_cert = _load_p12(agency_dir(agency) / "ca.p12")
    key = ec.generate_private_key(ec.SECP256R1())
    now = timezone.now()
    serial = x509.random_serial_number()
    usage = ExtendedKeyUsageOID.EMAIL_PROTECTION
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(agency, name, nip=nip, title=title))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(min(now + datetime.timedelta(days=365 * CERT_YEARS), ca_cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False),  # signature, non-repudiation
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(
            x509.CRLDistributionPoints(
                [x509.DistributionPoint([x509.UniformResourceIdentifier(crl_url(agency))], None, None, None)]
            ),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    hex_serial = format(serial, "x")
    _store_p12(agency_dir(agency) / "certs" / f"{hex_serial}.p12", name, key, cert)
    row = Issued(
        serial=hex_serial,
        kind=kind,
        name=name,
        nip=nip.replace(" ", ""),
        title=title,
        not_before=cert.not_valid_before_utc.isoformat(),
        not_after=cert.not_valid_after_utc.isoformat(),
    )
    index = _index(agency)
    index["certificates"].append(row.__dict__)
    _save_index(agency, index)
    return row


def issue_for_official(agency: Agency, official: Official) -> Issued:
    if not official.nip:
        raise KeysError(f"{official.name} belum memiliki NIP: sertifikat diterbitkan per NIP.")
    title = f"{official.acting} {official.position.title}".strip()
    return _issue(agency, kind=PERSON, name=official.name, nip=official.nip, title=title)


def issue_seal(agency: Agency) -> Issued:
    return _issue(agency, kind=SEAL, name=f"Segel Elektronik {agency.name}", nip="", title="")


def current_holders(agency: Agency, day: datetime.date | None = None) -> list[Official]:
    day = day or timezone.localdate()
    holders = (position.holder_on(day) for position in agency.positions.all())
    return [official for official in holders if official is not None and official.nip]


def active_for(agency: Agency, *, nip: str = "", kind: str = PERSON) -> Issued | None:
    """The newest valid, unrevoked certificate of that NIP (or the agency's e-seal)."""
    nip = nip.replace(" ", "")
    rows = [row for row in issued(agency) if row.kind == kind and row.active and (kind == SEAL or row.nip == nip)]
    return max(rows, key=lambda row: row.not_before) if rows else None


def setup(agency: Agency) -> list[Issued]:
    """What `make run` does: a CA if there is none, a certificate for each holder without one, an e-seal."""
    if not has_ca(agency):
        create_ca(agency)
    made = [issue_for_official(agency, o) for o in current_holders(agency) if active_for(agency, nip=o.nip) is None]
    if active_for(agency, kind=SEAL) is None:
        made.append(issue_seal(agency))
    return made


def revoke(agency: Agency, serial: str, reason: str = "") -> Issued:
    index = _index(agency)
    for row in index["certificates"]:
        if row["serial"] == serial.lower():
            if row["revoked_at"] is None:
                row["revoked_at"] = timezone.now().isoformat()
                row["reason"] = reason
            _save_index(agency, index)
            write_crl(agency)
            return Issued(**row)
    raise KeysError(f"Sertifikat dengan nomor seri {serial} tidak ada di {agency.name}.")


def revoke_nip(agency: Agency, nip: str, reason: str = "") -> list[Issued]:
    """An official leaves: every certificate of that NIP is revoked."""
    nip = nip.replace(" ", "")
    return [revoke(agency, row.serial, reason) for row in issued(agency) if row.nip == nip and row.revoked_at is None]


def rotate(agency: Agency, official: Official) -> Issued:
    """A new key for the official; the old certificates are revoked (superseded). Signed letters stay valid."""
    new = issue_for_official(agency, official)
    for row in issued(agency):
        if row.nip == new.nip and row.serial != new.serial and row.revoked_at is None:
            revoke(agency, row.serial, "superseded")
    return new


def crl_reason(reason: str) -> x509.ReasonFlags:
    """superseded (rotation) and cessation (the official left) keep earlier signatures; the rest do not."""
    if reason == "superseded":
        return x509.ReasonFlags.superseded
    if reason in ("cessation", "berhenti menjabat") or "berhenti" in reason.lower():
        return x509.ReasonFlags.cessation_of_operation
    return x509.ReasonFlags.key_compromise


def revoked_after(row: Issued, moment: datetime.datetime) -> bool:
    """A certificate revoked for a reason that leaves earlier signatures standing, after `moment`."""
    if row.revoked_at is None or crl_reason(row.reason) == x509.ReasonFlags.key_compromise:
        return False
    return datetime.datetime.fromisoformat(row.revoked_at) > moment


def write_crl(agency: Agency) -> bytes:
    ca_key, ca_cert = _load_p12(agency_dir(agency) / "ca.p12")
    now = timezone.now()
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca_cert.subject)
        .last_update(now - datetime.timedelta(minutes=5))
        .next_update(now + datetime.timedelta(days=CRL_DAYS))
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
        .add_extension(x509.CRLNumber(int(now.timestamp())), critical=False)
    )
    for row in issued(agency):
        if row.revoked_at:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(int(row.serial, 16))
                .revocation_date(datetime.datetime.fromisoformat(row.revoked_at))
                .add_extension(x509.CRLReason(crl_reason(row.reason)), critical=False)
                .build()
            )
    pem = builder.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)
    _write(agency_dir(agency) / "crl.pem", pem, 0o644)
    return pem


def signing_files(agency: Agency, row: Issued) -> tuple[Path, Path]:
    """The PKCS#12 of a certificate and the CA's public certificate, for pyHanko."""
    return agency_dir(agency) / "certs" / f"{row.serial}.p12", agency_dir(agency) / "ca.pem"
