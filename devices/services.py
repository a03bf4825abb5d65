"""Starting and ending an account's sessions and devices. Views and the API call these."""

import secrets
from datetime import datetime
from functools import partial

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from absher.audit import audit_record
from absher.notifications.services import message_enqueue

from . import rules, tokens
from .exceptions import DeviceIsCurrent, DeviceNotFound
from .models import Device

#: A web session whose device ended: the session middleware signs it out at its next request
#: (the cache says so at once; the database within a minute, should the cache have lost it).
ENDED_CACHE_KEY = "device-ended:{}"
ENDED_CACHE_SECONDS = 13 * 3600  # longer than any web session (SESSION_ABSOLUTE_TIMEOUT)


def new_device_key() -> str:
    """A browser's long-lived device cookie or, for the app, what it sends as its installation id."""
    return secrets.token_urlsafe(32)


def _notice_text() -> str:
    from django.utils.translation import gettext as _

    return _("Absher: your account was signed in on a new device. If it was not you, open Absher and choose \"It wasn't me\", or call 920020405.")


def device_start(
    *,
    user,
    kind: str,
    name: str,
    user_agent: str = "",
    device_key: str = "",
    session_key: str = "",
    client_address: str = "",
    signed_in_with: str = "password_sms",
    now: datetime | None = None,
) -> Device:
    """Record a sign-in. A device key this account has never signed in with (and an account that
    has signed in before) sends an SMS notice to the account's mobile after the commit."""
    now = now or timezone.now()
    key_digest = rules.digest(device_key) if device_key else ""
    with transaction.atomic():
        known = Device.objects.filter(user=user)
        is_new = bool(key_digest) and known.exists() and not known.filter(key_digest=key_digest).exists()
        device = Device.objects.create(
            user=user,
            kind=kind,
            name=name[:100],
            user_agent=user_agent[:300],
            key_digest=key_digest,
            session_digest=rules.digest(session_key) if session_key else "",
            client_address=client_address or None,
            last_seen_address=client_address or None,
            signed_in_with=signed_in_with,
            signed_in_at=now,
            last_seen_at=now,
        )
        audit_record(
            action="device_signed_in", subject=user, client_address=client_address,
            device=device.pk, kind=kind, method=signed_in_with, new_device=is_new,
        )
        if is_new and user.mobile:
            message_enqueue(
                to=user.mobile, language=user.preferred_language, purpose="devices.new_device", user=user,
                render=partial(_notice_text),
            )
    if kind == Device.Kind.WEB:
        # A row id used again (a test database's rollback, a restored backup) must not inherit
        # the "ended" mark of the device that had it.
        cache.delete(ENDED_CACHE_KEY.format(device.pk))
    return device


def device_end(device: Device, *, ending: str, actor=None, client_address: str = "", now: datetime | None = None) -> bool:
    """End one device: its tokens stop working and its web session signs out. False if it had ended."""
    now = now or timezone.now()
    with transaction.atomic():
        ended = Device.objects.filter(pk=device.pk, ended_at__isnull=True).update(ended_at=now, ending=ending)
        tokens.revoke_device_tokens(device)
        if ended:
            audit_record(
                action="device_ended", actor=actor, subject=device.user, client_address=client_address,
                device=device.pk, ending=ending,
            )
    if ended and device.kind == Device.Kind.WEB:
        transaction.on_commit(lambda: cache.set(ENDED_CACHE_KEY.format(device.pk), True, ENDED_CACHE_SECONDS))
    device.ended_at, device.ending = (now, ending) if ended else (device.ended_at, device.ending)
    return bool(ended)


def devices_end_all(user, *, ending: str, keep: Device | int | None = None, actor=None, client_address: str = "") -> int:
    """End every live device of `user` but `keep` (a device or its id); how many ended."""
    live = Device.objects.filter(user=user, ended_at__isnull=True)
    keep_id = getattr(keep, "pk", keep)
    if keep_id is not None:
        live = live.exclude(pk=keep_id)
    return sum(device_end(d, ending=ending, actor=actor, client_address=client_address) for d in live)


