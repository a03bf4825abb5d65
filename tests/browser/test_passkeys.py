"""Passkeys in a real Chromium with the DevTools virtual authenticator (WebAuthn domain over CDP):
a platform authenticator with user verification, as a phone's or a laptop's.

- test_add_from_the_profile_then_sign_in_with_the_passkey_alone: after the SMS code the browser
  creates the passkey (user verification required), the citizen names it; signed out, the
  passkey alone signs in (no username, no password, no SMS) and the device says "passkey".
- test_passkey_instead_of_the_sms_code: the right password, then the passkey instead of the code.
- test_a_cloned_authenticator_is_refused: the credential exported (WebAuthn.getCredentials) into a
  second authenticator with a lower counter: the sign-in is refused and audited (QUALITY 40).
- test_a_passkey_of_another_site_is_refused: a look-alike site (another origin) relays the
  portal's challenge: the answer of the portal's passkey, and of that site's own passkey with the
  same key, are refused by the portal (origin, rp id) although their signatures are genuine.
- test_passkey_pages_pass_axe: the pages in both languages at 390 and 1366 px, axe 0 violations.
"""

import base64
import os
import re
import uuid
from pathlib import Path

import cbor2
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from playwright.sync_api import expect

from absher.models import AuditEvent
from accounts.models import AccountState
from accounts.views import LOGIN
from devices.models import Device
from passkeys.exceptions import PasskeyCloned
from passkeys.models import Passkey
from passkeys.services import user_handle
from passkeys.views import PASSKEY_ADD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
PASSWORD = "GoodPass2026"
SUBMIT = "form.portal-form button[type=submit]"
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(autouse=True)
def relying_party(settings, live_server):
    """The live server is the portal: its origin is the one accepted, its host the rp id."""
    settings.WEBAUTHN_RP_ID = "localhost"
    settings.WEBAUTHN_ORIGINS = [live_server.url]
    assert live_server.url.startswith("http://localhost:")
    return live_server.url


def open_context(browser, live_server, page_problems, *, lang, viewport, bypass_csp=False):
    context = browser.new_context(
        viewport=viewport, base_url=live_server.url, locale="ar-SA" if lang == "ar" else "en-US", bypass_csp=bypass_csp
    )
    context.set_default_timeout(10_000)
    context.add_cookies([{"name": "absher_language", "value": lang, "url": live_server.url}])
    page = context.new_page()
    page_problems.watch(page)
    return page


@pytest.fixture
def pages(browser, live_server, page_problems):
    made = []

    def make(**kwargs):
        page = open_context(browser, live_server, page_problems, **kwargs)
        made.append(page.context)
        return page

    yield make
    for context in made:
        context.close()


class VirtualAuthenticator:
    """A platform authenticator (resident keys, user verification) of the DevTools protocol."""

    def __init__(self, page):
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("WebAuthn.enable", {"enableUI": False})
        self.id = self.add()

    def add(self) -> str:
        return self.cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
            "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
            "isUserVerified": True, "automaticPresenceSimulation": True,
        }})["authenticatorId"]

    def credentials(self) -> list[dict]:
        return self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": self.id})["credentials"]

    def add_credential(self, credential: dict) -> None:
        self.cdp.send("WebAuthn.addCredential", {"authenticatorId": self.id, "credential": credential})

    def replace_with_new_authenticator(self) -> None:
        self.cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": self.id})
        self.id = self.add()


def seed_passkey(user, authenticator: VirtualAuthenticator, *, rp_id="localhost", sign_count=0):
    """A passkey of `user` known to the portal, its private key in the virtual authenticator."""
    key = ec.generate_private_key(ec.SECP256R1())
    numbers = key.public_key().public_numbers()
    cose = cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})
    credential_id = os.urandom(32)
    handle = user_handle(user)
    Passkey.objects.create(
        user=user, name="Laptop", credential_id=base64.urlsafe_b64encode(credential_id).rstrip(b"=").decode(),
        public_key=cose, sign_count=sign_count, user_handle=base64.urlsafe_b64encode(handle).rstrip(b"=").decode(),
        transports=["internal"], created_at=timezone.now(),
    )
    private = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    credential = {
        "credentialId": base64.b64encode(credential_id).decode(), "isResidentCredential": True, "rpId": rp_id,
        "privateKey": base64.b64encode(private).decode(), "userHandle": base64.b64encode(handle).decode(),
        "signCount": sign_count,
    }
    authenticator.add_credential(credential)
    return credential


