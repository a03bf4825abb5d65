"""Who a parent may add as a dependent: a pure rule (no ORM, no clock, no settings).

The facts come in as frozen dataclasses, `today` is passed in, and the decision lists every
reason that stands in the way (not just the first), with the date time will fix it, if it will.

The rule
    - the applicant is the registered father or mother of the person (the registry's
      father/mother links), nobody else;
    - a male from 14 years and 10 months until his 18th birthday (not on it);
    - a female from 14 years and 10 months, with no upper limit;
    - not one who holds a national ID card, already has an account on the portal, or was
      added before (to anyone);
    - the person is living;
    - one request at a time per child: while an add-dependent request for the person is open
      (submitted, in review or waiting for the citizen), by the father or the mother, no other
      is filed. When it is rejected, withdrawn or closed, a new one may be. This is a filing
      rule: the request being decided is itself open, so approval passes `open_request=False`.

Ages count in the dependent's calendar (Hijri for citizens, Gregorian for residents), decided
by the caller with `civil_affairs.selectors.age_calendar` and computed by the one age function
`civil_affairs.ages.anniversary`.

Regulations behind it
    - Civil Status Law (Royal Decree M/7 of 20/4/1407 AH), article 67 as amended by the Council
      of Ministers' decision of 16/9/1445 AH (26 March 2024): a Saudi who reaches 15 must hold
      their own national identity card, and the guardian takes the steps to obtain it (it is
      optional from 6 to 15). Once the card is issued the person is no longer a dependent.
    - The 14 years and 10 months threshold anticipates that duty: it opens the service two
      months before the card is due, so the guardian can act on the child's behalf in time.
    - At 18 a son registers his own account (accounts' adult age), so he is added only before
      his 18th birthday; a daughter may stay under her parent's account with no upper limit.
    - One open request per child is the portal's own rule, not a regulation's: a request from
      the father and one from the mother for the same child would be decided twice.
"""

from dataclasses import dataclass
from datetime import date

from civil_affairs import ages

MALE = "M"
FEMALE = "F"

FATHER = "father"
MOTHER = "mother"

MIN_AGE_YEARS, MIN_AGE_MONTHS = 14, 10
MALE_MAX_AGE_YEARS = 18  # exclusive: refused from the 18th birthday on

NOT_PARENT = "not_parent"
NOT_LIVING = "not_living"
TOO_YOUNG = "too_young"
MALE_18_OR_OVER = "male_18_or_over"
HOLDS_NATIONAL_ID = "holds_national_id"
HAS_ACCOUNT = "has_account"
ALREADY_ADDED = "already_added"
PENDING_REQUEST = "pending_request"
#: Every reason code, in the order a decision lists them.
REASONS = (
    NOT_PARENT, NOT_LIVING, TOO_YOUNG, MALE_18_OR_OVER, HOLDS_NATIONAL_ID, HAS_ACCOUNT, ALREADY_ADDED, PENDING_REQUEST,
)


@dataclass(frozen=True)
class Candidate:
    """The person a parent wants to add, as the civil registry knows them."""

    national_id: str
    sex: str  # MALE or FEMALE
    birth_date: date
    age_calendar: str  # ages.HIJRI or ages.GREGORIAN
    living: bool
    national_id_issued: bool
    has_account: bool
    father_national_id: str | None
    mother_national_id: str | None


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reasons: tuple[str, ...]
    #: The date of 14 years and 10 months, when being too young is all that stands in the way.
    eligible_from: date | None
    #: For a male, his 18th birthday: the first day he can no longer be added.
    eligible_until: date | None
    #: How the applicant is related to the candidate: FATHER, MOTHER or None.
    relation: str | None


def relation_of(candidate: Candidate, guardian_national_id: str) -> str | None:
    if not guardian_national_id:
        return None
    if guardian_national_id == candidate.father_national_id:
        return FATHER
    if guardian_national_id == candidate.mother_national_id:
        return MOTHER
    return None


def min_age_date(candidate: Candidate) -> date:
    return ages.anniversary(
        candidate.birth_date, years=MIN_AGE_YEARS, months=MIN_AGE_MONTHS, calendar=candidate.age_calendar
    )


def male_limit_date(candidate: Candidate) -> date | None:
    if candidate.sex != MALE:
        return None
    return ages.anniversary(candidate.birth_date, years=MALE_MAX_AGE_YEARS, calendar=candidate.age_calendar)


def decide(
    *, candidate: Candidate, guardian_national_id: str, already_added: bool, open_request: bool, today: date
) -> Decision:
    """May the person with `guardian_national_id` add `candidate` as a dependent on `today`?

    `open_request`: an add-dependent request for the candidate is open, whoever filed it.
    """
    relation = relation_of(candidate, guardian_national_id)
    starts = min_age_date(candidate)
    until = male_limit_date(candidate)
    failed = {
        NOT_PARENT: relation is None,
        NOT_LIVING: not candidate.living,
        TOO_YOUNG: today < starts,
        MALE_18_OR_OVER: until is not None and today >= until,
        HOLDS_NATIONAL_ID: candidate.national_id_issued,
        HAS_ACCOUNT: candidate.has_account,
        ALREADY_ADDED: already_added,
        PENDING_REQUEST: open_request,
    }
    reasons = tuple(code for code in REASONS if failed[code])
    return Decision(
        allowed=not reasons,
        reasons=reasons,
        # Only the wait is fixed by time; with any other reason the date would mislead.
        eligible_from=starts if reasons == (TOO_YOUNG,) else None,
        eligible_until=until,
        relation=relation,
    )
