from datetime import date, timedelta

import pytest

from civil_affairs.ages import GREGORIAN, HIJRI, age_in_years, anniversary, has_reached, to_hijri


def test_gregorian_birthday_edge():
    birth = date(2008, 3, 15)
    assert age_in_years(birth, date(2026, 3, 14), calendar=GREGORIAN) == 17
    assert age_in_years(birth, date(2026, 3, 15), calendar=GREGORIAN) == 18


def test_gregorian_29_february_falls_on_28_february():
    birth = date(2008, 2, 29)
    assert anniversary(birth, years=18, calendar=GREGORIAN) == date(2026, 2, 28)
    assert not has_reached(birth, date(2026, 2, 27), years=18, calendar=GREGORIAN)
    assert has_reached(birth, date(2026, 2, 28), years=18, calendar=GREGORIAN)


def test_months_are_added_with_month_end_clamping():
    # 14 years 10 months after 31 December is 31 October; after 31 March it is 31 January.
    assert anniversary(date(2010, 12, 31), years=14, months=10, calendar=GREGORIAN) == date(2025, 10, 31)
    assert anniversary(date(2010, 4, 30), years=14, months=10, calendar=GREGORIAN) == date(2025, 2, 28)


def test_hijri_birthday_edge():
    # Born 1 Muharram 1430 AH (2008-12-29): 18 Hijri years on 1 Muharram 1448 AH.
    birth = date(2008, 12, 29)
    assert to_hijri(birth).datetuple() == (1430, 1, 1)
    eighteen = anniversary(birth, years=18, calendar=HIJRI)
    assert to_hijri(eighteen).datetuple() == (1448, 1, 1)
    assert age_in_years(birth, eighteen - timedelta(days=1), calendar=HIJRI) == 17
    assert age_in_years(birth, eighteen, calendar=HIJRI) == 18
    # A Hijri year is shorter: the Hijri 18th birthday comes before the Gregorian one.
    assert eighteen < anniversary(birth, years=18, calendar=GREGORIAN)


def test_hijri_30th_of_a_29_day_month_falls_on_the_29th():
    from hijridate import Hijri

    # Find a month with 30 days whose same month 18 years later has 29.
    for year in range(1420, 1440):
        for month in range(1, 13):
            if Hijri(year, month, 1).month_length() == 30 and Hijri(year + 18, month, 1).month_length() == 29:
                g = Hijri(year, month, 30).to_gregorian()
                result = anniversary(date(g.year, g.month, g.day), years=18, calendar=HIJRI)
                assert to_hijri(result).datetuple() == (year + 18, month, 29)
                return
    pytest.fail("no such month found")


def test_outside_hijri_range_falls_back_to_gregorian():
    assert anniversary(date(1920, 5, 1), years=18, calendar=HIJRI) == date(1938, 5, 1)


def test_age_before_birth_is_zero_and_long_lives_count():
    assert age_in_years(date(2020, 1, 1), date(2019, 1, 1), calendar=GREGORIAN) == 0
    assert age_in_years(date(1930, 6, 1), date(2026, 6, 1), calendar=GREGORIAN) == 96
    born, today = to_hijri(date(1930, 6, 1)), to_hijri(date(2026, 6, 1))
    expected = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    assert age_in_years(date(1930, 6, 1), date(2026, 6, 1), calendar=HIJRI) == expected == 98