def submit(page, selector=SUBMIT):
    with page.expect_navigation():
        page.locator(selector).click()


def sign_in_with_password(page, user):
    page.goto(reverse("accounts:login"))
    page.locator("#id_identifier").fill(user.username)
    page.locator("#id_password").fill(PASSWORD)
    submit(page)
    page.wait_for_url(f"**{reverse('accounts:login-verify')}")


def expect_signed_in(page, user):
    expect(page.locator("header")).to_contain_text(user.username)


def expect_signed_out(page, user):
    page.goto(reverse("home"))
    expect(page.locator("header")).not_to_contain_text(user.username)


def sign_out(page):
    toggler = page.locator("header .navbar-toggler")
    if toggler.is_visible():  # a phone: the menu is folded
        toggler.click()
    submit(page, f'header form[action="{reverse("accounts:logout")}"] button[type=submit]')


def expect_no_problems(page_problems, allowed=()):
    left = [item for item in page_problems.items if not any(re.search(pattern, item) for pattern in allowed)]
    assert left == [], "\n".join(left)


@pytest.mark.parametrize(("lang", "viewport"), [("ar", PHONE), ("en", DESKTOP)])
def test_add_from_the_profile_then_sign_in_with_the_passkey_alone(
    pages, lang, viewport, user_factory, sms_code, screenshot, page_problems
):
    user = user_factory(password=PASSWORD, state=AccountState.ACTIVE, preferred_language=lang)
    page = pages(lang=lang, viewport=viewport)
    authenticator = VirtualAuthenticator(page)

    sign_in_with_password(page, user)
    page.locator("#id_code").fill(sms_code(after=0))
    submit(page)
    expect_signed_in(page, user)

    page.goto(reverse("accounts:profile"))
    section = page.locator("#passkeys")
    expect(section).to_be_visible()
    screenshot(page, lang, "profile")
    with page.expect_navigation():
        section.locator("#passkey-add-link").click()
    submit(page)  # "Send me the code"
    page.wait_for_url(f"**{reverse('passkeys:add-code')}")
    page.locator("#id_code").fill(sms_code(after=1))
    submit(page)
    page.wait_for_url(f"**{reverse('passkeys:add-create')}")
    screenshot(page, lang, "create")
    assert authenticator.credentials() == []
    with page.expect_navigation():
        page.locator("[data-passkey-start]").click()
    # The citizen names it; the browser that made it is the default name.
    expect(page.locator("#id_name")).to_have_value("Chrome on Linux")
    screenshot(page, lang, "name")
    page.locator("#id_name").fill("My laptop")
    submit(page)
    page.wait_for_url("**" + reverse("accounts:profile") + "*")
    expect(page.locator("#passkeys")).to_contain_text("My laptop")
    screenshot(page, lang, "profile-with-passkey")

    (credential,) = authenticator.credentials()
    assert credential["isResidentCredential"] is True and credential["rpId"] == "localhost"
    passkey = Passkey.objects.get(user=user)
    assert base64.b64decode(credential["credentialId"]) == base64.urlsafe_b64decode(passkey.credential_id + "==")
    assert AuditEvent.objects.filter(action="passkey_added", subject_label=user.username).exists()

    sign_out(page)
    expect_signed_out(page, user)
    page.goto(reverse("accounts:login"))
    screenshot(page, lang, "login")
    sent = AuditEvent.objects.filter(action="otp_sent").count()
    with page.expect_navigation():
        page.locator("#passkey-sign-in [data-passkey-start]").click()
    expect_signed_in(page, user)
    screenshot(page, lang, "signed-in-with-passkey")
    assert AuditEvent.objects.filter(action="otp_sent").count() == sent  # no SMS code
    assert Device.objects.filter(user=user, signed_in_with="passkey").count() == 1
    passkey.refresh_from_db()
    assert passkey.last_used_at is not None and passkey.sign_count == authenticator.credentials()[0]["signCount"] > 0
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect_no_problems(page_problems)


