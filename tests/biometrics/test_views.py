"""The kiosk flows through the test client: a provisioned device, the simulated reader, SMS codes."""

import base64
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from absher.models import AuditEvent
from accounts.models import AccountState, OneTimeCode, User
from accounts.notifications import notice_text
from biometrics.credentials import cookie_name
from biometrics.models import EnrollmentAttempt, KioskFlow
from biometrics.selectors import activation_of
from tests.conftest import code_in, make_id

from .conftest import reference_of

pytestmark = pytest.mark.django_db

PASSWORD = "GoodPass2026"


class Kiosk:
    """The kiosk's screen: every response is kept, to check headers and that no template leaks."""

    def __init__(self, client, committed):
        self.client = client
        self.committed = committed
        self.responses = []

    def _keep(self, response):
        self.responses.append(response)
        return response

    def get(self, name, **kwargs):
        return self._keep(self.client.get(reverse(f"biometrics:{name}"), **kwargs))

    def post(self, name, data=None, **kwargs):
        with self.committed():
            return self._keep(self.client.post(reverse(f"biometrics:{name}"), data or {}, **kwargs))

    def step(self):
        flow = KioskFlow.objects.first()
        return flow.data.get("step") if flow else None

    def start(self, purpose="activation", language="en"):
        assert self.get("kiosk-start").status_code == 200
        assert self.post("kiosk-begin", {"language": language}).url == reverse("biometrics:kiosk-menu")
        assert self.get("kiosk-menu").status_code == 200
        assert self.post("kiosk-menu", {"purpose": purpose}).url == reverse("biometrics:kiosk-id")

    def id_number(self, national_id):
        assert self.get("kiosk-id").status_code == 200
        return self.post("kiosk-id", {"national_id": national_id})

    def scan(self, presented_id="", finger="right_index", fault=""):
        self.get("kiosk-finger")
        return self.post("kiosk-finger", {"presented_id": presented_id, "finger": finger, "fault": fault})

    def to_terms(self, user):
        self.start()
        self.id_number(user.person.national_id)
        response = self.scan(user.person.national_id)
        assert response.url == reverse("biometrics:kiosk-terms"), self.step()

    def to_credentials(self, user, sms_outbox):
        self.to_terms(user)
        self.get("kiosk-terms")
        assert self.post("kiosk-terms", {"accept": "on"}).url == reverse("biometrics:kiosk-mobile")
        self.get("kiosk-mobile")
        assert self.post("kiosk-mobile", {"mobile": user.mobile[4:]}).url == reverse("biometrics:kiosk-mobile-code")
        assert sms_outbox[-1].to == user.mobile
        self.get("kiosk-mobile-code")
        assert self.post("kiosk-mobile-code", {"code": code_in(sms_outbox[-1])}).url == reverse("biometrics:kiosk-credentials")

    def all_bytes(self) -> bytes:
        out = b""
        for response in self.responses:
            out += response.content + str(response.headers).encode() + str(response.cookies).encode()
        return out


@pytest.fixture
def screen(client, committed, kiosk):
    return Kiosk(client, committed)


def assert_no_template_in(screen, *templates):
    seen = screen.all_bytes()
    for template in templates:
        for form in (template, base64.b64encode(template), base64.urlsafe_b64encode(template), template.hex().encode()):
            assert form not in seen
    assert b"NBT1" not in seen and b"FGI1" not in seen  # no template, no image


# --- the activation ---------------------------------------------------------------------------


