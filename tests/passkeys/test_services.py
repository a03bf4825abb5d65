"""The passkey services with crafted authenticator answers (tests/passkeys/authenticator.py):
options, registration, sign-in, the counter rule, origin and relying party (QUALITY 40)."""

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from absher.models import AuditEvent
from accounts import services as accounts_services
from accounts.exceptions import AccountSuspended, LoginBlocked
from accounts.models import AccountState, LoginThrottle
from accounts.signals import account_closed
from passkeys import services
from passkeys.exceptions import (
    PasskeyAlreadyRegistered,
    PasskeyCloned,
    PasskeyError,
    PasskeyLimit,
    PasskeyNotVerified,
    PasskeyUnknown,
)
from passkeys.models import Passkey
from passkeys.rules import MAX_PER_ACCOUNT

from .authenticator import SoftAuthenticator, b64
from .conftest import ADDRESS, APP_ORIGIN

pytestmark = pytest.mark.django_db


def actions(user=None):
    rows = AuditEvent.objects.order_by("id")
    if user is not None:
        rows = rows.filter(subject_label=user.username)
    return list(rows.values_list("action", flat=True))


def sign_in(authenticator, **kwargs):
    options, challenge = services.authentication_options()
    signing = {k: kwargs.pop(k) for k in ("origin", "rp_id", "uv", "sign_count") if k in kwargs}
    return services.passkey_authenticate(
        credential=authenticator.sign(options, **signing), challenge=challenge, client_address=ADDRESS, **kwargs
    )


# --- options --------------------------------------------------------------------------------------


def test_registration_options_require_user_verification_and_prefer_a_resident_key(user_factory, add_passkey):
    user = user_factory()
    passkey, _ = add_passkey(user)
    options, challenge = services.registration_options(user=user)
    assert options["rp"] == {"id": "localhost", "name": settings.WEBAUTHN_RP_NAME}
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["authenticatorSelection"]["residentKey"] == "preferred"
    assert options["attestation"] == "none"
    assert options["challenge"] == challenge and len(challenge) >= 43  # 32+ random bytes
    assert options["user"]["name"] == user.username
    # The user handle says nothing about the account; the same for each of its passkeys.
    assert options["user"]["id"] == passkey.user_handle == b64(services.user_handle(user))
    assert len(services.user_handle(user)) == 32 and str(user.pk).encode() not in services.user_handle(user)[:4]
    # A passkey the device already holds is not made twice.
    assert [c["id"] for c in options["excludeCredentials"]] == [passkey.credential_id]


def test_authentication_options(user_factory, add_passkey):
    options, challenge = services.authentication_options()
    assert options["rpId"] == "localhost"
    assert options["userVerification"] == "required"
    assert options["allowCredentials"] == []  # any passkey of this site: no username typed
    assert options["challenge"] == challenge
    assert services.authentication_options()[1] != challenge

    user = user_factory()
    passkey, _ = add_passkey(user)
    add_passkey(user_factory())  # another account's stays out
    mine, _ = services.authentication_options(user=user)
    assert [c["id"] for c in mine["allowCredentials"]] == [passkey.credential_id]
    with pytest.raises(PasskeyUnknown):
        services.authentication_options(user=user_factory())


# --- adding -----------------------------------------------------------------------------------------


def test_register_keeps_the_public_key_audits_and_tells_by_sms(user_factory, code_confirmed, committed, sms_outbox):
    user = user_factory()
    authenticator = SoftAuthenticator(sign_count=3)
    code_challenge = code_confirmed(user)
    options, challenge = services.registration_options(user=user)
    sent = len(sms_outbox)
    with committed():
        passkey = services.passkey_register(
            user=user, credential=authenticator.register(options), challenge=challenge,
            code_challenge=code_challenge, name="  My\tphone ", client_address=ADDRESS,
        )
    assert passkey.name == "My phone"
    assert passkey.sign_count == 3
    assert passkey.transports == ["internal"]
    assert bytes(passkey.public_key) == authenticator.cose_key()
    assert passkey.created_at is not None and passkey.last_used_at is None
    event = AuditEvent.objects.get(action="passkey_added")
    assert event.details["passkey"] == passkey.pk and event.client_address == ADDRESS
    assert len(sms_outbox) == sent + 1
    assert "passkey" in sms_outbox[-1].body or "مرور" in sms_outbox[-1].body


