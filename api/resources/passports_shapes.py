"""Plain dicts of the passports records, in the shapes of passports_serializers (labels and names
in the Accept-Language, dates in both calendars), from rows the selectors have read: no query here."""

from datetime import date

from absher.templatetags.country_names import country_name
from passports.models import AbscondingReport, Bill, Fine, Passport, TravelPermit, Visa
from passports.templatetags.passports_extras import relation_label

from .passports import language
from .passports_serializers import days_left, dual


def _label(choices, value) -> str:
    # Only the label needed is translated: get_FOO_display translates every choice on each call.
    return next((str(label) for key, label in choices if key == value), value)


def person(person, relation: str) -> dict:
    return {
        "national_id": person.national_id, "name": person.display_name(language()), "name_ar": person.name_ar,
        "name_en": person.name_en, "sex": person.sex, "birth_date": dual(person.birth_date),
        "nationality": person.nationality, "nationality_name": country_name(person.nationality),
        "is_citizen": person.is_citizen, "relation": relation, "relation_label": relation_label(relation, person.sex),
    }


def holder(person) -> dict:
    return {"national_id": person.national_id, "name": person.display_name(language())}


def passport(row: Passport, today: date) -> dict:
    return {
        "number": row.number, "country": row.country, "country_name": country_name(row.country),
        "issued_on": dual(row.issued_on), "expires_on": dual(row.expires_on), "validity_years": row.validity_years,
        "status": row.status, "status_label": _label(Passport.Status.choices, row.status),
        "expired": row.status == Passport.Status.VALID and row.expires_on < today,
        "days_left": days_left(row.expires_on, today),
    }


def iqama_summary(person, today: date) -> dict | None:
    if not person.is_resident:
        return None
    expiry = person.iqama_expiry
    return {"number": person.national_id, "expires_on": dual(expiry), "days_left": days_left(expiry, today),
            "expired": bool(expiry and expiry < today)}


def iqama(person, record, today: date) -> dict | None:
    summary = iqama_summary(person, today)
    if summary is None:
        return None
    sponsor, occupation = "", ""
    if record is not None:
        sponsor = record.sponsor.display_name(language()) if record.sponsor_id else record.employer_name
        occupation = record.occupation_ar if language() == "ar" else record.occupation_en
    return {**summary, "sponsor_name": sponsor, "occupation": occupation}


def visa(row: Visa, today: date) -> dict:
    status = row.status_on(today)
    return {
        "number": row.number, "kind": row.kind, "kind_label": _label(Visa.Kind.choices, row.kind), "months": row.months,
        "extended_months": row.extended_months, "issued_on": dual(row.issued_on), "travel_by": dual(row.travel_by),
        "return_by": dual(row.return_by), "status": status, "status_label": _label(Visa.Status.choices, status),
        "holder_abroad_on_it": row.holder_abroad_on_it,
    }


def permit(row: TravelPermit, today: date) -> dict:
    return {
        "number": row.number, "destination": row.destination,
        "destination_label": _label(TravelPermit.Destination.choices, row.destination),
        "valid_from": dual(row.valid_from), "valid_until": dual(row.valid_until), "status": row.status,
        "status_label": _label(TravelPermit.Status.choices, row.status), "active_today": row.active_on(today),
    }


def fine(row: Fine) -> dict:
    return {"reference": row.reference, "reason": row.reason_ar if language() == "ar" else row.reason_en,
            "amount": row.amount, "issued_on": dual(row.issued_on), "paid": row.paid_at is not None}


def absence_report(row: AbscondingReport | None) -> dict | None:
    if row is None:
        return None
    return {
        "reference": row.reference, "reported_on": dual(row.reported_on), "last_seen_on": dual(row.last_seen_on),
        "active": row.status == AbscondingReport.Status.ACTIVE,
        "status_label": _label(AbscondingReport.Status.choices, row.status), "blocks_services": row.blocks_services,
        "cancellable_until": dual(row.cancellable_until),
    }


def bill(row: Bill, *, fee_names: dict, receipt_reference: str | None) -> dict:
    from django.utils.translation import gettext as _

    lines = [{"code": line["code"], "quantity": line["quantity"], "amount": line["amount"],
              "name": fee_names.get(line["code"], _("Fine") if line["code"] == "fine" else line["code"])}
             for line in row.lines]
    return {
        "number": row.number, "service": row.service, "service_label": row.get_service_display(),
        "holder": holder(row.holder), "amount": row.amount, "lines": lines, "status": row.status,
        "status_label": _label(Bill.Status.choices, row.status), "created_at": row.created_at, "paid_at": row.paid_at,
        "refunded_at": row.refunded_at, "payable": row.status == Bill.Status.UNPAID,
        "receipt_reference": receipt_reference,
    }
