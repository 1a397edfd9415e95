from django import template

from cases import formats
from cases.notifications import shorten

register = template.Library()


@register.filter
def ukuran_berkas(value):
    """A file size in bytes as Indonesian writes it: "30,0 MB"."""
    return formats.file_size(value)


@register.filter
def waktu(value):
    """A moment as pages and notices write it: "3 Desember 2026 14.05" (local time); "" for none."""
    return formats.date_time(value)


@register.filter
def angka(value, decimals=0):
    """1234,5 → "1.234,5"; "—" when there is no value."""
    if value is None or value == "":
        return "—"
    return formats.number(float(value), int(decimals))


@register.filter
def potong(value, limit=80):
    """Text shortened at a word, ended with "…" when it was longer (never cut mid-word)."""
    return shorten(str(value or ""), int(limit))