def test_the_right_finger_activates_a_registered_account(screen, citizen, sms_outbox):
    screen.to_credentials(citizen, sms_outbox)
    screen.get("kiosk-credentials")
    response = screen.post("kiosk-credentials", {"identifier": citizen.username, "password": PASSWORD})
    assert response.url == reverse("biometrics:kiosk-login-code")
    assert OneTimeCode.objects.filter(user=citizen, purpose="login").exists()
    screen.get("kiosk-login-code")
    response = screen.post("kiosk-login-code", {"code": code_in(sms_outbox[-1])})
    assert response.url == reverse("biometrics:kiosk-done")
    done = screen.get("kiosk-done")
    assert b'data-purpose="activation"' in done.content

    citizen.refresh_from_db()
    assert citizen.state == AccountState.ACTIVE and citizen.activation_method == "kiosk_fingerprint"
    change = citizen.state_changes.first()
    assert (change.from_state, change.to_state, change.actor) == ("registered", "active", None)
    with translation.override("ar"):  # the account's language
        assert sms_outbox[-1].body == notice_text("activated") and sms_outbox[-1].to == citizen.mobile
    attempt = EnrollmentAttempt.objects.get(account=citizen, result="match")
    assert attempt.completed_at is not None
    activation = activation_of(citizen)
    assert activation.at_kiosk and activation.kiosk == attempt.kiosk and activation.at == citizen.activated_at
    assert activation.place("en").startswith("Civil Affairs Office")
    # The done screen holds nothing of the citizen, and no portal session was started.
    assert citizen.username.encode() not in done.content and citizen.person.national_id.encode() not in done.content
    assert "_auth_user_id" not in screen.client.session
    assert KioskFlow.objects.get().data == {"lang": "en", "step": "done", "purpose": "activation"}
    screen.post("kiosk-reset")
    assert not KioskFlow.objects.exists()
    assert_no_template_in(screen, reference_of(citizen.person.national_id))


def test_the_id_number_can_be_the_identifier_and_digits_arabic(screen, citizen, sms_outbox):
    screen.to_credentials(citizen, sms_outbox)
    response = screen.post("kiosk-credentials", {"identifier": citizen.person.national_id, "password": PASSWORD})
    assert response.url == reverse("biometrics:kiosk-login-code")


IMPOSTOR = "2000000006"  # whose finger the simulated reader presents for a touch that must not match


def test_another_persons_finger_does_not_activate(screen, citizen):
    screen.start()
    screen.id_number(citizen.person.national_id)
    response = screen.scan(IMPOSTOR)
    assert response.url == reverse("biometrics:kiosk-finger")
    page = screen.get("kiosk-finger")
    # Three touches make one try: the first two only ask for another touch.
    assert b'data-notice="touch_again"' in page.content and b"2 more touches in this try" in page.content
    screen.scan(IMPOSTOR)
    assert b"1 more touch in this try" in screen.get("kiosk-finger").content
    screen.scan(IMPOSTOR)
    page = screen.get("kiosk-finger")
    assert b'data-notice="no_match"' in page.content and b"4 more tries" in page.content
    assert screen.step() == "finger"
    assert screen.get("kiosk-terms").url == reverse("biometrics:kiosk-finger")  # no skipping ahead
    citizen.refresh_from_db()
    assert citizen.state == AccountState.REGISTERED
    assert list(EnrollmentAttempt.objects.values_list("result", flat=True)) == ["no_match"] * 3


def test_the_wrong_finger_of_the_right_person_does_not_match(screen, citizen):
    screen.start()
    screen.id_number(citizen.person.national_id)
    screen.scan(citizen.person.national_id, finger="left_index")
    assert screen.step() == "finger" and EnrollmentAttempt.objects.get().result == "no_match"


def test_the_mobile_must_be_the_accounts(screen, citizen, sms_outbox):
    screen.to_terms(citizen)
    screen.post("kiosk-terms", {"accept": "on"})
    response = screen.post("kiosk-mobile", {"mobile": "512345678"})
    assert response.status_code == 200 and response.context["form"].has_error("mobile", "mobile_not_account")
    assert sms_outbox == [] and screen.step() == "mobile"
    assert b'value="512345678"' in response.content  # what was typed is kept


def test_the_terms_must_be_accepted(screen, citizen):
    screen.to_terms(citizen)
    response = screen.post("kiosk-terms", {})
    assert response.status_code == 200 and screen.step() == "terms"


def test_a_wrong_sms_code_is_refused(screen, citizen, sms_outbox):
    screen.to_terms(citizen)
    screen.post("kiosk-terms", {"accept": "on"})
    screen.post("kiosk-mobile", {"mobile": citizen.mobile[4:]})
    right = code_in(sms_outbox[-1])
    wrong = "000000" if right != "000000" else "111111"
    response = screen.post("kiosk-mobile-code", {"code": wrong})
    assert response.status_code == 200 and b"4 more tries" in response.content
    assert screen.step() == "mobile_code"
    # A new code: the old one is void.
    screen.post("kiosk-code-resend")
    assert len(sms_outbox) == 1  # within the minute of the resend cooldown: refused, and said so
    assert b"You can ask for a new one" in screen.get("kiosk-mobile-code").content


