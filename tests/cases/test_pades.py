"""PAdES signatures of final documents: pyHanko and poppler's pdfsig must agree with our verification page.

The agency's keys are made once per session (EC P-256, fast); the SPM whose bytes most tests check
is signed once per module; the tests of the verification page sign their own (they need its row).
pdfsig checks the certificate chain and revocation against an NSS database holding our CA and CRL
(certutil/crlutil, libnss3-tools); without pdfsig or those tools the pdfsig tests skip, unless
REQUIRE_PDFSIG=1 (as .ci/run sets).
"""

import datetime
import hashlib
import io
import os
import shutil
import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from pypdf import PdfReader

from agencies.models import Agency, Official, User
from cases import letters, pades, pki, workflow
from cases.models import Case, DocumentCounter, IssuedDocument, LetterTemplate
from tests.cases.test_letters import issue_spm, spm_case, walk_to_kadis
from tests.conftest import restore_session_data
from tests.files import BLANK_PDF

# The keys and the signed SPM are read through the database of the test (an in-memory SQLite lives
# only while a test holds its connection).
pytestmark = pytest.mark.django_db

KADIS = "Dra. DEWI SUSIYANTI"
KADIS_NIP = "19640617 199603 2 002"


@pytest.fixture(scope="session")
def agency_keys(django_db_setup, django_db_blocker):
    """Lumajang's CA, the Kepala Dinas's certificate and the e-seal, once per session (xdist worker)."""
    with django_db_blocker.unblock():
        if not Agency.objects.filter(slug="lumajang").exists():  # a transactional test emptied the database
            restore_session_data()
        agency = Agency.objects.get(slug="lumajang")
        pki.setup(agency)
    return agency


@pytest.fixture
def local_signer(settings, agency_keys):
    settings.DOCUMENT_SIGNER = "local"
    return agency_keys


@pytest.fixture
def signed(catalog, demo_users, local_signer):
    """An SPM signed by the Kepala Dinas in this test's database (for the verification page, which needs
    its row); signed_spm is the one signed at the end of the walk through the workflow."""
    document = issue_spm(demo_users)
    return document, document.pdf.read()


@pytest.fixture(scope="module")
def signed_spm(agency_keys, django_db_blocker, tmp_path_factory):
    """The SPM signed once per module, the database rolled back after: its bytes, hash and signer."""
    media = tmp_path_factory.mktemp("media")
    with django_db_blocker.unblock(), override_settings(DOCUMENT_SIGNER="local", MEDIA_ROOT=media):
        if not Agency.objects.filter(slug="lumajang").exists():  # as tests/conftest.py's _session_data
            restore_session_data()
        with transaction.atomic():
            users = {user.username: user for user in User.objects.filter(username__startswith="lumajang-")}
            case = spm_case(users)
            while not IssuedDocument.objects.filter(case=case, status=IssuedDocument.ISSUED).exists():
                case = Case.objects.get(pk=case.pk)
                branch = "Ya" if case.current_step.sop_step.branches.exists() else ""
                user = users[f"lumajang-{case.current_step.desk}"]
                workflow.complete_step(case=case, user=user, step_id=case.current_step_id, branch=branch)
            document = IssuedDocument.objects.get(case=case)
            result = {"pdf": document.pdf.read(), "sha256": document.sha256, "signer": document.signer}
            transaction.set_rollback(True)
    return result


def tamper_one_byte(pdf):
    """One byte inside the signed range: a letter of the document information dictionary."""
    at = pdf.index(b"WeasyPrint")
    return pdf[:at] + b"w" + pdf[at + 1 :]


def append_incremental_update(pdf):
    """A well-formed incremental update after the signature that replaces the first page's text."""
    from pyhanko.pdf_utils import generic  # noqa: PLC0415
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter  # noqa: PLC0415

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    page["/Contents"] = writer.add_object(generic.StreamObject(stream_data=b"BT /F1 12 Tf 72 720 Td (PALSU) Tj ET"))
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --- pyHanko ------------------------------------------------------------------------------------


def test_a_signed_spm_is_a_valid_pades_signature_of_the_kepala_dinas(signed_spm, agency_keys):
    pdf = signed_spm["pdf"]
    report = pades.validate(pdf, agency_keys)

    assert hashlib.sha256(pdf).hexdigest() == signed_spm["sha256"]  # the hash is of the signed bytes
    assert report.valid and report.intact and report.whole_file and report.trusted, report.problems
    assert (report.kind, report.signer_name) == (pades.LOCAL, KADIS)
    assert pki.active_for(agency_keys, nip=KADIS_NIP).serial == report.signer_serial
    assert signed_spm["signer"]["signature"] == "local" and signed_spm["signer"]["name"] == KADIS


