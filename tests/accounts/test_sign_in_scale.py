"""Sign-in at thirty million: one indexed lookup, one hash with no lock held, sessions written at
most once a minute (issue 10; bench/signin_scale.py measures the same at a million accounts)."""

import importlib
import threading
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.hashers import MD5PasswordHasher
from django.contrib.messages.storage import default_storage
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from accounts import selectors, services
from accounts.exceptions import InvalidCredentials, LoginBlocked, PhoneNotConfirmed
from accounts.middleware import SESSION_SEEN, SESSION_STARTED, SessionTimeoutMiddleware, mark_session_start
from accounts.models import AccountState, LoginThrottle
from tests.conftest import require_postgres

IP = "192.0.2.10"
T0 = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)


@contextmanager
def hashes(*, before=None):
    """Counts the password checks (the test hasher's `verify`); each asserts that no transaction
    is open in this thread while it runs, and may first call `before`."""
    calls = []
    original = MD5PasswordHasher.verify

    def verify(self, password, encoded):
        calls.append(connection.in_atomic_block)
        if before:
            before()
        return original(self, password, encoded)

    MD5PasswordHasher.verify = verify
    try:
        yield calls
    finally:
        MD5PasswordHasher.verify = original


# --- the lookup ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_lookup_is_one_query_and_never_reads_the_fingerprint(user_factory):
    user = user_factory(username="Faisal2026x")
    for identifier in ("faisal2026X", user.national_id):
        with CaptureQueriesContext(connection) as queries:
            found = selectors.user_by_identifier(identifier)
        assert found == user and len(queries) == 1
        assert "fingerprint_reference" not in queries[0]["sql"]
        assert " OR " not in queries[0]["sql"]  # each lookup by one index
    with CaptureQueriesContext(connection) as queries:
        assert found.person.national_id == user.national_id  # read with it
    assert not queries


@pytest.mark.django_db
def test_a_ten_digit_username_that_is_no_id_number_still_signs_in(user_factory):
    # manage.py createsuperuser takes any username; the form's never starts with a digit.
    user = user_factory(username="3000000001")
    assert selectors.user_by_identifier("3000000001") == user
    assert selectors.user_by_identifier("3000000002") is None
    assert selectors.user_by_identifier(" ") is None


@pytest.mark.django_db
def test_the_lookup_passes_pending_registrations_by(user_factory):
    pending = user_factory(state=AccountState.PENDING_PHONE)
    assert selectors.user_by_identifier(pending.username) is None
    assert selectors.pending_registrations_named(pending.username.upper()) == [pending]
    assert selectors.pending_registrations_named(pending.national_id) == [pending]
    assert selectors.pending_registrations_named("1999999999") == []


@pytest.mark.django_db
def test_the_lookup_reads_the_indexes_on_postgres(user_factory):
    """With sequential scans made dear, the planner still finds a plan: each lookup has its index."""
    require_postgres("the plans of the lookups")
    user = user_factory(username="Faisal2026x")
    pending = user_factory(state=AccountState.PENDING_PHONE)
    plans = []

    def explain(execute, sql, params, many, context):
        if sql.startswith("SELECT"):
            with connection.connection.cursor() as cursor:
                cursor.execute("EXPLAIN " + sql, params)
                plans.append("\n".join(row[0] for row in cursor.fetchall()))
        return execute(sql, params, many, context)

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    with connection.execute_wrapper(explain):
        selectors.user_by_identifier(user.national_id)
        selectors.user_by_identifier("faisal2026X")
        selectors.pending_registrations_named(pending.username)
    assert len(plans) == 3
    assert "user_username_ci_unique_confirmed" in plans[1], plans[1]
    assert "user_username_ci_pending" in plans[2], plans[2]
    for plan in plans:
        assert "Seq Scan" not in plan, plan


# --- the password step --------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_each_sign_in_costs_one_hash_with_no_transaction_open(user_factory, person_factory):
    user = user_factory(username="Faisal2026x")
    pending = user_factory(state=AccountState.PENDING_PHONE, username="Waiting2026x", person=None,
                           pending_person=person_factory())
    services._equalise_timing("warm")  # the dummy hash is made once a process
    cases = [
        (user.username, "GoodPass2026", None),
        (user.national_id, "WrongPass2026", InvalidCredentials),
        ("Nobody2026x", "GoodPass2026", InvalidCredentials),
        ("1999999999", "GoodPass2026", InvalidCredentials),
        ("waiting2026X", "GoodPass2026", PhoneNotConfirmed),
        ("Waiting2026x", "WrongPass2026", InvalidCredentials),
    ]
    for identifier, password, outcome in cases:
        with hashes() as calls:
            if outcome is None:
                assert services.login_begin(identifier=identifier, password=password, client_address=IP)
            else:
                with pytest.raises(outcome):
                    services.login_begin(identifier=identifier, password=password, client_address=IP)
        assert calls == [False], (identifier, calls)
    assert pending.pk


