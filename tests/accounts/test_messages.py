"""Small texts of accounts: "until when" names the day when it is not today (in Riyadh); the send
caps are said from the settings; one message, not two, when the password is the username."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import translation

from accounts.exceptions import LoginBlocked, LookupsExhausted, OtpSendRefused
from accounts.forms import RegistrationForm

LATE = datetime(2026, 11, 24, 20, 50, tzinfo=UTC)  # 23:50 in Riyadh, 24 November
AFTER_MIDNIGHT_IN_RIYADH = datetime(2026, 12, 31, 21, 30, tzinfo=UTC)  # already 1 January 2027, 00:30


@pytest.mark.parametrize("language, day", [("en", "Nov. 25, 2026"), ("ar", "25 نوفمبر 2026")])
def test_a_time_tomorrow_names_the_day(language, day):
    with time_machine.travel(LATE, tick=False), translation.override(language):
        text = LoginBlocked(LATE + timedelta(minutes=15)).message()
        assert day in text and "00:05" in text
        text = OtpSendRefused("cooldown", LATE + timedelta(minutes=17)).message()
        assert day in text and "00:07" in text
        text = LookupsExhausted(LATE + timedelta(hours=1)).message()
        assert day in text and "00:50" in text


@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_time_today_is_only_the_time(language):
    with time_machine.travel(LATE - timedelta(hours=2), tick=False), translation.override(language):
        text = LoginBlocked(LATE).message()
    assert "23:50" in text and "2026" not in text


def test_today_is_the_day_in_riyadh():
    with time_machine.travel(AFTER_MIDNIGHT_IN_RIYADH, tick=False), translation.override("en"):
        assert "2027" not in LoginBlocked(AFTER_MIDNIGHT_IN_RIYADH + timedelta(minutes=15)).message()
        text = OtpSendRefused("mobile_day", AFTER_MIDNIGHT_IN_RIYADH + timedelta(days=1)).message()
    assert "Jan. 2, 2027" in text and "00:30" in text


def test_the_caps_are_said_from_the_settings(settings):
    settings.OTP_MAX_PER_MOBILE_15_MIN = 4
    settings.OTP_MAX_PER_MOBILE_DAY = 12
    with time_machine.travel(LATE, tick=False), translation.override("en"):
        assert OtpSendRefused("mobile_15_min", LATE + timedelta(minutes=5)).message().startswith("4 codes were sent")
        assert OtpSendRefused("mobile_day", LATE + timedelta(hours=1)).message().startswith("12 codes were sent")


@pytest.mark.django_db
def test_the_password_that_is_the_username_gets_one_message():
    """Before: our rule and Django's similarity rule both spoke (two messages for one mistake)."""
    data = {
        "national_id": "1000000016", "mobile": "512345678", "username": "Mohammed1990", "password1": "Mohammed1990",
        "password2": "Mohammed1990", "email": "m@example.com", "email2": "m@example.com", "language": "en",
        "captcha_0": "x", "captcha_1": "PASSED", "terms": "on",
    }
    form = RegistrationForm(data)
    assert not form.is_valid()
    assert [error.code for error in form.errors.as_data()["password1"]] == ["password_username"]
