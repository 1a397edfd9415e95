"""Numbers and times as Indonesian writes them: a comma before the decimals, a dot between thousands;
"3 Desember 2026 14.05"."""

from django.utils import timezone, translation
from django.utils.formats import date_format

# The one date-and-time format of pages and notices (inbox, action panel, timeline, notices, e-mail).
DATE_TIME = "j F Y H.i"


def date_time(value) -> str:
    """A moment in the agency's local time as the office writes it: "3 Desember 2026 14.05"; "" for none."""
    if value is None:
        return ""
    with translation.override("id"):
        return date_format(timezone.localtime(value), DATE_TIME)


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
