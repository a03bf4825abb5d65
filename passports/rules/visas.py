"""Exit/re-entry visas (single and multiple), their extension and cancellation, and final exit.

Sources
    - General Directorate of Passports (Jawazat), statements reported by Gulf News (19 June
      2022) and Okaz: a single exit/re-entry visa costs SAR 200 for up to two months and SAR 100
      for each further month; a multiple one SAR 500 for up to three months and SAR 200 for each
      further month, "within the limits of the validity of the iqama"; the passport must be valid
      for at least 90 days; a visa defined in months may be used for travel within three months
      of issue, and its duration counts from the day of travel.
    - Absher "Extend exit/re-entry visa" (for someone abroad): SAR 100 a month (single) or
      SAR 200 a month (multiple); the iqama must be valid and cover the extension, and no more
      than 60 days may have passed since the visa expired.
    - Absher "Cancel exit/re-entry visa": only a visa not yet used for travel and not expired;
      no fee, and the issue fee is not refunded for individuals.
    - Final exit: free; the passport valid for at least 60 days; not while an exit/re-entry
      visa is outstanding; not possible for someone abroad.
    - An extension adds months to the visa's duration, and the duration counts from the day of
      travel (Jawazat, above): the new "return before" date is the day of travel plus all the
      months paid for (the visa's own and every extension's), clamped to the month's last day
      once. Adding the extension's months to the clamped "return before" date instead would lose
      days at month ends (travel on 29 November with 3 months returns by 28 February; 2 more
      months must give 29 April, as 5 months from the day of travel, not 28 April). Not
      confirmed against an official page; the portal's choice is the reading that never gives
      the traveller less than the months paid for. A visa whose day of travel is unknown (data
      from before this rule) is extended from its "return before" date.
    - Fingerprint registered (from 6 years of age) before an exit/re-entry visa (Jawazat, 2015
      for 15+, lowered to 6 in 2021).
    - All fees are held as data in passports.Fee. The figures above were confirmed only
      against press reports of Jawazat's statements, not against an official page.

Not confirmed (the portal's own choice): durations offered are 1 to 12 months.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from civil_affairs import ages

from . import Decision, add_months, authority, fee_line, ordered

SINGLE = "exit_reentry_single"
MULTIPLE = "exit_reentry_multiple"
FINAL_EXIT = "final_exit"
EXIT_REENTRY_KINDS = (SINGLE, MULTIPLE)

ISSUED = "issued"
USED = "used"
EXPIRED = "expired"
CANCELLED = "cancelled"

MONTHS = range(1, 13)
#: Months the base fee covers, the base fee's code and the further month's code, by kind.
FEE_TABLE = {
    SINGLE: (2, "exit_reentry_single", "exit_reentry_single_extra_month"),
    MULTIPLE: (3, "exit_reentry_multiple", "exit_reentry_multiple_extra_month"),
}
FINAL_EXIT_FEE = "final_exit"
TRAVEL_WINDOW = timedelta(days=90)  # an exit/re-entry visa is used for travel within this
FINAL_EXIT_WINDOW = timedelta(days=60)
PASSPORT_MIN_EXIT_REENTRY = timedelta(days=90)
PASSPORT_MIN_FINAL_EXIT = timedelta(days=60)
EXTENSION_AFTER_EXPIRY = timedelta(days=60)
FINGERPRINT_FROM_AGE = 6

NOT_RESIDENT = "not_resident"
NOT_LIVING = "not_living"
SPONSOR_MUST_APPLY = "sponsor_must_apply"
BAD_DURATION = "bad_duration"
IQAMA_EXPIRED = "iqama_expired"
IQAMA_DOES_NOT_COVER = "iqama_does_not_cover"
PASSPORT_VALIDITY_SHORT = "passport_validity_short"
REPORTED_ABSENT = "reported_absent"
UNPAID_FINES = "unpaid_fines"
ABROAD = "abroad"
VISA_OPEN = "visa_open"
NEEDS_FINGERPRINT = "needs_fingerprint"
NOT_EXIT_REENTRY = "not_exit_reentry"
NOT_ABROAD_ON_VISA = "not_abroad_on_visa"
EXTENSION_TOO_LATE = "extension_too_late"
EXTENSION_TOO_SHORT = "extension_too_short"
VISA_USED = "visa_used"
VISA_EXPIRED = "visa_expired"
VISA_CANCELLED = "visa_cancelled"
REASONS = (NOT_RESIDENT, NOT_LIVING, SPONSOR_MUST_APPLY, NOT_EXIT_REENTRY, BAD_DURATION, IQAMA_EXPIRED,
           IQAMA_DOES_NOT_COVER, PASSPORT_VALIDITY_SHORT, REPORTED_ABSENT, UNPAID_FINES, ABROAD, NOT_ABROAD_ON_VISA,
           EXTENSION_TOO_LATE, EXTENSION_TOO_SHORT, VISA_OPEN, NEEDS_FINGERPRINT, VISA_USED, VISA_EXPIRED, VISA_CANCELLED)


@dataclass(frozen=True)
class Traveller:
    resident: bool
    living: bool
    birth_date: date
    age_calendar: str
    fingerprint_on_file: bool
    iqama_expiry: date | None
    passport_valid_until: date | None
    reported_absent: bool
    #: The last crossing recorded was an exit.
    abroad: bool
    unpaid_fines: bool = False


@dataclass(frozen=True)
class VisaFacts:
    kind: str
    status: str  # as stored: ISSUED, USED or CANCELLED (EXPIRED is worked out from the dates)
    issued_on: date
    travel_by: date
    months: int | None
    #: The day the holder must be back by (set on the exit that used the visa).
    return_by: date | None
    #: The holder left on this visa and has not come back.
    holder_abroad_on_it: bool
    #: Months added by extensions so far.
    extended_months: int = 0
    #: The day of the exit that started the duration (None: not used yet, or not recorded).
    travelled_on: date | None = None


def fee_lines(kind: str, months: int, fees) -> tuple:
    if kind == FINAL_EXIT:
        return (fee_line(fees, FINAL_EXIT_FEE),)
    covered, base, extra = FEE_TABLE[kind]
    lines = [fee_line(fees, base)]
    if months > covered:
        lines.append(fee_line(fees, extra, months - covered))
    return tuple(lines)


def extension_fee_lines(kind: str, months: int, fees) -> tuple:
    return (fee_line(fees, FEE_TABLE[kind][2], months),)


def effective_status(visa: VisaFacts, today: date) -> str:
    """The status a reader should see today: a stored status moves to EXPIRED with time."""
    if visa.status == CANCELLED:
        return CANCELLED
    if visa.status == ISSUED:
        return EXPIRED if today > visa.travel_by else ISSUED
    # Used: a final exit or a single visa whose holder came back is spent for good.
    if visa.kind == FINAL_EXIT or (visa.kind == SINGLE and not visa.holder_abroad_on_it):
        return USED
    if visa.return_by is not None and today > visa.return_by:
        return EXPIRED
    return USED


def is_open(visa: VisaFacts, today: date) -> bool:
    """Stands in the way of a new exit/re-entry visa or a final exit."""
    status = effective_status(visa, today)
    if status == ISSUED:
        return True
    return status == USED and visa.kind != FINAL_EXIT and (visa.holder_abroad_on_it or visa.kind == MULTIPLE)


def _fingerprint_missing(traveller: Traveller, today: date) -> bool:
    return (
        ages.has_reached(traveller.birth_date, today, years=FINGERPRINT_FROM_AGE, calendar=traveller.age_calendar)
        and not traveller.fingerprint_on_file
    )


def _acting(relation: str) -> bool:
    return relation in (authority.WORKER, authority.CHILD)


def exit_reentry_decide(*, traveller: Traveller, relation: str, open_visa: bool, kind: str, months: int, fees,
                        today: date) -> Decision:
    good_kind = kind in EXIT_REENTRY_KINDS
    good_months = months in MONTHS
    iqama = traveller.iqama_expiry
    failed = {
        NOT_RESIDENT: not traveller.resident,
        NOT_LIVING: not traveller.living,
        SPONSOR_MUST_APPLY: not _acting(relation),
        NOT_EXIT_REENTRY: not good_kind,
        BAD_DURATION: not good_months,
        IQAMA_EXPIRED: iqama is None or iqama < today,
        IQAMA_DOES_NOT_COVER: iqama is not None and iqama >= today and good_months and add_months(today, months) > iqama,
        PASSPORT_VALIDITY_SHORT: traveller.passport_valid_until is None
        or traveller.passport_valid_until < today + PASSPORT_MIN_EXIT_REENTRY,
        REPORTED_ABSENT: traveller.reported_absent,
        ABROAD: traveller.abroad,
        VISA_OPEN: open_visa,
        NEEDS_FINGERPRINT: _fingerprint_missing(traveller, today),
    }
    return Decision(
        reasons=ordered(failed, REASONS),
        fee_lines=fee_lines(kind, months, fees) if good_kind and good_months else (),
        outcome={"kind": kind, "months": months, "issued_on": today, "travel_by": today + TRAVEL_WINDOW},
    )


def extension_decide(*, visa: VisaFacts, traveller: Traveller, relation: str, months: int, fees, today: date) -> Decision:
    good_kind = visa.kind in EXIT_REENTRY_KINDS
    good_months = months in MONTHS
    not_abroad_on_it = visa.status == CANCELLED or not visa.holder_abroad_on_it or visa.return_by is None
    new_return_by = extended_return_by(visa, months) if good_months else None
    iqama = traveller.iqama_expiry
    failed = {
        SPONSOR_MUST_APPLY: not _acting(relation),
        NOT_EXIT_REENTRY: not good_kind,
        BAD_DURATION: not good_months,
        NOT_ABROAD_ON_VISA: good_kind and not_abroad_on_it,
        EXTENSION_TOO_LATE: visa.return_by is not None and today > visa.return_by + EXTENSION_AFTER_EXPIRY,
        EXTENSION_TOO_SHORT: new_return_by is not None and new_return_by < today,
        IQAMA_EXPIRED: iqama is None or iqama < today,
        IQAMA_DOES_NOT_COVER: iqama is not None and iqama >= today and new_return_by is not None and new_return_by > iqama,
    }
    return Decision(
        reasons=ordered(failed, REASONS),
        fee_lines=extension_fee_lines(visa.kind, months, fees) if good_kind and good_months else (),
        outcome={"months": months, "return_by": new_return_by},
    )


def cancellation_decide(*, visa: VisaFacts, relation: str, today: date) -> Decision:
    status = effective_status(visa, today)
    failed = {
        SPONSOR_MUST_APPLY: not _acting(relation),
        VISA_USED: status == USED,
        VISA_EXPIRED: status == EXPIRED,
        VISA_CANCELLED: status == CANCELLED,
    }
    return Decision(reasons=ordered(failed, REASONS))


def final_exit_decide(*, traveller: Traveller, relation: str, open_visa: bool, fees, today: date) -> Decision:
    failed = {
        NOT_RESIDENT: not traveller.resident,
        NOT_LIVING: not traveller.living,
        SPONSOR_MUST_APPLY: not _acting(relation),
        PASSPORT_VALIDITY_SHORT: traveller.passport_valid_until is None
        or traveller.passport_valid_until < today + PASSPORT_MIN_FINAL_EXIT,
        REPORTED_ABSENT: traveller.reported_absent,
        UNPAID_FINES: traveller.unpaid_fines,
        ABROAD: traveller.abroad,
        VISA_OPEN: open_visa,
    }
    return Decision(
        reasons=ordered(failed, REASONS),
        fee_lines=fee_lines(FINAL_EXIT, 0, fees),
        outcome={"kind": FINAL_EXIT, "issued_on": today, "travel_by": today + FINAL_EXIT_WINDOW},
    )


def return_by_for(*, months: int, exit_on: date) -> date:
    """A visa's duration counts from the day of travel."""
    return add_months(exit_on, months)


def extended_return_by(visa: VisaFacts, months: int) -> date | None:
    """The "return before" date after extending `visa` by `months` (see the module's sources):
    the day of travel plus every month paid for, so that month-end clamping happens once."""
    if visa.return_by is None:
        return None
    if visa.travelled_on is not None and visa.months:
        return return_by_for(months=visa.months + visa.extended_months + months, exit_on=visa.travelled_on)
    return add_months(visa.return_by, months)
