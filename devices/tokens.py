"""The app's tokens: a short-lived access token and a rotating refresh token, both bound to a device.

Tokens are 256 random bits; only their SHA-256 digest is stored, so a copy of the database holds no
token that works. A refresh token gives one new pair: the second use of the same refresh token
means somebody holds a copy (the app or a thief), and the whole device (the token family) ends,
its access tokens with it (QUALITY 39, RFC 9700 §4.14.2).
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from absher.audit import audit_record

from .models import AccessToken, Device, RefreshToken
from .rules import digest

ACCESS_PREFIX = "aat_"
REFRESH_PREFIX = "art_"
#: The device's "last seen" is written at most once a minute.
TOUCH_EVERY = timedelta(seconds=60)


class TokenInvalid(Exception):
    code = "token_invalid"


class TokenReused(TokenInvalid):
    code = "token_reused"


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    access_expires_at: datetime
    refresh_expires_at: datetime

    @property
    def expires_in(self) -> int:
        return max(0, int((self.access_expires_at - timezone.now()).total_seconds()))


def _new(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def issue_pair(device: Device, *, now: datetime | None = None) -> TokenPair:
    """A new access and refresh token for `device` (call inside the transaction that needs them)."""
    now = now or timezone.now()
    access, refresh = _new(ACCESS_PREFIX), _new(REFRESH_PREFIX)
    access_expires = now + settings.API_ACCESS_TOKEN_LIFETIME
    # A refresh token lives API_REFRESH_TOKEN_LIFETIME, and never past the device's maximum age.
    refresh_expires = min(now + settings.API_REFRESH_TOKEN_LIFETIME, device.signed_in_at + settings.API_DEVICE_MAX_AGE)
    AccessToken.objects.create(device=device, digest=digest(access), expires_at=access_expires)
    RefreshToken.objects.create(device=device, digest=digest(refresh), created_at=now, expires_at=refresh_expires)
    return TokenPair(access, refresh, access_expires, refresh_expires)


def _usable(user) -> bool:
    """May the account use the app? Not when suspended, closed or not yet confirmed."""
    from accounts.models import AccountState

    return user.is_active and user.state not in (AccountState.SUSPENDED, AccountState.CLOSED, AccountState.PENDING_PHONE)


def authenticate_access(raw: str, *, now: datetime | None = None):
    """(user, device) for a live access token of a live device of a usable account, else None."""
    if not raw.startswith(ACCESS_PREFIX) or len(raw) > 100:
        return None
    now = now or timezone.now()
    token = (
        AccessToken.objects.select_related("device__user")
        .filter(digest=digest(raw), expires_at__gt=now, device__ended_at__isnull=True)
        .first()
    )
    if token is None:
        return None
    device, user = token.device, token.device.user
    if not _usable(user):
        return None
    if now - device.last_seen_at >= TOUCH_EVERY:
        Device.objects.filter(pk=device.pk).update(last_seen_at=now)
        device.last_seen_at = now
    return user, device


def refresh(raw: str, *, client_address: str = "", now: datetime | None = None) -> TokenPair:
    """A new pair for a refresh token used for the first time. Raises TokenInvalid or TokenReused."""
    from .services import device_end

    now = now or timezone.now()
    if not raw.startswith(REFRESH_PREFIX) or len(raw) > 100:
        raise TokenInvalid()
    reused = None
    with transaction.atomic():
        token = RefreshToken.objects.select_for_update().select_related("device__user").filter(digest=digest(raw)).first()
        if token is None or token.device.ended_at is not None:
            raise TokenInvalid()
        device = token.device
        if not _usable(device.user):
            raise TokenInvalid()  # a suspended or closed account gets no new pair
        if token.used_at is not None:
            reused = device
        elif token.expires_at <= now:
            raise TokenInvalid()
        else:
            token.used_at = now
            token.save(update_fields=["used_at"])
            # The access tokens of the old pair end with it.
            AccessToken.objects.filter(device=device).delete()
            Device.objects.filter(pk=device.pk).update(last_seen_at=now, last_seen_address=client_address or None)
            pair = issue_pair(device, now=now)
    if reused is not None:
        # Committed on its own, before the error answers: the whole family ends.
        with transaction.atomic():
            audit_record(
                action="api_refresh_token_reused", subject=reused.user, client_address=client_address, device=reused.pk
            )
            device_end(reused, ending=Device.Ending.TOKEN_REUSED, client_address=client_address)
        raise TokenReused()
    return pair


def revoke_device_tokens(device: Device) -> None:
    """Every token of `device` stops working (its rows go: a digest of a dead token is of no use)."""
    AccessToken.objects.filter(device=device).delete()
    RefreshToken.objects.filter(device=device).delete()


def purge_expired(*, now: datetime | None = None) -> int:
    """Drop tokens that can no longer work (a periodic task): expired access tokens, and refresh
    tokens expired a day ago (a reused one is still recognised for that day)."""
    now = now or timezone.now()
    gone, _ = AccessToken.objects.filter(expires_at__lte=now).delete()
    old, _ = RefreshToken.objects.filter(expires_at__lte=now - timedelta(days=1)).delete()
    return gone + old