@pytest.mark.parametrize(("lang", "viewport"), [("en", PHONE), ("ar", DESKTOP)])
def test_passkey_instead_of_the_sms_code(pages, lang, viewport, user_factory, screenshot, page_problems):
    user = user_factory(password=PASSWORD, preferred_language=lang)
    page = pages(lang=lang, viewport=viewport)
    authenticator = VirtualAuthenticator(page)
    seed_passkey(user, authenticator)

    sign_in_with_password(page, user)
    block = page.locator("#passkey-second-step")
    expect(block).to_be_visible()
    screenshot(page, lang, "code-or-passkey")
    with page.expect_navigation():
        block.locator("[data-passkey-start]").click()
    expect_signed_in(page, user)
    assert Device.objects.get(user=user).signed_in_with == "passkey"
    assert AuditEvent.objects.filter(action="login_succeeded").last().details == {"method": "passkey", "step": "second_step"}
    expect_no_problems(page_problems)


def test_a_cloned_authenticator_is_refused(pages, user_factory, screenshot, page_problems):
    user = user_factory(password=PASSWORD, preferred_language="en")
    page = pages(lang="en", viewport=DESKTOP)
    authenticator = VirtualAuthenticator(page)
    seed_passkey(user, authenticator)

    page.goto(reverse("accounts:login"))
    with page.expect_navigation():
        page.locator("#passkey-sign-in [data-passkey-start]").click()
    expect_signed_in(page, user)
    sign_out(page)
    page.goto(reverse("accounts:login"))
    with page.expect_navigation():
        page.locator("#passkey-sign-in [data-passkey-start]").click()
    expect_signed_in(page, user)
    sign_out(page)
    passkey = Passkey.objects.get(user=user)
    assert passkey.sign_count == 2

    # The key copied into another authenticator whose counter is behind: a cloned authenticator.
    (credential,) = authenticator.credentials()
    assert credential["signCount"] == 2
    authenticator.replace_with_new_authenticator()
    authenticator.add_credential({**credential, "signCount": 0})

    page.goto(reverse("accounts:login"))
    page.locator("#passkey-sign-in [data-passkey-start]").click()
    status = page.locator("#passkey-sign-in [data-passkey-status]")
    with translation.override("en"):
        expect(status).to_have_text(PasskeyCloned().message())
    expect(status).to_have_attribute("aria-live", "assertive")
    screenshot(page, "en", "clone-refused")
    expect(page.locator("#passkey-sign-in [data-passkey-start]")).to_be_focused()
    expect_signed_out(page, user)
    passkey.refresh_from_db()
    assert passkey.sign_count == 2
    event = AuditEvent.objects.get(action="passkey_clone_suspected")
    assert event.details["stored_count"] == 2 and event.details["received_count"] == 1
    expect_no_problems(page_problems, allowed=[r"HTTP 400: .*/accounts/passkeys/sign-in/$", r"status of 400"])


FOREIGN_SIGN_IN = """async ({rpId}) => {
  const token = document.querySelector("#passkey-sign-in input[name=csrfmiddlewaretoken]").value;
  const post = (url, body) => fetch(url, {method: "POST", headers: {"Content-Type": "application/json",
    "X-CSRFToken": token}, body: JSON.stringify(body)}).then(async (r) => ({status: r.status, body: await r.json()}));
  const b64 = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer))).replace(/\\+/g, "-")
    .replace(/\\//g, "_").replace(/=+$/, "");
  const unb64 = (s) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
  const options = (await post("/accounts/passkeys/sign-in/options/", {})).body.publicKey;
  const publicKey = {challenge: unb64(options.challenge), rpId: rpId || options.rpId, userVerification: "required"};
  let credential;
  try {
    credential = await navigator.credentials.get({publicKey});
  } catch (error) {
    return {browserRefused: error.name};
  }
  const r = credential.response;
  return post("/accounts/passkeys/sign-in/", {credential: {id: credential.id, rawId: b64(credential.rawId),
    type: credential.type, clientExtensionResults: {}, response: {clientDataJSON: b64(r.clientDataJSON),
    authenticatorData: b64(r.authenticatorData), signature: b64(r.signature), userHandle: b64(r.userHandle)}}});
}"""