def test_a_wrong_password_is_refused(screen, citizen, sms_outbox):
    screen.to_credentials(citizen, sms_outbox)
    sent = len(sms_outbox)
    response = screen.post("kiosk-credentials", {"identifier": citizen.username, "password": "Wrong2026pass"})
    assert response.status_code == 200 and b"incorrect" in response.content
    assert len(sms_outbox) == sent and screen.step() == "credentials"
    assert AuditEvent.objects.filter(action="login_failed", subject=citizen).exists()
    citizen.refresh_from_db()
    assert citizen.state == AccountState.REGISTERED


def test_another_accounts_credentials_are_refused(screen, citizen, user_factory, sms_outbox):
    other = user_factory()
    screen.to_credentials(citizen, sms_outbox)
    sent = len(sms_outbox)
    response = screen.post("kiosk-credentials", {"identifier": other.username, "password": PASSWORD})
    assert response.status_code == 200 and len(sms_outbox) == sent  # no code goes to the other account


def test_a_wrong_login_code_does_not_activate(screen, citizen, sms_outbox):
    screen.to_credentials(citizen, sms_outbox)
    screen.post("kiosk-credentials", {"identifier": citizen.username, "password": PASSWORD})
    right = code_in(sms_outbox[-1])
    response = screen.post("kiosk-login-code", {"code": "000000" if right != "000000" else "111111"})
    assert response.status_code == 200 and screen.step() == "login_code"
    citizen.refresh_from_db()
    assert citizen.state == AccountState.REGISTERED


def test_five_failed_tries_pause_the_id(screen, citizen):
    screen.start()
    screen.id_number(citizen.person.national_id)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(15):  # 5 tries of 3 touches
            screen.scan(IMPOSTOR)
        page = screen.get("kiosk-finger")
        assert b'data-notice="locked"' in page.content and b'id="kiosk-scan" disabled' in page.content
        screen.scan(citizen.person.national_id)  # the right finger, but too soon
        assert screen.step() == "finger"
        assert EnrollmentAttempt.objects.filter(result="locked").count() == 1
    with time_machine.travel(start + timedelta(seconds=31), tick=False):
        assert screen.scan(citizen.person.national_id).url == reverse("biometrics:kiosk-terms")


def test_an_engine_that_cannot_compare_says_so_and_counts_nothing(screen, citizen, monkeypatch):
    import sys

    from biometrics.engine import client as engine_client

    broken = engine_client.EngineClient(command=[sys.executable, "-c", "raise SystemExit(1)"])
    monkeypatch.setattr(engine_client, "_client", broken)
    screen.start()
    screen.id_number(citizen.person.national_id)
    screen.scan(citizen.person.national_id)
    page = screen.get("kiosk-finger")
    assert b'data-notice="unavailable"' in page.content and b"fingerprint service is unavailable" in page.content
    assert screen.step() == "finger" and EnrollmentAttempt.objects.get().result == "unavailable"
    with translation.override("ar"):
        from biometrics.exceptions import FingerprintUnavailable

        arabic = FingerprintUnavailable().message()
    screen.post("kiosk-reset")
    screen.start(language="ar")
    screen.id_number(citizen.person.national_id)
    screen.scan(citizen.person.national_id)
    assert arabic.encode() in screen.get("kiosk-finger").content
    monkeypatch.undo()
    broken.close()
    assert screen.scan(citizen.person.national_id).url == reverse("biometrics:kiosk-terms")  # nothing was counted


def test_a_duplicate_case_under_review_stops_the_activation_at_the_match_and_at_the_end(screen, citizen, sms_outbox, monkeypatch):
    from biometrics import abis

    held = {citizen.person.national_id}
    monkeypatch.setattr(abis, "activation_held", lambda national_id: national_id in held)
    screen.start()
    screen.id_number(citizen.person.national_id)
    assert screen.scan(citizen.person.national_id).url == reverse("biometrics:kiosk-stop")
    page = screen.get("kiosk-stop")
    assert b'data-reason="under_review"' in page.content and b"reviewing the fingerprint record" in page.content
    screen.post("kiosk-reset")
    # A case opened while the citizen goes through the steps holds the activation at its end.
    held.clear()
    screen.to_credentials(citizen, sms_outbox)
    screen.post("kiosk-credentials", {"identifier": citizen.username, "password": PASSWORD})
    held.add(citizen.person.national_id)
    screen.post("kiosk-login-code", {"code": code_in(sms_outbox[-1])})
    assert b'data-reason="under_review"' in screen.get("kiosk-stop").content
    citizen.refresh_from_db()
    assert citizen.state == AccountState.REGISTERED


