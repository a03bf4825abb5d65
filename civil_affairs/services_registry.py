"""Changes to identity facts in the civil registry: only through these services."""

from datetime import date

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from absher.audit import audit_record

from .models import Person
from .person_rules import Violation


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


# --- staff changes of a record (the admin's "Change registry record" page) ---------------------

# What staff may change; the ID number is the record's key and never changes.
EDITABLE_FIELDS = (
    "name_ar", "name_en", "sex", "birth_date", "nationality", "father", "mother", "national_id_issued",
    "iqama_expiry", "national_id_expiry", "status",
)
REASON_REQUIRED = Violation("reason", "reason_required", text=_("Write the reason for the change: the audit trail keeps it."))


class PersonChangeRefused(Exception):
    """A change of the registry that breaks a rule (civil_affairs.person_rules): nothing was written.

    `violations` say which field and why, each with its reason code; `code` is the first one's.
    """

    def __init__(self, violations: list[Violation]):
        super().__init__([violation.code for violation in violations])
        self.violations = list(violations)
        self.codes = [violation.code for violation in violations]
        self.code = self.codes[0]

    def message(self) -> str:
        return " ".join(violation.message() for violation in self.violations)


def _audit_value(person: Person, name: str):
    """A field's value as the audit trail keeps it (a parent by ID number, a date in ISO form)."""
    if name in ("father", "mother"):
        return getattr(person, name).national_id if getattr(person, f"{name}_id") else None
    value = getattr(person, name)
    return value.isoformat() if isinstance(value, date) else value


def _normalised(name: str, value):
    if isinstance(value, str):
        value = value.strip()
        return value.upper() if name == "nationality" else value
    return value


def _violations(person: Person, *, today: date, exclude: tuple[str, ...] = ()) -> list[Violation]:
    """The registry's rules, then Django's own field checks for fields no rule spoke about."""
    found = person.rule_violations(today=today)
    try:
        person.clean_fields(exclude=["fingerprint_reference", *exclude])
    except ValidationError as error:
        ruled = {violation.field for violation in found}
        for field_name, errors in error.error_dict.items():
            if field_name not in ruled:
                found.extend(Violation(field_name, item.code or "invalid", text=" ".join(item.messages)) for item in errors)
    return found


def _account_of(person: Person):
    try:
        return person.account
    except ObjectDoesNotExist:
        return None


def person_update(
    *, person: Person, changes: dict, actor, reason: str, today: date | None = None, client_address: str | None = None
) -> Person:
    """Change facts of a registry record, for a reason, with one audit row of the old and new values.

    `changes` maps fields of EDITABLE_FIELDS to their new values (father and mother: a Person or
    None). The record is locked, the whole record is checked by the registry's rules (the same
    as the import's and Person.clean's) and refused with PersonChangeRefused if it breaks one;
    nothing is written when no value differs.
    """
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not a field staff may change: {sorted(unknown)}")
    reason = (reason or "").strip()
    if not reason:
        raise PersonChangeRefused([REASON_REQUIRED])
    today = today or timezone.localdate()
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person.pk)
        old = {name: _audit_value(person, name) for name in changes}
        for name, value in changes.items():
            setattr(person, name, _normalised(name, value))
        changed = {name: {"old": old[name], "new": _audit_value(person, name)} for name in changes}
        changed = {name: values for name, values in changed.items() if values["old"] != values["new"]}
        if not changed:
            return person
        violations = _violations(person, today=today)
        if violations:
            raise PersonChangeRefused(violations)
        person.save(update_fields=[*changed, "updated_at"])
        audit_record(
            action="registry_record_changed", actor=actor, subject=_account_of(person), subject_label=person.national_id,
            client_address=client_address, reason=reason, changes=changed,
        )
    return person


def person_create(
    *, values: dict, actor, reason: str, today: date | None = None, client_address: str | None = None
) -> Person:
    """Add a person to the registry by hand (the import adds files of them), checked by the same
    rules, with one audit row of the values and the reason."""
    unknown = set(values) - {"national_id", *EDITABLE_FIELDS}
    if unknown:
        raise ValueError(f"not a field of a registry record: {sorted(unknown)}")
    reason = (reason or "").strip()
    if not reason:
        raise PersonChangeRefused([REASON_REQUIRED])
    today = today or timezone.localdate()
    person = Person(**{name: _normalised(name, value) for name, value in values.items()})
    with transaction.atomic():
        violations = _violations(person, today=today)
        try:
            person.validate_unique()
        except ValidationError as error:
            violations.extend(
                Violation(field_name, item.code or "unique", text=" ".join(item.messages))
                for field_name, errors in error.error_dict.items()
                for item in errors
            )
        if violations:
            raise PersonChangeRefused(violations)
        person.save()
        audit_record(
            action="registry_record_created", actor=actor, subject_label=person.national_id, client_address=client_address,
            reason=reason, values={name: _audit_value(person, name) for name in ("national_id", *EDITABLE_FIELDS)},
        )
    return person
