"""The formats of pages and notices, as pure functions (no database)."""

import datetime
import zoneinfo

from django.utils import translation
from django.utils.formats import date_format

from cases import formats

JAKARTA = zoneinfo.ZoneInfo("Asia/Jakarta")


def test_a_moment_is_written_as_django_writes_j_F_Y_H_i_in_indonesian(settings):
    settings.TIME_ZONE = "Asia/Jakarta"
    # Every month, one- and two-digit days, hours and minutes, and a moment given in UTC that is
    # already the next day (and year) in Jakarta.
    moments = [datetime.datetime(2026, n, 1 + 2 * n, n, 4 * n + 3, tzinfo=JAKARTA) for n in range(1, 13)]
    moments.append(datetime.datetime(2026, 12, 31, 17, 30, tzinfo=datetime.UTC))

    with translation.override("id"):
        expected = [date_format(moment.astimezone(JAKARTA), "j F Y H.i") for moment in moments]
    assert [formats.date_time(moment) for moment in moments] == expected
    assert formats.date_time(moments[-1]) == "1 Januari 2027 00.30"
    assert formats.date_time(moments[0]) == "3 Januari 2026 01.07"


def test_no_moment_is_written_as_nothing():
    assert formats.date_time(None) == ""
