"""Hostile uploads: decompression bombs, active PDFs, fake PDFs, oversized public uploads."""

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from agencies.admin import AgencyForm
from agencies.models import Agency
from cases import services
from cases.models import CaseDocument
from cases.uploads import UploadRefused, check_scan
from tests.cases.test_letters import issued  # noqa: F401 — fixtures
from tests.files import BLANK_PDF


def png_declaring(width, height):
    """A tiny PNG whose header declares width × height pixels (a decompression bomb's header)."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0")) + chunk(b"IEND", b"")


def pdf_with(key, value):
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer._root_object[NameObject(key)] = value
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def javascript_action():
    return DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1)")}
    )


def launch_action():
    return DictionaryObject({NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("calc.exe")})


def test_a_99_byte_png_declaring_20000_by_20000_pixels_is_refused_with_a_message():
    bomb = png_declaring(20000, 20000)
    assert len(bomb) < 120

    with pytest.raises(UploadRefused, match="terlalu besar.*juta piksel"):
        check_scan(SimpleUploadedFile("ktp.png", bomb))


def test_a_png_just_over_the_pixel_limit_is_refused_before_decoding():
    with pytest.raises(UploadRefused, match="juta piksel"):
        check_scan(SimpleUploadedFile("ktp.png", png_declaring(8000, 7000)))


def test_the_bomb_on_the_case_page_is_a_message_not_a_500(petugas_client, draft, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    document = draft.documents.first()

    response = petugas_client.post(
        f"/permohonan/{draft.pk}/berkas/{document.pk}/",
        {"scan": SimpleUploadedFile("ktp.png", png_declaring(20000, 20000))},
        follow=True,
    )

    assert response.status_code == 200
    assert "juta piksel" in response.content.decode()
    assert not CaseDocument.objects.get(pk=document.pk).file


@pytest.mark.parametrize(
    "key, value",
    [
        ("/OpenAction", "javascript"),
        ("/OpenAction", "launch"),
        ("/AA", "javascript"),
        ("/Names", "javascript-tree"),
        ("/Names", "embedded-files"),
        ("/OpenAction", "go-to-embedded"),
        ("/AcroForm", "xfa"),
        ("/Extra", "file-attachment"),
        ("/Extra", "embedded-file-stream"),
    ],
)
def test_an_active_pdf_is_refused(key, value):
    actions = {
        "go-to-embedded": lambda: DictionaryObject({NameObject("/S"): NameObject("/GoToE")}),
        "xfa": lambda: DictionaryObject({NameObject("/XFA"): TextStringObject("<xdp/>")}),
        # An annotation carrying a file: its file specification holds the file under /EF.
        "file-attachment": lambda: DictionaryObject(
            {
                NameObject("/Subtype"): NameObject("/FileAttachment"),
                NameObject("/FS"): DictionaryObject({NameObject("/EF"): DictionaryObject()}),
            }
        ),
        "embedded-file-stream": lambda: DictionaryObject({NameObject("/Type"): NameObject("/EmbeddedFile")}),
        "javascript": javascript_action,
        "launch": launch_action,
        "javascript-tree": lambda: DictionaryObject({NameObject("/JavaScript"): DictionaryObject()}),
        "embedded-files": lambda: DictionaryObject({NameObject("/EmbeddedFiles"): DictionaryObject()}),
    }
    content = pdf_with(key, actions[value]())

    with pytest.raises(UploadRefused, match="JavaScript, tindakan otomatis atau berkas sisipan"):
        check_scan(SimpleUploadedFile("kk.pdf", content))


def test_a_javascript_action_hidden_in_a_compressed_object_stream_is_refused():
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(javascript_action())
    writer.compress_identical_objects()
    out = io.BytesIO()
    writer.write(out)

    with pytest.raises(UploadRefused, match="JavaScript"):
        check_scan(SimpleUploadedFile("kk.pdf", out.getvalue()))


def test_an_html_file_starting_with_pdf_is_refused():
    fake = b"%PDF-1.4\n<html><body><script>alert(document.cookie)</script></body></html>\n"

    with pytest.raises(UploadRefused, match="bukan PDF yang utuh"):
        check_scan(SimpleUploadedFile("kk.pdf", fake))


def test_a_plain_pdf_is_accepted():
    assert check_scan(SimpleUploadedFile("kk.pdf", BLANK_PDF)) == "application/pdf"


def test_a_refused_pdf_is_not_stored_through_the_service(draft, petugas, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    document = draft.documents.first()

    with pytest.raises(UploadRefused):
        services.receive_document(
            document=document,
            user=petugas,
            upload=SimpleUploadedFile("kk.pdf", pdf_with("/OpenAction", launch_action())),
        )

    assert not CaseDocument.objects.get(pk=document.pk).file


def test_the_public_verification_page_refuses_a_request_larger_than_the_limit(client, settings):
    settings.REQUEST_MAX_MB = 1

    response = client.post(
        "/verifikasi/tidak-ada/",
        {"pdf": SimpleUploadedFile("besar.pdf", b"%PDF-1.4\n" + b"0" * (2 * 1024 * 1024))},
    )

    assert response.status_code == 413
    assert "terlalu besar" in response.content.decode()


def test_the_verification_page_refuses_a_file_that_is_not_a_pdf(client, issued):  # noqa: F811
    response = client.post(f"/verifikasi/{issued.token}/", {"pdf": SimpleUploadedFile("x.pdf", b"<html></html>")})

    assert response.status_code == 200
    assert "bukan PDF" in response.content.decode()


def test_the_verification_page_still_confirms_the_original(client, issued):  # noqa: F811
    original = issued.pdf.read()

    response = client.post(f"/verifikasi/{issued.token}/", {"pdf": SimpleUploadedFile("asli.pdf", original)})

    assert response.status_code == 200
    assert "SAMA PERSIS" in response.content.decode()


def test_an_agency_logo_over_the_pixel_limit_is_refused_in_the_admin(agencies):
    agency = Agency.objects.get(slug="lumajang")
    form = AgencyForm(
        data={"logo": ""}, files={"logo": SimpleUploadedFile("logo.png", png_declaring(8000, 7000))}, instance=agency
    )

    assert not form.is_valid()
    assert "juta piksel" in " ".join(form.errors["logo"])


def small_png():
    from PIL import Image  # noqa: PLC0415

    buffer = io.BytesIO()
    Image.new("RGB", (40, 40), (200, 0, 0)).save(buffer, format="PNG")
    return buffer.getvalue()


CLEAN_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><circle cx="20" cy="20" r="18" fill="#c00"/></svg>'
)


@pytest.mark.parametrize(
    "name, content, refused",
    [
        ("logo.png", None, ""),
        ("logo.svg", CLEAN_SVG, ""),
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "<script>"),
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "onload"),
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
                     b'<image xlink:href="http://evil.example/x.png"/></svg>', "luar"),
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><image href="file:///etc/passwd"/></svg>', "luar"),
        ("logo.svg", b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                     b'<svg xmlns="http://www.w3.org/2000/svg">&x;</svg>', "PNG atau SVG"),
        ("logo.jpg", b"\xff\xd8\xff\xe0not really", "PNG atau SVG"),
        ("logo.svg", b"<html><body>not an svg</body></html>", "PNG atau SVG"),
    ],
)  # fmt: skip
def test_an_agency_logo_is_a_checked_png_or_svg(agencies, name, content, refused):
    agency = Agency.objects.get(slug="lumajang")
    upload = SimpleUploadedFile(name, content if content is not None else small_png())
    form = AgencyForm(data={"logo": ""}, files={"logo": upload}, instance=agency)

    assert form.is_valid() is (not refused), form.errors
    if refused:
        assert refused in " ".join(form.errors["logo"])
