"""The kiosk's own credential (a signed cookie, apart from the session) and sealed captures.

The credential names the kiosk and the device binding; it is signed with SECRET_KEY under its
own salt, HttpOnly, SameSite=Strict, Secure where the session cookie is. A capture (an image,
`biometrics.images.encode`) travels from the reader to the matcher sealed with a key derived
from the same binding, so a capture sealed for another kiosk, or before the device was
re-bound, or more than CAPTURE_MAX_AGE seconds ago, is refused; and each seal opens once
(a second use within its lifetime is refused too).
"""

import base64
import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.views.decorators.debug import sensitive_variables

from . import images
from .readers.base import Capture, DeviceUnplugged, NoFinger, PoorQuality, ReaderError

CREDENTIAL_SALT = "biometrics.kiosk-credential"
CAPTURE_SALT = "biometrics.kiosk-capture"
CAPTURE_MAX_AGE = 30  # seconds


class CaptureRefused(Exception):
    """A sealed capture whose seal does not hold (forged, stale, for another kiosk)."""


def cookie_name() -> str:
    return getattr(settings, "KIOSK_COOKIE_NAME", "absher_kiosk")


def credential_max_age() -> timedelta:
    return getattr(settings, "KIOSK_CREDENTIAL_MAX_AGE", timedelta(days=365))


def credential_issue(kiosk) -> str:
    return signing.dumps({"k": kiosk.pk, "d": str(kiosk.device_id)}, salt=CREDENTIAL_SALT)


def credential_read(value: str | None) -> tuple[int, str] | None:
    """(kiosk id, device id) of a credential whose signature holds, else None."""
    if not value:
        return None
    try:
        data = signing.loads(value, salt=CREDENTIAL_SALT, max_age=credential_max_age())
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("k"), int) or not isinstance(data.get("d"), str):
        return None
    return data["k"], data["d"]


def credential_set(response, kiosk) -> None:
    response.set_cookie(
        cookie_name(),
        credential_issue(kiosk),
        max_age=int(credential_max_age().total_seconds()),
        path="/",
        secure=getattr(settings, "KIOSK_COOKIE_SECURE", settings.SESSION_COOKIE_SECURE),
        httponly=True,
        samesite="Strict",
    )


def agent_key(kiosk) -> str:
    """The key the kiosk's reader agent seals captures with: tied to the current device binding."""
    message = f"absher-kiosk-agent|{kiosk.pk}|{kiosk.device_id}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


READER_ERRORS = {"no_finger": NoFinger, "poor_quality": PoorQuality, "unplugged": DeviceUnplugged}


@sensitive_variables()
def capture_seal(capture: Capture, *, kiosk) -> str:
    """What the kiosk side sends: the image (with its quality), signed, time-stamped and unique (a nonce)."""
    payload = {"i": base64.b64encode(images.encode(capture.image)).decode(), "n": secrets.token_hex(8)}
    return signing.dumps(payload, key=agent_key(kiosk), salt=CAPTURE_SALT)


def reader_error_seal(code: str, *, kiosk) -> str:
    """What the kiosk side sends when the reader gave no capture (no_finger, poor_quality, unplugged)."""
    return signing.dumps({"e": code, "n": secrets.token_hex(8)}, key=agent_key(kiosk), salt=CAPTURE_SALT)


@sensitive_variables()
def seal_open(sealed: str, *, kiosk) -> dict:
    """The payload of a sealed capture or reader error, or CaptureRefused."""
    if not kiosk.is_provisioned:
        raise CaptureRefused("the kiosk has no device bound")
    try:
        payload = signing.loads(sealed, key=agent_key(kiosk), salt=CAPTURE_SALT, max_age=CAPTURE_MAX_AGE)
    except signing.BadSignature:
        raise CaptureRefused("the capture's seal does not hold") from None
    if not isinstance(payload, dict) or not ("i" in payload or "e" in payload):
        raise CaptureRefused("not a capture")
    return payload


def _seal_used(sealed: str) -> bool:
    """Mark the seal used; True when it already was (within its lifetime, on any process sharing the cache)."""
    digest = hashlib.sha256(sealed.encode()).hexdigest()
    return not cache.add(f"biometrics:seal-used:{digest}", 1, timeout=CAPTURE_MAX_AGE + 5)


@sensitive_variables()
def capture_open(sealed: str, *, kiosk) -> Capture:
    """The capture inside a seal, once; a sealed reader error is raised as that ReaderError.

    CaptureRefused for a broken or stale seal, a seal opened before, or a payload that is not an
    image (a template's bytes, say: the server extracts from images only).
    """
    payload = seal_open(sealed, kiosk=kiosk)
    if _seal_used(sealed):
        raise CaptureRefused("the capture's seal was used before")
    if "e" in payload:
        raise READER_ERRORS.get(payload["e"], ReaderError)()
    try:
        image = images.decode(base64.b64decode(payload["i"], validate=True))
    except (TypeError, ValueError):  # binascii.Error and ImageError are ValueErrors
        raise CaptureRefused("the capture is not an image") from None
    return Capture(image=image)
