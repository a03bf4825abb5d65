"""Passkeys (WebAuthn, with py_webauthn): adding one, signing in with one, the counter rule.

The relying party is settings.WEBAUTHN_RP_ID; an answer is accepted only from one of
settings.WEBAUTHN_ORIGINS (the portal's pages, the app's own origin), with user verification
(the device's PIN, fingerprint or face), for a challenge the server issued and keeps (the session
for the pages, a signed state used once for the app). A counter that does not grow refuses the
sign-in as a suspected clone (passkeys.rules.sign_count_ok).
"""

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url, parse_authentication_credential_json
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from absher.audit import audit_record
from absher.notifications.services import message_enqueue
from accounts import lockout
from accounts.exceptions import AccountSuspended, LoginBlocked
from accounts.models import AccountState, OneTimeCode, OtpPurpose, User

# The sign-in throttle of accounts: a failed passkey counts against the client address like a
# failed password (the same row, the same policy).
from accounts.services import _address_policy, _save_throttle, _throttle, _throttle_state

from . import rules
from .exceptions import (
    PasskeyAlreadyRegistered,
    PasskeyCloned,
    PasskeyError,
    PasskeyLimit,
    PasskeyNotVerified,
    PasskeyUnknown,
)
from .models import Passkey
from .notifications import notice_text

#: How long a challenge may wait for its answer (and the browser's prompt, in milliseconds).
CEREMONY_LIFETIME = timedelta(minutes=5)
#: How long after its SMS code a passkey may be added.
CODE_VALIDITY_FOR_ADDING = timedelta(minutes=10)

# What a malformed or forged answer may raise while it is parsed and checked.
_MALFORMED = (WebAuthnException, ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError)

SIGN_IN = "sign_in"  # the passkey alone, from the sign-in page or the app
SECOND_STEP = "second_step"  # instead of the SMS code, after the right password


def _origins() -> list[str]:
    return list(settings.WEBAUTHN_ORIGINS)


def user_handle(user: User) -> bytes:
    """The account's handle on authenticators: the same for each of its passkeys, and no personal data."""
    key = hashlib.sha256(b"absher-passkey-user|" + settings.SECRET_KEY.encode()).digest()
    return hmac.new(key, str(user.pk).encode(), hashlib.sha256).digest()


def _descriptors(passkeys) -> list[PublicKeyCredentialDescriptor]:
    out = []
    for credential_id, transports in passkeys:
        known = [AuthenticatorTransport(t) for t in transports if t in AuthenticatorTransport._value2member_map_]
        out.append(PublicKeyCredentialDescriptor(id=base64url_to_bytes(credential_id), transports=known or None))
    return out


def _as_dict(options) -> dict:
    return json.loads(options_to_json(options))


# --- adding a passkey -------------------------------------------------------------------------


def registration_options(*, user: User) -> tuple[dict, str]:
    """The options of navigator.credentials.create() (a resident key preferred, user verification
    required; the account's passkeys excluded) and the challenge to keep."""
    existing = list(user.passkeys.values_list("credential_id", "transports"))
    if len(existing) >= rules.MAX_PER_ACCOUNT:
        raise PasskeyLimit(rules.MAX_PER_ACCOUNT)
    options = generate_registration_options(
        rp_id=settings.WEBAUTHN_RP_ID,
        rp_name=settings.WEBAUTHN_RP_NAME,
        user_name=user.get_username(),
        user_id=user_handle(user),
        user_display_name=user.get_username(),
        timeout=int(CEREMONY_LIFETIME.total_seconds() * 1000),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=_descriptors(existing),
    )
    return _as_dict(options), bytes_to_base64url(options.challenge)


def passkey_add_code_verified(*, user: User, code_challenge, now=None) -> bool:
    """Whether the account's SMS code for adding a passkey (this challenge) was confirmed lately."""
    now = now or timezone.now()
    return OneTimeCode.objects.filter(
        user=user, purpose=OtpPurpose.PASSKEY_ADD, challenge=code_challenge,
        used_at__gt=now - CODE_VALIDITY_FOR_ADDING, voided_at=None,
    ).exists()


def _transports(credential) -> list[str]:
    response = credential.get("response") if isinstance(credential, dict) else None
    values = response.get("transports") if isinstance(response, dict) else None
    if not isinstance(values, list):
        return []
    return [v for v in values if isinstance(v, str) and v in AuthenticatorTransport._value2member_map_][:8]


