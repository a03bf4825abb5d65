"""A date typed in either calendar: "2026-11-30" (Gregorian) or "1448-06-09" (Hijri, Umm al-Qura).

The year tells the calendar, so the reading is never ambiguous: the Umm al-Qura tables the portal
converts with (civil_affairs.ages) cover the Hijri years 1343-1500, and no Gregorian year a
citizen types for a travel record is below 1600. Pure: no ORM, no clock.
"""

import re
from datetime import date

from hijridate import Hijri

from civil_affairs import ages

HIJRI_YEARS = range(1343, 1501)
GREGORIAN_FROM_YEAR = 1600
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_SHAPE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")

INVALID = "invalid"
HIJRI_OUT_OF_RANGE = "hijri_out_of_range"


class DateNotUnderstood(ValueError):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def calendar_of(year: int) -> str | None:
    """HIJRI for a year of the Umm al-Qura tables, GREGORIAN from 1600, else None (neither)."""
    if year in HIJRI_YEARS:
        return ages.HIJRI
    if year >= GREGORIAN_FROM_YEAR:
        return ages.GREGORIAN
    return None


def parse_either(text: str) -> tuple[date, str]:
    """The Gregorian date `text` names and the calendar it was typed in. Arabic-Indic digits and
    "/" or "." separators are accepted; a day the month does not have is refused, not moved."""
    match = _SHAPE.match((text or "").strip().translate(_DIGITS))
    if not match:
        raise DateNotUnderstood(INVALID)
    year, month, day = (int(part) for part in match.groups())
    calendar = calendar_of(year)
    if calendar is None:
        raise DateNotUnderstood(HIJRI_OUT_OF_RANGE)
    try:
        if calendar == ages.HIJRI:
            g = Hijri(year, month, day).to_gregorian()
            found = date(g.year, g.month, g.day)
            # Round trip through the portal's own conversion: the same tables both ways.
            if ages.to_hijri(found) != Hijri(year, month, day):
                raise DateNotUnderstood(INVALID)
            return found, calendar
        return date(year, month, day), calendar
    except (ValueError, OverflowError) as exc:
        if isinstance(exc, DateNotUnderstood):
            raise
        raise DateNotUnderstood(INVALID) from exc
