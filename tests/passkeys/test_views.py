"""The passkey pages through the test client: adding from the profile after the SMS code,
naming, removing; the sign-in with the passkey alone and instead of the SMS code."""

import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from absher.models import AuditEvent
from accounts.models import AccountState
from devices.models import Device
from passkeys.models import Passkey
from passkeys.notifications import notice_text

from .authenticator import SoftAuthenticator

pytestmark = pytest.mark.django_db
UA = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36"


def post_json(client, name, body=None, **kwargs):
    return client.post(reverse(name), data=json.dumps(body or {}), content_type="application/json", **kwargs)


def add_through_pages(client, authenticator, last_code, committed):
    with committed():
        assert client.post(reverse("passkeys:add")).url == reverse("passkeys:add-code")
    response = client.post(reverse("passkeys:add-code"), {"code": last_code()})
    assert response.url == reverse("passkeys:add-create")
    assert client.get(reverse("passkeys:add-create")).status_code == 200
    options = post_json(client, "passkeys:add-options").json()["publicKey"]
    with committed():
        return post_json(client, "passkeys:add-finish", {"credential": authenticator.register(options)}, HTTP_USER_AGENT=UA)


def test_add_from_the_profile_name_rename_remove(client, user_factory, last_code, committed, sms_outbox):
    user = user_factory()
    client.force_login(user)
    profile = client.get(reverse("accounts:profile")).content.decode()
    assert 'id="passkeys"' in profile and reverse("passkeys:add") in profile
    # The browser's step needs the code first.
    assert client.get(reverse("passkeys:add-create")).url == reverse("passkeys:add")
    assert post_json(client, "passkeys:add-options").json()["error"]["code"] == "passkey_code_needed"

    response = add_through_pages(client, SoftAuthenticator(), last_code, committed)
    passkey = Passkey.objects.get(user=user)
    assert response.json() == {"redirect": reverse("passkeys:rename", args=[passkey.pk]) + "?new=1"}
    assert passkey.name == "Chrome on Android"  # the default: the browser that made it
    with translation.override(user.preferred_language):  # the SMS is in the account's language
        assert sms_outbox[-1].body == notice_text("added")
    # One confirmed code adds one passkey.
    assert post_json(client, "passkeys:add-options").status_code == 400

    page = client.get(reverse("passkeys:rename", args=[passkey.pk]) + "?new=1")
    assert page.status_code == 200 and "Chrome on Android" in page.content.decode()
    assert client.post(reverse("passkeys:rename", args=[passkey.pk]), {"name": "   "}).status_code == 200
    assert client.post(reverse("passkeys:rename", args=[passkey.pk]), {"name": "My Pixel"}).status_code == 302
    passkey.refresh_from_db()
    assert passkey.name == "My Pixel"
    assert "My Pixel" in client.get(reverse("accounts:profile")).content.decode()

    assert client.get(reverse("passkeys:remove", args=[passkey.pk])).status_code == 200
    assert Passkey.objects.filter(pk=passkey.pk).exists()  # a GET asks, only the POST removes
    assert client.post(reverse("passkeys:remove", args=[passkey.pk])).status_code == 302
    assert not Passkey.objects.exists()
    assert {"passkey_added", "passkey_renamed", "passkey_removed"} <= set(AuditEvent.objects.values_list("action", flat=True))


def test_another_accounts_passkey_is_not_found(client, user_factory, add_passkey):
    owner, other = user_factory(), user_factory()
    passkey, _ = add_passkey(owner)
    client.force_login(other)
    for name in ["passkeys:rename", "passkeys:remove"]:
        assert client.get(reverse(name, args=[passkey.pk])).status_code == 404
        assert client.post(reverse(name, args=[passkey.pk]), {"name": "Mine"}).status_code == 404
    assert Passkey.objects.get(pk=passkey.pk).name == passkey.name


def test_pages_need_a_signed_in_citizen(client, db):
    for name in ["passkeys:add", "passkeys:add-code", "passkeys:add-create"]:
        assert client.get(reverse(name)).url.startswith(reverse("accounts:login"))
    assert client.post(reverse("passkeys:add-options")).status_code == 302


def test_json_exchanges_need_the_csrf_token(user_factory):
    client = Client(enforce_csrf_checks=True)
    assert post_json(client, "passkeys:sign-in-options").status_code == 403
    client.force_login(user_factory())
    assert post_json(client, "passkeys:add-options").status_code == 403


def test_sign_in_with_the_passkey_alone(client, user_factory, add_passkey):
    user = user_factory(state=AccountState.ACTIVE)
    passkey, authenticator = add_passkey(user)
    options = post_json(client, "passkeys:sign-in-options").json()["publicKey"]
    assert options["allowCredentials"] == [] and options["userVerification"] == "required"
    response = post_json(
        client, "passkeys:sign-in", {"credential": authenticator.sign(options), "next": "/services/passports/"},
    )
    assert response.json() == {"redirect": "/services/passports/"}
    assert client.get(reverse("accounts:profile")).status_code == 200  # signed in
    device = Device.objects.get(user=user)
    assert device.signed_in_with == "passkey"
    assert response.cookies["absher_language"].value == user.preferred_language


