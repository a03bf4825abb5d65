"""The app signs in with a passkey: /api/v1/auth/passkey/options/ then /api/v1/auth/passkey/."""

import pytest
from django.core import signing
from rest_framework.test import APIClient

from devices import tokens as tokens_module
from devices.models import Device

from .authenticator import SoftAuthenticator
from .conftest import APP_ORIGIN

pytestmark = pytest.mark.django_db
OPTIONS = "/api/v1/auth/passkey/options/"
SIGN_IN = "/api/v1/auth/passkey/"
DEVICE_ID = "app-installation-0123456789"


@pytest.fixture
def api():
    return APIClient()


def test_the_app_signs_in_with_a_passkey(api, user_factory, add_passkey):
    user = user_factory()
    _, authenticator = add_passkey(user)
    options = api.post(OPTIONS).json()
    assert options["public_key"]["userVerification"] == "required"
    assert options["public_key"]["rpId"] == "localhost"
    credential = authenticator.sign(options["public_key"], origin=APP_ORIGIN)
    response = api.post(SIGN_IN, {"state": options["state"], "credential": credential, "device_id": DEVICE_ID,
                                  "device_name": "Pixel 8"}, format="json")
    assert response.status_code == 200, response.json()
    assert response["Cache-Control"] == "no-store"
    tokens = response.json()
    assert tokens["token_type"] == "Bearer" and tokens["access_token"] and tokens["refresh_token"]
    device = Device.objects.get(user=user)
    assert device.signed_in_with == "passkey" and device.name == "Pixel 8"
    assert tokens_module.authenticate_access(tokens["access_token"])[0] == user


def test_a_state_is_answered_once(api, user_factory, add_passkey):
    user = user_factory()
    _, authenticator = add_passkey(user, SoftAuthenticator(counts=False))  # a replay is not caught by a counter
    options = api.post(OPTIONS).json()
    body = {"state": options["state"], "credential": authenticator.sign(options["public_key"]), "device_id": DEVICE_ID}
    assert api.post(SIGN_IN, body, format="json").status_code == 200
    again = api.post(SIGN_IN, body, format="json")
    assert again.status_code == 400 and again.json()["error"]["code"] == "passkey_expired"


@pytest.mark.parametrize("state", ["", "x", signing.dumps({"c": "abc"}, salt="another")])
def test_a_bad_state_is_refused(api, state):
    response = api.post(SIGN_IN, {"state": state or "x", "credential": {}, "device_id": DEVICE_ID}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "passkey_expired"


@pytest.mark.parametrize(
    ("crafted", "code"),
    [
        ({"origin": "https://evil.example"}, "passkey_invalid"),
        ({"rp_id": "evil.example"}, "passkey_invalid"),
        ({"uv": False}, "passkey_invalid"),
    ],
)
def test_refusals_have_their_codes(api, user_factory, add_passkey, crafted, code):
    _, authenticator = add_passkey(user_factory())
    options = api.post(OPTIONS).json()
    body = {"state": options["state"], "credential": authenticator.sign(options["public_key"], **crafted),
            "device_id": DEVICE_ID}
    response = api.post(SIGN_IN, body, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == code
    assert not Device.objects.exists()


def test_a_clone_and_an_unknown_passkey(api, user_factory, add_passkey):
    _, authenticator = add_passkey(user_factory())
    clone = authenticator.clone()

    def attempt(device_authenticator):
        options = api.post(OPTIONS).json()
        body = {"state": options["state"], "credential": device_authenticator.sign(options["public_key"]),
                "device_id": DEVICE_ID}
        return api.post(SIGN_IN, body, format="json")

    assert attempt(authenticator).status_code == 200
    cloned = attempt(clone)
    assert cloned.status_code == 400 and cloned.json()["error"]["code"] == "passkey_cloned"
    unknown = attempt(SoftAuthenticator())
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "passkey_unknown"


def test_missing_fields(api):
    response = api.post(SIGN_IN, {}, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"state", "credential", "device_id"}


def test_a_state_lives_five_minutes(api, user_factory, add_passkey):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from passkeys.services import CEREMONY_LIFETIME

    _, authenticator = add_passkey(user_factory())
    options = api.post(OPTIONS).json()
    body = {"state": options["state"], "credential": authenticator.sign(options["public_key"]), "device_id": DEVICE_ID}
    with time_machine.travel(timezone.now() + CEREMONY_LIFETIME + timedelta(seconds=1), tick=False):
        late = api.post(SIGN_IN, body, format="json")
    assert late.status_code == 400 and late.json()["error"]["code"] == "passkey_expired"