@pytest.mark.django_db(transaction=True)
def test_a_sign_in_from_an_address_does_not_wait_for_another_ones_hash(user_factory):
    """Before: the address's throttle row was locked across the hash; thousands of citizens behind
    one carrier's address signed in one after the other."""
    require_postgres("two connections")
    first, second = user_factory(), user_factory()
    in_hash, release = threading.Event(), threading.Event()
    results = {}

    def hold():
        if threading.current_thread().name == "first":
            in_hash.set()
            assert release.wait(10)

    def sign_in(user, name):
        try:
            results[name] = services.login_begin(identifier=user.username, password="GoodPass2026", client_address=IP)
        finally:
            connection.close()

    with hashes(before=hold):
        thread = threading.Thread(target=sign_in, args=(first, "first"), name="first")
        thread.start()
        try:
            assert in_hash.wait(10)
            done = threading.Thread(target=sign_in, args=(second, "second"), name="second")
            done.start()
            done.join(10)
            assert not done.is_alive() and "second" in results and "first" not in results
        finally:
            release.set()
            thread.join(10)
    assert results["first"].user_id == first.pk


@pytest.mark.django_db(transaction=True)
def test_concurrent_tries_cannot_pass_the_accounts_limit(user_factory, settings):
    """The try is counted before the hash: twenty wrong passwords at once get ten hashes."""
    require_postgres("concurrent connections")
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 1000
    user = user_factory()
    barrier = threading.Barrier(20)
    outcomes = []

    def guess(n):
        try:
            barrier.wait(10)
            services.login_begin(identifier=user.username, password=f"guess{n}", client_address=f"192.0.2.{n}")
        except (InvalidCredentials, LoginBlocked) as exc:
            outcomes.append(type(exc).__name__)
        finally:
            connection.close()

    with time_machine.travel(T0, tick=False), hashes() as calls:
        threads = [threading.Thread(target=guess, args=(n,)) for n in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert len(calls) == 10 and not any(calls)
    assert outcomes.count("InvalidCredentials") == 9 and outcomes.count("LoginBlocked") == 11
    assert LoginThrottle.objects.get(key=f"user:{user.pk}").locked_until == T0 + timedelta(minutes=15)


@pytest.mark.django_db
def test_signing_in_never_uses_up_the_accounts_hourly_count(user_factory, settings, last_code):
    settings.LOGIN_MAX_PROCESSED_PER_HOUR = 3
    settings.OTP_RESEND_COOLDOWN = timedelta(0)
    settings.OTP_MAX_PER_MOBILE_15_MIN = 10
    user = user_factory()
    with time_machine.travel(T0, tick=False):
        for _ in range(5):
            services.login_begin(identifier=user.username, password="GoodPass2026", client_address=IP)
    row = LoginThrottle.objects.get(key=f"user:{user.pk}")
    assert (row.failures, row.processed_in_hour, row.locked_until) == (0, 0, None)


# --- sessions -------------------------------------------------------------------------------


def test_sessions_are_cached_and_kept_in_the_database():
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.cached_db"
    assert settings.SESSION_CACHE_ALIAS in settings.CACHES


def visit(session, at, user):
    request = RequestFactory().get("/")
    request.user, request.session = user, session
    request._messages = default_storage(request)
    session.modified = False
    with time_machine.travel(at, tick=False):
        SessionTimeoutMiddleware(lambda r: HttpResponse())(request)
    return request


def new_session():
    session = importlib.import_module(settings.SESSION_ENGINE).SessionStore()
    with time_machine.travel(T0, tick=False):
        mark_session_start(SimpleNamespace(session=session))
    return session


def signed_in():
    return SimpleNamespace(is_authenticated=True)


@pytest.mark.django_db
def test_the_last_request_is_noted_at_most_once_a_minute():
    session = new_session()
    assert not visit(session, T0 + timedelta(seconds=59), signed_in()).session.modified
    assert session[SESSION_SEEN] == int(T0.timestamp())
    assert visit(session, T0 + timedelta(seconds=60), signed_in()).session.modified
    assert session[SESSION_SEEN] == int(T0.timestamp()) + 60
    assert not visit(session, T0 + timedelta(seconds=119), signed_in()).session.modified
    assert visit(session, T0 + timedelta(seconds=120), signed_in()).session.modified
    assert session[SESSION_STARTED] == T0.timestamp()


@pytest.mark.django_db
def test_the_idle_timeout_holds_within_the_minute(user_factory):
    user = user_factory()
    # A request at 0:59 is not noted: the session ends 15 minutes after 0:00, 14:01 after that
    # request; never later than 15 minutes after the last one.
    kept, ended = new_session(), new_session()
    visit(kept, T0 + timedelta(seconds=59), user)
    assert visit(kept, T0 + timedelta(minutes=14, seconds=59), user).user == user
    visit(ended, T0 + timedelta(seconds=59), user)
    assert not visit(ended, T0 + timedelta(minutes=15), user).user.is_authenticated


@pytest.mark.django_db
def test_a_session_used_every_59_seconds_stays(user_factory):
    user = user_factory()
    session = new_session()
    for step in range(1, 40):  # 38 minutes, never idle for a minute
        request = visit(session, T0 + timedelta(seconds=59 * step), user)
        assert request.user == user, step
