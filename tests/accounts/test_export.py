"""The citizen's data to take (accounts.export): what it holds, whose, and in how many queries."""

import json
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from absher.models import AuditEvent
from accounts import export
from accounts.models import AccountState
from civil_affairs import services as civil
from civil_affairs.models import PersonDataAccess, RequestType
from dependents.models import GuardianLink
from passports import services as passports
from passports.models import Service
from tests.civil_affairs.conftest import pdf_file
from tests.passports import conftest as passports_fixtures

pytestmark = pytest.mark.django_db
# The passports fixtures: two families with children and workers, documents through the services.
world, staff, fingerprint, passport_of = (
    passports_fixtures.world, passports_fixtures.staff, passports_fixtures.fingerprint, passports_fixtures.passport_of,
)
IP = "192.0.2.30"


def submit(user, *, description="Please help", files=()):
    return civil.request_submit(
        applicant=user, request_type=RequestType.objects.get(code="general_inquiry"), data={}, description=description,
        files=list(files), submission_key=uuid.uuid4(), client_address=IP,
    )


def _family_records(world, staff, passport_of, today):
    """Requests, messages, a file, a dependent, a bill, a passport, a staff view: for the father."""
    father = world.father
    request = submit(father, description="My own question", files=[pdf_file("birth.pdf")])
    civil.request_take(request=request, actor=staff)
    civil.request_ask_citizen(request=request, actor=staff, body="We need one more paper")
    request.refresh_from_db()
    civil.message_post(request=request, author=father, body="Here it is")
    civil.staff_view_record(staff=staff, request=request, what=PersonDataAccess.What.REQUEST, reason="check")
    GuardianLink.objects.create(guardian=father.person, dependent=world.son, guardian_account=father, relation="father",
                                created_by=staff)
    passport_of(world.son, expires_on=today + timedelta(days=20), number="A1111111")
    passports.service_order(service=Service.PASSPORT, actor=father, holder=world.son,
                            params={"years": 5, "delivery": "post", "office": ""}, submission_key=uuid.uuid4(), today=today)
    return request


def test_the_export_holds_the_citizens_account_record_requests_and_documents(world, staff, passport_of, today):
    request = _family_records(world, staff, passport_of, today)
    data = export.personal_data(world.father, today=today)
    json.dumps(data)  # plain JSON values

    assert data["format"] == "absher-personal-data/1"
    assert data["account"]["username"] == "SaadHarbi01"
    assert data["account"]["mobile"] == "+966500000101"  # the citizen's own number, in full
    assert data["registry_record"]["national_id"] == world.father.person.national_id
    assert "fingerprint_reference" not in data["registry_record"]
    assert [d["national_id"] for d in data["dependents"]] == [world.son.national_id]

    (req,) = data["requests"]
    assert req["reference"] == request.reference and req["description"] == "My own question"
    assert [m["text"] for m in req["messages"]] == ["We need one more paper", "Here it is"]
    assert [m["from_staff"] for m in req["messages"]] == [True, False]
    assert req["attachments"][0]["name"] == "birth.pdf" and req["attachments"][0]["size"] > 0
    assert "content" not in req["attachments"][0]
    assert [e["to_status"] for e in req["timeline"]][-1] == "in_review"  # the answer sent it back to review

    people = {p["person"]["national_id"]: p for p in data["people"]}
    assert set(people) >= {world.father.person.national_id, world.son.national_id, world.worker.national_id}
    assert [p["number"] for p in people[world.son.national_id]["passports"]] == ["A1111111"]
    assert people[world.worker.national_id]["iqama"]["number"] == world.worker.national_id
    assert people[world.worker.national_id]["relation"] == "worker"
    (bill,) = data["bills"]
    assert bill["for_national_id"] == world.son.national_id and bill["status"] == "unpaid" and bill["amount"] == "300.00"
    assert data["staff_views"][0]["staff"] == staff.username and data["staff_views"][0]["request_reference"] == request.reference


def test_another_familys_data_is_never_in_the_export(world, staff, passport_of, today):
    """Two families, each with requests, documents and staff views: each export holds its own only."""
    _family_records(world, staff, passport_of, today)
    stranger = world.stranger
    theirs = submit(stranger, description="The stranger's secret question")
    civil.request_take(request=theirs, actor=staff)
    civil.request_ask_citizen(request=theirs, actor=staff, body="The stranger's message")
    passport_of(world.stranger_child, expires_on=today + timedelta(days=900), number="S9999999")
    civil.staff_view_record(staff=staff, person=stranger.person, what=PersonDataAccess.What.REGISTRY_RECORD, reason="x")

    mine = json.dumps(export.personal_data(world.father, today=today), ensure_ascii=False)
    for foreign in (theirs.reference, "The stranger's secret question", "The stranger's message", "S9999999",
                    stranger.person.national_id, world.stranger_child.national_id, world.stranger_worker.national_id,
                    stranger.username, stranger.mobile):
        assert foreign not in mine, foreign
    their_export = json.dumps(export.personal_data(stranger, today=today), ensure_ascii=False)
    assert theirs.reference in their_export and "S9999999" in their_export
    for foreign in ("My own question", "A1111111", world.father.person.national_id, world.son.national_id,
                    world.worker.national_id, "SaadHarbi01"):
        assert foreign not in their_export, foreign


def test_the_number_of_queries_does_not_grow_with_the_rows(world, staff, passport_of, today):
    father = world.father

    def count():
        with CaptureQueriesContext(connection) as queries:
            export.personal_data(father, today=today)
        return len(queries)

    submit(father, files=[pdf_file("a.pdf")])
    one = count()
    for n in range(9):
        request = submit(father, files=[pdf_file(f"f{n}.pdf")])
        civil.message_post(request=request, author=staff, body=f"message {n}")
    passport_of(world.son, expires_on=today + timedelta(days=20))
    passport_of(world.daughter, expires_on=today + timedelta(days=20))
    ten = count()
    assert len(export.personal_data(father, today=today)["requests"]) == 10
    assert ten == one, (one, ten)
    assert one <= 25


def test_sign_in_history_has_the_accounts_sign_in_events_and_devices(world, today):
    from django.utils import timezone

    from devices.models import Device

    father = world.father
    now = timezone.now()
    Device.objects.create(user=father, kind="web", name="Firefox on Linux", signed_in_at=now, last_seen_at=now,
                          client_address="192.0.2.7")
    AuditEvent.objects.create(action="login_succeeded", subject=father, client_address="192.0.2.7")
    AuditEvent.objects.create(action="login_failed", subject=world.stranger, client_address="192.0.2.8")
    AuditEvent.objects.create(action="email_changed", subject=father)  # not a sign-in
    data = export.personal_data(father, today=today)
    assert [d["name"] for d in data["sign_ins"]["devices"]] == ["Firefox on Linux"]
    assert [e["action"] for e in data["sign_ins"]["events"]] == ["login_succeeded"]


def test_labels_are_in_the_language_asked_for_and_the_accounts_by_default(world, today):
    father = world.father
    father.preferred_language = "en"
    father.save(update_fields=["preferred_language"])
    assert export.personal_data(father, today=today)["account"]["state_label"] == "Active"
    assert export.personal_data(father, today=today, language="ar")["account"]["state_label"] != "Active"


def test_an_account_without_a_person_exports_its_account_only(user_factory, today):
    user = user_factory(state=AccountState.REGISTERED, person=None, mobile="+966500000555")
    user.person = None
    user.save(update_fields=["person"])
    data = export.personal_data(user, today=today)
    assert data["registry_record"] is None and data["people"] == [] and data["staff_views"] == []