def device_end_own(*, user, device_id: int, current_device_id: int | None, client_address: str = "") -> Device:
    """The account holder ends one of their sessions or devices (the sessions page, the app).
    Raises DeviceNotFound for a device of another account, DeviceIsCurrent for the one asking
    (that is signing out). Ending one that has already ended changes nothing."""
    device = Device.objects.filter(pk=device_id, user=user).first()
    if device is None:
        raise DeviceNotFound()
    if current_device_id is not None and device.pk == current_device_id:
        raise DeviceIsCurrent()
    device_end(device, ending=Device.Ending.ENDED_BY_CITIZEN, actor=user, client_address=client_address)
    return device


def not_me(user, *, client_address: str = "", from_device: Device | int | None = None) -> int:
    """"It wasn't me": every session and device ends (this one too), the password stops working
    (the citizen sets a new one through "Forgot your password", with an SMS code), an SMS tells the
    account's mobile, and the audit trail records it."""
    with transaction.atomic():
        ended = devices_end_all(user, ending=Device.Ending.NOT_ME, actor=user, client_address=client_address)
        user.set_unusable_password()
        user.save(update_fields=["password"])
        audit_record(
            action="account_not_me", actor=user, subject=user, client_address=client_address,
            ended=ended, device=getattr(from_device, "pk", from_device),
        )
        if user.mobile:
            message_enqueue(
                to=user.mobile, language=user.preferred_language, purpose="devices.not_me", user=user,
                render=_not_me_text,
            )
    return ended


def _not_me_text() -> str:
    from django.utils.translation import gettext as _

    return _("Absher: every session of your account was ended and its password stopped working. Set a new one with \"Forgot your password\".")


def web_session_alive(device_id: int, *, check_database: bool, client_address: str = "", now: datetime | None = None) -> bool:
    """Is the web session's device still live? The cache at every request; the database (noting
    "last seen" and where from) when `check_database`, at most once a minute a session."""
    if cache.get(ENDED_CACHE_KEY.format(device_id)):
        return False
    if check_database:
        seen = {"last_seen_at": now or timezone.now()}
        if client_address:
            seen["last_seen_address"] = client_address
        return bool(Device.objects.filter(pk=device_id, ended_at__isnull=True).update(**seen))
    return True


def live(now: datetime) -> Q:
    """The devices still signed in at `now`: not ended, and not past what ends them unnoticed: a
    web session idle for SESSION_IDLE_TIMEOUT or older than SESSION_ABSOLUTE_TIMEOUT (its browser
    never came back to be signed out), an app not seen for a refresh token's lifetime (its last
    refresh token has expired) or older than API_DEVICE_MAX_AGE. "Last seen" is noted at most once
    a minute, together with the session's own idle clock (accounts.middleware)."""
    web = Q(
        kind=Device.Kind.WEB,
        last_seen_at__gt=now - settings.SESSION_IDLE_TIMEOUT,
        signed_in_at__gt=now - settings.SESSION_ABSOLUTE_TIMEOUT,
    )
    app = Q(
        kind=Device.Kind.APP,
        last_seen_at__gt=now - settings.API_REFRESH_TOKEN_LIFETIME,
        signed_in_at__gt=now - settings.API_DEVICE_MAX_AGE,
    )
    return Q(ended_at__isnull=True) & (web | app)


def active_devices(user, *, now: datetime | None = None):
    """The account's live sessions and devices, the most recently seen first."""
    return Device.objects.filter(live(now or timezone.now()), user=user).order_by("-last_seen_at", "-id")


def expire_devices(*, now: datetime | None = None) -> int:
    """Mark ended (EXPIRED) the devices that stopped being live without a request to notice it, in
    one UPDATE (a periodic task: millions of sessions end this way each day, and an expiry is no
    one's action, so no audit row); and drop tokens that can no longer work. How many ended. The
    pages and the API already leave them out (live())."""
    now = now or timezone.now()
    expired = Device.objects.filter(ended_at__isnull=True).exclude(live(now)).update(
        ended_at=now, ending=Device.Ending.EXPIRED
    )
    tokens.purge_expired(now=now)
    return expired
