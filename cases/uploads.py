"""Checks of uploaded scans: the content decides the type, never the file name."""

from django.conf import settings
from PIL import Image, UnidentifiedImageError

SIGNATURES = [
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
]


class UploadRefused(ValueError):
    """A scan that may not be stored; the message says why, in Indonesian."""


def max_bytes():
    return settings.CASE_UPLOAD_MAX_MB * 1024 * 1024


def check_scan(uploaded):
    """Return the content type of an acceptable scan, or raise UploadRefused."""
    if uploaded.size > max_bytes():
        megabytes = uploaded.size / (1024 * 1024)
        raise UploadRefused(
            f"Berkas “{uploaded.name}” terlalu besar ({megabytes:.1f} MB); "
            f"batasnya {settings.CASE_UPLOAD_MAX_MB} MB. Pindai ulang dengan resolusi lebih rendah."
        )
    if uploaded.size == 0:
        raise UploadRefused(f"Berkas “{uploaded.name}” kosong.")
    uploaded.seek(0)
    head = uploaded.read(16)
    uploaded.seek(0)
    content_type = next((kind for magic, kind in SIGNATURES if head.startswith(magic)), None)
    if content_type is None:
        raise UploadRefused(
            f"Berkas “{uploaded.name}” bukan PDF, JPEG atau PNG (diperiksa dari isinya, bukan dari namanya)."
        )
    if content_type.startswith("image/"):
        try:
            with Image.open(uploaded) as image:
                image.verify()
        except (UnidentifiedImageError, OSError, SyntaxError) as exc:
            raise UploadRefused(f"Gambar “{uploaded.name}” rusak atau tidak lengkap.") from exc
        finally:
            uploaded.seek(0)
    return content_type
