"""Closing an account (accounts.closure): the code, what goes, what stays, and registering again."""

import uuid
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from absher.models import AuditEvent
from absher.notifications.models import OutboxMessage
from accounts import closure, services
from accounts.exceptions import InvalidCredentials, OtpRejected
from accounts.models import AccountState, AccountStateChange, OneTimeCode, User
from civil_affairs import services as civil
from civil_affairs.models import RequestStatus, RequestType, ServiceRequest
from devices import tokens
from devices.models import AccessToken, Device, RefreshToken
from tests.conftest import code_in

pytestmark = pytest.mark.django_db
IP = "192.0.2.40"
PASSWORD = "GoodPass2026"


@pytest.fixture
def citizen(user_factory):
    return user_factory(state=AccountState.ACTIVE, username="Closer2026x", mobile="+966500000777", email="c@example.com")


def begin(user, sms_outbox, committed):
    with committed():
        challenge = closure.close_begin(user=user, client_address=IP)
    return challenge, code_in(sms_outbox[-1])


def close(user, sms_outbox, committed):
    challenge, code = begin(user, sms_outbox, committed)
    with committed():
        return closure.close_complete(user=user, challenge=challenge, code=code, client_address=IP)


def submit(user):
    return civil.request_submit(
        applicant=user, request_type=RequestType.objects.get(code="general_inquiry"), data={}, description="Help",
        files=[], submission_key=uuid.uuid4(), client_address=IP,
    )


def test_closing_frees_the_id_mobile_and_username_and_keeps_the_row(citizen, sms_outbox, committed):
    person, mobile = citizen.person, citizen.mobile
    closed = close(citizen, sms_outbox, committed)
    closed.refresh_from_db()
    assert closed.state == AccountState.CLOSED and closed.closed_at is not None
    assert closed.person is None and closed.pending_person is None and closed.mobile is None and closed.email == ""
    assert closed.username == f"closed-{closed.pk}"
    assert not closed.has_usable_password() and not closed.is_active
    change = AccountStateChange.objects.filter(user=closed).first()
    assert (change.from_state, change.to_state, change.actor_id) == (AccountState.ACTIVE, AccountState.CLOSED, closed.pk)
    row = AuditEvent.objects.get(action="account_closed")
    assert row.subject_id == closed.pk and row.subject_label == "Closer2026x"
    assert row.details["national_id"] == person.national_id and row.details["mobile_ending"] == "777"
    # The farewell goes to the old number, after the commit.
    farewell = OutboxMessage.objects.get(purpose="accounts.closed")
    assert farewell.recipient == mobile and sms_outbox[-1].to == mobile and sms_outbox[-1].body == farewell.body


def test_the_id_number_and_mobile_register_again(citizen, sms_outbox, committed):
    person, mobile = citizen.person, citizen.mobile
    close(citizen, sms_outbox, committed)
    data = services.RegistrationData(
        national_id=person.national_id, mobile=mobile, username="Closer2026x", password="Riyadh2026x",
        email="again@example.com", language="ar",
    )
    with committed():
        user, challenge = services.registration_start(data=data, client_address=IP)
    services.registration_confirm(user_id=user.pk, challenge=challenge, code=code_in(sms_outbox[-1]), client_address=IP)
    user.refresh_from_db()
    assert user.state == AccountState.REGISTERED and user.person_id == person.pk and user.mobile == mobile
    assert user.username == "Closer2026x"
    assert User.objects.filter(state=AccountState.CLOSED).count() == 1


def test_a_parent_who_registers_again_keeps_their_dependents(citizen, person_factory, sms_outbox, committed):
    from dependents.models import GuardianLink
    from dependents.selectors import dependents_of

    person, mobile = citizen.person, citizen.mobile
    child = person_factory(prefix="1", father=person)
    GuardianLink.objects.create(
        guardian=person, dependent=child, guardian_account=citizen, relation="father", created_by=citizen
    )
    close(citizen, sms_outbox, committed)
    data = services.RegistrationData(
        national_id=person.national_id, mobile=mobile, username="Closer2026y", password="Riyadh2026x",
        email="again@example.com", language="ar",
    )
    with committed():
        user, challenge = services.registration_start(data=data, client_address=IP)
    services.registration_confirm(user_id=user.pk, challenge=challenge, code=code_in(sms_outbox[-1]), client_address=IP)
    user.refresh_from_db()

    # The link is the registry person's: the new account has the child; the record of who asked stays.
    assert [link.dependent for link in dependents_of(user)] == [child]
    assert GuardianLink.objects.get(dependent=child).guardian_account == citizen


