"""The gateway's server-to-server payment notification: its shape, its signature and its checks.

What a SADAD-style gateway sends when a bill is paid (or a payment fails), whether or not the
payer's browser ever comes back:

    POST /services/passports/payments/notify/
    Content-Type: application/json
    X-Payment-Signature: sha256=<hex HMAC-SHA256 of the raw body with PAYMENT_NOTIFICATION_KEY>

    {"notification_id": "...", "bill_number": "123456789012", "status": "paid" | "declined",
     "payment_reference": "...", "amount": "300.00", "timestamp": 1795000000}

The signature is checked over the raw bytes before anything is parsed; the timestamp (inside the
signed body) must be within PAYMENT_NOTIFICATION_WINDOW of the portal's clock, either way; the
notification id is kept, so that the same id again is a replay and changes nothing. Pure: no
database, no clock of its own (`now` is passed in).
"""

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

from . import DECLINED, PAID

SIGNATURE_HEADER = "X-Payment-Signature"
SIGNATURE_PREFIX = "sha256="
MAX_BODY_BYTES = 10_000

# Why a notification is refused (the answer's "status"), with the HTTP status it gets.
TOO_LARGE = "too_large"
MISSING_SIGNATURE = "missing_signature"
BAD_SIGNATURE = "bad_signature"
MALFORMED = "malformed"
STALE = "stale_timestamp"

HTTP_STATUS = {TOO_LARGE: 413, MISSING_SIGNATURE: 403, BAD_SIGNATURE: 403, MALFORMED: 400, STALE: 403}

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}")
_BILL = re.compile(r"\d{12}")
_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,59}")
_AMOUNT = re.compile(r"\d{1,7}(\.\d{1,2})?")


class NotificationRejected(Exception):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code
        self.http_status = HTTP_STATUS[code]


@dataclass(frozen=True)
class Notification:
    notification_id: str
    bill_number: str
    status: str
    payment_reference: str
    amount: Decimal
    timestamp: datetime


def sign(body: bytes, *, key: bytes) -> str:
    """The header value for `body`."""
    return SIGNATURE_PREFIX + hmac.new(key, body, hashlib.sha256).hexdigest()


def encode(*, notification_id: str, bill_number: str, status: str, payment_reference: str, amount, at: datetime) -> bytes:
    """A notification's body, as a gateway (here the simulated one, and the tests) writes it."""
    return json.dumps({
        "notification_id": notification_id, "bill_number": bill_number, "status": status,
        "payment_reference": payment_reference, "amount": str(amount), "timestamp": int(at.timestamp()),
    }, separators=(",", ":"), sort_keys=True).encode()


def _signature_valid(body: bytes, signature: str, key: bytes) -> bool:
    return hmac.compare_digest(sign(body, key=key).encode(), signature.strip().lower().encode("ascii", "replace"))


def _text(data: dict, name: str, pattern: re.Pattern, *, required: bool = True) -> str:
    value = data.get(name, "")
    if not isinstance(value, str) or (required or value) and not pattern.fullmatch(value):
        raise NotificationRejected(MALFORMED)
    return value


def verified(body: bytes, signature: str, *, key: bytes, now: datetime, window: timedelta) -> Notification:
    """The notification in `body`, once its signature, shape and timestamp hold; else NotificationRejected."""
    if len(body) > MAX_BODY_BYTES:
        raise NotificationRejected(TOO_LARGE)
    if not signature:
        raise NotificationRejected(MISSING_SIGNATURE)
    if not _signature_valid(body, signature, key):
        raise NotificationRejected(BAD_SIGNATURE)
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise NotificationRejected(MALFORMED) from None
    if not isinstance(data, dict):
        raise NotificationRejected(MALFORMED)
    status = data.get("status")
    if status not in (PAID, DECLINED):
        raise NotificationRejected(MALFORMED)
    notification_id = _text(data, "notification_id", _ID)
    bill_number = _text(data, "bill_number", _BILL)
    reference = _text(data, "payment_reference", _REFERENCE, required=status == PAID)
    amount_text = _text(data, "amount", _AMOUNT)
    try:
        amount = Decimal(amount_text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        raise NotificationRejected(MALFORMED) from None
    stamp = data.get("timestamp")
    if not isinstance(stamp, int) or isinstance(stamp, bool):
        raise NotificationRejected(MALFORMED)
    try:
        at = datetime.fromtimestamp(stamp, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise NotificationRejected(STALE) from None
    if abs(now - at) > window:
        raise NotificationRejected(STALE)
    return Notification(notification_id=notification_id, bill_number=bill_number, status=status,
                        payment_reference=reference, amount=amount, timestamp=at)
