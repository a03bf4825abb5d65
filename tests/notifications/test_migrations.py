"""The two old notice tables move into the one notice model, and back (PostgreSQL and SQLite)."""

import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from absher.notifications.models import Notice

OLD = [("civil_affairs", "0006_open_queue_indexes"), ("passports", "0002_bill_refund_steps_and_payment_notifications")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def facts(notices):
    return sorted(
        (n.user_id, n.source, n.kind, n.params, n.subject_type_id, n.subject_id, n.at, n.read_at) for n in notices
    )


@pytest.mark.django_db(transaction=True)
def test_notices_move_back_to_the_old_tables_and_forward_again_unchanged(user_factory, person_factory):
    from civil_affairs import services as inbox
    from civil_affairs.models import RequestType
    from passports import notifications
    from passports.models import Bill

    citizen = user_factory(state="active")
    request = inbox.request_submit(
        applicant=citizen, request_type=RequestType.objects.get(code="general_inquiry"), data={},
        description="Please help", files=[], submission_key=uuid.uuid4(), client_address="192.0.2.1",
    )
    bill = Bill.objects.create(number="PB-TEST-0001", payer=citizen, holder=citizen.person, service="passport",
                               amount=Decimal("300"), submission_key=uuid.uuid4())
    notifications.notify(citizen, notifications.Kind.BILL, {"bill": bill.number, "amount": "300"}, bill=bill)
    notifications.notify(citizen, notifications.Kind.REMINDER, {"document": "passport", "date": "2030-01-01"})
    Notice.objects.filter(source="civil_affairs").update(read_at=timezone.now())
    before = facts(Notice.objects.all())
    assert len(before) == 3
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        apps = migrate(OLD)
        OldNotice = apps.get_model("civil_affairs", "Notice")
        PassportNotice = apps.get_model("passports", "PassportNotice")
        old = OldNotice.objects.get()
        assert (old.request_id, old.kind, old.status, old.read_at is not None) == (request.pk, "status", "submitted", True)
        assert sorted(PassportNotice.objects.values_list("kind", "bill_id", "receipt_id")) == [
            ("bill", bill.pk, None), ("reminder", None, None)]
        assert not Notice.objects.exists()  # absher's table stays; its rows moved
        migrate(latest)
        assert facts(Notice.objects.all()) == before
    finally:
        migrate(latest)
