import json

import pytest
from django.conf import settings

from sop_catalog.timeparse import parse_time

# Every waktu text that occurs in the seeds (as written in the fixtures), and the examples of the issue.
TABLE = [
    ("", None, None, None),
    ("sesuai kebutuhan layanan", None, None, None),
    ("2 menit", 2, 2, "minute"),
    ("3 menit", 3, 3, "minute"),
    ("5 menit", 5, 5, "minute"),
    ("5 Menit", 5, 5, "minute"),
    ("10 menit", 10, 10, "minute"),
    ("15 menit", 15, 15, "minute"),
    ("15 Menit", 15, 15, "minute"),
    ("20 menit", 20, 20, "minute"),
    ("30 menit", 30, 30, "minute"),
    ("30 Menit", 30, 30, "minute"),
    ("45 menit", 45, 45, "minute"),
    ("60 menit", 60, 60, "minute"),
    ("1 jam", 1, 1, "hour"),
    ("1jam", 1, 1, "hour"),
    ("2 jam", 2, 2, "hour"),
    ("3jam", 3, 3, "hour"),
    ("24 jam", 24, 24, "hour"),
    ("1 hari", 1, 1, "day"),
    ("2 hari", 2, 2, "day"),
    ("3 hari", 3, 3, "day"),
    ("1- 3 Hari", 1, 3, "day"),
    ("1-3 hari", 1, 3, "day"),
    ("15 menit / 1 hari", 1, 1, "day"),
    ("15 menit /1 hari", 1, 1, "day"),
    ("1 hari kerja", 1, 1, "workday"),
    ("2 hari kerja", 2, 2, "workday"),
    ("2 minggu", 2, 2, "week"),
    ("6 bulan", 6, 6, "month"),
    ("± 3 bulan", 3, 3, "month"),
    # not in the seeds, but written the same way elsewhere
    ("1 x 24 jam", 24, 24, "hour"),
    ("1 s/d 3 hari kerja", 1, 3, "workday"),
    ("1 tahun", 12, 12, "month"),
    ("kurang lebih 2 pekan", 2, 2, "week"),
    ("1 jam / 3 jam", 1, 3, "hour"),
    ("24\njam", 24, 24, "hour"),
    ("segera", None, None, None),
]


@pytest.mark.parametrize("text, low, high, unit", TABLE)
def test_parse_time(text, low, high, unit):
    assert tuple(parse_time(text)) == (low, high, unit)


def test_the_table_holds_every_waktu_text_of_the_fixtures():
    known = {text for text, *_ in TABLE}
    texts = set()
    for path in (settings.BASE_DIR / "fixtures" / "sops").glob("*.json"):
        for sop in json.loads(path.read_text(encoding="utf-8")):
            texts |= {step["time"]["text"] for flow in sop["flows"] for step in flow["steps"]}

    assert len(texts) > 10, "no waktu texts read from fixtures/sops"
    assert texts - known == set()


@pytest.mark.parametrize("text", ["jam", "menit 5", "5", "½ hari", "∞", None])
def test_odd_text_without_a_number_before_its_unit_has_no_standard(text):
    assert tuple(parse_time(text)) == (None, None, None)


def test_zero_minutes_is_read_as_written():
    assert tuple(parse_time("0 menit")) == (0, 0, "minute")
