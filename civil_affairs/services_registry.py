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