def test_the_signature_box_sits_on_the_last_page_beside_the_qr(signed_spm):
    pdf = signed_spm["pdf"]
    page = PdfReader(io.BytesIO(pdf)).pages[-1]
    widgets = [a.get_object() for a in page.get("/Annots", []) if a.get_object().get("/FT") == "/Sig"]

    assert len(widgets) == 1
    x1, y1, x2, y2 = (float(v) for v in widgets[0]["/Rect"])
    assert 50 < x2 - x1 < 300 and 30 < y2 - y1 < 100  # the 80 x 24 mm box, drawn
    assert 0 < x1 and x2 < float(page.mediabox.width) and 0 < y1 and y2 < float(page.mediabox.height)
    assert "/AP" in widgets[0]  # a visible appearance (name, jabatan, NIP, date)


@pytest.mark.parametrize("change", [tamper_one_byte, append_incremental_update], ids=["one-byte", "incremental"])
def test_a_changed_copy_is_invalid_for_pyhanko(signed_spm, agency_keys, change):
    report = pades.validate(change(signed_spm["pdf"]), agency_keys)

    assert report.signed and not report.valid
    assert report.problems


def test_a_pdf_without_a_signature_or_not_a_pdf_is_reported_so(db, agency_keys):

    assert pades.validate(BLANK_PDF, agency_keys).problems == ["Berkas ini tidak memuat tanda tangan elektronik."]
    assert not pades.validate(b"bukan pdf", agency_keys).signed


# --- pdfsig ---------------------------------------------------------------------------------------


@pytest.fixture
def pdfsig(tmp_path, agency_keys):
    """Runs pdfsig against an NSS database that trusts our CA and holds its current CRL."""
    tools = {name: shutil.which(name) for name in ("pdfsig", "certutil", "crlutil")}
    missing = [name for name, path in tools.items() if path is None]
    if missing:
        reason = f"{', '.join(missing)} not installed (apt-get install poppler-utils libnss3-tools)"
        if os.environ.get("REQUIRE_PDFSIG") == "1":
            pytest.fail(f"REQUIRE_PDFSIG=1 but {reason}")
        pytest.skip(reason)
    nss = tmp_path / "nss"
    nss.mkdir()
    run = [tools["certutil"], "-d", f"sql:{nss}"]
    subprocess.run([*run, "-N", "--empty-password"], check=True, capture_output=True)
    (tmp_path / "ca.pem").write_bytes(pki.ca_certificate_pem(agency_keys))
    subprocess.run([*run, "-A", "-n", "ca", "-t", "C,C,C", "-i", tmp_path / "ca.pem"], check=True, capture_output=True)

    def check(pdf):
        (tmp_path / "crl.der").write_bytes(pki.crl_der(agency_keys))
        subprocess.run([tools["crlutil"], "-d", f"sql:{nss}", "-I", "-B", "-i", tmp_path / "crl.der"], check=True)
        (tmp_path / "doc.pdf").write_bytes(pdf)
        result = subprocess.run(
            [tools["pdfsig"], "-nssdir", f"sql:{nss}", tmp_path / "doc.pdf"], capture_output=True, text=True
        )
        return result.stdout

    return check


def test_pdfsig_names_the_kepala_dinas_as_a_valid_trusted_signature(signed_spm, pdfsig):
    out = pdfsig(signed_spm["pdf"])

    assert f"Signer Certificate Common Name: {KADIS}" in out
    assert "serialNumber=196406171996032002" in out and "ETSI.CAdES.detached" in out
    assert "Signature Validation: Signature is Valid." in out
    assert "Certificate Validation: Certificate is Trusted." in out
    assert "Total document signed" in out and "Not total document signed" not in out


def test_pdfsig_finds_a_one_byte_change(signed_spm, pdfsig):
    out = pdfsig(tamper_one_byte(signed_spm["pdf"]))

    assert "Signature Validation: Digest Mismatch." in out
    assert "Signature is Valid" not in out


def test_pdfsig_finds_an_appended_incremental_update(signed_spm, pdfsig):
    out = pdfsig(append_incremental_update(signed_spm["pdf"]))

    assert "Not total document signed" in out  # the signature no longer covers the file


