"""The migration that lets pending registrations hold nothing, forwards and back (PostgreSQL and SQLite)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("accounts", "0002_otp_purposes_kiosk")]
AFTER = [("accounts", "0003_pending_registrations_hold_nothing")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_pending_registrations_give_their_id_to_pending_person_and_back():
    # Every app's latest: going back past accounts 0003 also took back the migrations that depend on it.
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        apps = migrate(BEFORE)
        Person = apps.get_model("civil_affairs", "Person")
        User = apps.get_model("accounts", "User")
        people = [
            Person.objects.create(national_id=f"10000000{n}{n}", name_ar="س", name_en="S", sex="M",
                                  birth_date="1990-01-01", nationality="SA")
            for n in (1, 2)
        ]
        pending = User.objects.create(username="Pending2026x", mobile="+966512300101", person=people[0], state="pending_phone")
        confirmed = User.objects.create(username="Confirmed2026", mobile="+966512300102", person=people[1], state="registered")

        apps = migrate(AFTER)
        User = apps.get_model("accounts", "User")
        moved = User.objects.get(pk=pending.pk)
        assert (moved.person_id, moved.pending_person_id) == (None, people[0].pk)
        assert User.objects.get(pk=confirmed.pk).person_id == people[1].pk
        # A second pending registration for the same ID, mobile and username is now allowed.
        rival = User.objects.create(username="PENDING2026X", mobile="+966512300101", pending_person_id=people[0].pk,
                                    state="pending_phone")

        apps = migrate(BEFORE)  # back: one pending registration per ID, mobile and username survives
        User = apps.get_model("accounts", "User")
        kept = list(User.objects.filter(state="pending_phone").values_list("pk", "person_id"))
        assert kept == [(rival.pk, people[0].pk)]
    finally:
        migrate(latest)
