"""Receipts and decisions anyone can verify (issue 11): the signed QR code, the public page that
says genuine or refused (forged, altered, truncated, changed after signing), and who gets the
document's page and PDF."""

import re
import uuid
from html import unescape
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from absher.verification import documents, signing
from absher.verification.documents import Outcome, check, mask_id
from passports.models import Receipt, Service
from tests.civil_affairs import conftest as civil_affairs_fixtures
from tests.passports import conftest as passports_fixtures

# The passports tests' family and payment, and the inbox's submission, as fixtures here too.
fingerprint, pay, staff, world = (passports_fixtures.fingerprint, passports_fixtures.pay, passports_fixtures.staff,
                                  passports_fixtures.world)
inquiry_type, submit = civil_affairs_fixtures.inquiry_type, civil_affairs_fixtures.submit

VERIFY = "/verify/"


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def receipt(world, pay):
    """A passport for the father's son, paid, to be collected from the Jeddah office."""
    from passports import services

    bill = services.service_order(service=Service.PASSPORT, actor=world.father, holder=world.son,
                                  params={"years": 5, "delivery": "collection", "office": "jeddah"},
                                  submission_key=uuid.uuid4())
    return pay(bill, world.father)


@pytest.fixture
def decided(world, submit, staff):
    """A request of the father's, rejected with a reason."""
    from civil_affairs import services
    from civil_affairs.models import RequestStatus

    request = submit(world.father)
    services.request_take(request=request, actor=staff)
    return services.request_transition(request=request, to_status=RequestStatus.REJECTED, actor=staff,
                                       note="The family record is missing")


def code_of(page: str) -> tuple[str, str]:
    """The verification link of a document's page: its signed fields and signature."""
    match = re.search(r'class="document-verify-link[^"]*" href="([^"]+)"', page)
    assert match, "no verification link"
    query = parse_qs(urlsplit(unescape(match.group(1))).query)
    return query["d"][0], query["s"][0]


def dark_modules(svg: str) -> str:
    """The path of an SVG QR code's dark modules, relative to its quiet zone: the code's matrix."""
    paths = re.findall(r"<path([^>]*)>", svg)
    dark = [p for p in paths if "#fff" not in p]
    assert len(dark) == 1, svg
    drawn = re.search(r"""\bd=["']M(\d+) (\d+(?:\.5)?)([^"']+)["']""", dark[0])
    border = int(drawn.group(1))
    return f"{float(drawn.group(2)) - border} {drawn.group(3)}"


def verify(client, payload, signature, **extra):
    return client.get(VERIFY, {"d": payload, "s": signature}, **extra)


def main(response) -> str:
    """The page's own content (the header's language switch carries the page's URL back)."""
    page = response.content.decode()
    return page[page.index("<main"):page.index("</main>")]


# --- the receipt's page and PDF ----------------------------------------------------------------


def test_the_receipt_page_is_a_document_with_its_qr_code(client, world, receipt):
    client.force_login(world.father)
    response = client.get(reverse("passports:receipt-detail", args=[receipt.reference]))
    page = response.content.decode()
    assert response.status_code == 200
    assert '<img class="document-qr" src="data:image/svg+xml' in page and 'class="steps' in page and 'aria-current="step"' in page
    assert "مكتب جوازات جدة" in page or "Jeddah passports office" in page  # the collection office
    assert f'<bdi dir="ltr" class="receipt-reference text-nowrap fw-bold">{receipt.reference}</bdi>' in page
    assert reverse("passports:receipt-pdf", args=[receipt.reference]) in page
    payload, signature = code_of(page)
    assert payload.startswith(f"R~{receipt.reference}~{receipt.amount:.2f}~")
    assert signing.verify(payload, signature)


def test_the_qr_code_encodes_the_verification_url(client, world, receipt):
    import segno

    client.force_login(world.father)
    page = client.get(reverse("passports:receipt-detail", args=[receipt.reference])).content.decode()
    url = unescape(re.search(r'class="document-verify-link[^"]*" href="([^"]+)"', page).group(1))
    assert url.startswith("http://testserver/verify/?")
    src = unescape(re.search(r'<img class="document-qr" src="([^"]+)"', page).group(1))
    assert src.startswith("data:image/svg+xml")
    assert dark_modules(unquote(src)) == dark_modules(segno.make(url, error="m", micro=False).svg_inline(scale=4))


