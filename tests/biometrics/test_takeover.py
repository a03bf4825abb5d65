"""A confirmed account that is not activated never locks the ID's owner out (QUALITY 26): at a
kiosk the finger proves the ID, and the owner takes the account over with their own mobile,
username and password; whatever the other person set stops working, and the audit trail says so."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from absher.models import AuditEvent
from accounts import services as account_services
from accounts.exceptions import InvalidCredentials
from accounts.models import AccountState, OneTimeCode, User
from accounts.notifications import notice_text
from biometrics import services
from biometrics.exceptions import MatchExpired
from biometrics.models import EnrollmentAttempt
from tests.biometrics.test_views import Kiosk
from tests.conftest import code_in

pytestmark = pytest.mark.django_db

STRANGER_PASSWORD = "Stranger2026x"
OWNER_PASSWORD = "OwnerPass2026"


@pytest.fixture
def screen(client, committed, kiosk):
    return Kiosk(client, committed)


@pytest.fixture
def owner(person_factory, with_reference):
    return with_reference(person_factory(name_en="Nora Alotaibi", name_ar="نورة العتيبي", sex="F"))


@pytest.fixture
def strangers_account(owner, committed, sms_outbox):
    """Someone registered online with the owner's ID number and confirmed it with their own mobile."""
    data = account_services.RegistrationData(
        national_id=owner.national_id, mobile="+966512300001", username="Stranger2026", password=STRANGER_PASSWORD,
        email="stranger@example.com", language="en",
    )
    with committed():
        user, challenge = account_services.registration_start(data=data, client_address="198.51.100.7")
    account_services.registration_confirm(
        user_id=user.pk, challenge=challenge, code=code_in(sms_outbox[-1]), client_address="198.51.100.7"
    )
    user.refresh_from_db()
    assert user.state == AccountState.REGISTERED and user.person == owner
    return user


def signed_in_browser(user):
    browser = Client()
    browser.force_login(user)
    assert browser.get(reverse("accounts:profile")).status_code == 200
    return browser


def finish_takeover(screen, sms_outbox, *, mobile="551112222", username="Nora2026x"):
    assert screen.post("kiosk-new-mobile", {"mobile": mobile}).url == reverse("biometrics:kiosk-new-mobile-code")
    assert sms_outbox[-1].to == "+966" + mobile
    assert screen.post("kiosk-new-mobile-code", {"code": code_in(sms_outbox[-1])}).url == reverse("biometrics:kiosk-claim")
    assert screen.get("kiosk-claim").status_code == 200
    data = {"username": username, "password1": OWNER_PASSWORD, "password2": OWNER_PASSWORD}
    return screen.post("kiosk-claim", data)


