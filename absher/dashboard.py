"""The signed-in home page: the citizen's dashboard, built by plain selectors (no HTTP, `today` passed in).

What it shows, and whose rule each part reads (none is written here again):

- the account's state and the next step (accounts' states);
- what waits for the citizen: requests waiting for their reply (the inbox's statuses), unpaid bills
  (passports' bills), unpaid fines of the people they act for, documents to renew: a passport or an
  iqama inside the renewal window of passports.rules.passport / passports.rules.iqama, or expired;
- the documents of everyone they act for (passports.selectors.acting_people: themselves, their
  children under 21, the workers they sponsor): passports, iqamas and open visas
  (passports.rules.visas.is_open), what expires first first;
- their children with the dates that matter: may be added as a dependent at 14 years 10 months
  (dependents.eligibility: the rule's own decision and date), the national ID card due at 15, an
  own account at 18 (accounts.rules.ADULT_AGE), each in the child's age calendar
  (civil_affairs.selectors.person_reaches: Hijri for citizens, Gregorian for residents);
- the latest notices of every service.

The number of SQL queries does not grow with the family: one query for the people (with what the
dependents rule and the fines need, as annotations), one for their valid passports, one for their
visas, one each for the requests waiting for a reply, the unpaid bills and the notices.
"""

from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.urls import NoReverseMatch, reverse

from absher.notifications.models import Notice
from accounts.models import AccountState
from accounts.rules import ADULT_AGE
from civil_affairs import selectors as registry
from civil_affairs.models import Person, RequestStatus, ServiceRequest
from civil_affairs.statuses import OPEN
from dependents import eligibility
from dependents.models import GuardianLink
from dependents.selectors import ADD_DEPENDENT, links_of
from dependents.views import ID_CARD_AGE
from passports import selectors as passports
from passports.models import Bill, Fine, Visa
from passports.rules import authority
from passports.rules import iqama as iqama_rules
from passports.rules import passport as passport_rules
from passports.rules import visas as visa_rules

#: How many of each kind of waiting item, and of notices, the home page lists (links lead to all).
WAITING_LIMIT = 5
NOTICE_LIMIT = 5

PASSPORT = "passport"
IQAMA = "iqama"
VISA = "visa"

# What a document's date means.
EXPIRES = "expires"
TRAVEL_BY = "travel_by"
RETURN_BY = "return_by"

# Kinds of what waits for the citizen.
REPLY = "reply"
BILL = "bill"
FINES = "fines"
RENEW = "renew"

# The next step of an account.
STEP_NONE = ""
STEP_CONFIRM_MOBILE = "confirm_mobile"
STEP_ACTIVATE = "activate"
STEP_SUSPENDED = "suspended"

# Where a child stands with the add-dependent service.
ADD_DONE = "added"  # the citizen's dependent already
ADD_ELSEWHERE = "added_elsewhere"  # added to the other parent's account
ADD_PENDING = "pending"  # a request to add them is being processed
ADD_NOW = "now"  # may be added today
ADD_LATER = "later"  # may be added from `date`
ADD_NOT_POSSIBLE = "not_possible"  # another reason of the rule stands in the way (listed)


@dataclass(frozen=True)
class Document:
    kind: str  # PASSPORT, IQAMA, VISA
    number: str
    holder: Person
    relation: str  # passports.rules.authority: SELF, CHILD, WORKER
    on: date | None  # the date that matters (see `date_kind`)
    date_kind: str  # EXPIRES, TRAVEL_BY, RETURN_BY
    days_left: int | None  # negative once past
    expired: bool
    to_renew: bool  # expired, or inside the renewal window of its rule
    url: str  # the document's page
    action_url: str  # where to renew it
    record: object = None  # the Passport or Visa row (None for an iqama: its facts are the person's)

    @property
    def expires_today(self) -> bool:
        return self.days_left == 0 and not self.expired


@dataclass(frozen=True)
class Milestone:
    code: str  # "add", "id_card", "own_account"
    on: date
    reached: bool
    days_left: int


@dataclass(frozen=True)
class Child:
    person: Person
    relation: str  # dependents.eligibility: FATHER or MOTHER
    add_state: str  # ADD_*
    add_reasons: tuple[str, ...]  # the eligibility rule's reasons when ADD_NOT_POSSIBLE
    add_url: str
    milestones: tuple[Milestone, ...]
    id_card_issued: bool
    has_account: bool

    @property
    def next_date(self) -> date | None:
        upcoming = [milestone.on for milestone in self.milestones if not milestone.reached]
        return min(upcoming) if upcoming else None