def test_a_closed_account_cannot_sign_in_and_is_told_what_an_unknown_one_is(citizen, sms_outbox, committed):
    national_id = citizen.person.national_id
    closed = close(citizen, sms_outbox, committed)
    for identifier in ("Closer2026x", national_id, closed.username):
        with pytest.raises(InvalidCredentials) as caught:
            services.login_begin(identifier=identifier, password=PASSWORD, client_address="192.0.2.41")
        assert caught.value.message() == InvalidCredentials().message()
    with pytest.raises(InvalidCredentials) as unknown:
        services.login_begin(identifier="Nobody2026x", password=PASSWORD, client_address="192.0.2.41")
    assert unknown.value.code == caught.value.code


def test_devices_and_tokens_go_and_requests_and_audit_rows_stay(citizen, sms_outbox, committed):
    now = timezone.now()
    device = Device.objects.create(user=citizen, kind="app", name="T", signed_in_at=now, last_seen_at=now)
    pair = tokens.issue_pair(device)
    request = submit(citizen)
    civil.request_withdraw(request=request, applicant=citizen)
    AuditEvent.objects.create(action="login_succeeded", subject=citizen)
    audit_rows = AuditEvent.objects.filter(subject_id=citizen.pk).count()
    close(citizen, sms_outbox, committed)
    assert not Device.objects.filter(user=citizen).exists()
    assert not AccessToken.objects.exists() and not RefreshToken.objects.exists()
    assert tokens.authenticate_access(pair.access_token) is None
    # A government record: the request stays, with the closed account as its applicant.
    request = ServiceRequest.objects.get(pk=request.pk)
    assert request.applicant_id == citizen.pk
    assert AuditEvent.objects.filter(subject_id=citizen.pk).count() > audit_rows


def test_staff_pages_show_a_closed_accounts_requests(citizen, sms_outbox, committed, client, user_factory):
    request = submit(citizen)
    officer = user_factory(state=AccountState.ACTIVE, is_staff=True, is_superuser=True, username="Officer2026x")
    civil.request_transition(request=request, to_status=RequestStatus.IN_REVIEW, actor=officer)
    request.refresh_from_db()
    civil.request_transition(request=request, to_status=RequestStatus.APPROVED, actor=officer)
    close(citizen, sms_outbox, committed)
    client.force_login(officer)
    listing = client.get(reverse("admin:civil_affairs_servicerequest_changelist"))
    assert listing.status_code == 200
    page = client.get(reverse("admin:civil_affairs_servicerequest_change", args=[request.pk]))
    assert page.status_code == 200
    assert client.get(reverse("admin:accounts_user_change", args=[citizen.pk])).status_code == 200
    assert client.get(reverse("admin:accounts_user_changelist") + "?q=closed").status_code == 200


def test_a_wrong_code_five_times_voids_the_challenge(citizen, sms_outbox, committed):
    challenge, code = begin(citizen, sms_outbox, committed)
    wrong = "000000" if code != "000000" else "111111"
    outcomes = []
    for _ in range(5):
        with pytest.raises(OtpRejected) as caught:
            closure.close_complete(user=citizen, challenge=challenge, code=wrong, client_address=IP)
        outcomes.append(caught.value.code)
    assert outcomes[:4] == ["wrong"] * 4 and outcomes[4] != "wrong"
    with pytest.raises(OtpRejected):  # the right code no longer helps
        closure.close_complete(user=citizen, challenge=challenge, code=code, client_address=IP)
    citizen.refresh_from_db()
    assert citizen.state == AccountState.ACTIVE and citizen.person_id is not None


def test_an_expired_code_is_refused_and_one_a_second_before_accepted(citizen, sms_outbox, committed):
    challenge, code = begin(citizen, sms_outbox, committed)
    sent = OneTimeCode.objects.get(challenge=challenge)
    with time_machine.travel(sent.expires_at, tick=False), pytest.raises(OtpRejected) as caught:
        closure.close_complete(user=citizen, challenge=challenge, code=code, client_address=IP)
    assert caught.value.code == "expired"
    citizen.refresh_from_db()
    assert citizen.state == AccountState.ACTIVE
    challenge, code = begin(citizen, sms_outbox, committed)
    sent = OneTimeCode.objects.get(challenge=challenge)
    with time_machine.travel(sent.expires_at - timedelta(seconds=1), tick=False):
        closure.close_complete(user=citizen, challenge=challenge, code=code, client_address=IP)
    citizen.refresh_from_db()
    assert citizen.state == AccountState.CLOSED


def test_a_code_of_another_purpose_does_not_close(citizen, sms_outbox, committed):
    with committed():
        challenge = services.otp_challenge_start(user=citizen, purpose="password_change", client_address=IP)
    with pytest.raises(OtpRejected):
        closure.close_complete(user=citizen, challenge=challenge, code=code_in(sms_outbox[-1]), client_address=IP)
    citizen.refresh_from_db()
    assert citizen.state == AccountState.ACTIVE