def test_register_needs_the_sms_code(user_factory, code_confirmed):
    user, other = user_factory(), user_factory()
    options, challenge = services.registration_options(user=user)
    credential = SoftAuthenticator().register(options)
    with pytest.raises(PasskeyNotVerified):
        services.passkey_register(
            user=user, credential=credential, challenge=challenge, code_challenge=__import__("uuid").uuid4(),
            name="x", client_address=ADDRESS,
        )
    # Another account's confirmed code is not this account's.
    with pytest.raises(PasskeyNotVerified):
        services.passkey_register(
            user=user, credential=credential, challenge=challenge, code_challenge=code_confirmed(other),
            name="x", client_address=ADDRESS,
        )
    assert not Passkey.objects.exists()


def test_register_code_is_valid_ten_minutes(user_factory, code_confirmed):
    user = user_factory()
    code_challenge = code_confirmed(user)
    options, challenge = services.registration_options(user=user)
    later = timezone.now() + services.CODE_VALIDITY_FOR_ADDING
    with time_machine.travel(later, tick=False), pytest.raises(PasskeyNotVerified):
        services.passkey_register(
            user=user, credential=SoftAuthenticator().register(options), challenge=challenge,
            code_challenge=code_challenge, name="x", client_address=ADDRESS,
        )


@pytest.mark.parametrize(
    "crafted",
    [
        {"origin": "https://absher.example.com"},  # a phishing site's page
        {"rp_id": "evil.example"},  # a passkey made for another site
        {"uv": False},  # no fingerprint, face or PIN
    ],
)
def test_register_refuses_another_origin_site_or_no_user_verification(user_factory, code_confirmed, crafted):
    user = user_factory()
    code_challenge = code_confirmed(user)
    options, challenge = services.registration_options(user=user)
    with pytest.raises(PasskeyError):
        services.passkey_register(
            user=user, credential=SoftAuthenticator().register(options, **crafted), challenge=challenge,
            code_challenge=code_challenge, name="x", client_address=ADDRESS,
        )
    assert not Passkey.objects.exists()
    assert "passkey_add_failed" in actions(user)


def test_register_refuses_another_challenge_and_garbage(user_factory, code_confirmed):
    user = user_factory()
    code_challenge = code_confirmed(user)
    options, _challenge = services.registration_options(user=user)
    _, other_challenge = services.registration_options(user=user)
    for credential, challenge in [
        (SoftAuthenticator().register(options), other_challenge),
        ({"id": "x"}, _challenge),
        ("not json", _challenge),
        (None, _challenge),
        ({"id": "AA", "rawId": "AA", "type": "public-key", "response": {"clientDataJSON": "!!", "attestationObject": "@@"}},
         _challenge),
    ]:
        with pytest.raises(PasskeyError):
            services.passkey_register(
                user=user, credential=credential, challenge=challenge, code_challenge=code_challenge, name="x",
                client_address=ADDRESS,
            )


def test_register_twice_and_the_limit(user_factory, add_passkey, code_confirmed):
    user = user_factory()
    _, authenticator = add_passkey(user)
    code_challenge = code_confirmed(user)
    options, challenge = services.registration_options(user=user)
    with pytest.raises(PasskeyAlreadyRegistered):
        services.passkey_register(
            user=user, credential=authenticator.register(options), challenge=challenge, code_challenge=code_challenge,
            name="again", client_address=ADDRESS,
        )
    for n in range(MAX_PER_ACCOUNT - 1):
        Passkey.objects.create(
            user=user, name=f"key {n}", credential_id=f"key{n}", public_key=b"", user_handle="", created_at=timezone.now()
        )
    with pytest.raises(PasskeyLimit):
        services.registration_options(user=user)


