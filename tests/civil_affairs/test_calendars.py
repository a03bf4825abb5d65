from datetime import date

from django.utils import translation

from civil_affairs.templatetags.calendars import dual_date, hijri_date


def test_dates_are_shown_in_both_calendars():
    with translation.override("en"):
        shown = dual_date(date(2026, 11, 24))
    assert "2026" in shown and "1448" in shown and "Jumada al-Akhirah" in shown


def test_hijri_month_names_follow_the_language():
    with translation.override("ar"):
        assert "جمادى الآخرة" in hijri_date(date(2026, 11, 24))


def test_empty_and_out_of_range_dates():
    assert dual_date(None) == ""
    assert "1900" in dual_date(date(1900, 1, 1)) and "AH" not in dual_date(date(1900, 1, 1))
