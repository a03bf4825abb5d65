"""Registration reveals nothing before the captcha, counts its answers per address (QUALITY 25),
and a registration waiting for its SMS code never blocks anybody (QUALITY 26)."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from absher.models import AuditEvent
from accounts import services
from accounts.exceptions import (
    InvalidCredentials,
    LookupsExhausted,
    OtpRejected,
    PhoneNotConfirmed,
    RegistrationVoided,
    ResetNoMatch,
)
from accounts.models import AccountState, OneTimeCode, User
from tests.accounts.test_views import registration_post
from tests.conftest import code_in, make_id

pytestmark = pytest.mark.django_db
IP = "192.0.2.10"
T0 = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)  # 10:00 in Riyadh


def form_data(national_id, **overrides):
    """The register form's fields, with the captcha solved (tests/accounts/test_views.py's helper)."""
    return registration_post(SimpleNamespace(national_id=national_id), **overrides)


def registration(national_id, *, mobile="+966512345678", username="Newcomer2026", password="Riyadh2026x"):
    return services.RegistrationData(
        national_id=national_id, mobile=mobile, username=username, password=password, email="n@example.com", language="en"
    )


def register(committed, national_id, ip=IP, **fields):
    """Start a registration as the page does; returns the pending account, its challenge and its code."""
    from absher.sms.backends import locmem

    with committed():
        user, challenge = services.registration_start(data=registration(national_id, **fields), client_address=ip)
    return user, challenge, code_in(locmem.outbox[-1])


def confirm(user, challenge, code, ip=IP):
    return services.registration_confirm(user_id=user.pk, challenge=challenge, code=code, client_address=ip)


def tables_read(queries) -> str:
    return " ".join(query["sql"] for query in queries.captured_queries)


# --- QUALITY 25: the captcha first, then every answer counted -----------------------------------


def test_an_invalid_captcha_answers_only_that(client, user_factory):
    """Before: the ID, mobile and username errors came before the captcha was looked at."""
    holder = user_factory(username="Taken2026x", mobile="+966512345678")
    data = form_data(holder.national_id, username="Taken2026x", captcha_1="WRONG")
    with CaptureQueriesContext(connection) as queries:
        response = client.post(reverse("accounts:register"), data)
    form = response.context["form"]
    assert set(form.errors) == {"captcha"}
    read = tables_read(queries)
    assert "civil_affairs_person" not in read and "accounts_user" not in read
    assert not AuditEvent.objects.exists()


def test_what_the_typing_itself_shows_may_stay_beside_the_captcha(client, user_factory):
    holder = user_factory()
    data = form_data(holder.national_id, captcha_1="WRONG", password2="Different2026", mobile="5123")
    response = client.post(reverse("accounts:register"), data)
    form = response.context["form"]
    assert set(form.errors) == {"captcha", "password2", "mobile"}
    assert form.has_error("password2", "password_mismatch") and form.has_error("mobile", "mobile_format")


def test_after_the_captcha_each_answer_counts_against_the_address_cap(client, user_factory, person_factory, settings):
    settings.OTP_MAX_PER_ADDRESS_HOUR = 3
    holder = user_factory(state=AccountState.ACTIVE)
    with time_machine.travel(T0, tick=False):
        answers = [
            client.post(reverse("accounts:register"), form_data(make_id("1", 99_001))),  # not in the registry
            client.post(reverse("accounts:register"), form_data(holder.national_id)),  # has an account
            client.post(reverse("accounts:register"), form_data(person_factory().national_id, mobile=holder.mobile[4:])),
        ]
        codes = [
            {error.code for errors in answer.context["form"].errors.as_data().values() for error in errors}
            for answer in answers
        ]
        assert codes == [{"not_in_registry"}, {"already_registered"}, {"mobile_taken"}]
    # The fourth is refused, says until when, and looks nothing up.
    with time_machine.travel(T0 + timedelta(minutes=59), tick=False), translation.override("en"):
        with CaptureQueriesContext(connection) as queries:
            refused = client.post(reverse("accounts:register"), form_data(holder.national_id))
        form = refused.context["form"]
        assert form.has_error("__all__", "lookups_exhausted") and len(form.errors) == 1
        assert "11:00" in refused.content.decode()  # 07:00 UTC + 1 hour, in Riyadh
        read = tables_read(queries)
        assert "civil_affairs_person" not in read and "accounts_user" not in read
        # Another address still gets its answers.
        other = client.post(reverse("accounts:register"), form_data(holder.national_id), REMOTE_ADDR="192.0.2.99")
        assert other.context["form"].has_error("national_id", "already_registered")
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        again = client.post(reverse("accounts:register"), form_data(holder.national_id))
        assert again.context["form"].has_error("national_id", "already_registered")
    assert AuditEvent.objects.filter(action="lookups_refused").count() == 1


def test_a_successful_registration_counts_too(person_factory, committed, settings):
    settings.OTP_MAX_PER_ADDRESS_HOUR = 2
    with time_machine.travel(T0, tick=False):
        register(committed, person_factory().national_id)
        register(committed, person_factory().national_id, mobile="+966512345670", username="Second2026x")
        with pytest.raises(LookupsExhausted) as error:
            services.registration_start(data=registration(person_factory().national_id), client_address=IP)
    assert error.value.code == "lookups_exhausted" and error.value.until == T0 + timedelta(hours=1)


def test_a_shared_device_has_its_own_cap_for_answers(person_factory, settings):
    settings.OTP_MAX_PER_ADDRESS_HOUR = 1
    settings.OTP_MAX_PER_SHARED_DEVICE_HOUR = 3
    with time_machine.travel(T0, tick=False):
        for _ in range(3):
            services.lookup_spend(client_address=IP, shared_device=True)
        with pytest.raises(LookupsExhausted):
            services.lookup_spend(client_address=IP, shared_device=True)


def test_the_password_reset_answer_is_counted_too(user_factory, settings):
    settings.OTP_MAX_PER_ADDRESS_HOUR = 2
    user = user_factory()
    with time_machine.travel(T0, tick=False):
        for _ in range(2):
            with pytest.raises(ResetNoMatch):
                services.password_reset_begin(national_id=user.national_id, mobile="+966599999999", client_address=IP)
        with pytest.raises(LookupsExhausted):
            services.password_reset_begin(national_id=user.national_id, mobile=user.mobile, client_address=IP)


# --- QUALITY 26: a pending registration blocks nobody ---------------------------------------------


def test_a_strangers_pending_registration_of_an_id_does_not_block_its_owner(person_factory, committed, sms_outbox):
    """Before: the owner was told the ID already had an account, for 24 hours."""
    owner = person_factory()
    stranger, stranger_challenge, stranger_code = register(
        committed, owner.national_id, mobile="+966512340001", username="Stranger2026"
    )
    mine, challenge, code = register(committed, owner.national_id, mobile="+966512340002", username="Owner2026x")
    assert mine.state == AccountState.PENDING_PHONE
    confirm(mine, challenge, code)
    mine.refresh_from_db()
    assert mine.state == AccountState.REGISTERED and mine.person == owner
    # The stranger's registration is gone with its code.
    assert not User.objects.filter(pk=stranger.pk).exists()
    assert OneTimeCode.objects.get(challenge=stranger_challenge).voided_at is not None
    with pytest.raises(RegistrationVoided):
        confirm(stranger, stranger_challenge, stranger_code)
    voided = AuditEvent.objects.get(action="registration_voided", subject_id=stranger.pk)
    assert voided.details["reason"] == "another_confirmed" and voided.details["confirmed_account"] == mine.pk


def test_a_strangers_pending_registration_of_a_mobile_does_not_block_its_owner(person_factory, committed):
    owner = person_factory()
    stranger, *_ = register(committed, person_factory().national_id, mobile="+966512340003", username="Stranger2026")
    mine, challenge, code = register(committed, owner.national_id, mobile="+966512340003", username="Owner2026x")
    confirm(mine, challenge, code)
    assert not User.objects.filter(pk=stranger.pk).exists()
    assert User.objects.get(pk=mine.pk).mobile == "+966512340003"


def test_a_pending_username_blocks_nobody_either(person_factory, committed):
    first, *_ = register(committed, person_factory().national_id, mobile="+966512340004", username="Samename2026")
    second, challenge, code = register(committed, person_factory().national_id, mobile="+966512340005", username="SAMENAME2026")
    confirm(second, challenge, code)
    assert not User.objects.filter(pk=first.pk).exists()


def test_two_pending_then_one_confirms_and_the_others_code_is_refused(person_factory, committed, settings):
    settings.OTP_RESEND_COOLDOWN = timedelta(0)
    person = person_factory()
    a, a_challenge, a_code = register(committed, person.national_id, mobile="+966512340006", username="Firstone2026")
    b, b_challenge, b_code = register(committed, person.national_id, mobile="+966512340007", username="Secondone2026")
    unrelated, *_ = register(committed, person_factory().national_id, mobile="+966512340008", username="Unrelated2026")
    confirm(b, b_challenge, b_code)
    with pytest.raises(RegistrationVoided):
        confirm(a, a_challenge, a_code)
    assert not User.objects.filter(pk=a.pk).exists()
    assert OneTimeCode.objects.filter(challenge=a_challenge, voided_at__isnull=False).exists()
    # The voided one gets no new code either.
    with pytest.raises(RegistrationVoided):
        services.otp_resend(user=a, purpose="registration", challenge=a_challenge, client_address=IP)
    assert User.objects.get(pk=unrelated.pk).state == AccountState.PENDING_PHONE  # names nothing b names


def test_confirming_and_voiding_are_one_transaction(person_factory, committed, monkeypatch):
    person = person_factory()
    a, *_ = register(committed, person.national_id, mobile="+966512340009", username="Firstone2026")
    b, b_challenge, b_code = register(committed, person.national_id, mobile="+966512340010", username="Secondone2026")

    def fault(*args, **kwargs):
        raise RuntimeError("a fault after the rivals were voided")

    monkeypatch.setattr(services, "_record_state", fault)
    with pytest.raises(RuntimeError):
        confirm(b, b_challenge, b_code)
    assert User.objects.filter(pk=a.pk, state=AccountState.PENDING_PHONE).exists()
    assert User.objects.get(pk=b.pk).state == AccountState.PENDING_PHONE
    assert not AuditEvent.objects.filter(action="registration_voided").exists()


def test_a_registration_whose_id_an_account_took_meanwhile_is_voided(person_factory, user_factory, committed):
    person = person_factory()
    late, challenge, code = register(committed, person.national_id, mobile="+966512340011", username="Latecomer2026")
    user_factory(person=person)  # e.g. staff linked the person to an account in between
    with pytest.raises(RegistrationVoided):
        confirm(late, challenge, code)
    assert not User.objects.filter(pk=late.pk).exists()


def test_a_confirmed_registration_is_not_confirmed_twice(person_factory, committed):
    user, challenge, code = register(committed, person_factory().national_id)
    confirm(user, challenge, code)
    with pytest.raises(OtpRejected) as error:
        confirm(user, challenge, code)
    assert error.value.code == "used"


def test_the_owners_password_reset_ignores_a_strangers_pending_registration(person_factory, committed, last_code):
    """Before: the owner could not register (the ID was held) and the reset said "no account"."""
    owner = person_factory()
    register(committed, owner.national_id, mobile="+966512340012", username="Stranger2026")
    # The pending registration is not an account: the reset finds none for the stranger's pair.
    with pytest.raises(ResetNoMatch):
        services.password_reset_begin(national_id=owner.national_id, mobile="+966512340012", client_address=IP)
    mine, challenge, code = register(committed, owner.national_id, mobile="+966512340013", username="Owner2026x")
    confirm(mine, challenge, code)
    with committed():
        reset = services.password_reset_begin(national_id=owner.national_id, mobile="+966512340013", client_address=IP)
    assert reset.user_id == mine.pk
    services.password_reset_verify(user_id=mine.pk, challenge=reset.challenge, code=last_code(), client_address=IP)
    services.password_reset_complete(user_id=mine.pk, challenge=reset.challenge, new_password="NewPass2026x", client_address=IP)
    assert User.objects.get(pk=mine.pk).check_password("NewPass2026x")


def test_sign_in_ignores_pending_registrations_but_sends_their_maker_back_to_the_code(person_factory, committed):
    owner = person_factory()
    stranger, *_ = register(committed, owner.national_id, mobile="+966512340014", username="Stranger2026",
                            password="Stranger2026x")
    mine, *_ = register(committed, owner.national_id, mobile="+966512340015", username="Owner2026x", password="Owner2026xy")
    # By the ID number, each password finds its own registration, never the other's.
    with pytest.raises(PhoneNotConfirmed) as error:
        services.login_begin(identifier=owner.national_id, password="Owner2026xy", client_address=IP)
    assert error.value.user == mine
    with pytest.raises(PhoneNotConfirmed) as error:
        services.login_begin(identifier="stranger2026", password="Stranger2026x", client_address=IP)
    assert error.value.user == stranger
    with pytest.raises(InvalidCredentials):
        services.login_begin(identifier=owner.national_id, password="Wrong2026xyz", client_address=IP)


def test_expiry_still_deletes_what_was_never_confirmed(person_factory):
    person = person_factory()
    with time_machine.travel(T0, tick=False):
        first, _ = services.registration_start(data=registration(person.national_id), client_address=IP)
        second, _ = services.registration_start(
            data=registration(person.national_id, mobile="+966512340016", username="Another2026x"), client_address=IP
        )
    with time_machine.travel(T0 + timedelta(hours=24), tick=False):
        assert services.expire_pending_registrations() == 2
    assert not User.objects.filter(pk__in=[first.pk, second.pk]).exists()
    assert AuditEvent.objects.filter(action="registration_expired").count() == 2


def test_the_database_holds_usernames_and_mobiles_unique_among_accounts_only(user_factory):
    from django.db import IntegrityError, transaction

    user_factory(username="Unique2026x", mobile="+966512340017")
    user_factory(username="UNIQUE2026X", mobile="+966512340017", state=AccountState.PENDING_PHONE)
    user_factory(username="unique2026x", mobile="+966512340017", state=AccountState.PENDING_PHONE)
    with pytest.raises(IntegrityError), transaction.atomic():
        user_factory(username="uNIQUE2026x", mobile="+966512340018")
    with pytest.raises(IntegrityError), transaction.atomic():
        user_factory(username="Other2026xy", mobile="+966512340017")
    user_factory(username="Staff2026xa", mobile=None)
    user_factory(username="Staff2026xb", mobile=None)  # no mobile twice is fine


# --- the pages ------------------------------------------------------------------------------------


def test_the_register_page_sends_the_owner_of_a_registered_account_to_a_kiosk(client, user_factory):
    registered = user_factory(state=AccountState.REGISTERED)
    with translation.override("en"):
        response = client.post(reverse("accounts:register"), form_data(registered.national_id))
    assert response.context["form"].has_error("national_id", "claim_at_kiosk")
    body = response.content.decode()
    assert 'id="claim-at-kiosk"' in body and f'href="{reverse("biometrics:centre-list")}"' in body
    active = user_factory(state=AccountState.ACTIVE)
    response = client.post(reverse("accounts:register"), form_data(active.national_id, mobile="512345679"))
    assert response.context["form"].has_error("national_id", "already_registered")
    assert 'id="claim-at-kiosk"' not in response.content.decode()


def test_a_voided_registration_is_told_on_its_code_page(client, person_factory, committed, sms_outbox):
    client.cookies["absher_language"] = "en"
    person = person_factory()
    with committed():
        client.post(reverse("accounts:register"), form_data(person.national_id))
    mine, challenge, code = register(committed, person.national_id, ip="192.0.2.20", mobile="+966512340019",
                                     username="Faster2026x")
    confirm(mine, challenge, code)
    response = client.get(reverse("accounts:register-confirm"))
    assert response.url == reverse("accounts:register")
    with translation.override("en"):
        expected = RegistrationVoided().message()
    assert expected in client.get(response.url).content.decode()
    assert client.get(reverse("accounts:register-confirm")).url == reverse("home")  # the flow is forgotten


def test_the_owner_registers_through_the_page_while_a_stranger_is_pending(client, person_factory, committed, sms_outbox):
    from django.test import Client

    owner = person_factory()
    stranger = Client()
    with committed():
        stranger.post(reverse("accounts:register"), form_data(owner.national_id, mobile="512340020", username="Stranger2026"),
                      REMOTE_ADDR="192.0.2.30")
    with committed():
        response = client.post(reverse("accounts:register"), form_data(owner.national_id, mobile="512340021"))
    assert response.url == reverse("accounts:register-confirm")
    with committed():
        response = client.post(response.url, {"code": code_in(sms_outbox[-1])})
    assert response.url == reverse("accounts:login")
    assert User.objects.get(username="Newcomer2026").person == owner
    assert not User.objects.filter(username="Stranger2026").exists()