def passkey_register(
    *, user: User, credential, challenge: str, code_challenge, name: str, client_address: str
) -> Passkey:
    """Check the answer of navigator.credentials.create() and keep the passkey (its public key).

    Only after the SMS code of `code_challenge` (OtpPurpose.PASSKEY_ADD) was confirmed; the
    account is told by SMS after the commit.
    """
    now = timezone.now()
    if not passkey_add_code_verified(user=user, code_challenge=code_challenge, now=now):
        raise PasskeyNotVerified()
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=settings.WEBAUTHN_RP_ID,
            expected_origin=_origins(),
            require_user_verification=True,
        )
    except _MALFORMED as exc:
        with transaction.atomic():
            audit_record(
                action="passkey_add_failed", actor=user, subject=user, client_address=client_address,
                reason=str(exc)[:200],
            )
        raise PasskeyError() from None
    credential_id = bytes_to_base64url(verified.credential_id)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).only("pk").first()  # one addition at a time
        if user.passkeys.count() >= rules.MAX_PER_ACCOUNT:
            raise PasskeyLimit(rules.MAX_PER_ACCOUNT)
        if Passkey.objects.filter(credential_id=credential_id).exists():
            raise PasskeyAlreadyRegistered()
        try:
            with transaction.atomic():
                passkey = Passkey.objects.create(
                    user=user,
                    name=rules.clean_name(name) or "Passkey",
                    credential_id=credential_id,
                    public_key=verified.credential_public_key,
                    sign_count=verified.sign_count,
                    user_handle=bytes_to_base64url(user_handle(user)),
                    transports=_transports(credential),
                    aaguid=str(verified.aaguid or "")[:36],
                    backed_up=bool(verified.credential_backed_up),
                    created_at=now,
                )
        except IntegrityError:  # the same credential registered meanwhile
            raise PasskeyAlreadyRegistered() from None
        audit_record(
            action="passkey_added", actor=user, subject=user, client_address=client_address,
            passkey=passkey.pk, name=passkey.name, aaguid=passkey.aaguid, backed_up=passkey.backed_up,
        )
        if user.mobile:
            message_enqueue(
                to=user.mobile, language=user.preferred_language, purpose="passkeys.added", user=user,
                render=partial(notice_text, "added"),
            )
    return passkey


def passkey_rename(*, user: User, passkey_id: int, name: str) -> Passkey:
    """Raises Passkey.DoesNotExist for a passkey that is not the account's."""
    cleaned = rules.clean_name(name)
    with transaction.atomic():
        passkey = Passkey.objects.select_for_update().get(pk=passkey_id, user=user)
        if cleaned and cleaned != passkey.name:
            old = passkey.name
            passkey.name = cleaned
            passkey.save(update_fields=["name"])
            audit_record(action="passkey_renamed", actor=user, subject=user, passkey=passkey.pk, old_name=old, name=cleaned)
    return passkey


def passkey_remove(*, user: User, passkey_id: int, client_address: str) -> None:
    """Raises Passkey.DoesNotExist for a passkey that is not the account's."""
    with transaction.atomic():
        passkey = Passkey.objects.select_for_update().get(pk=passkey_id, user=user)
        audit_record(
            action="passkey_removed", actor=user, subject=user, client_address=client_address,
            passkey=passkey.pk, name=passkey.name,
        )
        passkey.delete()


def passkeys_delete_all(*, user: User) -> int:
    """Every passkey of an account that is closed (inside the closing transaction)."""
    count, _ = Passkey.objects.filter(user=user).delete()
    return count


# --- signing in ---------------------------------------------------------------------------------


def authentication_options(*, user: User | None = None) -> tuple[dict, str]:
    """The options of navigator.credentials.get() and the challenge to keep.

    Without `user`: any passkey of this site the device holds (a discoverable credential: no
    username typed). With `user` (the second step after the password): only that account's.
    """
    allow = []
    if user is not None:
        allow = _descriptors(user.passkeys.values_list("credential_id", "transports"))
        if not allow:
            raise PasskeyUnknown()
    options = generate_authentication_options(
        rp_id=settings.WEBAUTHN_RP_ID,
        allow_credentials=allow,
        user_verification=UserVerificationRequirement.REQUIRED,
        timeout=int(CEREMONY_LIFETIME.total_seconds() * 1000),
    )
    return _as_dict(options), bytes_to_base64url(options.challenge)


def challenge_use_once(challenge: str) -> bool:
    """True the first time a challenge is answered, False after (for the app's signed states)."""
    key = "passkeys:used:" + hashlib.sha256(challenge.encode()).hexdigest()
    return cache.add(key, 1, timeout=int(CEREMONY_LIFETIME.total_seconds()) * 2)


@dataclass(frozen=True)
class _Checked:
    passkey: Passkey
    new_sign_count: int
    backed_up: bool


_CREDENTIAL_ID = re.compile(r"^[A-Za-z0-9_-]{1,1400}$")