@pytest.mark.parametrize(
    "fault, result, notice",
    [("poor_quality", "poor_quality", "poor_quality"), ("no_finger", "no_finger", "no_finger"), ("unplugged", "reader_error", "unplugged")],
)
def test_reader_errors_ask_to_try_again_and_do_not_count(screen, citizen, fault, result, notice):
    screen.start()
    screen.id_number(citizen.person.national_id)
    for _ in range(6):
        screen.scan(citizen.person.national_id, fault=fault)
    page = screen.get("kiosk-finger")
    assert f'data-notice="{notice}"'.encode() in page.content
    assert EnrollmentAttempt.objects.filter(result=result).count() == 6
    assert screen.scan(citizen.person.national_id).url == reverse("biometrics:kiosk-terms")  # not paused


@pytest.mark.parametrize("state, reason", [(AccountState.PENDING_PHONE, "pending_phone"), (AccountState.ACTIVE, "already_active"), (AccountState.SUSPENDED, "suspended")])
def test_only_a_registered_account_is_activated(screen, user_factory, person_factory, with_reference, state, reason):
    user = user_factory(state=state, person=with_reference(person_factory()))
    screen.start()
    screen.id_number(user.person.national_id)
    assert screen.scan(user.person.national_id).url == reverse("biometrics:kiosk-stop")
    page = screen.get("kiosk-stop")
    assert f'data-reason="{reason}"'.encode() in page.content
    assert KioskFlow.objects.get().data == {"lang": "en", "step": "stop", "reason": reason}
    user.refresh_from_db()
    assert user.state == state


def test_an_id_without_an_account_or_a_reference(screen, person_factory, with_reference):
    person = with_reference(person_factory())
    screen.start()
    screen.id_number(person.national_id)
    screen.scan(person.national_id)
    assert b'data-reason="no_account"' in screen.get("kiosk-stop").content
    screen.post("kiosk-reset")
    bare = person_factory()
    screen.start()
    screen.id_number(bare.national_id)
    screen.scan(bare.national_id)
    assert b'data-reason="no_reference"' in screen.get("kiosk-stop").content


def test_an_id_number_not_in_the_registry(screen):
    screen.start()
    response = screen.id_number(make_id("1", 99_999))
    assert response.status_code == 200 and response.context["form"].has_error("national_id", "not_in_registry")
    response = screen.id_number("123")
    assert response.status_code == 200 and screen.step() == "id"


# --- a lost mobile number -------------------------------------------------------------------------
# (Of an active account: on a `registered` one, the ID's owner takes the account over; see below.)


def test_a_lost_mobile_number_is_changed(screen, active_citizen, sms_outbox):
    old = active_citizen.mobile
    screen.start(purpose="mobile_change")
    screen.id_number(active_citizen.person.national_id)
    assert screen.scan(active_citizen.person.national_id).url == reverse("biometrics:kiosk-new-mobile")
    assert screen.post("kiosk-new-mobile", {"mobile": "0551234567"}).url == reverse("biometrics:kiosk-new-mobile-code")
    assert sms_outbox[-1].to == "+966551234567"
    page = screen.get("kiosk-new-mobile-code")
    assert "05•••••567".encode() in page.content  # the new number, masked
    response = screen.post("kiosk-new-mobile-code", {"code": code_in(sms_outbox[-1])})
    assert response.url == reverse("biometrics:kiosk-done")
    active_citizen.refresh_from_db()
    assert active_citizen.mobile == "+966551234567"
    with translation.override("ar"):
        assert sms_outbox[-1].to == old and sms_outbox[-1].body == notice_text("mobile_changed")
    assert AuditEvent.objects.filter(action="mobile_changed", subject=active_citizen).exists()
    assert EnrollmentAttempt.objects.get(purpose="mobile_change").completed_at is not None
    assert b'data-purpose="mobile_change"' in screen.get("kiosk-done").content


