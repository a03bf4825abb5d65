"""The signed-in user's load (accounts.selectors.user_by_pk, through the backend's get_user): the
ORM's instance, from SQL compiled once per process and database, in one query."""

from datetime import timedelta

import pytest
from django.contrib.auth import HASH_SESSION_KEY, get_user
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import selectors
from accounts.backends import UsernameOrNationalIdBackend
from accounts.models import AccountState, User

pytestmark = pytest.mark.django_db


def _fields(user):
    return {field.attname: getattr(user, field.attname) for field in User._meta.concrete_fields}


def test_the_user_read_is_the_orms_instance_field_for_field(user_factory):
    made = user_factory(state=AccountState.ACTIVE, terms_accepted_at=timezone.now() - timedelta(days=3),
                        phone_confirmed_at=timezone.now(), last_login=timezone.now())
    orm = User.objects.get(pk=made.pk)
    read = selectors.user_by_pk(made.pk)
    assert type(read) is User
    assert _fields(read) == _fields(orm)
    # The database's converters were applied: the same Python types (SQLite returns text for datetimes).
    assert {name: type(value) for name, value in _fields(read).items()} == {
        name: type(value) for name, value in _fields(orm).items()
    }
    assert read.terms_accepted_at.tzinfo is not None and read.date_joined.tzinfo is not None
    assert read._state.db == orm._state.db and read._state.adding is False
    # A real instance: it saves, and its related person loads on demand.
    read.first_name = "Saved"
    read.save(update_fields=["first_name"])
    assert User.objects.get(pk=made.pk).first_name == "Saved"
    assert read.person.national_id == made.person.national_id


def test_the_key_as_the_session_keeps_it_a_string_reads_the_same_user(user_factory):
    made = user_factory()
    assert selectors.user_by_pk(str(made.pk)).pk == made.pk


def test_a_missing_key_reads_nothing(user_factory):
    made = user_factory()
    assert selectors.user_by_pk(made.pk + 1000) is None
    assert UsernameOrNationalIdBackend().get_user(made.pk + 1000) is None


def test_the_backend_refuses_an_inactive_account_as_django_does(user_factory):
    backend = UsernameOrNationalIdBackend()
    active = user_factory(state=AccountState.ACTIVE)
    inactive = user_factory(state=AccountState.ACTIVE, is_active=False)
    assert backend.get_user(active.pk) == active
    assert backend.get_user(inactive.pk) is None


def test_one_query_and_the_sql_is_compiled_once(user_factory):
    first, second = user_factory(), user_factory()
    selectors.user_by_pk(first.pk)  # compiled here (or earlier in this process)
    compiled = dict(selectors._user_by_pk)
    with CaptureQueriesContext(connection) as queries:
        assert selectors.user_by_pk(second.pk).pk == second.pk
    assert len(queries) == 1
    assert selectors._user_by_pk == compiled  # nothing compiled again


def test_a_changed_password_still_signs_the_session_out(client, user_factory):
    user = user_factory(state=AccountState.ACTIVE)
    client.force_login(user)
    assert client.get(reverse("home")).wsgi_request.user == user
    user.set_password("AnotherPass2027")
    user.save()
    request = client.get(reverse("home")).wsgi_request
    assert not request.user.is_authenticated
    assert HASH_SESSION_KEY not in request.session


def test_djangos_get_user_goes_through_the_compiled_read(rf, user_factory, monkeypatch):
    from django.contrib.sessions.backends.db import SessionStore

    user = user_factory(state=AccountState.ACTIVE)
    request = rf.get("/")
    request.session = SessionStore()
    request.session["_auth_user_id"] = str(user.pk)
    request.session["_auth_user_backend"] = "accounts.backends.UsernameOrNationalIdBackend"
    request.session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    calls = []
    original = selectors.user_by_pk
    monkeypatch.setattr("accounts.backends.user_by_pk", lambda pk: calls.append(pk) or original(pk))
    assert get_user(request) == user
    assert calls == [user.pk]  # Django's get_user turned the session's string into the key


def test_another_settings_change_of_the_databases_compiles_again(settings, user_factory):
    user = user_factory()
    selectors.user_by_pk(user.pk)
    assert selectors._user_by_pk
    settings.USE_TZ = True  # any change of a setting the SQL or its converters depend on
    assert selectors._user_by_pk == {}
    assert selectors.user_by_pk(user.pk).pk == user.pk