def _passkey_of(credential) -> tuple[Passkey | None, object]:
    """The stored passkey an answer names (and the parsed answer); PasskeyError if it is malformed."""
    try:
        parsed = parse_authentication_credential_json(credential)
    except _MALFORMED:
        raise PasskeyError() from None
    if not _CREDENTIAL_ID.match(parsed.id):
        raise PasskeyError()
    passkey = Passkey.objects.select_related("user").filter(credential_id=parsed.id).first()
    return passkey, parsed


def _check_assertion(*, passkey: Passkey | None, parsed, challenge: str, user_id: int | None) -> _Checked:
    if passkey is None or passkey.user.state == AccountState.CLOSED:
        raise PasskeyUnknown()
    if user_id is not None and passkey.user_id != user_id:
        raise PasskeyUnknown()  # the second step takes only the account's own passkeys
    returned_handle = parsed.response.user_handle
    if returned_handle and bytes_to_base64url(returned_handle) != passkey.user_handle:
        raise PasskeyError("user handle differs")
    try:
        # The counter is judged after the signature (rules.sign_count_ok), so that only a
        # genuine signature can raise a clone alarm.
        verified = verify_authentication_response(
            credential=parsed,
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=settings.WEBAUTHN_RP_ID,
            expected_origin=_origins(),
            credential_public_key=bytes(passkey.public_key),
            credential_current_sign_count=0,
            require_user_verification=True,
        )
    except _MALFORMED as exc:
        raise PasskeyError(str(exc)[:200]) from None
    return _Checked(passkey, verified.new_sign_count, verified.credential_backed_up)


def passkey_authenticate(
    *, credential, challenge: str, client_address: str, purpose: str = SIGN_IN, user_id: int | None = None,
    now=None,
) -> User:
    """Check the answer of navigator.credentials.get(); the account whose passkey signed it.

    A failure counts against the client address as a failed password does (the same throttle
    row and policy), and is audited as `login_failed` with method `passkey`; a counter that
    went back is audited as `passkey_clone_suspected` and refused. A suspended account is
    refused as on the password sign-in. On success the caller starts the session or the device.
    """
    now = now or timezone.now()
    address_key = f"address:{client_address}"
    policy = _address_policy()
    until = lockout.blocked_until(_throttle_state(address_key), now=now, policy=policy)
    if until:
        with transaction.atomic():
            audit_record(action="login_refused_locked", client_address=client_address, method="passkey")
        raise LoginBlocked(until)

    failure: PasskeyError | None = None
    checked = passkey = None
    try:
        passkey, parsed = _passkey_of(credential)
        checked = _check_assertion(passkey=passkey, parsed=parsed, challenge=challenge, user_id=user_id)
    except PasskeyError as exc:
        failure = exc

    outcome = None
    user = None
    with transaction.atomic():
        if checked is not None:
            row = Passkey.objects.select_for_update().select_related("user").filter(pk=checked.passkey.pk).first()
            if row is None:
                failure = PasskeyUnknown()  # removed meanwhile
            elif not rules.sign_count_ok(stored=row.sign_count, received=checked.new_sign_count):
                audit_record(
                    action="passkey_clone_suspected", subject=row.user, client_address=client_address,
                    passkey=row.pk, name=row.name, stored_count=row.sign_count, received_count=checked.new_sign_count,
                )
                failure = PasskeyCloned()
            else:
                user = row.user
                if user.state == AccountState.SUSPENDED or not user.is_active:
                    audit_record(
                        action="login_refused_suspended", subject=user, client_address=client_address, method="passkey"
                    )
                    outcome = AccountSuspended()
                else:
                    row.sign_count = checked.new_sign_count
                    row.last_used_at = now
                    row.backed_up = checked.backed_up
                    row.save(update_fields=["sign_count", "last_used_at", "backed_up"])
                    audit_record(
                        action="passkey_used", subject=user, client_address=client_address, passkey=row.pk, purpose=purpose
                    )
                    audit_record(
                        action="login_succeeded", subject=user, client_address=client_address, method="passkey",
                        step=purpose,
                    )
        if failure is not None:
            address_row, address_state = _throttle(address_key)
            new_address = lockout.after_failure(address_state, now=now, policy=policy)
            _save_throttle(address_row, new_address)
            # The account whose passkey it was, unless the second step named another account.
            subject = passkey.user if passkey is not None and user_id in (None, passkey.user_id) else None
            audit_record(
                action="login_failed", subject=subject, client_address=client_address, method="passkey",
                reason=failure.code, step=purpose, detail=str(failure.args[0])[:200] if failure.args else "",
            )
            outcome = failure
            if new_address.locked_until and new_address.locked_until != address_state.locked_until:
                audit_record(action="address_locked", client_address=client_address, until=new_address.locked_until.isoformat())
                outcome = LoginBlocked(new_address.locked_until)
    if outcome is not None:
        raise outcome
    return user
