"""Ed25519 signatures of the documents' fields, with the key from DOCUMENT_SIGNING_KEY.

DOCUMENT_SIGNING_KEY is the 32-byte Ed25519 private key (its seed) in base64 or base64url; production
must set it (absher/settings/production.py reads it without a default), development and tests
derive one from SECRET_KEY when it is empty. Create one with:

    python -c "import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())"

An Ed25519 signature can be checked with the public key alone (`public_key_b64`), so another
party could check a document without the portal's secret.
"""

import base64
import binascii
import hashlib
import hmac
import re
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# Every signature covers this prefix too: a signature made for something else never passes here.
CONTEXT = b"absher-document-v1\x00"
SIGNATURE_PATTERN = re.compile(r"[A-Za-z0-9_-]{86}")


def _seed(configured: str, secret_key: str) -> bytes:
    if not configured:
        return hashlib.sha256(b"absher.verification.ed25519:" + secret_key.encode()).digest()
    text = configured.strip().replace("-", "+").replace("_", "/")
    try:
        seed = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ImproperlyConfigured("DOCUMENT_SIGNING_KEY is not base64") from None
    if len(seed) != 32:
        raise ImproperlyConfigured("DOCUMENT_SIGNING_KEY must be 32 bytes (an Ed25519 private key's seed) in base64")
    return seed


@lru_cache(maxsize=4)
def _keys(configured: str, secret_key: str) -> tuple[Ed25519PrivateKey, bytes]:
    seed = _seed(configured, secret_key)
    digest_key = hashlib.sha256(b"absher.verification.digest:" + seed).digest()
    return Ed25519PrivateKey.from_private_bytes(seed), digest_key


def _current() -> tuple[Ed25519PrivateKey, bytes]:
    return _keys(getattr(settings, "DOCUMENT_SIGNING_KEY", "") or "", settings.SECRET_KEY)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(payload: str) -> str:
    """The signature of `payload`: 86 characters of base64url."""
    private, _digest_key = _current()
    return _b64(private.sign(CONTEXT + payload.encode()))


def verify(payload: str, signature: str) -> bool:
    """Whether `signature` is this portal's signature of `payload`; anything malformed is False."""
    if not isinstance(signature, str) or not SIGNATURE_PATTERN.fullmatch(signature):
        return False
    try:
        raw = base64.urlsafe_b64decode(signature + "==")
    except (binascii.Error, ValueError):
        return False
    private, _digest_key = _current()
    try:
        private.public_key().verify(raw, CONTEXT + payload.encode())
    except InvalidSignature:
        return False
    return True


def digest(*values: str) -> str:
    """8 characters standing for `values` (a keyed hash: the ID number behind it cannot be guessed
    from it): the fields a document shows but its code does not carry in clear."""
    _private, digest_key = _current()
    text = "\x1f".join(values).encode()
    return _b64(hmac.new(digest_key, text, hashlib.sha256).digest()[:6])


def public_key_b64() -> str:
    private, _digest_key = _current()
    return _b64(private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
