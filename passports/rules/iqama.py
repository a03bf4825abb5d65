"""Issue and renewal of an iqama (residence permit) for a sponsored worker or a family member.

Sources
    - Residence Regulation (Nizam al-Iqama) and the General Directorate of Passports' conditions
      of the Absher service "Renew iqama": the fees paid, no unpaid fines (violations) recorded,
      a valid passport, the person not reported absent from work, and the fingerprint
      registered for every member of 6 years or more (Jawazat, March 2021, repeated September
      2024: "fingerprints of expatriate children aged six and above" are a prerequisite for
      iqama and travel procedures; it was 15 from 2015).
    - Late renewal: Jawazat's published penalty for not renewing within three days after expiry:
      SAR 500 the first time, SAR 1,000 the second (a third time leads to deportation, which is
      not an online matter; the portal charges SAR 1,000 again and leaves deportation to the
      officers). Confirmed against press reports of Jawazat's statements (Saudi Gazette, Arab
      News, expatriate news sites), not against an official page.
    - Fee: SAR 650 a year (issue 5's figure, held as data in passports.Fee). NOT CONFIRMED: the
      sources read from here give no current official figure for the iqama itself (older
      reports give SAR 500 a year for some categories); staff should check it and edit the fee.
    - A worker's iqama is renewed by the sponsor and a family member's by the head of the family
      (Absher "Family members" and "Labor" services): the resident does not renew their own here.

Not confirmed against an official source (the portal's own choice):
    - RENEWAL_WINDOW: renewal opens 180 days before expiry.
    - YEARS: one or two years at a time (current practice also allows 3, 6 or 9 months for some
      workers, which the portal does not offer).
"""

from dataclasses import dataclass
from datetime import date, timedelta

from civil_affairs import ages

from . import Decision, add_years, authority, fee_line, ordered

YEARS = (1, 2)
RENEWAL_WINDOW = timedelta(days=180)
LATE_GRACE = timedelta(days=3)
FINGERPRINT_FROM_AGE = 6

FEE_YEAR = "iqama_year"
FEE_LATE_FIRST = "iqama_late_first"
FEE_LATE_REPEAT = "iqama_late_repeat"

ISSUE = "issue"
RENEW = "renew"

NOT_RESIDENT = "not_resident"
NOT_LIVING = "not_living"
SPONSOR_MUST_APPLY = "sponsor_must_apply"
BAD_YEARS = "bad_years"
NO_VALID_PASSPORT = "no_valid_passport"
UNPAID_FINES = "unpaid_fines"
REPORTED_ABSENT = "reported_absent"
NEEDS_FINGERPRINT = "needs_fingerprint"
TOO_EARLY = "too_early"
YEARS_TOO_FEW = "years_too_few"
REASONS = (NOT_RESIDENT, NOT_LIVING, SPONSOR_MUST_APPLY, BAD_YEARS, NO_VALID_PASSPORT, UNPAID_FINES, REPORTED_ABSENT,
           NEEDS_FINGERPRINT, TOO_EARLY, YEARS_TOO_FEW)


@dataclass(frozen=True)
class IqamaHolder:
    resident: bool
    living: bool
    birth_date: date
    age_calendar: str
    fingerprint_on_file: bool


@dataclass(frozen=True)
class IqamaState:
    #: Whether the holder already has iqama details (False: a first issue).
    issued: bool
    expiry: date | None
    passport_valid_until: date | None
    unpaid_fines: bool
    reported_absent: bool
    #: Late renewals in the holder's renewal history.
    late_renewals: int = 0


def needs_fingerprint(holder: IqamaHolder, today: date) -> bool:
    return (
        ages.has_reached(holder.birth_date, today, years=FINGERPRINT_FROM_AGE, calendar=holder.age_calendar)
        and not holder.fingerprint_on_file
    )


def is_valid(expiry: date | None, today: date) -> bool:
    """The public inquiry's answer: valid through its expiry day, expired from the day after."""
    return expiry is not None and today <= expiry


def is_late(expiry: date, today: date) -> bool:
    """Late from the fourth day after expiry (three days' grace)."""
    return today > expiry + LATE_GRACE


def decide(*, holder: IqamaHolder, relation: str, state: IqamaState, years: int, fees, today: date) -> Decision:
    renewing = state.issued and state.expiry is not None
    start = state.expiry if renewing else today
    new_expiry = add_years(start, years) if years in YEARS else None
    opens = state.expiry - RENEWAL_WINDOW if renewing else None
    failed = {
        NOT_RESIDENT: not holder.resident,
        NOT_LIVING: not holder.living,
        SPONSOR_MUST_APPLY: relation not in (authority.WORKER, authority.CHILD),
        BAD_YEARS: years not in YEARS,
        NO_VALID_PASSPORT: state.passport_valid_until is None or state.passport_valid_until < today,
        UNPAID_FINES: state.unpaid_fines,
        REPORTED_ABSENT: state.reported_absent,
        NEEDS_FINGERPRINT: needs_fingerprint(holder, today),
        TOO_EARLY: opens is not None and today < opens,
        # A renewal counts from the old expiry (the lapsed time is paid for): it must reach past today.
        YEARS_TOO_FEW: new_expiry is not None and new_expiry <= today,
    }
    reasons = ordered(failed, REASONS)
    lines = []
    if years in YEARS:
        lines.append(fee_line(fees, FEE_YEAR, years))
    late = renewing and is_late(state.expiry, today)
    if late:
        lines.append(fee_line(fees, FEE_LATE_FIRST if state.late_renewals == 0 else FEE_LATE_REPEAT))
    return Decision(
        reasons=reasons,
        allowed_from=opens if reasons == (TOO_EARLY,) else None,
        fee_lines=tuple(lines),
        outcome={"mode": RENEW if renewing else ISSUE, "years": years, "new_expiry": new_expiry, "late": late},
    )