@dataclass(frozen=True)
class Waiting:
    kind: str  # REPLY, BILL, FINES, RENEW
    url: str
    item: object  # the ServiceRequest, the Bill, the Person with unpaid fines, the Document


@dataclass
class Dashboard:
    user: object
    name: str
    state: str
    next_step: str
    linked: bool  # the account has a person of the civil registry
    active: bool  # e-services are open (documents, dependents and bills are shown only then)
    waiting: list[Waiting] = field(default_factory=list)
    more_replies: bool = False
    more_bills: bool = False
    documents: list[Document] = field(default_factory=list)
    children: list[Child] = field(default_factory=list)
    notices: list = field(default_factory=list)
    today: date | None = None


# --- the account ---------------------------------------------------------------------------


def next_step(user) -> str:
    """What the account's holder must do before the e-services open, by the account's state."""
    return {
        AccountState.PENDING_PHONE: STEP_CONFIRM_MOBILE,
        AccountState.REGISTERED: STEP_ACTIVATE,
        AccountState.SUSPENDED: STEP_SUSPENDED,
    }.get(user.state, STEP_NONE)


# --- the people the citizen acts for -------------------------------------------------------


def _people_hook(user):
    """passports' acting-people query, with their valid passports (its home page's prefetch) and, in
    the same query, what the add-dependent rule and the fines need about each person."""

    def hook(rows):
        unpaid = Fine.objects.filter(person=OuterRef("pk"), paid_at__isnull=True).order_by().values("person")
        return passports.home_hook(rows).annotate(
            has_account=Exists(get_user_model().objects.filter(person=OuterRef("pk"))),
            added_as_dependent=Exists(GuardianLink.objects.filter(dependent=OuterRef("pk"))),
            my_dependent=Exists(GuardianLink.objects.filter(links_of(user), dependent=OuterRef("pk"))),
            add_request_open=Exists(ServiceRequest.objects.filter(
                subject=OuterRef("pk"), request_type__code=ADD_DEPENDENT, status__in=OPEN)),
            unpaid_fines=Coalesce(Subquery(unpaid.annotate(n=Count("pk")).values("n")[:1]), 0),
            unpaid_fines_total=Subquery(unpaid.annotate(total=Sum("amount")).values("total")[:1]),
        )

    return hook


def _days(on: date | None, today: date) -> int | None:
    return (on - today).days if on is not None else None


def _person_url(person: Person) -> str:
    return reverse("passports:person-detail", args=[person.national_id])


def passport_document(passport, acting: passports.Acting, *, today: date) -> Document:
    person = acting.person
    expired = passport.expires_on < today
    renewable_here = person.is_citizen and passport.country == passports.SAUDI_ARABIA
    return Document(
        kind=PASSPORT, number=passport.number, holder=person, relation=acting.relation, on=passport.expires_on,
        date_kind=EXPIRES, days_left=_days(passport.expires_on, today), expired=expired,
        to_renew=expired or today >= passport_rules.renewal_opens(passport.expires_on),
        url=_person_url(person),
        action_url=(reverse("passports:passport-apply", args=[person.national_id]) if renewable_here
                    else _person_url(person)),
        record=passport,
    )


def iqama_document(acting: passports.Acting, *, today: date) -> Document:
    person = acting.person
    expiry = person.iqama_expiry
    expired = not iqama_rules.is_valid(expiry, today)
    # The renewal opens RENEWAL_WINDOW before the expiry (passports.rules.iqama.decide's TOO_EARLY).
    opens = expiry - iqama_rules.RENEWAL_WINDOW
    # A worker's iqama is renewed by the sponsor and a family member's by the head of the family
    # (the rule's SPONSOR_MUST_APPLY): the resident's own card leads to their page, which says so.
    renewed_by_them = acting.relation in (authority.WORKER, authority.CHILD)
    return Document(
        kind=IQAMA, number=person.national_id, holder=person, relation=acting.relation, on=expiry,
        date_kind=EXPIRES, days_left=_days(expiry, today), expired=expired, to_renew=expired or today >= opens,
        url=_person_url(person),
        action_url=(reverse("passports:iqama-apply", args=[person.national_id]) if renewed_by_them
                    else _person_url(person)),
    )


