"""Issue and renewal of a Saudi passport: who, when, for how long, at what fee.

Sources
    - Travel Documents Law (Royal Decree M/24 of 28/5/1421 AH) as amended in 2019 (Royal Decree
      M/134 of 27/11/1440 AH): a citizen of 21 or more applies for their own passport; under 21
      the guardian applies (or consents); a passport for someone under 21 is issued for 5 years.
    - General Directorate of Passports (Jawazat), conditions of the Absher service "Issue /
      renew a Saudi passport": fees paid by validity (5 or 10 years), traffic violations paid,
      for those of 15 or more a national ID card (Civil Status Law art. 67 as amended in 1445 AH:
      a Saudi of 15 must hold the card); for those under 15 the family rules: the child is in the
      family record and the father or mother applies; delivery by post to the national address
      or collection from a passports office.
    - Fees: SAR 300 for 5 years, SAR 600 for 10 years (held as data in passports.Fee; seeded in
      passports/seed.py). Confirmed only against press reports of Jawazat's statements (Saudi
      Gazette: "the fees ... have not changed: SR300 for 5 years, SR600 for 10"); no official
      page could be read from here.

Not confirmed against an official source (the portal's own choice, kept in one constant):
    - RENEWAL_WINDOW: renewal opens 180 days before the passport expires (the same window as the
      national ID card's). The public pages read from here name no window for passports.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from civil_affairs import ages

from . import Decision, add_years, authority, fee_line, ordered

VALIDITIES = (5, 10)
FEE_CODES = {5: "passport_5y", 10: "passport_10y"}
RENEWAL_WINDOW = timedelta(days=180)
FAMILY_RULES_UNDER = 15  # under this age the family rules apply (no ID card of one's own)
ADULT_AGE = 21  # from this age: one's own application, and 10 years may be chosen

ISSUE = "issue"
RENEW = "renew"

NOT_CITIZEN = "not_citizen"
NOT_LIVING = "not_living"
GUARDIAN_MUST_APPLY = "guardian_must_apply"
TEN_YEARS_FROM_21 = "ten_years_from_21"
BAD_VALIDITY = "bad_validity"
NEEDS_ID_CARD = "needs_id_card"
TOO_EARLY = "too_early"
UNPAID_FINES = "unpaid_fines"
REASONS = (NOT_CITIZEN, NOT_LIVING, GUARDIAN_MUST_APPLY, BAD_VALIDITY, TEN_YEARS_FROM_21, NEEDS_ID_CARD, TOO_EARLY,
           UNPAID_FINES)


@dataclass(frozen=True)
class PassportHolder:
    citizen: bool
    living: bool
    birth_date: date
    age_calendar: str
    national_id_issued: bool


def age(holder: PassportHolder, today: date) -> int:
    return ages.age_in_years(holder.birth_date, today, calendar=holder.age_calendar)


def family_rules(holder: PassportHolder, today: date) -> bool:
    """A dependent under 15: the parent applies and no ID card of the child's own is needed."""
    return age(holder, today) < FAMILY_RULES_UNDER


def renewal_opens(expires_on: date) -> date:
    return expires_on - RENEWAL_WINDOW


def decide(*, holder: PassportHolder, relation: str, current_expiry: date | None, unpaid_fines: bool, years: int,
           fees, today: date) -> Decision:
    """May `relation` (authority.SELF / CHILD / WORKER) get `holder` a passport of `years` today?

    `current_expiry` is the expiry of the holder's valid Saudi passport (None: a first issue).
    """
    years_old = age(holder, today)
    under_21 = years_old < ADULT_AGE
    opens = renewal_opens(current_expiry) if current_expiry else None
    failed = {
        NOT_CITIZEN: not holder.citizen,
        NOT_LIVING: not holder.living,
        GUARDIAN_MUST_APPLY: under_21 and relation != authority.CHILD,
        BAD_VALIDITY: years not in VALIDITIES,
        TEN_YEARS_FROM_21: under_21 and years == 10,
        NEEDS_ID_CARD: years_old >= FAMILY_RULES_UNDER and not holder.national_id_issued,
        TOO_EARLY: opens is not None and today < opens,
        UNPAID_FINES: unpaid_fines,
    }
    reasons = ordered(failed, REASONS)
    lines = (fee_line(fees, FEE_CODES[years]),) if years in VALIDITIES else ()
    return Decision(
        reasons=reasons,
        allowed_from=opens if reasons == (TOO_EARLY,) else None,
        fee_lines=lines,
        outcome={
            "mode": RENEW if current_expiry else ISSUE,
            "years": years,
            "issued_on": today,
            "expires_on": add_years(today, years) if years in VALIDITIES else None,
            "family_rules": years_old < FAMILY_RULES_UNDER,
        },
    )