def test_the_new_number_must_not_belong_to_another_account(screen, active_citizen, user_factory, sms_outbox):
    other = user_factory()
    screen.start(purpose="mobile_change")
    screen.id_number(active_citizen.person.national_id)
    screen.scan(active_citizen.person.national_id)
    response = screen.post("kiosk-new-mobile", {"mobile": other.mobile[4:]})
    assert response.status_code == 200 and response.context["form"].has_error("mobile", "mobile_taken")
    response = screen.post("kiosk-new-mobile", {"mobile": active_citizen.mobile[4:]})
    assert response.context["form"].has_error("mobile", "mobile_unchanged")
    assert sms_outbox == []


def test_a_number_taken_between_the_code_and_its_use(screen, active_citizen, user_factory, sms_outbox):
    screen.start(purpose="mobile_change")
    screen.id_number(active_citizen.person.national_id)
    screen.scan(active_citizen.person.national_id)
    screen.post("kiosk-new-mobile", {"mobile": "551234567"})
    user_factory(mobile="+966551234567")
    response = screen.post("kiosk-new-mobile-code", {"code": code_in(sms_outbox[-1])})
    assert response.status_code == 200 and b"belongs to another account" in response.content
    active_citizen.refresh_from_db()
    assert active_citizen.mobile != "+966551234567"


def test_the_mobile_change_code_is_resent_to_the_new_number(screen, active_citizen, sms_outbox, settings):
    settings.OTP_RESEND_COOLDOWN = timedelta(0)
    screen.start(purpose="mobile_change")
    screen.id_number(active_citizen.person.national_id)
    screen.scan(active_citizen.person.national_id)
    screen.post("kiosk-new-mobile", {"mobile": "551234567"})
    first = code_in(sms_outbox[-1])
    screen.post("kiosk-code-resend")
    assert len(sms_outbox) == 2 and sms_outbox[-1].to == "+966551234567"
    response = screen.post("kiosk-new-mobile-code", {"code": first})
    assert response.status_code == 200  # the first code is void
    assert screen.post("kiosk-new-mobile-code", {"code": code_in(sms_outbox[-1])}).url == reverse("biometrics:kiosk-done")


def test_a_code_the_gateway_could_not_deliver_in_its_lifetime_is_said_and_a_new_one_offered(screen, citizen, sms_outbox,
                                                                                            settings):
    from absher.sms.backends import locmem

    settings.OTP_RESEND_COOLDOWN = timedelta(0)
    locmem.fail_next.extend([True] * (1 + len(settings.NOTIFY_RETRY_DELAYS)))  # down for the code's lifetime
    screen.to_terms(citizen)
    screen.post("kiosk-terms", {"accept": "on"})
    assert screen.post("kiosk-mobile", {"mobile": citizen.mobile[4:]}).url == reverse("biometrics:kiosk-mobile-code")
    with translation.override("en"):
        page = screen.get("kiosk-mobile-code")
    assert sms_outbox == [] and page.context["delivery_failed"] is True
    assert b"We could not send the SMS" in page.content and b'id="kiosk-resend"' in page.content
    locmem.fail_next.clear()  # the gateway is back
    screen.post("kiosk-code-resend")
    page = screen.get("kiosk-mobile-code")
    assert len(sms_outbox) == 1 and page.context["delivery_failed"] is False
    assert screen.post("kiosk-mobile-code", {"code": code_in(sms_outbox[-1])}).url == reverse("biometrics:kiosk-credentials")


# --- kiosk mode: the device, no-store, idle reset ---------------------------------------------------

KIOSK_PAGES = [
    "kiosk-start", "kiosk-menu", "kiosk-id", "kiosk-finger", "kiosk-terms", "kiosk-mobile", "kiosk-mobile-code",
    "kiosk-credentials", "kiosk-login-code", "kiosk-new-mobile", "kiosk-new-mobile-code", "kiosk-claim", "kiosk-done",
    "kiosk-stop",
]


@pytest.mark.parametrize("cookie", [None, "forged", "expired-binding"])
def test_a_device_that_is_not_provisioned_gets_no_kiosk_page(client, kiosk_factory, provision, cookie):
    kiosk = provision(kiosk_factory(), client)
    if cookie == "forged":
        client.cookies[cookie_name()] = client.cookies[cookie_name()].value[:-2] + "xx"
    elif cookie == "expired-binding":
        provision(kiosk)  # bound again (another device): this one's credential is worthless
    else:
        del client.cookies[cookie_name()]
    for name in KIOSK_PAGES:
        response = client.get(reverse(f"biometrics:{name}"))
        assert response.status_code == 403, name
        assert "no-store" in response.headers["Cache-Control"], name
        assert b"kiosk.js" not in response.content
    for name in ("kiosk-begin", "kiosk-reset", "kiosk-heartbeat"):
        assert client.post(reverse(f"biometrics:{name}"), {"language": "ar"}).status_code == 403