def visa_document(visa: Visa, acting: passports.Acting, *, today: date) -> Document:
    status = visa.status_on(today)
    if status == visa_rules.ISSUED:
        on, date_kind = visa.travel_by, TRAVEL_BY
    else:
        on, date_kind = visa.return_by, RETURN_BY
    url = reverse("passports:visa-detail", args=[visa.number])
    return Document(
        kind=VISA, number=visa.number, holder=acting.person, relation=acting.relation, on=on, date_kind=date_kind,
        days_left=_days(on, today), expired=False, to_renew=False, url=url, action_url=url, record=visa,
    )


def _open_visas(people: list[passports.Acting], *, today: date) -> list[tuple[Visa, passports.Acting]]:
    """The visas still open (passports.rules.visas.is_open) of these people, in one query.

    The query keeps only what could be open today (a superset: an issued visa not past its travel
    date, a used one not past its return date or with none); the rule decides.
    """
    by_pk = {acting.person.pk: acting for acting in people}
    if not by_pk:
        return []
    rows = (
        Visa.objects.filter(holder_id__in=list(by_pk), status__in=[Visa.Status.ISSUED, Visa.Status.USED])
        .filter(Q(travel_by__gte=today) | Q(return_by__gte=today) | Q(return_by__isnull=True, status=Visa.Status.USED))
        .order_by("travel_by", "id")
    )
    return [(visa, by_pk[visa.holder_id]) for visa in rows if visa_rules.is_open(visa.facts(), today)]


def documents_of(people: list[passports.Acting], *, today: date) -> list[Document]:
    """The passports, iqamas and open visas of the living people the citizen acts for, what expires first first."""
    living = [acting for acting in people if acting.person.is_living]
    documents = []
    for acting in living:
        for passport in getattr(acting.person, "valid_passports", []):
            documents.append(passport_document(passport, acting, today=today))
        if acting.person.is_resident and acting.person.iqama_expiry:
            documents.append(iqama_document(acting, today=today))
    documents += [visa_document(visa, acting, today=today) for visa, acting in _open_visas(living, today=today)]
    return sorted(documents, key=lambda doc: (doc.on is None, doc.on or today, doc.kind, doc.number))


# --- children and the dates that matter ----------------------------------------------------


def _candidate(person: Person) -> eligibility.Candidate:
    """dependents.selectors.candidate_facts, from the annotations of the people's query."""
    return eligibility.Candidate(
        national_id=person.national_id,
        sex=person.sex,
        birth_date=person.birth_date,
        age_calendar=registry.age_calendar(person),
        living=person.is_living,
        national_id_issued=person.national_id_issued,
        has_account=person.has_account,
        father_national_id=getattr(person, "father_national_id", None),
        mother_national_id=getattr(person, "mother_national_id", None),
    )


def _milestone(code: str, on: date, today: date) -> Milestone:
    return Milestone(code=code, on=on, reached=today >= on, days_left=(on - today).days)


def child_row(person: Person, *, guardian_national_id: str, today: date) -> Child:
    candidate = _candidate(person)
    decision = eligibility.decide(
        candidate=candidate, guardian_national_id=guardian_national_id, already_added=person.added_as_dependent,
        open_request=person.add_request_open, today=today,
    )
    if person.my_dependent:
        state = ADD_DONE
    elif person.added_as_dependent:
        state = ADD_ELSEWHERE
    elif person.add_request_open:
        state = ADD_PENDING
    elif decision.allowed:
        state = ADD_NOW
    elif decision.eligible_from is not None:
        state = ADD_LATER
    else:
        state = ADD_NOT_POSSIBLE
    milestones = [_milestone("add", eligibility.min_age_date(candidate), today)]
    if person.is_citizen:
        milestones.append(_milestone("id_card", registry.person_reaches(person, years=ID_CARD_AGE), today))
    milestones.append(_milestone("own_account", registry.person_reaches(person, years=ADULT_AGE), today))
    return Child(
        person=person, relation=decision.relation or "", add_state=state, add_reasons=decision.reasons,
        add_url=reverse("civil_affairs:request-new", args=[ADD_DEPENDENT]), milestones=tuple(milestones),
        id_card_issued=person.national_id_issued, has_account=person.has_account,
    )