def test_no_office_is_named_for_a_passport_sent_by_post(client, world, pay):
    from passports import services

    bill = services.service_order(service=Service.PASSPORT, actor=world.father, holder=world.son,
                                  params={"years": 5, "delivery": "post", "office": "jeddah"}, submission_key=uuid.uuid4())
    receipt = pay(bill, world.father)
    client.force_login(world.father)
    page = client.get(reverse("passports:receipt-detail", args=[receipt.reference])).content.decode()
    assert "receipt-office" not in page


def test_the_receipt_pdf_is_a_pdf_with_the_embedded_font(client, world, receipt):
    client.force_login(world.father)
    response = client.get(reverse("passports:receipt-pdf", args=[receipt.reference]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-") and b"NotoSansArabic" in response.content
    assert f'filename="receipt-{receipt.reference}.pdf"' in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]


def test_the_english_pdf_renders_too(client, world, receipt):
    client.force_login(world.father)
    client.cookies["absher_language"] = "en"
    response = client.get(reverse("passports:receipt-pdf", args=[receipt.reference]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")


@pytest.mark.parametrize("name", ["passports:receipt-detail", "passports:receipt-pdf"])
def test_another_citizen_gets_404(client, world, receipt, name):
    client.force_login(world.stranger)
    assert client.get(reverse(name, args=[receipt.reference])).status_code == 404
    client.logout()
    assert client.get(reverse(name, args=[receipt.reference])).status_code == 302  # to sign in


# --- the public verification page ---------------------------------------------------------------


def test_a_genuine_receipt_is_said_genuine_to_anyone_with_nothing_more(client, world, receipt):
    client.force_login(world.father)
    payload, signature = code_of(client.get(reverse("passports:receipt-detail", args=[receipt.reference])).content.decode())
    client.logout()
    response = verify(client, payload, signature)
    page = response.content.decode()
    assert response.status_code == 200 and 'data-outcome="genuine"' in page
    assert receipt.reference in page and "جدة" in page
    assert world.son.national_id not in page and mask_id(world.son.national_id) in page
    assert world.father.person.national_id not in page and "SIM-TEST" not in page
    assert receipt.bill.number not in page  # the bill is the owner's page only
    assert "noindex" in response["X-Robots-Tag"] and "no-store" in response["Cache-Control"]


def test_the_verification_page_speaks_english_too(client, receipt):
    document = documents.import_string(documents.KINDS["R"])(receipt.reference)
    client.cookies["absher_language"] = "en"
    page = verify(client, document.payload, document.signature).content.decode()
    assert "This document is genuine." in page and "Jeddah passports office" in page and 'lang="en"' in page


def _altered(payload: str, index: int, value: str) -> str:
    parts = payload.split("~")
    parts[index] = value
    return "~".join(parts)


@pytest.mark.parametrize("alter", [
    pytest.param(lambda p, s, other: (_altered(p, 2, "1.00"), s), id="amount"),
    pytest.param(lambda p, s, other: (_altered(p, 1, other.reference), s), id="reference"),
    pytest.param(lambda p, s, other: (_altered(p, 3, "2020-01-01"), s), id="date"),
    pytest.param(lambda p, s, other: (_altered(p, 4, "AAAAAAAA"), s), id="digest"),
    pytest.param(lambda p, s, other: (p, other.signature), id="another-documents-signature"),
    pytest.param(lambda p, s, other: (p, s[:-1]), id="truncated-signature"),
    pytest.param(lambda p, s, other: (p, s[:43]), id="half-signature"),
    pytest.param(lambda p, s, other: (p, ("B" if s[0] == "A" else "A") + s[1:]), id="one-character"),
    pytest.param(lambda p, s, other: (p, s + "A"), id="longer-signature"),
    pytest.param(lambda p, s, other: (p, ""), id="no-signature"),
    pytest.param(lambda p, s, other: ("", s), id="no-fields"),
    pytest.param(lambda p, s, other: (p + "~x", s), id="one-field-more"),
    pytest.param(lambda p, s, other: ("D" + p[1:], s), id="another-kind"),
    pytest.param(lambda p, s, other: (p.replace("~", "|"), s), id="other-separator"),
    pytest.param(lambda p, s, other: (p + "\x00", s), id="nul"),
    pytest.param(lambda p, s, other: ("\u202e" + p, s), id="bidi-control"),
    pytest.param(lambda p, s, other: (p * 50, s * 50), id="very-long"),
    pytest.param(lambda p, s, other: (p, "!" * 86), id="not-base64"),
])
def test_a_forged_or_altered_code_is_refused(client, world, receipt, alter):
    other_receipt = Receipt.objects.create(reference="PR-2026-000999", service=Service.PASSPORT, applicant=world.father,
                                           holder=world.son, amount=receipt.amount)
    other = documents.import_string(documents.KINDS["R"])(other_receipt.reference)
    genuine = documents.import_string(documents.KINDS["R"])(receipt.reference)
    payload, signature = alter(genuine.payload, genuine.signature, other)
    response = verify(client, payload, signature)
    page = main(response)
    assert response.status_code == 200
    assert 'data-outcome="forged"' in page and 'data-outcome="genuine"' not in page
    assert receipt.reference not in page and world.son.name_ar not in page


def test_a_code_signed_with_another_key_is_refused(client, settings, receipt):
    document = documents.import_string(documents.KINDS["R"])(receipt.reference)
    settings.DOCUMENT_SIGNING_KEY = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc="
    forged = document.signature  # a valid Ed25519 signature, by another key
    settings.DOCUMENT_SIGNING_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
    assert 'data-outcome="forged"' in verify(client, document.payload, forged).content.decode()
    assert 'data-outcome="genuine"' in verify(client, document.payload, document.signature).content.decode()


def test_a_signed_code_of_an_unknown_kind_is_refused(client):
    payload = "Z~PR-2026-000001~1.00"
    assert check(payload, signing.sign(payload)) == (Outcome.FORGED, None)


def test_a_code_of_a_missing_document_is_refused(db):
    payload = "R~PR-2099-999999~300.00~2026-01-01~AAAAAAAA"
    assert check(payload, signing.sign(payload)) == (Outcome.CHANGED, None)


@pytest.mark.parametrize("change", [
    pytest.param({"amount": "1.00"}, id="amount"),
    pytest.param({"service": Service.IQAMA}, id="service"),
])
def test_a_receipt_changed_after_signing_is_refused(client, receipt, change):
    document = documents.import_string(documents.KINDS["R"])(receipt.reference)
    Receipt.objects.filter(pk=receipt.pk).update(**change)
    page = main(verify(client, document.payload, document.signature))
    assert 'data-outcome="changed"' in page and receipt.reference not in page


def test_a_receipt_whose_holder_or_office_changed_is_refused(client, world, receipt):
    from passports.models import Passport

    document = documents.import_string(documents.KINDS["R"])(receipt.reference)
    Passport.objects.filter(pk=receipt.passport_id).update(office="riyadh")
    assert 'data-outcome="changed"' in verify(client, document.payload, document.signature).content.decode()
    Passport.objects.filter(pk=receipt.passport_id).update(office="jeddah")
    assert 'data-outcome="genuine"' in verify(client, document.payload, document.signature).content.decode()
    Receipt.objects.filter(pk=receipt.pk).update(holder=world.daughter)
    assert 'data-outcome="changed"' in verify(client, document.payload, document.signature).content.decode()


def test_the_verification_page_is_rate_limited_per_address(client, receipt):
    from absher.verification.views import RATE_LIMIT

    document = documents.import_string(documents.KINDS["R"])(receipt.reference)
    for _ in range(RATE_LIMIT):
        assert verify(client, document.payload, document.signature).status_code == 200
    limited = verify(client, document.payload, document.signature)
    assert limited.status_code == 429 and receipt.reference not in main(limited)
    assert verify(client, document.payload, document.signature, REMOTE_ADDR="192.0.2.9").status_code == 200


def test_the_verification_page_answers_get_only(client):
    assert client.post(VERIFY, {"d": "x", "s": "y"}).status_code == 405
    assert client.get(VERIFY).status_code == 200


# --- decisions ----------------------------------------------------------------------------------


def test_a_decision_has_its_document_page_and_pdf_for_the_applicant_only(client, world, decided):
    client.force_login(world.father)
    response = client.get(reverse("civil_affairs:decision-detail", args=[decided.reference]))
    page = response.content.decode()
    assert response.status_code == 200 and '<img class="document-qr"' in page
    assert "The family record is missing" in page  # the reason, on the applicant's own document
    pdf = client.get(reverse("civil_affairs:decision-pdf", args=[decided.reference]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    client.force_login(world.stranger)
    for name in ("civil_affairs:decision-detail", "civil_affairs:decision-pdf"):
        assert client.get(reverse(name, args=[decided.reference])).status_code == 404


def test_an_open_request_has_no_decision_document(client, world, submit):
    request = submit(world.father)
    client.force_login(world.father)
    for name in ("civil_affairs:decision-detail", "civil_affairs:decision-pdf"):
        assert client.get(reverse(name, args=[request.reference])).status_code == 404


def test_a_decision_is_verified_without_its_reason(client, world, decided):
    client.force_login(world.father)
    payload, signature = code_of(
        client.get(reverse("civil_affairs:decision-detail", args=[decided.reference])).content.decode())
    client.logout()
    page = verify(client, payload, signature).content.decode()
    assert 'data-outcome="genuine"' in page and decided.reference in page
    assert "The family record is missing" not in page and world.father.person.national_id not in page
    assert 'data-outcome="forged"' in verify(client, _altered(payload, 2, "approved"), signature).content.decode()


def test_a_decision_changed_after_signing_is_refused(client, decided):
    from civil_affairs.models import ServiceRequest

    document = documents.import_string(documents.KINDS["D"])(decided.reference)
    ServiceRequest.objects.filter(pk=decided.pk).update(decision_reason="Another reason")
    assert 'data-outcome="changed"' in verify(client, document.payload, document.signature).content.decode()


# --- the key and the small rules --------------------------------------------------------------


def test_the_key_is_checked(settings):
    settings.DOCUMENT_SIGNING_KEY = "not base64!"
    with pytest.raises(ImproperlyConfigured):
        signing.sign("R~X~1")
    settings.DOCUMENT_SIGNING_KEY = "AAECAwQ="  # 5 bytes
    with pytest.raises(ImproperlyConfigured):
        signing.sign("R~X~1")


def test_without_a_key_one_is_derived_from_the_secret_key(settings):
    settings.DOCUMENT_SIGNING_KEY = ""
    first = signing.public_key_b64()
    settings.SECRET_KEY = "another-secret-key-" + "x" * 40
    assert signing.public_key_b64() != first
    assert signing.verify("R~X~1", signing.sign("R~X~1"))


def test_base64_and_base64url_keys_are_the_same_key(settings):
    settings.DOCUMENT_SIGNING_KEY = "+/+/" * 10 + "+/+="
    standard = signing.public_key_b64()
    settings.DOCUMENT_SIGNING_KEY = "-_-_" * 10 + "-_-"
    assert signing.public_key_b64() == standard


@pytest.mark.parametrize("national_id, masked", [
    ("1234567890", "1\u2022\u2022\u2022\u2022\u20227890"),
    ("2000000001", "2\u2022\u2022\u2022\u2022\u20220001"),
    ("123", "1\u20223"),
    ("", ""),
])
def test_mask_id(national_id, masked):
    assert mask_id(national_id) == masked


def test_the_verification_path_carries_fields_and_signature(receipt):
    document = documents.import_string(documents.KINDS["R"])(receipt.reference)
    assert documents.verification_path(document) == VERIFY + "?" + urlencode({"d": document.payload, "s": document.signature})
    assert len(document.signature) == 86


def test_a_documents_qr_code_is_encoded_once_and_then_read_from_the_cache(monkeypatch):
    from django.core.cache import cache

    url = "https://portal.example/verify/?d=R~PR-2026-000001&s=abc"
    cache.delete("qr-svg:" + __import__("hashlib").sha256(url.encode()).hexdigest())
    made = []
    original = documents._qr
    monkeypatch.setattr(documents, "_qr", lambda text: made.append(text) or original(text))
    first = documents.qr_svg(url)
    assert documents.qr_svg(url) == first and made == [url]
    assert documents.qr_svg(url + "x") != first and made == [url, url + "x"]