def test_the_owner_takes_over_an_account_a_stranger_registered(screen, owner, strangers_account, sms_outbox):
    stranger_browser = signed_in_browser(strangers_account)
    screen.start()
    screen.id_number(owner.national_id)
    assert screen.scan(owner.national_id).url == reverse("biometrics:kiosk-terms")
    assert screen.post("kiosk-terms", {"accept": "on"}).url == reverse("biometrics:kiosk-mobile")
    page = screen.get("kiosk-mobile")
    assert "05•••••001".encode() in page.content and b'id="kiosk-not-mine"' in page.content
    assert screen.post("kiosk-mobile", {"not_mine": "1"}).url == reverse("biometrics:kiosk-new-mobile")
    assert b"Step 4 of 6" in screen.get("kiosk-new-mobile").content

    assert screen.post("kiosk-new-mobile", {"mobile": "551112222"}).url == reverse("biometrics:kiosk-new-mobile-code")
    assert screen.post("kiosk-new-mobile-code", {"code": code_in(sms_outbox[-1])}).url == reverse("biometrics:kiosk-claim")
    # From the code on, what the stranger set is void: the mobile, the password, the e-mail, the sessions.
    account = User.objects.get(pk=strangers_account.pk)
    assert account.mobile == "+966551112222" and account.email == "" and not account.has_usable_password()
    assert stranger_browser.get(reverse("accounts:profile")).status_code == 302
    with translation.override("en"):  # the stranger's number is told, in the stranger's language
        assert sms_outbox[-1].to == "+966512300001" and sms_outbox[-1].body == notice_text("mobile_changed")
    with pytest.raises(InvalidCredentials):
        account_services.login_begin(identifier="Stranger2026", password=STRANGER_PASSWORD, client_address="198.51.100.7")

    response = screen.post("kiosk-claim", {"username": "Nora2026x", "password1": OWNER_PASSWORD, "password2": OWNER_PASSWORD})
    assert response.url == reverse("biometrics:kiosk-done")
    assert b'data-purpose="takeover"' in screen.get("kiosk-done").content
    account.refresh_from_db()
    assert (account.state, account.username, account.mobile, account.person) == (
        AccountState.ACTIVE, "Nora2026x", "+966551112222", owner,
    )
    assert account.check_password(OWNER_PASSWORD) and account.activation_method == "kiosk_fingerprint"
    assert sms_outbox[-1].to == "+966551112222"  # "your account is now active", to the owner

    claimed = AuditEvent.objects.get(action="account_claimed", subject=account)
    assert claimed.details | {"reason": ""} == {
        "method": "kiosk_fingerprint", "reason": "", "old_mobile_ending": "001", "new_mobile_ending": "222",
        "old_username": "Stranger2026", "email_voided": True, "password_voided": True, "sessions_ended": True,
        "codes_voided": True,
    }
    assert "claimed by the ID's owner" in claimed.details["reason"]
    credentials = AuditEvent.objects.get(action="account_claim_credentials_set", subject=account)
    assert (credentials.details["old_username"], credentials.details["new_username"]) == ("Stranger2026", "Nora2026x")
    change = account.state_changes.first()
    assert (change.from_state, change.to_state) == ("registered", "active") and "claimed" in change.reason
    assert EnrollmentAttempt.objects.get(account=account, result="match").completed_at is not None


def test_a_lost_mobile_on_a_registered_account_is_a_takeover(screen, owner, strangers_account, sms_outbox):
    screen.start(purpose="mobile_change")
    screen.id_number(owner.national_id)
    assert screen.scan(owner.national_id).url == reverse("biometrics:kiosk-terms")
    assert screen.post("kiosk-terms", {"accept": "on"}).url == reverse("biometrics:kiosk-new-mobile")
    # The owner may keep the username the account had (they may have registered it themselves).
    assert finish_takeover(screen, sms_outbox, username="StRanger2026").url == reverse("biometrics:kiosk-done")
    account = User.objects.get(pk=strangers_account.pk)
    assert account.state == AccountState.ACTIVE and account.username == "StRanger2026"
    assert account.check_password(OWNER_PASSWORD) and not account.check_password(STRANGER_PASSWORD)


def test_the_username_of_another_account_is_refused(screen, owner, strangers_account, user_factory, sms_outbox):
    user_factory(username="Takenname2026")
    screen.start(purpose="mobile_change")
    screen.id_number(owner.national_id)
    screen.scan(owner.national_id)
    screen.post("kiosk-terms", {"accept": "on"})
    response = finish_takeover(screen, sms_outbox, username="takenName2026")
    assert response.status_code == 200 and response.context["form"].has_error("username", "username_taken")
    same = screen.post("kiosk-claim", {"username": "Nora2026x", "password1": "Nora2026x", "password2": "Nora2026x"})
    errors = same.context["form"].errors.as_data()["password1"]
    assert [error.code for error in errors] == ["password_username"]  # one message, not two
    assert User.objects.get(pk=strangers_account.pk).state == AccountState.REGISTERED


def test_a_takeover_left_half_way_goes_on_at_the_next_visit(screen, owner, strangers_account, sms_outbox):
    screen.start(purpose="mobile_change")
    screen.id_number(owner.national_id)
    screen.scan(owner.national_id)
    screen.post("kiosk-terms", {"accept": "on"})
    screen.post("kiosk-new-mobile", {"mobile": "551112223"})
    screen.post("kiosk-new-mobile-code", {"code": code_in(sms_outbox[-1])})
    screen.post("kiosk-reset")  # the owner walks away before choosing a password
    screen.start()  # an activation this time: the void password sends it to the takeover too
    screen.id_number(owner.national_id)
    assert screen.scan(owner.national_id).url == reverse("biometrics:kiosk-terms")
    assert screen.post("kiosk-terms", {"accept": "on"}).url == reverse("biometrics:kiosk-new-mobile")