# --- revocation, rotation ------------------------------------------------------------------------


@pytest.fixture
def revoked_kadis(signed, agency_keys):
    """The Kepala Dinas's key reported compromised after signing; a new certificate afterwards for the session."""
    document, pdf = signed
    serial = pki.active_for(agency_keys, nip=KADIS_NIP).serial
    pki.revoke(agency_keys, serial, "kunci bocor")
    yield document, pdf
    official = pki.current_holders(agency_keys)[0]
    pki.issue_for_official(agency_keys, official)


def test_a_revoked_certificate_is_invalid_for_pyhanko_pdfsig_and_the_page(revoked_kadis, agency_keys, pdfsig, client):
    document, pdf = revoked_kadis

    report = pades.validate(pdf, agency_keys)
    out = pdfsig(pdf)
    page = client.post(f"/verifikasi/{document.token}/", {"pdf": SimpleUploadedFile("a.pdf", pdf)}).content.decode()

    assert report.revoked and not report.valid
    assert "Certificate has been Revoked." in out
    assert "SAMA PERSIS" in page  # the bytes are the original's …
    assert "TIDAK SAH" in page and "sudah dicabut" in page  # … but the signature no longer stands


def test_a_rotated_key_leaves_earlier_letters_valid(signed, agency_keys, client):
    document, pdf = signed
    official = pki.current_holders(agency_keys)[0]
    old = pki.active_for(agency_keys, nip=KADIS_NIP).serial

    new = pki.rotate(agency_keys, official)
    page = client.post(f"/verifikasi/{document.token}/", {"pdf": SimpleUploadedFile("a.pdf", pdf)}).content.decode()

    assert new.serial != old and pki.active_for(agency_keys, nip=KADIS_NIP).serial == new.serial
    assert "Tanda tangan elektronik di dalam berkas: <strong>SAH</strong>" in page
    assert "superseded" in page and "tetap sah" in page


# --- the verification page ------------------------------------------------------------------------


def test_the_page_checks_the_signature_and_says_tidak_tersertifikasi(signed, client):
    document, pdf = signed
    url = f"/verifikasi/{document.token}/"

    info = client.get(url).content.decode()
    same = client.post(url, {"pdf": SimpleUploadedFile("a.pdf", pdf)}).content.decode()
    tampered = client.post(url, {"pdf": SimpleUploadedFile("a.pdf", tamper_one_byte(pdf))}).content.decode()
    updated = client.post(url, {"pdf": SimpleUploadedFile("a.pdf", append_incremental_update(pdf))}).content.decode()
    ca = client.get("/verifikasi/ca/lumajang.pem")
    crl = client.get("/verifikasi/crl/lumajang.crl")

    assert "<strong>tidak tersertifikasi</strong>" in info and "tersertifikasi BSrE" not in info
    assert "/verifikasi/ca/lumajang.pem" in info
    assert "SAMA PERSIS" in same and "<strong>SAH</strong>" in same and KADIS in same
    assert "TIDAK SAMA" in tampered and "TIDAK SAH" in tampered and "tanda tangan tidak cocok" in tampered
    assert "TIDAK SAMA" in updated and "TIDAK SAH" in updated and "pembaruan bertahap" in updated
    assert ca.status_code == 200 and ca.content.startswith(b"-----BEGIN CERTIFICATE-----")
    from cryptography import x509  # noqa: PLC0415

    assert x509.load_der_x509_crl(crl.content).issuer == x509.load_pem_x509_certificate(ca.content).subject
    p12_path, _ = pki.signing_files(document.case.agency, pki.active_for(document.case.agency, nip=KADIS_NIP))
    signer_cert = x509.load_pem_x509_certificate(p12_path.with_suffix(".pem").read_bytes())
    points = signer_cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert points[0].full_name[0].value.endswith("/verifikasi/crl/lumajang.crl")


# --- refusals: nothing numbered or half-issued ----------------------------------------------------


def test_an_official_without_a_certificate_cannot_sign_and_nothing_is_issued(catalog, demo_users, walk, settings):
    settings.DOCUMENT_SIGNER = "local"
    settings.SIGNING_KEYS_DIR = settings.SIGNING_KEYS_DIR / "kosong"  # no CA, no certificate
    case = walk_to_kadis(spm_case(demo_users), walk)

    with pytest.raises(pades.SigningError, match="belum memiliki sertifikat"):
        walk(case)

    case = Case.objects.get(pk=case.pk)
    assert case.state == Case.AT_KADIS
    assert IssuedDocument.objects.get(case=case).status == IssuedDocument.DRAFT
    assert not DocumentCounter.objects.filter(last__gt=0).exists()