def test_rename_and_remove_only_ones_own(user_factory, add_passkey):
    user, other = user_factory(), user_factory()
    passkey, _ = add_passkey(user)
    assert services.passkey_rename(user=user, passkey_id=passkey.pk, name=" Laptop ").name == "Laptop"
    assert services.passkey_rename(user=user, passkey_id=passkey.pk, name="\x00").name == "Laptop"  # nothing printable
    with pytest.raises(Passkey.DoesNotExist):
        services.passkey_rename(user=other, passkey_id=passkey.pk, name="Mine")
    with pytest.raises(Passkey.DoesNotExist):
        services.passkey_remove(user=other, passkey_id=passkey.pk, client_address=ADDRESS)
    services.passkey_remove(user=user, passkey_id=passkey.pk, client_address=ADDRESS)
    assert not Passkey.objects.exists()
    assert actions(user)[-2:] == ["passkey_renamed", "passkey_removed"]


def test_closing_the_account_deletes_its_passkeys(user_factory, add_passkey):
    user, other = user_factory(), user_factory()
    add_passkey(user)
    add_passkey(other)
    account_closed.send(sender=None, user=user)
    assert list(Passkey.objects.values_list("user_id", flat=True)) == [other.pk]


# --- signing in ---------------------------------------------------------------------------------------


def test_sign_in_with_the_passkey_alone(user_factory, add_passkey):
    user = user_factory()
    passkey, authenticator = add_passkey(user)
    assert sign_in(authenticator) == user
    passkey.refresh_from_db()
    assert passkey.sign_count == 1 and passkey.last_used_at is not None
    assert actions(user)[-2:] == ["passkey_used", "login_succeeded"]
    assert AuditEvent.objects.filter(action="login_succeeded").last().details == {"method": "passkey", "step": "sign_in"}
    assert sign_in(authenticator) == user
    passkey.refresh_from_db()
    assert passkey.sign_count == 2


def test_the_app_origin_is_accepted(user_factory, add_passkey):
    user = user_factory()
    _, authenticator = add_passkey(user)
    assert sign_in(authenticator, origin=APP_ORIGIN) == user


def test_a_cloned_authenticator_is_refused(user_factory, add_passkey):
    """QUALITY 40: the counter going back shows a copy of the key; refused, audited, counter kept."""
    user = user_factory()
    passkey, authenticator = add_passkey(user)
    clone = authenticator.clone()
    sign_in(authenticator)
    sign_in(authenticator)  # the genuine one is at 2; the copy still at 0
    with pytest.raises(PasskeyCloned):
        sign_in(clone)  # says 1
    passkey.refresh_from_db()
    assert passkey.sign_count == 2
    event = AuditEvent.objects.get(action="passkey_clone_suspected")
    assert event.details == {"passkey": passkey.pk, "name": passkey.name, "stored_count": 2, "received_count": 1}
    failed = AuditEvent.objects.filter(action="login_failed").last()
    assert failed.details["reason"] == "passkey_cloned" and failed.details["method"] == "passkey"
    assert failed.subject_label == user.username
    # The same count again (a replay, or a copy in step) is refused too; the genuine one goes on.
    with pytest.raises(PasskeyCloned):
        sign_in(authenticator, sign_count=2)
    assert sign_in(authenticator, sign_count=3) == user


def test_a_passkey_without_a_counter_works_every_time(user_factory, add_passkey):
    user = user_factory()
    _, authenticator = add_passkey(user, SoftAuthenticator(counts=False))
    assert sign_in(authenticator) == user
    assert sign_in(authenticator) == user
    # Once it counted, 0 is going back.
    assert sign_in(authenticator, sign_count=1) == user
    with pytest.raises(PasskeyCloned):
        sign_in(authenticator, sign_count=0)


