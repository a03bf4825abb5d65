"""Shared fixtures: registry people, accounts in each state, the SMS outbox."""

import os
import re
from datetime import date

import pytest
import time_machine
from django.db import connection

from absher.sms.backends import locmem
from civil_affairs.identity import luhn_check_digit

from . import catalogues, clock


def pytest_addoption(parser):
    parser.addoption(
        "--clock", default=os.environ.get("ABSHER_TEST_CLOCK", ""),
        help="the instant every test starts at: an ISO date-time (UTC unless it has an offset), 'random' or "
             "'random:SEED'; default: noon in Riyadh today",
    )


def pytest_configure(config):
    # In CI the suite must run against PostgreSQL; a silent fall-back to SQLite would hide a gap.
    if os.environ.get("CI") and not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise pytest.UsageError("CI runs the suite on PostgreSQL: set DATABASE_URL=postgres://...")
    catalogues.compile_stale_and_reload()
    value = config.getoption("--clock")
    if value:
        instant, replay = clock.parse(value)
    else:
        instant = clock.default_instant()
        replay = instant.isoformat()
    config.absher_clock = instant
    config.absher_clock_replay = replay
    # Collection, session fixtures (the test database and its seeds) and every test see this clock.
    config.absher_traveller = time_machine.travel(instant, tick=True)
    config.absher_traveller.start()


def pytest_unconfigure(config):
    traveller = getattr(config, "absher_traveller", None)
    if traveller is not None:
        traveller.stop()


def pytest_report_header(config):
    return f"clock: every test starts at {clock.describe(config.absher_clock)}; replay with --clock={config.absher_clock_replay}"


@pytest.fixture(autouse=True)
def _frozen_clock(request):
    """Each test starts at the run's instant, whatever ran before it (see tests/clock.py)."""
    with time_machine.travel(request.config.absher_clock, tick=True):
        yield


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the portal's default language (Arabic): a test that checks a text
    activates its language itself, so that the order of tests never decides the language."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def today(request):
    """The date in Riyadh at the run's instant (tests/clock.py): expectations that depend on the date
    read it here. Taken from the instant itself, not from the clock, so it holds whatever a test
    does to time before asking."""
    return request.config.absher_clock.astimezone(clock.RIYADH).date()


def make_id(prefix: str, serial: int) -> str:
    """A valid ID (prefix '1') or iqama (prefix '2') number with its Luhn check digit."""
    first_nine = f"{prefix}{serial:08d}"
    return first_nine + luhn_check_digit(first_nine)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (locmem in tests): nothing one test cached (an ended
    device's id, a throttle) meets another, whose rows may reuse the ids on SQLite."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def sms_outbox():
    locmem.outbox.clear()
    locmem.fail_next.clear()
    yield locmem.outbox
    locmem.outbox.clear()
    locmem.fail_next.clear()


def code_in(message) -> str:
    match = re.search(r"\b(\d{6})\b", message.body)
    assert match, message.body
    return match.group(1)


@pytest.fixture
def last_code(sms_outbox):
    def read():
        assert sms_outbox, "no SMS was sent"
        return code_in(sms_outbox[-1])

    return read


@pytest.fixture
def person_factory(db):
    from civil_affairs.models import Person

    counter = {"n": 100}

    def create(prefix="1", **fields):
        counter["n"] += 1
        values = {
            "national_id": make_id(prefix, counter["n"]),
            "name_ar": "محمد أحمد",
            "name_en": "Mohammed Ahmed",
            "sex": "M",
            "birth_date": date(1990, 1, 1),
            "nationality": "SA" if prefix == "1" else "EG",
            "national_id_issued": prefix == "1",
            "iqama_expiry": None if prefix == "1" else date(2099, 1, 1),
        }
        values.update(fields)
        return Person.objects.create(**values)

    return create


@pytest.fixture
def user_factory(db, person_factory):
    from accounts.models import User

    counter = {"n": 0}

    def create(state="registered", password="GoodPass2026", **fields):
        counter["n"] += 1
        person = fields.pop("person", None) or person_factory()
        values = {
            "username": f"Citizen{counter['n']:03d}x",
            "mobile": f"+9665{counter['n']:08d}",
            "email": f"user{counter['n']}@example.com",
            "person": person,
            "state": state,
        }
        values.update(fields)
        user = User(**values)
        user.set_password(password)
        user.save()
        return user

    return create


def require_postgres(why: str) -> None:
    """Skip on a newcomer's SQLite; in CI (always PostgreSQL) never skip."""
    if connection.vendor != "postgresql":
        if os.environ.get("CI"):
            pytest.fail(f"CI must run on PostgreSQL: {why}")
        pytest.skip(f"{why}: needs PostgreSQL (CI runs it there)")


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed(): ...` runs what the block registers with on_commit (the SMS) at its end,
    as a real commit would; inside a test's transaction nothing commits otherwise."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    """Each test has its own attachment store, so orphans of one test never meet another."""
    settings.PRIVATE_FILES_ROOT = tmp_path / "private"
    return settings.PRIVATE_FILES_ROOT
