import pytest

from accounts import services as accounts_services
from accounts.models import OtpPurpose
from passkeys import services

from .authenticator import ORIGIN, SoftAuthenticator

APP_ORIGIN = "android:apk-key-hash:Y2VydGlmaWNhdGUtaGFzaA"
ADDRESS = "198.51.100.7"


@pytest.fixture(autouse=True)
def webauthn_settings(settings):
    settings.WEBAUTHN_RP_ID = "localhost"
    settings.WEBAUTHN_ORIGINS = [ORIGIN, APP_ORIGIN]
    return settings


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def code_confirmed(committed, last_code):
    """`code_confirmed(user)`: the SMS code of adding a passkey, sent and confirmed; its challenge."""

    def confirm(user):
        with committed():
            challenge = accounts_services.otp_challenge_start(
                user=user, purpose=OtpPurpose.PASSKEY_ADD, client_address=ADDRESS
            )
        accounts_services.otp_challenge_verify(
            user_id=user.pk, purpose=OtpPurpose.PASSKEY_ADD, challenge=challenge, code=last_code(), client_address=ADDRESS
        )
        return challenge

    return confirm


@pytest.fixture
def add_passkey(code_confirmed):
    """`add_passkey(user, authenticator=None)`: the passkey added through the real services."""

    def add(user, authenticator=None, name="My phone"):
        authenticator = authenticator or SoftAuthenticator()
        code_challenge = code_confirmed(user)
        options, challenge = services.registration_options(user=user)
        passkey = services.passkey_register(
            user=user, credential=authenticator.register(options), challenge=challenge, code_challenge=code_challenge,
            name=name, client_address=ADDRESS,
        )
        return passkey, authenticator

    return add