def test_the_owners_claim_voids_pending_registrations_of_the_number(screen, owner, strangers_account, person_factory,
                                                                     committed, sms_outbox):
    data = account_services.RegistrationData(
        national_id=person_factory().national_id, mobile="+966551112224", username="Waiting2026x", password="Waiting2026x",
        email="w@example.com", language="en",
    )
    with committed():
        waiting, _challenge = account_services.registration_start(data=data, client_address="198.51.100.8")
    screen.start(purpose="mobile_change")
    screen.id_number(owner.national_id)
    screen.scan(owner.national_id)
    screen.post("kiosk-terms", {"accept": "on"})
    finish_takeover(screen, sms_outbox, mobile="551112224")
    assert not User.objects.filter(pk=waiting.pk).exists()
    assert AuditEvent.objects.get(action="registration_voided", subject_id=waiting.pk).details["reason"] == "account_claimed"
    assert OneTimeCode.objects.filter(mobile="+966551112224", purpose="registration", voided_at__isnull=False).exists()


def test_an_active_account_is_not_taken_over(screen, active_citizen):
    screen.start()
    screen.id_number(active_citizen.person.national_id)
    assert screen.scan(active_citizen.person.national_id).url == reverse("biometrics:kiosk-stop")
    screen.post("kiosk-reset")
    screen.start(purpose="mobile_change")
    screen.id_number(active_citizen.person.national_id)
    assert screen.scan(active_citizen.person.national_id).url == reverse("biometrics:kiosk-new-mobile")


def test_only_the_matched_account_may_sign_in_at_the_kiosk(kiosk, citizen, user_factory, sms_outbox):
    """The check lives in the service now, not in the view."""
    from tests.biometrics.test_services import sealed_finger, verify

    outcome = verify(kiosk, citizen.person.national_id, sealed_finger(kiosk, citizen.person.national_id))
    other = user_factory()
    with pytest.raises(InvalidCredentials):
        services.kiosk_sign_in_begin(
            kiosk=kiosk, user_id=citizen.pk, attempt_id=outcome.attempt_id, identifier=other.username,
            password="GoodPass2026", client_address="192.0.2.1",
        )
    assert sms_outbox == []
    assert AuditEvent.objects.filter(action="kiosk_sign_in_other_account").exists()
    with pytest.raises(MatchExpired):
        services.kiosk_sign_in_begin(
            kiosk=kiosk, user_id=other.pk, attempt_id=outcome.attempt_id, identifier=other.username,
            password="GoodPass2026", client_address="192.0.2.1",
        )
    challenge = services.kiosk_sign_in_begin(
        kiosk=kiosk, user_id=citizen.pk, attempt_id=outcome.attempt_id, identifier=citizen.person.national_id,
        password="GoodPass2026", client_address="192.0.2.1",
    )
    assert challenge.user_id == citizen.pk


def test_a_duplicate_case_opened_during_a_takeover_holds_it_at_the_claim(screen, owner, strangers_account, sms_outbox, monkeypatch):
    from biometrics import abis

    held = set()
    monkeypatch.setattr(abis, "activation_held", lambda national_id: national_id in held)
    screen.start(purpose="mobile_change")
    screen.id_number(owner.national_id)
    assert screen.scan(owner.national_id).url == reverse("biometrics:kiosk-terms")
    screen.post("kiosk-terms", {"accept": "on"})
    held.add(owner.national_id)
    assert screen.post("kiosk-new-mobile", {"mobile": "551112222"}).url == reverse("biometrics:kiosk-new-mobile-code")
    screen.post("kiosk-new-mobile-code", {"code": code_in(sms_outbox[-1])})
    assert b'data-reason="under_review"' in screen.get("kiosk-stop").content
    strangers_account.refresh_from_db()
    assert strangers_account.state == AccountState.REGISTERED and strangers_account.mobile == "+966512300001"
