"""Parse the waktu (time standard) text of an SOP step into (min, max, unit).

Rules (docs/sop-format.md):
- "10 menit" -> (10, 10, "minute"); "3jam" -> (3, 3, "hour");
- "1 hari kerja" -> workday; "1 hari" -> day; "2 minggu" -> week; "6 bulan" -> month;
  "1 tahun" -> 12 months;
- a range "1- 3 Hari", "1 s/d 3 hari" -> (1, 3, "day"); "1 x 24 jam" -> (24, 24, "hour");
- "±" / "kurang lebih" is an approximation: "± 3 bulan" -> (3, 3, "month");
- alternatives "15 menit / 1 hari": the longer alternative is the standard (1 day); alternatives
  in the unit of the longer one widen its range ("1 jam / 3 jam" is 1..3 hours);
- no number ("sesuai kebutuhan layanan", "") -> (None, None, None).
"""

import re
from typing import NamedTuple

UNITS = ("minute", "hour", "day", "workday", "week", "month")

# Minutes per unit, only to compare alternatives; a workday counts as a day here.
_SIZE = {"minute": 1, "hour": 60, "day": 1440, "workday": 1440, "week": 10080, "month": 43200}

_UNIT_WORDS = [
    (r"hari\s*kerja|hk", "workday"),
    (r"menit|mnt", "minute"),
    (r"jam", "hour"),
    (r"hari", "day"),
    (r"minggu|pekan", "week"),
    (r"bulan|bln", "month"),
    (r"tahun|thn", "year"),
]
_UNIT_RE = "|".join(f"(?:{w})" for w, _ in _UNIT_WORDS)
_PART_RE = re.compile(
    r"(?P<a>\d+(?:[.,]\d+)?)\s*(?:(?:-|–|—|s\.?/d\.?|sampai(?:\s+dengan)?|hingga)\s*(?P<b>\d+(?:[.,]\d+)?))?"
    r"\s*(?:x\s*(?P<times>\d+)\s*)?(?P<unit>" + _UNIT_RE + r")\b",
    re.IGNORECASE,
)


class TimeStandard(NamedTuple):
    min: int | None
    max: int | None
    unit: str | None


NONE = TimeStandard(None, None, None)


def _unit_of(word):
    word = word.lower()
    for pattern, unit in _UNIT_WORDS:
        if re.fullmatch(pattern, word):
            return unit
    raise ValueError(word)


def _number(text):
    value = float(text.replace(",", "."))
    return int(value) if value.is_integer() else value


def _parse_part(match):
    low = _number(match.group("a"))
    high = _number(match.group("b")) if match.group("b") else low
    unit = _unit_of(match.group("unit"))
    if match.group("times"):
        factor = int(match.group("times"))
        low, high = low * factor, high * factor
    if unit == "year":
        low, high, unit = low * 12, high * 12, "month"
    return TimeStandard(low, high, unit)


def parse_time(text):
    """Return the TimeStandard for a waktu text; never raises."""
    if not text:
        return NONE
    normalized = re.sub(r"\s+", " ", str(text)).strip()
    parts = [_parse_part(m) for m in _PART_RE.finditer(normalized)]
    if not parts:
        return NONE
    longest = max(parts, key=lambda p: p.max * _SIZE[p.unit])
    same_unit = [p for p in parts if p.unit == longest.unit]
    return TimeStandard(min(p.min for p in same_unit), longest.max, longest.unit)