def test_a_staff_account_cannot_be_closed_here(user_factory, sms_outbox):
    staff = user_factory(state=AccountState.ACTIVE, is_staff=True)
    with pytest.raises(closure.AccountCloseRefused) as caught:
        closure.close_begin(user=staff, client_address=IP)
    assert caught.value.reasons == [closure.STAFF_ACCOUNT] and caught.value.code == "close_staff_account"
    assert not sms_outbox


def test_an_open_request_refuses_until_it_is_withdrawn(citizen, sms_outbox, committed):
    request = submit(citizen)
    with pytest.raises(closure.AccountCloseRefused) as caught:
        closure.close_begin(user=citizen, client_address=IP)
    assert caught.value.reasons == [closure.REQUESTS_OPEN]
    civil.request_withdraw(request=request, applicant=citizen)
    assert close(citizen, sms_outbox, committed).state == AccountState.CLOSED


def test_something_that_came_in_the_way_after_the_code_refuses(citizen, sms_outbox, committed):
    challenge, code = begin(citizen, sms_outbox, committed)
    submit(citizen)
    with pytest.raises(closure.AccountCloseRefused):
        closure.close_complete(user=citizen, challenge=challenge, code=code, client_address=IP)
    citizen.refresh_from_db()
    assert citizen.state == AccountState.ACTIVE


@pytest.mark.parametrize(
    ("facts", "reasons"),
    [
        (closure.ClosureFacts(AccountState.ACTIVE, False, 0, 0), []),
        (closure.ClosureFacts(AccountState.REGISTERED, False, 0, 0), []),
        (closure.ClosureFacts(AccountState.SUSPENDED, False, 0, 0), [closure.NOT_CLOSABLE]),
        (closure.ClosureFacts(AccountState.CLOSED, False, 0, 0), [closure.NOT_CLOSABLE]),
        (closure.ClosureFacts(AccountState.PENDING_PHONE, False, 0, 0), [closure.NOT_CLOSABLE]),
        (closure.ClosureFacts(AccountState.ACTIVE, True, 0, 0), [closure.STAFF_ACCOUNT]),
        (closure.ClosureFacts(AccountState.ACTIVE, False, 1, 1), [closure.REQUESTS_OPEN, closure.MONEY_PENDING]),
    ],
)
def test_closure_refusals(facts, reasons):
    assert closure.closure_refusals(facts) == reasons


def test_money_on_its_way_refuses(world_bill, sms_outbox):
    from passports.models import Bill

    user, bill = world_bill
    assert closure.close_check(user) == []  # an unpaid bill, payment never started: it lapses
    Bill.objects.filter(pk=bill.pk).update(payment_started_at=timezone.now())
    assert closure.close_check(user) == [closure.MONEY_PENDING]
    Bill.objects.filter(pk=bill.pk).update(payment_started_at=None, status=Bill.Status.PAID)
    assert closure.close_check(user) == [closure.MONEY_PENDING]
    Bill.objects.filter(pk=bill.pk).update(status=Bill.Status.USED)
    assert closure.close_check(user) == []


@pytest.fixture
def world_bill(citizen, person_factory):
    from passports.models import Bill

    bill = Bill.objects.create(
        number="100000000001", payer=citizen, holder=citizen.person, service="passport", amount=300, lines=[], params={},
        submission_key=uuid.uuid4(),
    )
    return citizen, bill


def test_the_closing_code_sms_names_its_purpose(citizen, sms_outbox, committed):
    from django.utils import translation

    citizen.preferred_language = "en"
    citizen.save(update_fields=["preferred_language"])
    with translation.override("en"):
        begin(citizen, sms_outbox, committed)
    assert "to close your account" in sms_outbox[-1].body



def test_a_closed_account_stays_closed(citizen, sms_outbox, committed, user_factory):
    """No move leaves `closed`: staff can neither suspend nor activate it (the admin shows the refusal)."""
    from accounts.exceptions import InvalidTransition

    staff = user_factory(state=AccountState.ACTIVE, is_staff=True)
    closed = close(citizen, sms_outbox, committed)
    with pytest.raises(InvalidTransition):
        services.account_suspend(user=closed, actor=staff, reason="test")
    with pytest.raises(InvalidTransition):
        services.account_activate(user=closed, actor=staff, method="staff_in_person")
    with pytest.raises(closure.AccountCloseRefused) as caught:
        closure.close_begin(user=closed, client_address=IP)
    assert caught.value.reasons == [closure.NOT_CLOSABLE]
    closed.refresh_from_db()
    assert closed.state == AccountState.CLOSED
