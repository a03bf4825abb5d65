"""Reads from a read replica (absher/db_router.py): where each read goes, and a citizen reads their own writes.

The `replica` alias is Django's test mirror of default (absher/settings/test.py): one database under
two connections, so a query's connection tells where the router sent it. The tests commit
(transaction=True), as a replica sees only committed rows.
"""

from datetime import timedelta

import pytest
import time_machine
from celery import shared_task
from django.conf import settings
from django.db import connections, router, transaction
from django.http import HttpResponse
from django.test import RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from absher import db_router
from accounts.models import AccountState, User
from civil_affairs.models import Person

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])

ROUTED = override_settings(
    DATABASE_ROUTERS=["absher.db_router.PrimaryReplicaRouter"],
    MIDDLEWARE=[*settings.MIDDLEWARE, "absher.db_router.ReplicaReadsMiddleware"],
)
HOME = "/services/passports/"


@pytest.fixture(autouse=True)
def _routed():
    with ROUTED:
        yield


def reads(client, path):
    """The page's queries on (primary, replica)."""
    with CaptureQueriesContext(connections["default"]) as primary, CaptureQueriesContext(connections["replica"]) as replica:
        assert client.get(path).status_code == 200
    return primary.captured_queries, replica.captured_queries


def touches(queries, table):
    return any(table in query["sql"] for query in queries)


def run(request, view):
    """One request through the middleware alone, the view being `view(request)`."""
    return db_router.ReplicaReadsMiddleware(view)(request)


# --- through the whole stack -------------------------------------------------------------------


def test_a_citizens_page_reads_the_replica_and_the_session_the_primary(client, user_factory):
    client.force_login(user_factory(state=AccountState.ACTIVE))
    primary, replica = reads(client, HOME)
    assert touches(replica, "passports_bill")  # the page's own reads
    assert not touches(primary, "passports_bill")
    assert touches(primary, "django_session") and not touches(replica, "django_session")


def test_after_a_post_the_browser_reads_the_primary_until_the_pin_runs_out(client, user_factory):
    client.force_login(user_factory(state=AccountState.ACTIVE))
    assert client.post(HOME + "notices/read/").status_code == 302
    primary, replica = reads(client, HOME)
    assert replica == [] and touches(primary, "passports_bill")

    later = timezone.now() + timedelta(seconds=settings.DATABASE_REPLICA_PIN_SECONDS - 2)
    with time_machine.travel(later, tick=False):
        assert reads(client, HOME)[1] == []  # still within the lag budget
    expired = timezone.now() + timedelta(seconds=settings.DATABASE_REPLICA_PIN_SECONDS + 1)
    with time_machine.travel(expired, tick=False):
        assert touches(reads(client, HOME)[1], "passports_bill")


def test_staff_read_the_primary(client, user_factory):
    client.force_login(user_factory(state=AccountState.ACTIVE, is_staff=True, is_superuser=True))
    primary, replica = reads(client, "/staff/absher/auditevent/")
    assert replica == [] and touches(primary, "absher_auditevent")


def test_another_browser_is_not_pinned_by_a_citizens_post(client, user_factory):
    client.force_login(user_factory(state=AccountState.ACTIVE))
    client.post(HOME + "notices/read/")
    other = type(client)()
    other.force_login(user_factory(state=AccountState.ACTIVE))
    assert touches(reads(other, HOME)[1], "passports_bill")


# --- the router's choices, one rule each --------------------------------------------------------


def test_outside_a_request_everything_reads_the_primary():
    # Celery tasks in a worker, management commands, the shell.
    assert router.db_for_read(Person) == "default"


def test_a_safe_request_reads_the_replica_except_inside_a_transaction(user_factory):
    seen = {}

    def view(request):
        seen["plain"] = router.db_for_read(Person)
        with transaction.atomic():
            seen["atomic"] = router.db_for_read(Person)
        seen["after"] = router.db_for_read(Person)
        # Django asks db_for_write for select_for_update and get_or_create: the primary, and a pin.
        seen["for_update"] = Person.objects.select_for_update().db
        return HttpResponse()

    response = run(RequestFactory().get("/"), view)
    assert seen == {"plain": "replica", "atomic": "default", "after": "replica", "for_update": "default"}
    assert db_router.PIN_COOKIE in response.cookies


def test_a_request_that_writes_reads_the_primary_from_then_on_and_pins_its_browser(person_factory):
    person = person_factory()
    seen = []

    def view(request):
        seen.append(router.db_for_read(Person))
        Person.objects.filter(pk=person.pk).update(name_en="Changed")
        seen.append(router.db_for_read(Person))
        return HttpResponse()

    response = run(RequestFactory().get("/"), view)
    assert seen == ["replica", "default"]
    pin = response.cookies[db_router.PIN_COOKIE]
    assert pin["max-age"] == settings.DATABASE_REPLICA_PIN_SECONDS and pin["httponly"]


def test_unsafe_methods_read_the_primary_and_pin_even_when_nothing_was_written():
    seen = []
    response = run(RequestFactory().post("/"), lambda request: seen.append(router.db_for_read(Person)) or HttpResponse())
    assert seen == ["default"] and db_router.PIN_COOKIE in response.cookies


def test_a_forged_pin_is_ignored():
    request = RequestFactory().get("/")
    request.COOKIES[db_router.PIN_COOKIE] = "1:forged:signature"
    assert not db_router.pinned(request)


@shared_task
def _reads_from():
    return router.db_for_read(Person)


def test_a_task_run_inside_a_request_reads_the_primary():
    seen = []
    run(RequestFactory().get("/"), lambda request: seen.append(_reads_from.apply().get()) or HttpResponse())
    assert seen == ["default"]


def test_writes_and_migrations_go_to_the_primary_only():
    chosen = db_router.PrimaryReplicaRouter()
    assert chosen.db_for_write(User) == "default"
    assert chosen.allow_migrate("default", "civil_affairs") and not chosen.allow_migrate("replica", "civil_affairs")


def test_objects_read_on_either_side_may_be_related(person_factory, user_factory):
    person = Person.objects.using("replica").get(pk=person_factory().pk)
    user = user_factory()
    user.person = person  # no "instance is on database replica" error
    user.save()
    assert User.objects.get(pk=user.pk).person_id == person.pk
