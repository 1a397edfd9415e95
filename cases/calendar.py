"""Due times on an agency's calendar: office hours, working days, national holidays and cuti bersama."""

import datetime
import functools
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import holidays as holiday_calendars
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from agencies.models import Holiday

if TYPE_CHECKING:
    from agencies.models import Agency

Amount = Decimal | int | float

MINUTE_UNITS = {"minute": 1, "hour": 60}


@functools.lru_cache(maxsize=64)
def national_holidays(year: int) -> frozenset[datetime.date]:
    # The "government" category holds cuti bersama (collective leave) days.
    return frozenset(holiday_calendars.country_holidays("ID", years=year, categories=("government", "public")).keys())


class OfficeCalendar:
    def __init__(self, agency: "Agency", holidays: Iterable[datetime.date] | None = None) -> None:
        self.agency = agency
        self.zone = ZoneInfo(agency.time_zone)
        self.workdays = agency.workday_numbers
        self.opens = agency.office_opens
        self.closes = agency.office_closes
        # National days off set by the admin and the agency's own, in one query (unless given).
        if holidays is None:
            holidays = Holiday.objects.filter(Q(agency__isnull=True) | Q(agency=agency)).values_list("date", flat=True)
        self.extra = set(holidays)

    def is_workday(self, day: datetime.date) -> bool:
        return day.isoweekday() in self.workdays and day not in national_holidays(day.year) and day not in self.extra

    def next_workday(self, day: datetime.date) -> datetime.date:
        day += datetime.timedelta(days=1)
        while not self.is_workday(day):
            day += datetime.timedelta(days=1)
        return day

    def _at(self, day: datetime.date, time: datetime.time) -> datetime.datetime:
        return datetime.datetime.combine(day, time, tzinfo=self.zone)

    def office_start(self, moment: datetime.datetime) -> datetime.datetime:
        """The moment itself if it is within office hours, else the next opening."""
        local = moment.astimezone(self.zone)
        day = local.date()
        if self.is_workday(day) and local.time() < self.closes:
            return max(local, self._at(day, self.opens))
        return self._at(self.next_workday(day), self.opens)

    def add_office_minutes(self, moment: datetime.datetime, minutes: Amount) -> datetime.datetime:
        current = self.office_start(moment)
        remaining = datetime.timedelta(minutes=float(minutes))
        while True:
            closing = self._at(current.date(), self.closes)
            if current + remaining <= closing:
                return current + remaining
            remaining -= closing - current
            current = self._at(self.next_workday(current.date()), self.opens)

    def add_workdays(self, moment: datetime.datetime, count: Amount) -> datetime.datetime:
        current = self.office_start(moment)
        day = current.date()
        for _ in range(int(count)):
            day = self.next_workday(day)
        return self._at(day, current.timetz().replace(tzinfo=None))

    def due(self, start: datetime.datetime, amount: Amount | None, unit: str) -> datetime.datetime | None:
        """When a step started at `start` with a standard of `amount` `unit`s is due; None without one."""
        if amount is None or not unit:
            return None
        if unit == "hour" and amount >= 24:
            # "24 jam", "1 x 24 jam": a day and night, not three days of office hours.
            return start.astimezone(self.zone) + datetime.timedelta(hours=float(amount))
        if unit in MINUTE_UNITS:
            return self.add_office_minutes(start, amount * MINUTE_UNITS[unit])
        if unit == "workday":
            return self.add_workdays(start, amount)
        local = start.astimezone(self.zone)
        if unit == "day":
            return local + datetime.timedelta(days=float(amount))
        if unit == "week":
            return local + datetime.timedelta(weeks=float(amount))
        if unit == "month":
            return _add_months(local, int(amount))
        raise ValueError(unit)


def _add_months(moment: datetime.datetime, months: int) -> datetime.datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    for day in range(moment.day, 27, -1):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    return moment.replace(year=year, month=month, day=min(moment.day, 28))


# How far ahead `extra_days_off_soon` looks: a due time within it needs no list of the days off.
HORIZON_DAYS = 33


def _horizon() -> tuple[datetime.date, datetime.date]:
    # A day either side of today's UTC date covers every agency's local date (UTC-12 … UTC+14).
    today = timezone.now().date()
    return today - datetime.timedelta(days=1), today + datetime.timedelta(days=HORIZON_DAYS)


def extra_days_off_soon(agency: "Agency | OuterRef") -> Exists:
    """An annotation: whether the agency (or every agency) has a day off added from yesterday to
    HORIZON_DAYS ahead. When it has none, a due time within that span is computed without reading
    them (`due_on`): one query less for a step that starts now, and the same result."""
    first, last = _horizon()
    holidays = Holiday.objects.filter(Q(agency__isnull=True) | Q(agency=agency), date__gte=first, date__lte=last)
    return Exists(holidays)


def due_on(
    agency: "Agency", start: datetime.datetime, amount: Amount | None, unit: str, days_off_soon: bool | None = None
) -> datetime.datetime | None:
    """OfficeCalendar(agency).due(…), without the query for the days off when `days_off_soon`
    (from `extra_days_off_soon`, read just now) says there are none near and the due time falls
    within the span it looked at."""
    if days_off_soon is False:
        due = OfficeCalendar(agency, holidays=()).due(start, amount, unit)
        first, last = _horizon()
        if due is None or (first <= start.astimezone(ZoneInfo(agency.time_zone)).date() and due.date() <= last):
            return due
    return OfficeCalendar(agency).due(start, amount, unit)
