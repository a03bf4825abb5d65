"""Encryption at rest of the messages that carry a one-time code (Fernet: AES-128-CBC + HMAC).

The key is NOTIFY_ENCRYPTION_KEY (a Fernet key; several, comma-separated, rotate: the first
encrypts, all decrypt). Production must set it (a deploy check, notify.E001/E002); development and
tests derive one from SECRET_KEY so that `run.sh` needs nothing.
"""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

__all__ = ["InvalidToken", "open_sealed", "seal"]


def _keys() -> list[bytes]:
    configured = [part.strip() for part in (getattr(settings, "NOTIFY_ENCRYPTION_KEY", "") or "").split(",") if part.strip()]
    if configured:
        return [part.encode() for part in configured]
    digest = hashlib.sha256(b"absher-notify-key|" + settings.SECRET_KEY.encode()).digest()
    return [base64.urlsafe_b64encode(digest)]


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in _keys()])


def seal(text: str) -> str:
    return _fernet().encrypt(text.encode("utf-8")).decode("ascii")


def open_sealed(token: str) -> str:
    """The text; raises InvalidToken when no key opens it (a key rotated away, a damaged row)."""
    return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
