import datetime
from zoneinfo import ZoneInfo

import pytest

from agencies.models import Agency, Holiday
from cases.calendar import OfficeCalendar

WIB = ZoneInfo("Asia/Jakarta")


def at(day, hour, minute=0):
    return datetime.datetime(2026, *day, hour, minute, tzinfo=WIB)


@pytest.fixture
def calendar():
    """A pure calendar: an unsaved agency with the default week and hours (Monday–Friday, 08.00–16.00),
    no admin holidays and so no database."""
    return OfficeCalendar(Agency(name="Dinas Uji", slug="uji"), holidays=())


@pytest.mark.parametrize(
    "start, amount, unit, due",
    [
        (at((11, 23), 9), 15, "minute", at((11, 23), 9, 15)),  # Monday morning
        (at((11, 23), 15, 50), 15, "minute", at((11, 24), 8, 5)),  # over the closing time
        (at((11, 27), 15, 30), 1, "hour", at((11, 30), 8, 30)),  # Friday afternoon → Monday
        (at((11, 28), 10), 30, "minute", at((11, 30), 8, 30)),  # started on a Saturday
        (at((11, 23), 7), 3, "hour", at((11, 23), 11)),  # before opening
        (at((11, 27), 10), 1, "workday", at((11, 30), 10)),  # Friday → Monday
        (at((8, 14), 10), 1, "workday", at((8, 18), 10)),  # over the weekend and 17 August
        (at((3, 17), 9), 1, "workday", at((3, 25), 9)),  # Nyepi, Idul Fitri and cuti bersama
        (at((11, 23), 10), 2, "day", at((11, 25), 10)),  # calendar days
        (at((11, 23), 10), 2, "week", at((12, 7), 10)),
        (at((1, 31), 10), 1, "month", at((2, 28), 10)),
        (at((11, 27), 15), 24, "hour", at((11, 28), 15)),  # "24 jam" is a day and night
        (at((11, 23), 10), None, None, None),
    ],
)
def test_due_times(calendar, start, amount, unit, due):
    assert calendar.due(start, amount, unit) == due


def test_an_admin_holiday_is_skipped(lumajang):
    Holiday.objects.create(agency=lumajang, date=datetime.date(2026, 11, 30), name="Hari jadi Lumajang")
    Holiday.objects.create(agency=None, date=datetime.date(2026, 12, 1), name="Libur nasional tambahan")

    due = OfficeCalendar(lumajang).due(at((11, 27), 10), 1, "workday")

    assert due == at((12, 2), 10)


def test_another_agencys_holiday_is_not_skipped(lumajang, agencies):
    Holiday.objects.create(agency=Agency.objects.get(slug="solok"), date=datetime.date(2026, 11, 30), name="x")

    assert OfficeCalendar(lumajang).due(at((11, 27), 10), 1, "workday") == at((11, 30), 10)


def test_office_hours_are_set_per_agency(lumajang):
    lumajang.office_opens = datetime.time(7, 30)
    lumajang.office_closes = datetime.time(15, 30)

    due = OfficeCalendar(lumajang).due(at((11, 23), 15), 1, "hour")

    assert due == at((11, 24), 8)
