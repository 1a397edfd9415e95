"""Numbers and times as Indonesian writes them: a comma before the decimals, a dot between thousands;
"3 Desember 2026 14.05"."""

from django.utils import timezone

MONTHS = [
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
]  # fmt: skip


def date_time(value) -> str:
    """A moment in the agency's local time as the office writes it: "3 Desember 2026 14.05"; "" for none.

    The one date-and-time format of pages and notices (inbox, action panel, timeline, notices,
    e-mail): Django's "j F Y H.i" in Indonesian, written directly (through Django's formats, with the
    language switched for each call, it was a fifth of the inbox's time).
    """
    if value is None:
        return ""
    local = timezone.localtime(value)
    return f"{local.day} {MONTHS[local.month - 1]} {local.year} {local.hour:02d}.{local.minute:02d}"


def number(value, decimals=0) -> str:
    """1234567.5 → "1.234.567,5" (with decimals=1)."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def file_size(size) -> str:
    """Bytes as "812 B", "12,4 KB", "30,0 MB"."""
    size = float(size or 0)
    if size < 1024:
        return f"{number(size)} B"
    for unit in ("KB", "MB", "GB"):
        size /= 1024
        if size < 1024 or unit == "GB":
            return f"{number(size, 1)} {unit}"
    raise AssertionError("unreachable")


def megabytes(size) -> str:
    return f"{number(size / 1048576, 1)} MB"
