"""Reads of accounts. A registration still waiting for its SMS code (`pending_phone`) is not an
account: it holds no ID number, mobile or username, and these reads pass it by (QUALITY 26)."""

import re

from django.core.signals import setting_changed
from django.db import connections, router
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower

from .models import AccountState, User


def accounts() -> QuerySet:
    """Accounts past the SMS confirmation: the rows the partial unique indexes cover."""
    return User.objects.exclude(state=AccountState.PENDING_PHONE)


def pending_registrations() -> QuerySet:
    return User.objects.filter(state=AccountState.PENDING_PHONE)


def _username_is(username: str) -> Q:
    return Q(username_lower=username.lower())


# An ID or iqama number is ten digits (civil_affairs.models.Person's check); usernames start with a letter.
_NATIONAL_ID = re.compile(r"[0-9]{10}")


def _signing_in(users: QuerySet) -> QuerySet:
    """The account with its registry person, but never the person's encrypted fingerprint
    template: sign-in is the busiest read of the portal and needs none of it."""
    return users.select_related("person").defer("person__fingerprint_reference")


class _CompiledUserByPk:
    """`User.objects.filter(pk=...)` as SQL, compiled once: its text, the columns' attribute names
    and the database's converters for them (SQLite's datetimes, for instance)."""

    __slots__ = ("converters", "init_list", "sql")

    def __init__(self, alias: str):
        # A placeholder value: only the SQL's text and the columns are kept, never its params.
        compiler = User._default_manager.filter(pk=0).order_by().query.get_compiler(using=alias)
        self.sql, params = compiler.as_sql()
        if len(params) != 1:  # pragma: no cover - the query above has exactly one parameter
            raise AssertionError(f"expected one parameter in {self.sql!r}")
        klass_info = compiler.klass_info
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        columns = [column for column, _sql, _alias in compiler.select[: compiler.col_count]]
        if (start, end) != (0, len(columns)) or compiler.annotation_col_map:  # pragma: no cover
            raise AssertionError("the user's row is not the model's own columns only")
        self.init_list = [column.target.attname for column in columns]
        self.converters = [
            (position, convs, expression)
            for position, (convs, expression) in compiler.get_converters(columns).items()
        ]


#: One compiled lookup per database alias, per process (settings changes in tests empty it).
_user_by_pk: dict[str, _CompiledUserByPk] = {}


def _forget_compiled(**kwargs):
    if kwargs.get("setting") in ("DATABASES", "DATABASE_ROUTERS", "USE_TZ", "TIME_ZONE", "AUTH_USER_MODEL"):
        _user_by_pk.clear()


setting_changed.connect(_forget_compiled)


def user_by_pk(pk) -> User | None:
    """The account with this primary key, or None: what `User.objects.get(pk=pk)` reads, from the
    database the routers name for reading a User, in one query, without compiling the query again.

    Every signed-in request loads its user (django.contrib.auth's get_user, through
    accounts.backends): the ORM's compilation of that SELECT was a quarter of a signed-in
    request's time. Here the SQL is compiled once per process and database alias; each call
    only binds the key, executes, applies the database's converters and builds the instance
    with User.from_db, as the ORM's own iterator does.
    """
    alias = router.db_for_read(User)
    compiled = _user_by_pk.get(alias)
    if compiled is None:
        compiled = _user_by_pk[alias] = _CompiledUserByPk(alias)
    connection = connections[alias]
    field = User._meta.pk
    value = field.get_db_prep_value(field.get_prep_value(pk), connection, prepared=True)
    with connection.cursor() as cursor:
        cursor.execute(compiled.sql, (value,))
        row = cursor.fetchone()
    if row is None:
        return None
    if compiled.converters:
        row = list(row)
        for position, convs, expression in compiled.converters:
            cell = row[position]
            for convert in convs:
                cell = convert(cell, expression, connection)
            row[position] = cell
    return User.from_db(alias, compiled.init_list, row)


def user_by_identifier(identifier: str) -> User | None:
    """The account a username (any case) or an ID number names (never a pending registration).

    One indexed lookup each: an ID number by the person's unique national_id, a username by
    lower(username) under the same condition as the partial unique index
    user_username_ci_unique_confirmed (NOT state = 'pending_phone'), so PostgreSQL reads that
    index. An OR of the two, across the join, was a sequential scan of both tables at a million
    accounts. A ten-digit identifier that is no ID number is still tried as a username (an
    account made by manage.py may have one), as the OR did.
    """
    identifier = identifier.strip()
    if not identifier:
        return None
    if _NATIONAL_ID.fullmatch(identifier):
        found = _signing_in(accounts().filter(person__national_id=identifier))[:1]
        if found:
            return found[0]
    found = _signing_in(accounts().annotate(username_lower=Lower("username")).filter(_username_is(identifier)))[:1]
    return found[0] if found else None


def account_for_national_id(national_id: str) -> User | None:
    return accounts().filter(person__national_id=national_id).first()


def username_taken(username: str, *, exclude_pk: int | None = None) -> bool:
    taken = accounts().annotate(username_lower=Lower("username")).filter(_username_is(username))
    return taken.exclude(pk=exclude_pk).exists() if exclude_pk else taken.exists()


def mobile_taken(mobile: str, *, exclude_pk: int | None = None) -> bool:
    taken = accounts().filter(mobile=mobile)
    return taken.exclude(pk=exclude_pk).exists() if exclude_pk else taken.exists()


def pending_registration_exists(national_id: str) -> bool:
    return pending_registrations().filter(
        Q(pending_person__national_id=national_id) | Q(person__national_id=national_id)
    ).exists()


def pending_registrations_named(identifier: str, *, limit: int = 3) -> list[User]:
    """The newest pending registrations a username (any case) or an ID number names (sign-in
    sends their owner back to the SMS code, once the password is right).

    Every sign-in with an unknown identifier asks this, so each arm has its index: the person
    is found first by its unique national_id, then the registrations by pending_person_id,
    person_id and lower(username) (user_username_ci_pending, partial on pending_phone).
    """
    from civil_affairs.models import Person

    identifier = identifier.strip()
    if not identifier:
        return []
    query = _username_is(identifier)
    if _NATIONAL_ID.fullmatch(identifier):
        person_id = Person.objects.filter(national_id=identifier).values_list("pk", flat=True).first()
        if person_id is not None:
            query |= Q(pending_person_id=person_id) | Q(person_id=person_id)
    named = pending_registrations().annotate(username_lower=Lower("username")).filter(query)
    return list(named.order_by("-date_joined", "-pk")[:limit])


def rival_registrations(user: User) -> Q:
    """The pending registrations that name the same ID number, mobile or username as `user`."""
    query = Q(username__iexact=user.username)
    if user.mobile:
        query |= Q(mobile=user.mobile)
    person_id = user.registration_person_id
    if person_id:
        query |= Q(pending_person_id=person_id) | Q(person_id=person_id)
    return Q(state=AccountState.PENDING_PHONE) & query & ~Q(pk=user.pk)


def code_latest(challenge):
    """The latest code sent for a challenge, with its SMS (the outbox row): the code pages read
    from it whether the SMS failed to arrive within the code's lifetime (`delivery`)."""
    from .models import OneTimeCode

    if not challenge:
        return None
    return OneTimeCode.objects.filter(challenge=challenge).select_related("message").order_by("-created_at", "-id").first()
