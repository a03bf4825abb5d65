"""The one age function every rule uses (pure: no ORM, no clock; `today` is passed in).

Citizens' ages count in the Hijri (Umm al-Qura) calendar, residents' in the Gregorian one
(settings AGE_CALENDAR_CITIZEN / AGE_CALENDAR_RESIDENT). An anniversary that falls on a day
the target month does not have (29 February, 30th of a 29-day Hijri month) falls on that
month's last day. Hijri arithmetic covers 1343-1500 AH (1924-2077); outside it the
Gregorian calendar is used.
"""

import calendar as _gregorian_calendar
from datetime import date

from hijridate import Gregorian, Hijri

HIJRI = "hijri"
GREGORIAN = "gregorian"


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def _gregorian_anniversary(birth: date, years: int, months: int) -> date:
    year, month = _add_months(birth.year + years, birth.month, months)
    last = _gregorian_calendar.monthrange(year, month)[1]
    return date(year, month, min(birth.day, last))


def _hijri_anniversary(birth: date, years: int, months: int) -> date:
    h = Gregorian(birth.year, birth.month, birth.day).to_hijri()
    year, month = _add_months(h.year + years, h.month, months)
    last = Hijri(year, month, 1).month_length()
    g = Hijri(year, month, min(h.day, last)).to_gregorian()
    return date(g.year, g.month, g.day)


def anniversary(birth: date, *, years: int, months: int = 0, calendar: str = GREGORIAN) -> date:
    """The Gregorian date on which someone born on `birth` is `years` years and `months` months old."""
    if calendar == HIJRI:
        try:
            return _hijri_anniversary(birth, years, months)
        except (OverflowError, ValueError):
            pass
    elif calendar != GREGORIAN:
        raise ValueError(f"unknown calendar {calendar!r}")
    return _gregorian_anniversary(birth, years, months)


def has_reached(birth: date, today: date, *, years: int, months: int = 0, calendar: str = GREGORIAN) -> bool:
    return today >= anniversary(birth, years=years, months=months, calendar=calendar)


def age_in_years(birth: date, today: date, *, calendar: str = GREGORIAN) -> int:
    """Whole years completed on `today` (0 before the first birthday)."""
    if today < birth:
        return 0
    years = (today - birth).days // 354 + 1  # a Hijri year is 354-355 days: a bound in both calendars
    while years > 0 and not has_reached(birth, today, years=years, calendar=calendar):
        years -= 1
    return years


def to_hijri(day: date) -> Hijri | None:
    try:
        return Gregorian(day.year, day.month, day.day).to_hijri()
    except (OverflowError, ValueError):
        return None