@pytest.mark.parametrize("passphrase, message", [("salah", "kata sandi"), ("", "SIGNING_KEY_PASSPHRASE belum diisi")])
def test_a_wrong_or_missing_key_passphrase_is_told(signed_spm, agency_keys, settings, passphrase, message):
    settings.SIGNING_KEY_PASSPHRASE = passphrase
    signer = {"name": KADIS, "nip": KADIS_NIP}
    with pytest.raises(pades.SigningError, match=message):
        pades.sign_local(signed_spm["pdf"], agency=agency_keys, signer=signer, box=None, reason="")


@pytest.mark.parametrize(
    "reason, stands",
    [("superseded", True), ("berhenti menjabat", True), ("kunci bocor", False), ("", False)],
)
def test_which_revocations_leave_earlier_signatures_standing(reason, stands):
    issued_at = datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC)
    revoked = "2026-12-02T00:00:00+00:00"
    row = pki.Issued("ab", pki.PERSON, KADIS, KADIS_NIP, "", "", "", revoked_at=revoked, reason=reason)

    assert pki.revoked_after(row, issued_at) is stands
    assert pki.revoked_after(row, issued_at + datetime.timedelta(days=2)) is False  # signed after the revocation


# --- the command ----------------------------------------------------------------------------------


def test_the_command_makes_issues_rotates_revokes_and_lists(db, settings, tmp_path):
    settings.SIGNING_KEYS_DIR = tmp_path / "keys"
    out = io.StringIO()

    call_command("signing_keys", "setup", "solok", stdout=out)
    call_command("signing_keys", "rotate", "solok", "--nip", "197011152005022002", stdout=out)
    call_command("signing_keys", "revoke", "solok", "--nip", "197011152005022002", "--reason", "berhenti", stdout=out)
    call_command("signing_keys", "list", "solok", stdout=out)

    agency = Agency.objects.get(slug="solok")
    rows = [row for row in pki.issued(agency) if row.kind == "seal" or row.nip == "197011152005022002"]
    assert [row.kind for row in rows] == ["person", "seal", "person"]
    assert [row.reason for row in rows] == ["superseded", "", "berhenti"]
    assert (tmp_path / "keys" / "solok" / "ca.p12").stat().st_mode & 0o077 == 0  # private keys: owner only
    assert b"PRIVATE KEY" not in (tmp_path / "keys" / "solok" / "ca.p12").read_bytes()
    with_nip = Official.objects.filter(position__agency=agency).exclude(nip="").count()
    assert with_nip >= 6  # Kadis, Sekretaris, and the Kasi and Kabid of two bidang
    assert f"{with_nip + 1} sertifikat baru" in out.getvalue()  # one per official with a NIP, and the seal
    assert "1 sertifikat dicabut" in out.getvalue()
    assert letters.signer_kind(agency) == "none"  # tests/settings.py: the suite signs nothing by default


def test_the_rejection_notice_carries_the_agency_e_seal(local_signer, registered, petugas, client):
    workflow.reject(case=registered, user=petugas, step_id=registered.current_step_id, reason="Bukan warga")
    client.force_login(petugas)

    pdf = client.get(f"/permohonan/{registered.pk}/surat-penolakan.pdf").content
    report = pades.validate(pdf, local_signer)

    assert report.valid, report.problems
    assert report.signer_name == "Segel Elektronik Dinas Sosial Kabupaten Lumajang"


# --- PAdES B-T: a timestamp authority ---------------------------------------------------------------


@pytest.fixture(scope="session")
def tsa_keys(agency_keys):
    from tests.tsa_server import tsa_certificate  # noqa: PLC0415

    return tsa_certificate((pki.agency_dir(agency_keys) / "ca.p12").read_bytes(), pki.passphrase())


@pytest.fixture
def tsa(tsa_keys, settings):
    from tests.tsa_server import TsaStub  # noqa: PLC0415

    server = TsaStub(*tsa_keys)
    settings.SIGNING_TSA_URL = server.url
    yield server
    server.close()