def test_a_passkey_of_another_site_is_refused(pages, live_server, settings, user_factory, screenshot, page_problems):
    """A look-alike site (http://phish.localhost:PORT: another origin, a secure context that
    Chromium resolves to this machine) relays the portal's challenge to the citizen's
    authenticator and posts the answer to the portal.

    The browser will not use the portal's passkey there (the rp id is not the site's); a passkey
    of that site with the same key signs genuinely, and the portal refuses the answer (its origin
    and rp id are not the portal's). The unit tests refuse each mismatch alone
    (tests/passkeys/test_services.py).
    """
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "phish.localhost"]
    user = user_factory(password=PASSWORD, preferred_language="en")
    page = pages(lang="en", viewport=DESKTOP)
    authenticator = VirtualAuthenticator(page)
    credential = seed_passkey(user, authenticator)
    foreign = live_server.url.replace("//localhost:", "//phish.localhost:")
    page.goto(foreign + reverse("accounts:login"))
    screenshot(page, "en", "foreign-site")

    # The portal's own passkey cannot even be asked for there: the browser refuses the portal's rp id.
    assert page.evaluate(FOREIGN_SIGN_IN, {"rpId": "localhost"}) == {"browserRefused": "SecurityError"}

    # A passkey of the other site with the same key signs genuinely; the portal refuses the answer.
    authenticator.replace_with_new_authenticator()
    authenticator.add_credential({**credential, "rpId": "phish.localhost"})
    refused = page.evaluate(FOREIGN_SIGN_IN, {"rpId": "phish.localhost"})
    assert refused.get("status") == 400 and refused["body"]["error"]["code"] == "passkey_invalid", refused
    failed = AuditEvent.objects.filter(action="login_failed").last()
    assert failed.details["method"] == "passkey" and failed.subject_label == user.username
    assert "origin" in failed.details["detail"].lower()

    # The same passkey back in the portal's hands (the portal's site) still works: nothing was spent.
    authenticator.replace_with_new_authenticator()
    authenticator.add_credential(credential)
    assert Passkey.objects.get(user=user).last_used_at is None
    assert not Device.objects.filter(user=user).exists()
    page.goto(live_server.url + reverse("accounts:login"))
    expect(page.locator("header")).not_to_contain_text(user.username)
    with page.expect_navigation():
        page.locator("#passkey-sign-in [data-passkey-start]").click()
    expect_signed_in(page, user)
    expect_no_problems(page_problems, allowed=[r"HTTP 400: .*/accounts/passkeys/sign-in/$", r"status of 400"])


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_passkey_pages_pass_axe(pages, live_server, lang, user_factory, screenshot):
    if not AXE.exists():
        if os.environ.get("CI"):
            pytest.fail("node_modules/axe-core is missing: run npm ci")
        pytest.skip("node_modules/axe-core is missing: run npm ci")
    axe_source = AXE.read_text(encoding="utf-8")
    user = user_factory(password=PASSWORD, preferred_language=lang)
    found = {}
    for viewport in (PHONE, DESKTOP):
        page = pages(lang=lang, viewport=viewport, bypass_csp=True)
        authenticator = VirtualAuthenticator(page)
        seed_passkey(user, authenticator)
        passkey = Passkey.objects.filter(user=user).last()
        urls = [reverse("accounts:login")]
        page.goto(urls[0])  # signed out first
        screenshot(page, lang, f"{viewport['width']}-signed-out-login")
        client = Client()
        client.force_login(user)
        # The steps in the middle of a flow: the code of adding a passkey (confirmed), and the
        # sign-in's code page of an account with a passkey.
        session = client.session
        session[PASSKEY_ADD] = {"user_id": user.pk, "challenge": str(uuid.uuid4()), "verified": True}
        session[LOGIN] = {"user_id": user.pk, "challenge": str(uuid.uuid4()), "next": ""}
        session.save()
        page.context.add_cookies([{
            "name": django_settings.SESSION_COOKIE_NAME, "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
            "url": live_server.url,
        }])
        urls += [
            reverse("accounts:profile"), reverse("passkeys:add"), reverse("passkeys:add-code"),
            reverse("passkeys:add-create"), reverse("passkeys:rename", args=[passkey.pk]),
            reverse("passkeys:remove", args=[passkey.pk]), reverse("accounts:login-verify"),
        ]
        for url in urls:
            page.goto(url)
            assert page.url.endswith(url), (url, page.url)
            screenshot(page, lang, f"{viewport['width']}-{url.strip('/').replace('/', '-')}")
            # Nothing wider than the screen (390 px).
            assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], url
            page.add_script_tag(content=axe_source)
            problems = page.evaluate(
                "async () => { const r = await axe.run(document, {runOnly: {type: 'tag', values: "
                "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}}); return r.violations.map(v => "
                "({id: v.id, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})); }"
            )
            if problems:
                found[f"{viewport['width']}{url}"] = problems
            if url in (reverse("accounts:login"), reverse("passkeys:add-create"), reverse("accounts:login-verify")):
                expect(page.locator("[data-passkey-start]")).to_be_visible()
    assert found == {}, found