def test_every_kiosk_response_is_no_store(screen, citizen, sms_outbox):
    screen.to_credentials(citizen, sms_outbox)
    screen.post("kiosk-credentials", {"identifier": citizen.username, "password": PASSWORD})
    screen.post("kiosk-login-code", {"code": code_in(sms_outbox[-1])})
    screen.get("kiosk-done")
    screen.post("kiosk-heartbeat")
    screen.post("kiosk-reset")
    assert len(screen.responses) > 15
    for response in screen.responses:
        cache_control = response.headers["Cache-Control"]
        assert "no-store" in cache_control and "private" in cache_control, response
    assert_no_template_in(screen, reference_of(citizen.person.national_id))


def test_the_flow_resets_after_two_minutes_idle(screen, citizen):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        screen.start()
        page = screen.get("kiosk-id")
        assert b'data-idle-seconds="120"' in page.content and b"biometrics/kiosk.js" in page.content
        assert b'id="kiosk-reset"' in page.content
        screen.post("kiosk-id", {"national_id": citizen.person.national_id})
    with time_machine.travel(start + timedelta(seconds=119), tick=False):
        assert screen.get("kiosk-finger").status_code == 200  # a touch: the clock starts again
    with time_machine.travel(start + timedelta(seconds=119 + 120), tick=False):
        response = screen.get("kiosk-finger")
        assert response.url == reverse("biometrics:kiosk-start")
        assert not KioskFlow.objects.exists()
        start_page = screen.get("kiosk-start")
        assert citizen.person.national_id.encode() not in start_page.content


def test_the_heartbeat_tells_the_page_its_flow_ended(screen, operator):
    from biometrics import services

    screen.start()
    assert screen.post("kiosk-heartbeat").json() == {"flow": True, "in_service": True}
    services.kiosk_session_end(kiosk=KioskFlow.objects.get().kiosk, actor=operator)
    assert screen.post("kiosk-heartbeat").json() == {"flow": False, "in_service": True}


def test_the_heartbeat_keeps_the_kiosk_online(client, kiosk, committed):
    screen = Kiosk(client, committed)
    later = timezone.now() + timedelta(minutes=10)
    with time_machine.travel(later, tick=False):
        kiosk.refresh_from_db()
        assert kiosk.status() == "offline"
        screen.post("kiosk-heartbeat")
        kiosk.refresh_from_db()
        assert kiosk.status() == "online"


def test_a_citizens_portal_session_is_untouched_by_the_kiosk(screen, citizen, user_factory):
    """Whoever is signed in to the portal in this browser, the kiosk flow neither reads nor writes it."""
    signed_in = user_factory(state=AccountState.ACTIVE)
    screen.client.force_login(signed_in)
    screen.client.get(reverse("home"))  # the portal's own session bookkeeping (accounts.middleware)
    before = dict(screen.client.session.items())
    screen.start()
    screen.id_number(citizen.person.national_id)
    screen.post("kiosk-reset")
    assert dict(screen.client.session.items()) == before


def test_the_kiosk_speaks_the_language_chosen_on_the_first_screen(screen):
    screen.client.cookies["absher_language"] = "en"  # the portal's language cookie does not decide
    screen.start(language="ar")
    page = screen.get("kiosk-id")
    assert b'lang="ar" dir="rtl"' in page.content and page.headers["Content-Language"] == "ar"
    screen.post("kiosk-reset")
    screen.start(language="en")
    page = screen.get("kiosk-id")
    assert b'lang="en" dir="ltr"' in page.content and page.headers["Content-Language"] == "en"


def test_no_link_leads_out_of_the_flow(screen, citizen):
    screen.start()
    for name in ("kiosk-menu", "kiosk-id"):
        assert b"<a " not in screen.get(name).content
    screen.id_number(citizen.person.national_id)
    assert b"<a " not in screen.get("kiosk-finger").content.replace(b'<a href="#id_', b"")