def test_with_a_timestamp_authority_the_signature_is_b_t(db, tsa, agency_keys):

    signer = {"name": KADIS, "nip": KADIS_NIP, "title": "Kepala Dinas Sosial"}
    pdf = pades.sign_local(BLANK_PDF, agency=agency_keys, signer=signer, box=None, reason="uji")
    report = pades.validate(pdf, agency_keys)

    assert tsa.requests >= 1  # pyHanko may ask once more to size the signature
    assert report.valid and report.timestamped, report.problems
    assert report.signing_time is not None


def test_an_unreachable_timestamp_authority_refuses_the_signature(db, agency_keys, settings, unused_port):

    settings.SIGNING_TSA_URL = f"http://127.0.0.1:{unused_port}/tsa"
    settings.SIGNER_TIMEOUT = 2
    signer = {"name": KADIS, "nip": KADIS_NIP}
    with pytest.raises(pades.SigningError, match="TSA"):
        pades.sign_local(BLANK_PDF, agency=agency_keys, signer=signer, box=None, reason="uji")


@pytest.fixture
def unused_port():
    import socket  # noqa: PLC0415

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_damaged_signed_pdfs_are_reported_not_a_server_error(signed, client):
    document, pdf = signed
    at = pdf.index(b"/Contents <") + len(b"/Contents <")
    damaged = [
        pdf[: len(pdf) // 2],  # cut off
        pdf[:at] + b"zz" + pdf[at + 2 :],  # the signature's hex is no longer hex
        pdf[:at] + b"00" * 40 + pdf[at + 80 :],  # the CMS structure zeroed
        pdf.replace(b"/ByteRange [", b"/ByteRange [9999999 ", 1),
        # inside the CMS: lengths that no longer fit (asn1crypto raises while pyHanko validates)
        *(pdf[: at + offset] + b"ff" * 30 + pdf[at + offset + 60 :] for offset in (100, 200, 300)),
    ]
    pages = [
        client.post(f"/verifikasi/{document.token}/", {"pdf": SimpleUploadedFile("a.pdf", data)}) for data in damaged
    ]

    assert [page.status_code for page in pages] == [200] * 7
    assert all("TIDAK SAMA" in page.content.decode() for page in pages)
    assert all("<strong>SAH</strong>" not in page.content.decode() for page in pages)


def test_a_pdf_is_checked_without_its_qr_address(signed, client):
    document, pdf = signed

    same = client.post("/verifikasi/", {"pdf": SimpleUploadedFile("a.pdf", pdf)}).content.decode()
    changed = client.post("/verifikasi/", {"pdf": SimpleUploadedFile("a.pdf", tamper_one_byte(pdf))}).content.decode()

    assert "SAMA PERSIS" in same and document.number in same and "<strong>SAH</strong>" in same
    assert "Tidak ada dokumen" in changed and "TIDAK SAH" in changed and "tidak tersertifikasi (CA instansi)" in changed


@pytest.mark.parametrize("desk", ["sekdin", "kabid"])
def test_the_demo_sekretaris_and_kabid_have_certificates_to_sign(desk, agency_keys, demo_users):
    """make run's demo: a letter a.n. Kepala Dinas and a berita acara by the Kabid sign with local keys."""
    user = demo_users[f"lumajang-{desk}"]
    signer = letters.signer_block(agency_keys, user, datetime.date.today(), on_behalf=desk == "sekdin")
    signed = pades.sign_local(BLANK_PDF, agency=agency_keys, signer=signer, box=None, reason="uji")
    assert signer["name"].startswith("DEMO ") and signer["nip"]
    assert len(PdfReader(io.BytesIO(signed)).get_fields() or {}) == 1


def test_a_berita_acara_by_a_desk_without_a_certificate_carries_the_e_seal(catalog, demo_users, walk, local_signer):
    """The ODGJ pemulangan BA is signed at the front desk, whose petugas holds no certificate."""
    from tests.cases.test_naskah import (  # noqa: PLC0415
        PIHAK_KEDUA,
        open_case_without_its_letter,
        walk_to_step,
        without_papers,
    )

    case = walk_to_step(open_case_without_its_letter(demo_users, "lumajang-odgj", without_papers()), walk, 11)
    template = LetterTemplate.objects.get(agency__slug="lumajang", kind=LetterTemplate.BA_PEMULANGAN)
    document = letters.issue_berita_acara(
        case=case, user=demo_users["lumajang-petugas"], template=template, pihak_kedua=PIHAK_KEDUA, saksi=[]
    )
    report = pades.validate(document.pdf.read(), local_signer)
    assert report.valid, report.problems
    assert report.signer_name == "Segel Elektronik Dinas Sosial Kabupaten Lumajang"
