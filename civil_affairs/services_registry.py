"""Changes to identity facts in the civil registry: only through these services."""

from datetime import date

from django.db import transaction

from absher.audit import audit_record

from .models import Person


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def person_national_id_renew(*, person: Person, today: date, actor, years: int = 10) -> Person:
    """A renewed card is valid `years` from the later of today and the old expiry."""
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person.pk)
        start = max(today, person.national_id_expiry or today)
        person.national_id_expiry = _add_years(start, years)
        person.national_id_issued = True
        person.save(update_fields=["national_id_expiry", "national_id_issued", "updated_at"])
        audit_record(action="national_id_renewed", actor=actor, subject_label=person.national_id,
                     expiry=person.national_id_expiry.isoformat())
    return person


# --- the reference fingerprint template (biometrics reads it; staff and import write it) -------

from django.views.decorators.debug import sensitive_variables  # noqa: E402  (appended section)


def _fingerprint_cipher():
    """Fernet with FINGERPRINT_KEY (a comma-separated list rotates keys: the first encrypts).

    Without the setting (development, tests) the key is derived from SECRET_KEY; a deployment
    must set its own (the deploy check biometrics.E003 says so).
    """
    import base64
    import hashlib

    from cryptography.fernet import Fernet, MultiFernet
    from django.conf import settings

    configured = getattr(settings, "FINGERPRINT_KEY", "") or ""
    keys = [key.strip() for key in configured.split(",") if key.strip()]
    if not keys:
        keys = [base64.urlsafe_b64encode(hashlib.sha256(b"absher-fingerprint-key|" + settings.SECRET_KEY.encode()).digest())]
    return MultiFernet([Fernet(key) for key in keys])


@sensitive_variables()
def fingerprint_encrypt(template: bytes) -> bytes:
    return _fingerprint_cipher().encrypt(bytes(template))


@sensitive_variables()
def fingerprint_decrypt(token: bytes) -> bytes | None:
    """The template, or None if the key cannot open it (logged without the bytes)."""
    from cryptography.fernet import InvalidToken

    try:
        return _fingerprint_cipher().decrypt(bytes(token))
    except InvalidToken:
        import logging

        logging.getLogger(__name__).warning("a fingerprint template could not be decrypted (wrong FINGERPRINT_KEY?)")
        return None


@sensitive_variables("template")
def person_fingerprint_reference_set(*, person: Person, template: bytes | None, actor, reason: str = "") -> Person:
    """Store (or, with None, remove) the reference template taken when the ID was issued, encrypted."""
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person.pk)
        person.fingerprint_reference = fingerprint_encrypt(template) if template is not None else None
        person.save(update_fields=["fingerprint_reference", "updated_at"])
        audit_record(
            action="fingerprint_reference_set" if template is not None else "fingerprint_reference_removed",
            actor=actor, subject_label=person.national_id, reason=reason,
        )
    return person


@sensitive_variables()
def person_fingerprint_reference(*, national_id: str) -> bytes | None:
    """The decrypted reference template of an ID number (None: no such person or no reference).

    Only the matcher uses it; it never goes to a page, a log or an exception.
    """
    token = Person.objects.filter(national_id=national_id).values_list("fingerprint_reference", flat=True).first()
    return fingerprint_decrypt(token) if token else None


# --- the iqama's expiry (the passports app renews iqamas; the registry keeps the one expiry) ----


def person_iqama_extend(*, person: Person, new_expiry: date, actor, reason: str = "") -> Person:
    """Set a resident's iqama expiry (an iqama issued or renewed by the passports services)."""
    if not person.is_resident:
        raise ValueError("only a resident (iqama number starting with 2) has an iqama expiry")
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person.pk)
        previous = person.iqama_expiry
        person.iqama_expiry = new_expiry
        person.save(update_fields=["iqama_expiry", "updated_at"])
        audit_record(action="iqama_expiry_changed", actor=actor, subject_label=person.national_id,
                     previous=previous.isoformat() if previous else "", expiry=new_expiry.isoformat(), reason=reason)
    return person
