"""The sessions page (/accounts/devices/): the live sessions and devices of the account, ending one or
every other, "it wasn't me", the recent sign-ins; the password's change and reset end the others."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from absher.models import AuditEvent
from devices.models import Device
from devices.signals import SESSION_DEVICE

from .conftest import CHROME_ANDROID, FIREFOX_WINDOWS, SAFARI_IPHONE, bearer

pytestmark = pytest.mark.django_db

LIST = reverse("devices:device-list")


def device_of(client) -> Device:
    return Device.objects.get(pk=client.session[SESSION_DEVICE])


def signed_in(client) -> bool:
    return SESSION_KEY in client.session


def english(client):
    client.cookies["absher_language"] = "en"
    translation.activate("en")


def test_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get(LIST)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


@pytest.mark.parametrize("state", ["registered", "active"])
def test_the_page_lists_only_the_accounts_own_live_devices(state, user_factory, sign_in, app_device):
    user = user_factory(state=state)
    other = user_factory()
    phone = sign_in(user, user_agent=CHROME_ANDROID, address="198.51.100.7")
    laptop = sign_in(user, user_agent=FIREFOX_WINDOWS, address="2001:db8::1")
    app_device(user, name="Galaxy S24")
    stranger = sign_in(other, user_agent=SAFARI_IPHONE)
    ended, _pair = app_device(user, name="Old tablet", ended_at=timezone.now(), ending="signed_out")
    english(laptop)

    response = laptop.get(LIST)

    assert response.status_code == 200
    rows = response.context["rows"]
    assert [row.label for row in rows] == ["Firefox on Windows", "Galaxy S24", "Chrome on Android"]
    assert [row.current for row in rows] == [True, False, False]
    html = response.content.decode()
    assert "Chrome on Android" in html and "Galaxy S24" in html
    assert "Old tablet" not in html and "Safari on iPhone" not in html
    assert '<bdi dir="ltr">2001:db8::1</bdi>' in html and '<bdi dir="ltr">198.51.100.7</bdi>' in html
    # "This session" is marked, and only the others have an End button.
    assert html.count('class="btn btn-outline-danger btn-sm device-end"') == 2
    assert reverse("devices:device-end", args=[device_of(laptop).pk]) not in html
    assert reverse("devices:device-end", args=[device_of(phone).pk]) in html
    assert reverse("devices:device-end", args=[ended.pk]) not in html
    assert reverse("devices:device-end", args=[device_of(stranger).pk]) not in html
    assert "This session" in html


def test_dates_are_shown_in_both_calendars(user_factory, sign_in):
    from civil_affairs.templatetags.calendars import dual_datetime

    client = sign_in(user_factory())
    english(client)
    device = device_of(client)
    html = client.get(LIST).content.decode()
    assert str(dual_datetime(device.signed_in_at)).replace("'", "&#x27;") in html
    assert " AH)" in html


def test_sessions_idle_past_the_timeout_and_expired_apps_are_not_listed(user_factory, sign_in, app_device, settings):
    user = user_factory()
    client = sign_in(user)
    stale_web = Device.objects.create(
        user=user, kind="web", name="Edge on Windows", signed_in_at=timezone.now() - timedelta(hours=1),
        last_seen_at=timezone.now() - settings.SESSION_IDLE_TIMEOUT,
    )
    old_app, _pair = app_device(user, name="Forgotten phone")
    Device.objects.filter(pk=old_app.pk).update(last_seen_at=timezone.now() - settings.API_REFRESH_TOKEN_LIFETIME)
    rows = client.get(LIST).context["rows"]
    assert [row.pk for row in rows] == [device_of(client).pk]
    assert stale_web.pk not in [row.pk for row in rows]


def test_ending_one_signs_that_session_out_at_its_next_request(user_factory, sign_in, committed):
    user = user_factory()
    phone = sign_in(user, user_agent=CHROME_ANDROID)
    laptop = sign_in(user, user_agent=FIREFOX_WINDOWS)
    english(laptop)
    target = device_of(phone)

    with committed():
        response = laptop.post(reverse("devices:device-end", args=[target.pk]))

    assert response.status_code == 302 and response.url == LIST
    target.refresh_from_db()
    assert target.ended_at is not None and target.ending == Device.Ending.ENDED_BY_CITIZEN
    assert AuditEvent.objects.filter(action="device_ended", subject=user, details__device=target.pk).count() == 1
    assert "was ended" in laptop.get(LIST).content.decode()

    response = phone.get(reverse("accounts:profile"))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))
    assert not signed_in(phone)
    assert signed_in(laptop) and device_of(laptop).ended_at is None


def test_an_ended_session_is_signed_out_within_a_minute_even_if_the_cache_forgot(user_factory, sign_in, committed):
    user = user_factory()
    phone = sign_in(user)
    laptop = sign_in(user, user_agent=FIREFOX_WINDOWS)
    assert phone.get(reverse("accounts:profile")).status_code == 200
    with committed():
        laptop.post(reverse("devices:device-end", args=[device_of(phone).pk]))
    cache.clear()
    with time_machine.travel(timezone.now() + timedelta(seconds=61), tick=True):
        response = phone.get(reverse("accounts:profile"))
    assert response.status_code == 302
    assert not signed_in(phone)


def test_ending_another_citizens_device_is_not_found(user_factory, sign_in):
    me, other = user_factory(), user_factory()
    mine = sign_in(me)
    theirs = sign_in(other, user_agent=FIREFOX_WINDOWS)
    response = mine.post(reverse("devices:device-end", args=[device_of(theirs).pk]))
    assert response.status_code == 404
    assert device_of(theirs).ended_at is None
    assert mine.post(reverse("devices:device-end", args=[9_999_999])).status_code == 404
    assert theirs.get(reverse("accounts:profile")).status_code == 200


def test_this_session_is_not_ended_from_its_own_row(user_factory, sign_in):
    client = sign_in(user_factory())
    english(client)
    response = client.post(reverse("devices:device-end", args=[device_of(client).pk]), follow=True)
    assert "To end it, sign out." in response.content.decode()
    assert device_of(client).ended_at is None and signed_in(client)


def test_ending_is_a_post(user_factory, sign_in):
    client = sign_in(user_factory())
    assert client.get(reverse("devices:device-end", args=[device_of(client).pk])).status_code == 405
    assert client.get(reverse("devices:devices-end-others")).status_code == 405


def test_end_all_others_keeps_this_one(user_factory, sign_in, app_device, committed, client):
    user = user_factory()
    phone = sign_in(user)
    laptop = sign_in(user, user_agent=FIREFOX_WINDOWS)
    tablet, pair = app_device(user)
    bystander = user_factory()
    theirs, _ = app_device(bystander)
    english(laptop)

    with committed():
        response = laptop.post(reverse("devices:devices-end-others"), follow=True)

    assert "2 other sessions were ended." in response.content.decode()
    assert list(Device.objects.filter(user=user, ended_at__isnull=True)) == [device_of(laptop)]
    assert phone.get(reverse("accounts:profile")).status_code == 302
    assert client.get(reverse("api:device-list"), **bearer(pair)).status_code == 401
    assert laptop.get(LIST).context["others"] == []
    theirs.refresh_from_db()
    assert theirs.ended_at is None
    response = laptop.post(reverse("devices:devices-end-others"), follow=True)
    assert "No other session or device was signed in." in response.content.decode()


def test_not_me_confirmation_explains_and_changes_nothing(user_factory, sign_in):
    user = user_factory()
    client = sign_in(user)
    english(client)
    response = client.get(reverse("devices:not-me"))
    html = response.content.decode()
    assert response.status_code == 200
    assert reverse("accounts:password-reset") in html
    assert "this one too" in html and "Your password stops working" in html
    assert '<bdi dir="ltr">05' in html  # the masked mobile the SMS goes to
    user.refresh_from_db()
    assert user.has_usable_password() and device_of(client).ended_at is None


def test_not_me_ends_everything_locks_the_password_and_tells_the_mobile(
    user_factory, sign_in, app_device, committed, sms_outbox, client
):
    user = user_factory()
    phone = sign_in(user)
    laptop = sign_in(user, user_agent=FIREFOX_WINDOWS, address="203.0.113.9")
    _tablet, pair = app_device(user)
    this_device = device_of(laptop)
    sent = len(sms_outbox)

    with committed():
        response = laptop.post(reverse("devices:not-me"))

    assert response.status_code == 302 and response.url == reverse("devices:not-me-done")
    assert not Device.objects.filter(user=user, ended_at__isnull=True).exists()
    assert set(Device.objects.filter(user=user).values_list("ending", flat=True)) == {Device.Ending.NOT_ME}
    user.refresh_from_db()
    assert not user.has_usable_password()
    # This browser is signed out too, and so is every other.
    assert not signed_in(laptop)
    assert phone.get(reverse("accounts:profile")).status_code == 302
    assert client.get(reverse("api:device-list"), **bearer(pair)).status_code == 401
    # One SMS, to the account's mobile.
    assert [m.to for m in sms_outbox[sent:]] == [user.mobile]
    event = AuditEvent.objects.get(action="account_not_me", subject=user)
    assert event.actor_id == user.pk and event.client_address == "203.0.113.9"
    assert event.details == {"ended": 3, "device": this_device.pk}
    # The old password no longer signs in.
    response = Client().post(reverse("accounts:login"), {"identifier": user.username, "password": "GoodPass2026"})
    assert response.status_code == 200
    english(laptop)
    done = laptop.get(reverse("devices:not-me-done"))
    assert done.status_code == 200 and reverse("accounts:password-reset") in done.content.decode()


def test_the_recent_sign_ins_are_the_accounts_own(user_factory, sign_in, client):
    user, other = user_factory(), user_factory()
    for _ in range(2):
        client.post(reverse("accounts:login"), {"identifier": user.username, "password": "wrong-password"})
    client.post(reverse("accounts:login"), {"identifier": other.username, "password": "wrong-password"})
    browser = sign_in(user, address="192.0.2.44")
    english(browser)
    response = browser.get(LIST)
    history = response.context["sign_ins"]
    assert [event.succeeded for event in history] == [True, False, False]
    assert history[0].client_address == "192.0.2.44" and history[0].kind == "web"
    html = response.content.decode()
    assert "Wrong password" in html and "Signed in on a browser" in html


def test_the_recent_sign_ins_are_the_last_ten(user_factory, sign_in):
    from absher.audit import audit_record

    user = user_factory()
    for _ in range(12):
        audit_record(action="login_failed", subject=user, client_address="192.0.2.1")
    browser = sign_in(user)
    assert len(browser.get(LIST).context["sign_ins"]) == 10


def test_the_profile_links_to_the_page(user_factory, sign_in):
    client = sign_in(user_factory())
    assert f'href="{LIST}"' in client.get(reverse("accounts:profile")).content.decode()


def test_a_page_query_count_does_not_grow_with_devices(user_factory, sign_in, app_device, django_assert_max_num_queries):
    user = user_factory()
    client = sign_in(user)
    client.get(LIST)
    for n in range(20):
        app_device(user, name=f"Phone {n}")
    with django_assert_max_num_queries(8):
        assert client.get(LIST).status_code == 200


# --- a new password ends the other sessions (accounts.services) ---


def test_changing_the_password_ends_the_other_sessions_and_keeps_this_one(
    user_factory, sign_in, app_device, committed, sms_outbox
):
    from tests.conftest import code_in

    user = user_factory()
    phone = sign_in(user)
    laptop = sign_in(user, user_agent=FIREFOX_WINDOWS)
    _tablet, _pair = app_device(user)
    with committed():
        laptop.post(reverse("accounts:password-change"), {"current_password": "GoodPass2026", "password1": "NewPass2026x", "password2": "NewPass2026x"})
    with committed():
        response = laptop.post(reverse("accounts:password-change-verify"), {"code": code_in(sms_outbox[-1])})
    assert response.status_code == 302 and response.url == reverse("accounts:profile")
    live = Device.objects.filter(user=user, ended_at__isnull=True)
    assert list(live) == [device_of(laptop)]
    assert set(Device.objects.filter(user=user, ended_at__isnull=False).values_list("ending", flat=True)) == {"password_changed"}
    assert laptop.get(LIST).status_code == 200
    assert phone.get(LIST).status_code == 302


def test_resetting_the_password_ends_every_session(user_factory, sign_in, app_device, committed, sms_outbox):
    from tests.conftest import code_in

    user = user_factory()
    sign_in(user)
    app_device(user)
    visitor = Client()
    with committed():
        response = visitor.post(
            reverse("accounts:password-reset"),
            {"national_id": user.national_id, "mobile": user.mobile, "captcha_0": "x", "captcha_1": "PASSED"},
        )
    assert response.url == reverse("accounts:password-reset-verify")
    with committed():
        visitor.post(reverse("accounts:password-reset-verify"), {"code": code_in(sms_outbox[-1])})
    with committed():
        response = visitor.post(reverse("accounts:password-reset-new"), {"password1": "NewPass2026x", "password2": "NewPass2026x"})
    assert response.url == reverse("accounts:login")
    assert not Device.objects.filter(user=user, ended_at__isnull=True).exists()
    assert set(Device.objects.filter(user=user).values_list("ending", flat=True)) == {"password_changed"}


# --- staff ---


def test_staff_read_an_accounts_devices_and_end_one(user_factory, sign_in, app_device, committed):
    citizen = user_factory()
    phone = sign_in(citizen)
    admin = user_factory(is_staff=True, is_superuser=True)
    staff = Client()
    staff.force_login(admin)
    listing = staff.get(reverse("admin:devices_device_changelist"), {"q": citizen.username})
    assert listing.status_code == 200
    assert "Chrome on Android" in listing.content.decode()
    device = device_of(phone)
    with committed():
        response = staff.post(
            reverse("admin:devices_device_changelist"),
            {"action": "end_devices", "_selected_action": [device.pk]},
        )
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.ending == Device.Ending.STAFF
    assert AuditEvent.objects.get(action="device_ended", details__device=device.pk).actor_id == admin.pk
    assert phone.get(LIST).status_code == 302
    # Read only: no change form that saves, no add.
    assert staff.get(reverse("admin:devices_device_add")).status_code == 403


def test_a_citizen_never_reaches_the_devices_admin(user_factory, sign_in):
    client = sign_in(user_factory())
    response = client.get(reverse("admin:devices_device_changelist"), follow=True)
    assert response.status_code == 404  # the admin's sign-in tells a citizen nothing