@pytest.mark.parametrize(
    "crafted",
    [
        {"origin": "https://absher-gov.example"},  # relayed from a phishing page
        {"origin": "http://localhost:8001"},  # another port is another origin
        {"rp_id": "evil.example"},  # a passkey of another site
        {"rp_id": "localhost.evil.example"},
        {"uv": False},  # user verification is required
    ],
)
def test_another_origin_another_site_or_no_user_verification_is_refused(user_factory, add_passkey, crafted):
    """QUALITY 40: an assertion made for another origin or relying party, or without user
    verification, is refused although its signature is genuine."""
    user = user_factory()
    passkey, authenticator = add_passkey(user)
    with pytest.raises(PasskeyError) as refused:
        sign_in(authenticator, **crafted)
    assert type(refused.value) is PasskeyError
    passkey.refresh_from_db()
    assert passkey.sign_count == 0 and passkey.last_used_at is None
    assert actions(user)[-1] == "login_failed"


def test_a_forged_signature_and_another_challenge_are_refused(user_factory, add_passkey):
    user = user_factory()
    _, authenticator = add_passkey(user)
    impostor = SoftAuthenticator()
    impostor.credential_id, impostor.user_handle = authenticator.credential_id, authenticator.user_handle
    with pytest.raises(PasskeyError):
        sign_in(impostor)
    options, _challenge = services.authentication_options()
    _, other_challenge = services.authentication_options()
    with pytest.raises(PasskeyError):
        services.passkey_authenticate(
            credential=authenticator.sign(options), challenge=other_challenge, client_address=ADDRESS
        )


def test_an_unknown_passkey_and_garbage_are_refused(db):
    with pytest.raises(PasskeyUnknown):
        sign_in(SoftAuthenticator())
    _, challenge = services.authentication_options()
    for garbage in [None, "x", 12, [], {}, {"id": "AA", "rawId": "AA", "type": "public-key", "response": {}},
                    {"id": "\x00" * 5000, "rawId": "zz", "type": "public-key",
                     "response": {"clientDataJSON": "", "authenticatorData": "", "signature": ""}}]:
        with pytest.raises(PasskeyError):
            services.passkey_authenticate(credential=garbage, challenge=challenge, client_address=ADDRESS)


def test_the_second_step_takes_only_the_accounts_own_passkey(user_factory, add_passkey):
    user, other = user_factory(), user_factory()
    add_passkey(user)
    _, others_authenticator = add_passkey(other)
    with pytest.raises(PasskeyUnknown):
        sign_in(others_authenticator, purpose=services.SECOND_STEP, user_id=user.pk)


def test_a_suspended_account_is_refused(user_factory, add_passkey):
    user = user_factory(state=AccountState.ACTIVE)
    _, authenticator = add_passkey(user)
    accounts_services.account_suspend(user=user, actor=None, reason="test")
    with pytest.raises(AccountSuspended):
        sign_in(authenticator)
    assert actions(user)[-1] == "login_refused_suspended"


def test_failures_count_against_the_address_and_lock_it(user_factory, add_passkey, settings):
    user = user_factory()
    _, authenticator = add_passkey(user)
    limit = settings.LOGIN_ADDRESS_FAILURE_LIMIT
    for _ in range(limit - 1):
        with pytest.raises(PasskeyError):
            sign_in(authenticator, uv=False)
    with pytest.raises(LoginBlocked):
        sign_in(authenticator, uv=False)
    assert LoginThrottle.objects.get(key=f"address:{ADDRESS}").locked_until is not None
    assert "address_locked" in actions()
    # Locked: even a good passkey waits, and nothing is checked meanwhile.
    with pytest.raises(LoginBlocked):
        sign_in(authenticator)
    assert actions()[-1] == "login_refused_locked"