def children_of(people: list[passports.Acting], *, guardian_national_id: str, today: date) -> list[Child]:
    """The citizen's living children under 18 (and older ones still their dependents), with the
    dates that matter, the nearest first."""
    rows = []
    for acting in people:
        person = acting.person
        if acting.relation != authority.CHILD or not person.is_living:
            continue
        row = child_row(person, guardian_national_id=guardian_national_id, today=today)
        if row.next_date is None and not person.my_dependent:
            continue  # every date has passed and they are not the citizen's dependent: nothing to say
        rows.append(row)
    far = date.max
    return sorted(rows, key=lambda row: (row.next_date or far, row.person.birth_date, row.person.national_id))


# --- what waits for the citizen --------------------------------------------------------------


def requests_waiting_for_reply(user, *, limit: int = WAITING_LIMIT) -> list[ServiceRequest]:
    """The user's requests waiting for their reply, the longest waiting first (limit + 1 rows: more?)."""
    return list(
        registry.requests_of(user).filter(status=RequestStatus.WAITING_CITIZEN).order_by("updated_at", "id")[:limit + 1]
    )


def unpaid_bills(user, *, limit: int = WAITING_LIMIT) -> list[Bill]:
    return list(passports.bills_of(user).filter(status=Bill.Status.UNPAID)[:limit + 1])


def latest_notices(user, *, limit: int = NOTICE_LIMIT) -> list[Notice]:
    """The user's latest notices of every service (absher.notifications has a selector per service only),
    each with `dashboard_url`, where it leads."""
    notices = list(Notice.objects.filter(user=user).order_by("-at", "-id")[:limit])
    for notice in notices:
        notice.dashboard_url = notice_url(notice)
    return notices


def notice_url(notice: Notice) -> str:
    """Where a notice leads: its request, bill or receipt, else its service's page."""
    try:
        return _notice_url(notice.params or {}, notice.source)
    except NoReverseMatch:  # a reference of another shape (older data): the notice is shown without a link
        return ""


def _notice_url(params: dict, source: str) -> str:
    if source == "civil_affairs" and params.get("reference"):
        return reverse("civil_affairs:request-detail", args=[params["reference"]])
    if source == "passports":
        if params.get("receipt"):
            return reverse("passports:receipt-detail", args=[params["receipt"]])
        if params.get("bill"):
            return reverse("passports:bill-detail", args=[params["bill"]])
        return reverse("passports:home")
    return ""


def waiting_items(*, replies, bills, people: list[passports.Acting], documents: list[Document]) -> list[Waiting]:
    items = [Waiting(REPLY, reverse("civil_affairs:request-detail", args=[r.reference]), r) for r in replies if r.reference]
    items += [Waiting(BILL, reverse("passports:bill-detail", args=[bill.number]), bill) for bill in bills]
    items += [
        Waiting(FINES, _person_url(acting.person) + "#fines-title", acting.person)
        for acting in people if getattr(acting.person, "unpaid_fines", 0) and acting.person.is_living
    ]
    items += [Waiting(RENEW, doc.action_url, doc) for doc in documents if doc.to_renew]
    return items


# --- the page ------------------------------------------------------------------------------


def dashboard_for(user, *, today: date, language: str = "ar") -> Dashboard:
    """Everything the signed-in home page shows to `user` on `today`."""
    active = user.state == AccountState.ACTIVE
    linked = bool(getattr(user, "person_id", None))
    board = Dashboard(user=user, name=user.get_username(), state=user.state, next_step=next_step(user),
                      linked=linked, active=active, today=today)
    if not active:
        if linked:
            board.name = user.display_name(language)
        return board
    people = passports.acting_people(user, today=today, queryset_hook=_people_hook(user)) if linked else []
    me = next((acting.person for acting in people if acting.relation == authority.SELF), None)
    if me is not None:
        board.name = me.display_name(language)
    replies = requests_waiting_for_reply(user)
    bills = unpaid_bills(user)
    board.more_replies, replies = len(replies) > WAITING_LIMIT, replies[:WAITING_LIMIT]
    board.more_bills, bills = len(bills) > WAITING_LIMIT, bills[:WAITING_LIMIT]
    board.documents = documents_of(people, today=today)
    board.waiting = waiting_items(replies=replies, bills=bills, people=people, documents=board.documents)
    if me is not None:
        board.children = children_of(people, guardian_national_id=me.national_id, today=today)
    board.notices = latest_notices(user)
    return board
