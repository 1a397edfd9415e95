"""The BSrE signer: the client's requests and error handling against a local stand-in of the e-sign API v2."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from agencies.models import Agency
from cases import bsre, letters, pades, pki
from cases.models import AuditEntry, Case, DocumentCounter, IssuedDocument
from tests.bsre_server import BROKEN_NIK, NIK, PASSPHRASE, PASSWORD, SLOW_NIK, USERNAME, BsreStub
from tests.cases.test_letters import spm_case, walk_to_kadis
from tests.files import BLANK_PDF

SIGNER = {"name": "Dra. DEWI SUSIYANTI", "title": "Kepala Dinas Sosial", "nip": "19640617 199603 2 002"}


@pytest.fixture(scope="session")
def bsre_ca(tmp_path_factory):
    """A test "BSrE" CA and a certificate for the Kepala Dinas, as BSrE would hold them."""
    fake = Agency(slug="bsre-uji", name="Balai Besar Sertifikasi Elektronik (uji)")
    pki.create_ca(fake)
    row = pki._issue(fake, kind=pki.PERSON, name=SIGNER["name"], nip=SIGNER["nip"], title=SIGNER["title"])
    p12, ca = pki.signing_files(fake, row)
    return {"p12": p12.read_bytes(), "ca_pem": ca.read_bytes(), "ca_path": str(ca)}


@pytest.fixture
def stub(bsre_ca, settings):
    server = BsreStub(p12=bsre_ca["p12"], ca_pem=bsre_ca["ca_pem"], signer=SIGNER)
    settings.DOCUMENT_SIGNERS = {"lumajang": "bsre"}  # per agency: the others keep DOCUMENT_SIGNER
    settings.BSRE_URL, settings.BSRE_USERNAME, settings.BSRE_PASSWORD = server.url, USERNAME, PASSWORD
    settings.BSRE_ROOT_CERTS = bsre_ca["ca_path"]
    settings.SIGNER_TIMEOUT = 10
    yield server
    server.close()


def sign(**overrides):
    arguments = {"nik": NIK, "passphrase": PASSPHRASE, "box": pades.Box(300, 100, 526, 168), "page": 1}
    return bsre.sign(BLANK_PDF, **{**arguments, **overrides}, reason="uji", location="Lumajang")


def test_the_client_sends_the_documented_request_and_reads_the_signed_file(stub):
    signed = sign()

    request = stub.requests[-1]
    body = request["body"]
    assert request["path"] == "/api/v2/sign/pdf" and request["auth"].startswith("Basic ")
    assert (body["nik"], body["passphrase"]) == (NIK, PASSPHRASE)
    assert body["signatureProperties"] == [
        {"tampilan": "VISIBLE", "page": 1, "originX": 300, "originY": 100, "width": 226, "height": 68,
         "reason": "uji", "location": "Lumajang"}
    ]  # fmt: skip
    assert body["file"][0].startswith("JVBER")  # %PDF in base64
    assert signed.startswith(b"%PDF") and b"/ByteRange" in signed


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"passphrase": "salah"}, "BSrE menolak tanda tangan: Passphrase salah."),
        ({"nik": "3508010101010001"}, "NIK tidak terdaftar"),
        ({"nik": BROKEN_NIK}, "BSrE menolak tanda tangan: HTTP 500"),
        ({"nik": SLOW_NIK}, "tidak dapat dihubungi"),
        ({"passphrase": ""}, "Isi NIK dan passphrase"),
    ],
    ids=["passphrase", "nik", "server-error", "timeout", "empty"],
)
def test_error_answers_are_told_in_indonesian(stub, settings, overrides, message):
    settings.SIGNER_TIMEOUT = 0.3  # the slow answer comes after 1 s
    with pytest.raises(bsre.BsreError, match=message):
        sign(**overrides)


def test_wrong_application_credentials_and_an_unreachable_server(stub, settings, unused_port):
    settings.BSRE_PASSWORD = "salah"
    with pytest.raises(bsre.BsreError, match="tidak diizinkan"):
        sign()
    settings.BSRE_URL = f"http://127.0.0.1:{unused_port}"
    with pytest.raises(bsre.BsreError, match="tidak dapat dihubungi"):
        sign()


def test_verify_and_seal(stub, settings):
    settings.BSRE_SEAL_SUBSCRIBER = "LMJ-DINSOS"

    sealed = bsre.seal(BLANK_PDF, box=None, page=1, reason="segel", location="", totp="123456")
    assert stub.requests[-1]["body"]["idSubscriber"] == "LMJ-DINSOS"
    assert stub.requests[-1]["body"]["signatureProperties"][0]["tampilan"] == "INVISIBLE"
    assert bsre.verify(sealed)["conclusion"] == "VALID"
    assert bsre.verify(BLANK_PDF)["conclusion"] == "NO_SIGNATURE"
    with pytest.raises(bsre.BsreError, match="idSubscriber atau totp salah"):
        bsre.seal(BLANK_PDF, box=None, page=1, reason="", location="", totp="")


@pytest.fixture
def unused_port():
    import socket  # noqa: PLC0415

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def complete_at_kadis(client, demo_users, case, nik, passphrase):
    client.force_login(demo_users["lumajang-kadis"])
    data = {"step": case.current_step_id, "note": "", "bsre_nik": nik, "bsre_passphrase": passphrase}
    return client.post(f"/permohonan/{case.pk}/tindakan/selesai/", data, follow=True)


def test_the_kadis_signs_with_bsre_at_the_signing_step_and_the_passphrase_is_not_kept(
    stub, catalog, demo_users, walk, client
):
    case = walk_to_kadis(spm_case(demo_users), walk)
    client.force_login(demo_users["lumajang-kadis"])
    page = client.get(f"/permohonan/{case.pk}/").content.decode()

    response = complete_at_kadis(client, demo_users, case, NIK, PASSPHRASE)

    assert 'data-testid="bsre-fields"' in page and "Passphrase BSrE" in page
    document = IssuedDocument.objects.get(case=case)
    assert Case.objects.get(pk=case.pk).state == Case.APPROVED and document.status == IssuedDocument.ISSUED
    assert document.signer["signature"] == "bsre" and "Langkah selesai" in response.content.decode()
    pdf = document.pdf.read()
    stored = json.dumps(list(IssuedDocument.objects.values("signer", "context", "extra")), default=str)
    stored += json.dumps(list(AuditEntry.objects.values_list("note", flat=True)))
    assert PASSPHRASE not in stored and PASSPHRASE.encode() not in pdf
    verify = client.post(f"/verifikasi/{document.token}/", {"pdf": SimpleUploadedFile("a.pdf", pdf)}).content.decode()
    assert "<strong>tersertifikasi BSrE</strong>" in verify and "— tersertifikasi BSrE" in verify
    assert "<strong>SAH</strong>" in verify and "SAMA PERSIS" in verify
    assert "tanda tangan elektronik tersertifikasi BSrE" in letters_text(pdf)


def letters_text(pdf):
    from tests.cases.test_letters import text_of  # noqa: PLC0415

    return text_of(pdf)


@pytest.mark.parametrize("reachable", [True, False], ids=["refused", "unreachable"])
def test_a_refused_or_unreachable_bsre_numbers_nothing(stub, catalog, demo_users, walk, client, settings, reachable):
    if not reachable:
        settings.BSRE_URL = "http://127.0.0.1:9"  # discard port: nothing listens
    case = walk_to_kadis(spm_case(demo_users), walk)

    response = complete_at_kadis(client, demo_users, case, NIK, "salah")

    text = response.content.decode()
    assert ("Passphrase salah" in text) if reachable else ("tidak dapat dihubungi" in text)
    case = Case.objects.get(pk=case.pk)
    assert case.state == Case.AT_KADIS
    document = IssuedDocument.objects.get(case=case)
    assert (document.status, document.number, document.sha256) == (IssuedDocument.DRAFT, "", "")
    assert not DocumentCounter.objects.filter(agency__slug="lumajang", last__gt=0).exists()


def test_the_signer_is_chosen_per_agency(settings):
    settings.DOCUMENT_SIGNER = "local"
    settings.DOCUMENT_SIGNERS = {"lumajang": "bsre"}

    assert letters.signer_kind(Agency(slug="lumajang")) == "bsre"
    assert letters.signer_kind(Agency(slug="solok")) == "local"
    settings.DOCUMENT_SIGNERS = {"solok": "bsrE"}
    with pytest.raises(pades.SigningError, match="tidak dikenal"):
        letters.signer_kind(Agency(slug="solok"))


def test_the_bsre_fields_show_only_at_the_signing_step(stub, catalog, demo_users, registered, client):
    client.force_login(demo_users["lumajang-petugas"])

    page = client.get(f"/permohonan/{registered.pk}/").content.decode()

    assert 'data-testid="complete-form"' in page and 'data-testid="bsre-fields"' not in page