def test_sign_in_refuses_an_outside_next_and_a_replayed_answer(client, user_factory, add_passkey):
    user = user_factory()
    _, authenticator = add_passkey(user)
    options = post_json(client, "passkeys:sign-in-options").json()["publicKey"]
    answer = authenticator.sign(options)
    response = post_json(client, "passkeys:sign-in", {"credential": answer, "next": "https://evil.example/"})
    assert response.json() == {"redirect": reverse("home")}
    client.logout()
    # The challenge was used: the same answer again (a replay) finds no challenge waiting.
    again = post_json(client, "passkeys:sign-in", {"credential": answer})
    assert again.status_code == 400 and again.json()["error"]["code"] == "passkey_expired"


@pytest.mark.parametrize("language", ["ar", "en"])
def test_refusals_are_explained_in_the_page_language(client, user_factory, add_passkey, language):
    user = user_factory()
    _, authenticator = add_passkey(user)
    clone = authenticator.clone()
    for _ in range(2):
        options = post_json(client, "passkeys:sign-in-options").json()["publicKey"]
        post_json(client, "passkeys:sign-in", {"credential": authenticator.sign(options)})
        client.logout()
    client.cookies["absher_language"] = language
    options = post_json(client, "passkeys:sign-in-options").json()["publicKey"]
    response = post_json(client, "passkeys:sign-in", {"credential": clone.sign(options)})
    assert response.status_code == 400
    from passkeys.exceptions import PasskeyCloned

    with translation.override(language):
        assert response.json()["error"] == {"code": "passkey_cloned", "message": PasskeyCloned().message()}
    assert client.get(reverse("accounts:profile")).status_code == 302  # not signed in
    for garbage in [b"not json", b"[]", b'{"credential": 5}']:
        options = post_json(client, "passkeys:sign-in-options")
        bad = client.post(reverse("passkeys:sign-in"), data=garbage, content_type="application/json")
        assert bad.status_code == 400 and bad.json()["error"]["code"].startswith("passkey_")


def test_passkey_instead_of_the_sms_code(client, user_factory, add_passkey, committed):
    user = user_factory()
    other = user_factory()
    _, authenticator = add_passkey(user)
    _, others_authenticator = add_passkey(other)
    # Without a password step there is nothing to replace.
    assert post_json(client, "passkeys:second-step-options").json()["error"]["code"] == "passkey_expired"
    with committed():
        client.post(reverse("accounts:login"), {"identifier": user.username, "password": "GoodPass2026"})
    page = client.get(reverse("accounts:login-verify")).content.decode()
    assert 'id="passkey-second-step"' in page
    options = post_json(client, "passkeys:second-step-options").json()["publicKey"]
    assert [c["id"] for c in options["allowCredentials"]] == [Passkey.objects.get(user=user).credential_id]
    # Another account's passkey does not finish this account's sign-in.
    refused = post_json(client, "passkeys:second-step", {"credential": others_authenticator.sign(options)})
    assert refused.json()["error"]["code"] == "passkey_unknown"
    options = post_json(client, "passkeys:second-step-options").json()["publicKey"]
    response = post_json(client, "passkeys:second-step", {"credential": authenticator.sign(options)})
    assert response.json() == {"redirect": reverse("home")}
    assert client.get(reverse("accounts:profile")).status_code == 200
    assert AuditEvent.objects.filter(action="login_succeeded").last().details["step"] == "second_step"


def test_the_code_page_offers_a_passkey_only_to_an_account_that_has_one(client, user_factory, committed):
    user = user_factory()
    with committed():
        client.post(reverse("accounts:login"), {"identifier": user.username, "password": "GoodPass2026"})
    assert 'id="passkey-second-step"' not in client.get(reverse("accounts:login-verify")).content.decode()


def test_the_login_page_offers_a_passkey(client, db):
    page = client.get(reverse("accounts:login")).content.decode()
    assert reverse("passkeys:sign-in-options") in page and "js/passkeys.js" in page
    assert "<script>" not in page  # no inline script (CSP)


def test_a_challenge_waits_five_minutes(client, user_factory, add_passkey):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from passkeys.services import CEREMONY_LIFETIME

    _, authenticator = add_passkey(user_factory())
    options = post_json(client, "passkeys:sign-in-options").json()["publicKey"]
    with time_machine.travel(timezone.now() + CEREMONY_LIFETIME + timedelta(seconds=1), tick=False):
        late = post_json(client, "passkeys:sign-in", {"credential": authenticator.sign(options)})
    assert late.status_code == 400 and late.json()["error"]["code"] == "passkey_expired"
    options = post_json(client, "passkeys:sign-in-options").json()["publicKey"]
    with time_machine.travel(timezone.now() + CEREMONY_LIFETIME - timedelta(seconds=5), tick=False):
        assert post_json(client, "passkeys:sign-in", {"credential": authenticator.sign(options)}).status_code == 200