def test_an_out_of_service_kiosk_shows_only_that(screen, operator):
    from biometrics import services

    screen.start()
    services.kiosk_service_set(kiosk=KioskFlow.objects.get().kiosk, in_service=False, actor=operator, reason="cleaning")
    response = screen.get("kiosk-id")
    assert response.status_code == 503 and b'id="kiosk-out-of-service"' in response.content
    assert "no-store" in response.headers["Cache-Control"]
    assert not KioskFlow.objects.exists()


# --- operators: provisioning and the kiosks' state ---------------------------------------------------


def test_an_operator_signs_in_with_the_sms_code_and_binds_the_device(client, operator, kiosk_factory, sms_outbox, committed):
    kiosk = kiosk_factory()
    assert client.get(reverse("biometrics:kiosk-provision")).status_code == 302  # sign in first
    with committed():
        client.post(reverse("accounts:login"), {"identifier": operator.username, "password": PASSWORD})
    client.post(reverse("accounts:login-verify"), {"code": code_in(sms_outbox[-1])})
    page = client.get(reverse("biometrics:kiosk-provision"))
    assert page.status_code == 200 and kiosk.serial.encode() in page.content
    response = client.post(reverse("biometrics:kiosk-provision"), {"kiosk": kiosk.pk})
    assert response.url == reverse("biometrics:kiosk-start")
    cookie = response.cookies[cookie_name()]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["max-age"]
    assert "_auth_user_id" not in client.session  # the operator is signed out of the kiosk device
    assert client.get(reverse("biometrics:kiosk-start")).status_code == 200
    kiosk.refresh_from_db()
    assert kiosk.provisioned_by == operator and kiosk.status() == "online"


def test_the_credential_cookie_is_secure_in_production(client, operator, kiosk_factory, settings):
    settings.SESSION_COOKIE_SECURE = True
    client.force_login(operator)
    response = client.post(reverse("biometrics:kiosk-provision"), {"kiosk": kiosk_factory().pk})
    assert response.cookies[cookie_name()]["secure"]


def test_only_kiosk_operators_provision(client, user_factory, kiosk_factory):
    kiosk = kiosk_factory()
    for user in (user_factory(state=AccountState.ACTIVE), user_factory(state=AccountState.ACTIVE, is_staff=True)):
        client.force_login(user)
        assert client.get(reverse("biometrics:kiosk-provision")).status_code == 403
        assert client.post(reverse("biometrics:kiosk-provision"), {"kiosk": kiosk.pk}).status_code == 403
        assert client.get(reverse("biometrics:operator-kiosks")).status_code == 403
    kiosk.refresh_from_db()
    assert not kiosk.is_provisioned


def test_an_operator_ends_a_stuck_session_and_takes_the_kiosk_out_of_service(screen, operator, citizen):
    screen.start()
    screen.id_number(citizen.person.national_id)
    staff = Client()
    staff.force_login(operator)
    page = staff.get(reverse("biometrics:operator-kiosks"))
    assert page.status_code == 200 and b"finger" in page.content
    assert citizen.person.national_id.encode() not in page.content  # the operator sees the step, not the citizen
    kiosk = KioskFlow.objects.get().kiosk
    staff.post(reverse("biometrics:operator-session-end", args=[kiosk.pk]))
    assert not KioskFlow.objects.exists()
    assert screen.get("kiosk-finger").url == reverse("biometrics:kiosk-start")
    staff.post(reverse("biometrics:operator-service", args=[kiosk.pk]), {f"k{kiosk.pk}-reason": "paper jam"})
    kiosk.refresh_from_db()
    assert not kiosk.in_service and kiosk.out_of_service_reason == "paper jam"
    assert screen.get("kiosk-start").status_code == 503
    staff.post(reverse("biometrics:operator-service", args=[kiosk.pk]), {"in_service": "1"})
    kiosk.refresh_from_db()
    assert kiosk.in_service
    assert AuditEvent.objects.filter(action="kiosk_session_ended", actor=operator).exists()


def test_kiosk_staff_pages_and_the_admin(client, operator, kiosk, citizen, user_factory):
    client.force_login(operator)
    assert client.get("/staff/biometrics/kiosk/").status_code == 200
    assert client.get(f"/staff/biometrics/kiosk/{kiosk.pk}/change/").status_code == 200
    assert client.get("/staff/biometrics/enrollmentattempt/").status_code == 200
    assert client.get("/staff/biometrics/enrollmentattempt/add/").status_code == 403
    response = client.post("/staff/biometrics/kiosk/", {"action": "take_out_of_service", "_selected_action": [kiosk.pk]})
    assert response.status_code == 302
    kiosk.refresh_from_db()
    assert not kiosk.in_service
    client.force_login(user_factory(state=AccountState.ACTIVE))
    assert client.get("/staff/biometrics/enrollmentattempt/").status_code in (302, 404)


