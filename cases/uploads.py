"""Checks of uploaded files: the content decides the type, never the file name.

Every upload path calls these: case scans (check_scan), the public verification page
(check_pdf_upload) and the agency logo in the admin (check_logo: PNG or SVG).
"""

import re
import warnings
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as defused_fromstring
from django.conf import settings
from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from cases import formats

SIGNATURES = [
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
]
# A scan of an A4 page at 600 dpi is about 35 million pixels; larger is refused before decoding.
MAX_PIXELS = 50_000_000
# PDF names that run code or carry files: JavaScript, actions on opening, launching programs.
# /EF holds an embedded file (in a file specification, e.g. of a /FileAttachment annotation);
# /XFA a scripted form.
ACTIVE_KEYS = {"/JavaScript", "/JS", "/OpenAction", "/AA", "/Launch", "/EmbeddedFiles", "/EF", "/XFA", "/RichMedia"}
ACTIVE_ACTIONS = {
    "/JavaScript", "/Launch", "/ImportData", "/SubmitForm", "/RichMediaExecute", "/GoToE", "/GoToR", "/Rendition",
}  # fmt: skip
# Objects that are files inside the PDF, whatever key points at them.
ACTIVE_TYPES = {("/Type", "/EmbeddedFile"), ("/Subtype", "/FileAttachment")}


class UploadRefused(ValueError):
    """A file that may not be stored; the message says why, in Indonesian."""


def max_bytes():
    return settings.CASE_UPLOAD_MAX_MB * 1024 * 1024


def check_size(uploaded):
    if uploaded.size > max_bytes():
        raise UploadRefused(
            f"Berkas “{uploaded.name}” terlalu besar ({formats.megabytes(uploaded.size)}); "
            f"batasnya {settings.CASE_UPLOAD_MAX_MB} MB. Pindai ulang dengan resolusi lebih rendah."
        )
    if uploaded.size == 0:
        raise UploadRefused(f"Berkas “{uploaded.name}” kosong.")


def sniff(uploaded):
    uploaded.seek(0)
    head = uploaded.read(16)
    uploaded.seek(0)
    return next((kind for magic, kind in SIGNATURES if head.startswith(magic)), None)


def check_scan(uploaded):
    """Return the content type of an acceptable scan, or raise UploadRefused."""
    check_size(uploaded)
    content_type = sniff(uploaded)
    if content_type is None:
        raise UploadRefused(
            f"Berkas “{uploaded.name}” bukan PDF, JPEG atau PNG (diperiksa dari isinya, bukan dari namanya)."
        )
    if content_type == "application/pdf":
        check_pdf(uploaded)
    else:
        check_image(uploaded)
    return content_type


def check_image(uploaded):
    """Refuse a damaged image or one whose declared size is a decompression bomb, before decoding it."""
    uploaded.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(uploaded) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise UploadRefused(_too_many_pixels(uploaded, width, height))
                image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise UploadRefused(_too_many_pixels(uploaded)) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, UploadRefused):
            raise
        raise UploadRefused(f"Gambar “{uploaded.name}” rusak atau tidak lengkap.") from exc
    finally:
        uploaded.seek(0)


def _too_many_pixels(uploaded, width=None, height=None):
    size = f" ({width} × {height} piksel)" if width else ""
    return (
        f"Gambar “{uploaded.name}” terlalu besar{size}; batasnya {MAX_PIXELS // 1_000_000} juta piksel. "
        "Pindai ulang dengan resolusi lebih rendah (300 dpi cukup)."
    )


def check_pdf(uploaded):
    """Refuse a file that is not a whole PDF, or a PDF with JavaScript, actions or embedded files."""
    uploaded.seek(0)
    try:
        reader = PdfReader(uploaded, strict=False)
        if _has_active_content(reader):
            raise UploadRefused(
                f"PDF “{uploaded.name}” berisi JavaScript, tindakan otomatis atau berkas sisipan; "
                "cetak ulang sebagai PDF biasa atau pindai dari kertas."
            )
        if not reader.pages:
            raise UploadRefused(f"PDF “{uploaded.name}” tidak berisi halaman.")
    except UploadRefused:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError, RecursionError) as exc:
        raise UploadRefused(f"Berkas “{uploaded.name}” bukan PDF yang utuh (rusak atau hanya berawalan %PDF).") from exc
    finally:
        uploaded.seek(0)


def _has_active_content(reader):
    """Walk every object of the file (object streams included) looking for active keys or actions."""
    objects = [reader.trailer]
    for generation, numbers in reader.xref.items():
        objects.extend(IndirectObject(number, generation, reader) for number in numbers)
    objects.extend(IndirectObject(number, 0, reader) for number in reader.xref_objStm)
    seen = set()
    while objects:
        item = objects.pop()
        if isinstance(item, IndirectObject):
            key = (item.idnum, item.generation)
            if key in seen:
                continue
            seen.add(key)
            item = item.get_object()
        if isinstance(item, DictionaryObject):
            if (
                ACTIVE_KEYS & set(item.keys())
                or item.get("/S") in ACTIVE_ACTIONS
                or any(item.get(key) == value for key, value in ACTIVE_TYPES)
            ):
                return True
            objects.extend(item.values())
        elif isinstance(item, ArrayObject):
            objects.extend(item)
    return False


def check_pdf_upload(uploaded):
    """The public verification page: a PDF by its content, no larger than a scan; only its hash is used."""
    check_size(uploaded)
    if sniff(uploaded) != "application/pdf":
        raise UploadRefused(f"Berkas “{uploaded.name}” bukan PDF (diperiksa dari isinya, bukan dari namanya).")


SVG_NS = "{http://www.w3.org/2000/svg}"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"


def check_logo(uploaded):
    """A letterhead logo: a PNG that Pillow verifies, or an SVG with no script, no event handler and
    no reference outside itself (parsed with defusedxml: no entities, no external DTD). Returns the
    content type."""
    check_size(uploaded)
    if sniff(uploaded) == "image/png":
        check_image(uploaded)
        return "image/png"
    uploaded.seek(0)
    data = uploaded.read()
    uploaded.seek(0)
    try:
        root = defused_fromstring(data)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise UploadRefused(f"Logo “{uploaded.name}” harus PNG atau SVG (diperiksa dari isinya).") from exc
    if root.tag not in (f"{SVG_NS}svg", "svg"):
        raise UploadRefused(f"Logo “{uploaded.name}” harus PNG atau SVG (diperiksa dari isinya).")
    for element in root.iter():
        problem = _svg_problem(element)
        if problem:
            raise UploadRefused(f"Logo SVG “{uploaded.name}” {problem}: tidak diterima.")
    return "image/svg+xml"


def _svg_problem(element):
    """What makes one SVG element unfit for a letterhead (script, handler, outside reference), or ""."""
    tag = str(element.tag).rsplit("}", 1)[-1].lower()
    if tag in ("script", "foreignobject", "iframe", "embed", "object"):
        return f"memuat <{tag}>"
    outside = "merujuk berkas/alamat luar"
    for name, value in element.attrib.items():
        local = name.rsplit("}", 1)[-1].lower()
        if local.startswith("on"):
            return f"memuat atribut {local}"
        if (local == "href" or name == XLINK_HREF) and not value.strip().startswith("#"):
            return outside
        if "url(" in value and "url(#" not in value.replace(" ", ""):
            return outside
    if tag == "style" and re.search(r"@import|url\(\s*['\"]?(?!#)", element.text or ""):
        return outside
    return ""
