"""A document the portal issues (a receipt, a decision), its verification URL and its QR code.

Each kind is a letter and a loader living in its app (`KINDS`): `loader(reference)` reads the
document from the database whoever asks, and returns a `Document` (or None when there is none).
The views of the apps decide who may see a document; the verification page shows only its `rows`.
"""

import hashlib
import hmac
import io
import re
from dataclasses import dataclass, field
from enum import StrEnum

import segno
from django.core.cache import cache
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.module_loading import import_string

from . import signing

KINDS = {
    "R": "passports.receipt_views.receipt_document",
    "D": "civil_affairs.decision_views.decision_document",
}
SEPARATOR = "~"
# A kind letter, a reference, then 1 to 6 values: what a document's code may carry, nothing else.
PAYLOAD_PATTERN = re.compile(r"[A-Z]~[A-Za-z0-9-]{1,20}(?:~[A-Za-z0-9._-]{1,40}){1,6}")
PAYLOAD_MAX_LENGTH = 200


@dataclass(frozen=True)
class Row:
    label: str
    value: str
    ltr: bool = False  # a number, a reference, an amount: isolated left to right

    def __post_init__(self):
        object.__setattr__(self, "label", str(self.label))  # a lazy label, read in the active language
        object.__setattr__(self, "value", str(self.value))


@dataclass
class Document:
    kind: str
    reference: str
    signed: tuple[str, ...]  # the values the code carries after the kind and the reference
    title: str
    rows: list[Row]  # what the document shows to anyone holding it (and the verification page)
    private_rows: list[Row] = field(default_factory=list)  # shown to its owner only (page and PDF)
    filename: str = "document.pdf"

    def __post_init__(self):
        self.title = str(self.title)

    @property
    def payload(self) -> str:
        return SEPARATOR.join((self.kind, self.reference, *self.signed))

    @property
    def signature(self) -> str:
        return signing.sign(self.payload)


class Outcome(StrEnum):
    GENUINE = "genuine"
    FORGED = "forged"  # malformed, or a signature that is not ours for these fields
    CHANGED = "changed"  # our signature, but the document is gone or differs now


def mask_id(national_id: str) -> str:
    """1234567890 -> 1•••••7890: what a document shows of an ID or iqama number."""
    if not national_id:
        return ""
    keep = 4 if len(national_id) > 6 else 1
    return national_id[:1] + "\u2022" * (len(national_id) - 1 - keep) + national_id[-keep:]


def verification_path(document: Document) -> str:
    return reverse("verification:verify") + "?" + urlencode({"d": document.payload, "s": document.signature})


def verification_url(request, document: Document) -> str:
    return request.build_absolute_uri(verification_path(document))


def check(payload, signature) -> tuple[Outcome, Document | None]:
    """What the verification page says of a code's fields and signature, and the document if genuine."""
    if (not isinstance(payload, str) or len(payload) > PAYLOAD_MAX_LENGTH
            or not PAYLOAD_PATTERN.fullmatch(payload) or not signing.verify(payload, signature)):
        return Outcome.FORGED, None
    kind, reference = payload.split(SEPARATOR)[:2]
    if kind not in KINDS:
        return Outcome.FORGED, None
    document = import_string(KINDS[kind])(reference)
    if document is None or not hmac.compare_digest(document.payload.encode(), payload.encode()):
        return Outcome.CHANGED, None
    return Outcome.GENUINE, document


QR_CACHE_SECONDS = 7 * 24 * 3600


def _qr(url: str):
    return segno.make(url, error="m", micro=False)


def qr_svg(url: str) -> str:
    """The QR code of `url` as an SVG data URI (its dark modules as one path), for the HTML pages'
    <img> (the CSP allows data: images; no markup of ours goes into the page unescaped).

    Kept in the cache by the URL's digest: encoding a code (segno, pure Python) is ~70 % of a receipt
    page's time, and a document's URL never changes (its fields and an Ed25519 signature, which is
    deterministic); a document changed after signing has another URL, hence another entry."""
    key = "qr-svg:" + hashlib.sha256(url.encode()).hexdigest()
    svg = cache.get(key)
    if svg is None:
        svg = _qr(url).svg_data_uri(scale=4, border=2, dark="#000", light="#fff", svgclass=None, lineclass=None)
        cache.set(key, svg, QR_CACHE_SECONDS)
    return svg


def qr_png(url: str) -> bytes:
    buffer = io.BytesIO()
    _qr(url).save(buffer, kind="png", scale=8, border=2)
    return buffer.getvalue()