# --- the public centres page --------------------------------------------------------------------------


def test_the_centres_page_lists_a_regions_kiosks_in_both_languages(client, kiosk_factory):
    online = kiosk_factory(region="makkah", site_name_en="Passports Department, Jeddah", site_name_ar="إدارة الجوازات بجدة")
    online.last_heartbeat_at = timezone.now()
    online.save()
    kiosk_factory(region="makkah", in_service=False, site_name_en="Makkah Office")
    kiosk_factory(region="riyadh", site_name_en="Riyadh Office")
    page = client.get(reverse("biometrics:centre-list"))
    assert page.status_code == 200 and b"Riyadh Office" not in page.content
    assert page.content.count(b"<option") == 14  # the 13 regions and the prompt
    page = client.get(reverse("biometrics:centre-list"), {"region": "makkah"})
    body = page.content.decode()
    assert "إدارة الجوازات بجدة" in body and "Riyadh Office" not in body
    # A citizen reads whether a centre's kiosk can be used, not its heartbeat (issue 11).
    assert 'data-status="available"' in body and 'data-status="out_of_service"' in body
    client.cookies["absher_language"] = "en"
    body = client.get(reverse("biometrics:centre-list"), {"region": "makkah"}).content.decode()
    assert "Passports Department, Jeddah" in body and 'lang="en"' in body
    assert client.get(reverse("biometrics:centre-list"), {"region": "mars"}).status_code == 200
    empty = client.get(reverse("biometrics:centre-list"), {"region": "al_jouf"})
    assert b'id="no-centres"' in empty.content


def test_activation_of_says_when_and_how(user_factory, citizen):
    assert activation_of(citizen) is None
    staff = user_factory(state=AccountState.ACTIVE, is_staff=True)
    from accounts.services import account_activate

    activated = account_activate(user=citizen, actor=staff, method="in_person")
    activation = activation_of(User.objects.get(pk=activated.pk))
    assert activation.method == "in_person" and not activation.at_kiosk and activation.place("ar") == ""


def activate(screen, citizen, sms_outbox):
    screen.to_credentials(citizen, sms_outbox)
    screen.post("kiosk-credentials", {"identifier": citizen.username, "password": PASSWORD})
    return screen.post("kiosk-login-code", {"code": code_in(sms_outbox[-1])})


def test_after_the_kiosk_the_e_services_open(screen, citizen, sms_outbox, rf):
    from django.http import HttpResponse

    from accounts.decorators import active_account_required

    e_service = active_account_required(lambda request: HttpResponse("an e-service"))
    request = rf.get("/services/")
    request.user = citizen
    assert e_service(request).status_code == 403
    activate(screen, citizen, sms_outbox)
    request.user = User.objects.get(pk=citizen.pk)
    assert e_service(request).status_code == 200


def test_no_template_reaches_the_logs(screen, citizen, person_factory, with_reference, sms_outbox, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    other = with_reference(person_factory())
    screen.start()
    screen.id_number(citizen.person.national_id)
    screen.scan(other.national_id)
    screen.scan(citizen.person.national_id, fault="poor_quality")
    screen.post("kiosk-reset")
    activate(screen, citizen, sms_outbox)
    logged = caplog.text.encode()
    for national_id in (citizen.person.national_id, other.national_id):
        template = reference_of(national_id)
        for form in (template, base64.b64encode(template), template.hex().encode(), b"NBT1", b"FGI1"):
            assert form not in logged


def test_the_profile_can_show_where_the_account_was_activated(screen, citizen, sms_outbox):
    from django.template import Context, Template

    activate(screen, citizen, sms_outbox)
    page = Template(
        "{% load activation %}{% activation_of account as activation %}"
        "{% if activation.at_kiosk %}{{ activation.kiosk.site_name_en }}|{{ activation.method }}{% endif %}"
    ).render(Context({"account": User.objects.get(pk=citizen.pk)}))
    assert page.startswith("Civil Affairs Office") and page.endswith("|kiosk_fingerprint")
