"""Reads of the passports services, and the facts the pure rules need.

`acting_people` and `acting_person` are the one door to a person's records: every view and
every service asks them (through `relation_for`) whether the user may act for the person, by
the rule of passports.rules.authority. A person the user may not act for does not exist for
them (the views answer 404).
"""

import contextvars
import functools
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

from django.db.models import Exists, F, OuterRef, Q, Subquery

from civil_affairs import selectors as registry
from civil_affairs.models import Person

from .models import (
    AbscondingReport,
    Bill,
    Fee,
    Fine,
    Passport,
    Receipt,
    Sponsorship,
    TravelPermit,
    TravelRecord,
    Visa,
)
from .rules import absconding as absconding_rules
from .rules import authority, iqama, travel_permit, visas
from .rules import passport as passport_rules

SAUDI_ARABIA = "SA"

# --- facts read once per page ------------------------------------------------------------------
# A person's page asks the rules of several services (each with several answers) before any form:
# inside `facts_once()` each fact below is read from the database once for that page, whatever the
# number of services and answers. Outside it (every write, every submission) facts are read fresh.
_FACTS = contextvars.ContextVar("passports_facts", default=None)


@contextmanager
def facts_once():
    if _FACTS.get() is not None:  # already inside one: the outer one keeps the facts
        yield
        return
    token = _FACTS.set({})
    try:
        yield
    finally:
        _FACTS.reset(token)


def _key(value):
    return ("pk", type(value).__name__, value.pk) if hasattr(value, "pk") else value


def _once(function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        memo = _FACTS.get()
        if memo is None:
            return function(*args, **kwargs)
        key = (function.__name__, tuple(_key(arg) for arg in args), tuple(sorted(kwargs.items())))
        if key not in memo:
            memo[key] = function(*args, **kwargs)
        return memo[key]
    return wrapper


@dataclass(frozen=True)
class Acting:
    person: Person
    relation: str


# --- who may act for whom ------------------------------------------------------------------


def _active_sponsorship():
    return Sponsorship.objects.filter(worker=OuterRef("pk"), ended_on__isnull=True)


def _candidates(person_id: int):
    """The user's own person, their children and their sponsored workers, with what the rule reads, in one query."""
    active = _active_sponsorship()
    return (
        Person.objects.filter(
            Q(pk=person_id) | Q(father_id=person_id) | Q(mother_id=person_id) | Q(Exists(active.filter(sponsor_id=person_id)))
        )
        .annotate(
            father_national_id=F("father__national_id"),
            mother_national_id=F("mother__national_id"),
            sponsor_national_id=Subquery(active.values("sponsor__national_id")[:1]),
        )
        .defer("fingerprint_reference")
    )


def _holder_facts(person: Person) -> authority.Holder:
    return authority.Holder(
        national_id=person.national_id,
        birth_date=person.birth_date,
        age_calendar=registry.age_calendar(person),
        father_national_id=getattr(person, "father_national_id", None),
        mother_national_id=getattr(person, "mother_national_id", None),
        sponsor_national_id=getattr(person, "sponsor_national_id", None),
    )


def _sorted(rows: list[Acting]) -> list[Acting]:
    order = {authority.SELF: 0, authority.CHILD: 1, authority.WORKER: 2}
    return sorted(rows, key=lambda row: (order[row.relation], row.person.birth_date, row.person.national_id))


def _acting(rows, person_id: int, today: date) -> list[Acting]:
    rows = list(rows)
    me = next((row for row in rows if row.pk == person_id), None)
    if me is None:
        return []
    actor = authority.Actor(national_id=me.national_id, citizen=me.is_citizen)
    out = []
    for row in rows:
        relation = authority.relation(actor, _holder_facts(row), today=today)
        if relation is not None:
            out.append(Acting(person=row, relation=relation))
    return _sorted(out)


def acting_people(user, *, today: date, queryset_hook=None) -> list[Acting]:
    """Everyone the user may act for today, themselves first, then children, then workers."""
    if not getattr(user, "person_id", None):
        return []
    rows = _candidates(user.person_id)
    if queryset_hook is not None:
        rows = queryset_hook(rows)
    return _acting(rows, user.person_id, today)


def acting_person(user, national_id: str, *, today: date, queryset_hook=None) -> Acting | None:
    """The person with this ID number if the user may act for them today, else None (the view's 404)."""
    if not getattr(user, "person_id", None) or not national_id:
        return None
    rows = _candidates(user.person_id).filter(Q(national_id=national_id) | Q(pk=user.person_id))
    if queryset_hook is not None:
        rows = queryset_hook(rows)
    return next((row for row in _acting(rows, user.person_id, today) if row.person.national_id == national_id), None)


@_once
def relation_for(user, holder: Person, *, today: date) -> str | None:
    found = acting_person(user, holder.national_id, today=today)
    return found.relation if found else None


def accounts_acting_for(person: Person, *, today: date):
    """The accounts that may act for this person today (for reminders): theirs, their parents', their sponsor's."""
    from accounts.models import AccountState, User

    active = Sponsorship.objects.filter(worker=person, ended_on__isnull=True)
    candidates = User.objects.filter(
        Q(person=person)
        | Q(person_id__in=[pk for pk in (person.father_id, person.mother_id) if pk])
        | Q(person_id__in=active.values("sponsor_id")),
        state=AccountState.ACTIVE,
    ).select_related("person")
    holder = authority.Holder(
        national_id=person.national_id,
        birth_date=person.birth_date,
        age_calendar=registry.age_calendar(person),
        father_national_id=person.father.national_id if person.father_id else None,
        mother_national_id=person.mother.national_id if person.mother_id else None,
        sponsor_national_id=active.values_list("sponsor__national_id", flat=True).first(),
    )
    out = []
    for user in candidates:
        actor = authority.Actor(national_id=user.person.national_id, citizen=user.person.is_citizen)
        if authority.relation(actor, holder, today=today) is not None:
            out.append(user)
    return out


# --- the fee table -------------------------------------------------------------------------


@_once
def fee_table() -> dict[str, Decimal]:
    return dict(Fee.objects.values_list("code", "amount"))


def fees_for_display():
    return Fee.objects.all()


# --- documents and records of one person ---------------------------------------------------


@_once
def valid_passport(person: Person, *, today: date | None = None) -> Passport | None:
    """The passport the person travels on: Saudi for a citizen, the latest valid foreign one for a resident."""
    passports = Passport.objects.filter(holder=person, status=Passport.Status.VALID)
    if person.is_citizen:
        passports = passports.filter(country=SAUDI_ARABIA)
    return passports.order_by("-expires_on").first()


@_once
def has_unpaid_fines(person: Person) -> bool:
    return Fine.objects.filter(person=person, paid_at__isnull=True).exists()


def last_crossing(person: Person) -> TravelRecord | None:
    return TravelRecord.objects.filter(holder=person).order_by("-on", "-id").first()


def visa_travelled_on(visa: Visa) -> date | None:
    """The day of the first exit on `visa`: its duration counts from it."""
    first = visa.travel_records.filter(direction=TravelRecord.Direction.EXIT).order_by("on", "id").first()
    return first.on if first else None


@_once
def is_abroad(person: Person) -> bool:
    last = last_crossing(person)
    return last is not None and last.direction == TravelRecord.Direction.EXIT


@_once
def active_report(person: Person) -> AbscondingReport | None:
    return AbscondingReport.objects.filter(worker=person, status=AbscondingReport.Status.ACTIVE).first()


@_once
def open_visa(person: Person, *, today: date) -> Visa | None:
    for visa in Visa.objects.filter(holder=person).exclude(status=Visa.Status.CANCELLED):
        if visas.is_open(visa.facts(), today):
            return visa
    return None


@_once
def iqama_record(person: Person):
    from .models import IqamaRecord

    return IqamaRecord.objects.filter(holder=person).select_related("sponsor").first()


@_once
def fingerprint_on_file(person: Person) -> bool:
    return Person.objects.filter(pk=person.pk, fingerprint_reference__isnull=False).exists()


@_once
def passport_holder(person: Person) -> passport_rules.PassportHolder:
    return passport_rules.PassportHolder(
        citizen=person.is_citizen,
        living=person.is_living,
        birth_date=person.birth_date,
        age_calendar=registry.age_calendar(person),
        national_id_issued=person.national_id_issued,
    )


@_once
def iqama_holder(person: Person) -> iqama.IqamaHolder:
    return iqama.IqamaHolder(
        resident=person.is_resident,
        living=person.is_living,
        birth_date=person.birth_date,
        age_calendar=registry.age_calendar(person),
        fingerprint_on_file=fingerprint_on_file(person),
    )


@_once
def iqama_state(person: Person, *, today: date) -> iqama.IqamaState:
    record = iqama_record(person)
    passport = valid_passport(person)
    return iqama.IqamaState(
        issued=record is not None,
        expiry=person.iqama_expiry if record is not None else None,
        passport_valid_until=passport.expires_on if passport else None,
        unpaid_fines=has_unpaid_fines(person),
        reported_absent=active_report(person) is not None,
        late_renewals=record.renewals.filter(late=True).count() if record else 0,
    )


@_once
def traveller(person: Person, *, today: date) -> visas.Traveller:
    passport = valid_passport(person)
    return visas.Traveller(
        resident=person.is_resident,
        living=person.is_living,
        birth_date=person.birth_date,
        age_calendar=registry.age_calendar(person),
        fingerprint_on_file=fingerprint_on_file(person),
        iqama_expiry=person.iqama_expiry,
        passport_valid_until=passport.expires_on if passport else None,
        reported_absent=active_report(person) is not None,
        abroad=is_abroad(person),
        unpaid_fines=has_unpaid_fines(person),
    )


@_once
def active_permit(person: Person, *, today: date) -> TravelPermit | None:
    for permit in TravelPermit.objects.filter(holder=person, status=TravelPermit.Status.ACTIVE, valid_until__gte=today):
        return permit
    return None


@_once
def child_facts(person: Person, *, today: date) -> travel_permit.Child:
    passport = valid_passport(person)
    return travel_permit.Child(
        citizen=person.is_citizen,
        living=person.is_living,
        birth_date=person.birth_date,
        age_calendar=registry.age_calendar(person),
        passport_valid_until=passport.expires_on if passport else None,
        has_active_permit=active_permit(person, today=today) is not None,
    )


@_once
def worker_facts(person: Person, *, today: date) -> absconding_rules.Worker:
    visas_held = list(Visa.objects.filter(holder=person).exclude(status=Visa.Status.CANCELLED))
    final_exit = any(
        visa.kind == Visa.Kind.FINAL_EXIT and visa.status_on(today) in (Visa.Status.ISSUED, Visa.Status.USED) for visa in visas_held
    )
    abroad_on_valid = any(
        visa.kind in visas.EXIT_REENTRY_KINDS and visa.holder_abroad_on_it and visa.status_on(today) == Visa.Status.USED
        for visa in visas_held
    )
    return absconding_rules.Worker(
        iqama_expiry=person.iqama_expiry,
        already_reported=AbscondingReport.objects.filter(worker=person).exists(),
        final_exit_issued=final_exit,
        abroad_on_valid_visa=abroad_on_valid,
    )


# --- pages ---------------------------------------------------------------------------------


def person_page_hook(rows):
    """What the person's page shows with the person: iqama details and absence report, joined."""
    return rows.select_related("iqama_record__sponsor", "absconding_report")


def home_hook(rows):
    from django.db.models import Prefetch

    return rows.prefetch_related(
        Prefetch("passports", queryset=Passport.objects.filter(status=Passport.Status.VALID).order_by("-expires_on"),
                 to_attr="valid_passports")
    )


def person_documents(person: Person) -> dict:
    """Everything the person's page lists, one query a kind."""
    return {
        "passports": list(Passport.objects.filter(holder=person).order_by("-issued_on", "-id")[:20]),
        "visas": list(Visa.objects.filter(holder=person).order_by("-issued_on", "-id")[:20]),
        "permits": list(TravelPermit.objects.filter(holder=person).order_by("-valid_from", "-id")[:10]),
        "fines": list(Fine.objects.filter(person=person).order_by("paid_at", "-issued_on")[:20]),
    }


def notices_of(user, *, limit: int = 5):
    """The user's latest passports notices (absher.notifications), read or not."""
    from absher.notifications import selectors

    return selectors.notices_of(user, source="passports", limit=limit)


def unread_notice_count(user) -> int:
    from absher.notifications import selectors

    return selectors.unread_notice_count(user, source="passports")


def bills_of(user):
    return Bill.objects.filter(payer=user).select_related("holder").order_by("-created_at", "-id")


def open_bills_of(user, *, limit: int = 10):
    return bills_of(user).filter(status__in=[Bill.Status.UNPAID, Bill.Status.PAID, Bill.Status.REFUND_PENDING])[:limit]


def bill_of(user, number: str) -> Bill | None:
    """The user's own bill, or None (another's bill does not exist for them)."""
    return Bill.objects.filter(payer=user, number=number).select_related("holder").first()


def receipt_of(user, reference: str, *, today: date) -> Receipt | None:
    """The user's own receipt about a person they may still act for, or None."""
    # The holder and the bill only: a receipt records one service, so of its six other links one
    # is set, and the page reads it in one small query (a null link costs none). Joining all
    # eight tables cost PostgreSQL more to plan than the whole page's other queries took.
    receipt = Receipt.objects.filter(applicant=user, reference=reference).select_related("holder", "bill").first()
    if receipt is None or acting_person(user, receipt.holder.national_id, today=today) is None:
        return None
    return receipt


def visa_of(user, number: str, *, today: date) -> tuple[Visa, Acting] | None:
    visa = Visa.objects.filter(number=number).select_related("holder").first()
    if visa is None:
        return None
    acting = acting_person(user, visa.holder.national_id, today=today)
    return (visa, acting) if acting else None


def permit_of(user, number: str, *, today: date) -> tuple[TravelPermit, Acting] | None:
    permit = TravelPermit.objects.filter(number=number).select_related("holder").first()
    if permit is None:
        return None
    acting = acting_person(user, permit.holder.national_id, today=today)
    return (permit, acting) if acting else None


def fine_of(user, reference: str, *, today: date) -> tuple[Fine, Acting] | None:
    fine = Fine.objects.filter(reference=reference).select_related("person").first()
    if fine is None:
        return None
    acting = acting_person(user, fine.person.national_id, today=today)
    return (fine, acting) if acting else None


def travel_records(person_ids, *, date_from: date | None = None, date_to: date | None = None):
    records = TravelRecord.objects.filter(holder_id__in=list(person_ids)).select_related("holder", "visa")
    if date_from:
        records = records.filter(on__gte=date_from)
    if date_to:
        records = records.filter(on__lte=date_to)
    return records.order_by("-on", "-id")


def travel_record_rows(person_ids, *, date_from: date | None = None, date_to: date | None = None):
    """travel_records as plain rows of only what the travel record page shows (dicts; the holder by
    id: the page has its people already): a long record's model instances, each with its
    holder's whole row, were most of the page's time."""
    return travel_records(person_ids, date_from=date_from, date_to=date_to).values(
        "on", "holder", "direction", "port", "visa__number"
    )


def travel_record_row_maker(people):
    """A function shaping a row of travel_record_rows as the page reads a record: its holder from
    `people` (the acting people the page lists; the rows are theirs), the direction and port
    labelled (each label translated once a page: get_FOO_display translates every choice of the
    field on each call) and the visa by number."""
    directions = {value: str(label) for value, label in TravelRecord.Direction.choices}
    ports = {value: str(label) for value, label in TravelRecord.Port.choices}
    holders = {acting.person.pk: acting.person for acting in people}

    def row(values: dict) -> SimpleNamespace:
        return SimpleNamespace(
            on=values["on"],
            holder=holders[values["holder"]],
            direction=values["direction"],
            port=values["port"],
            direction_label=directions.get(values["direction"], values["direction"]),
            port_label=ports.get(values["port"], values["port"]),
            visa=SimpleNamespace(number=values["visa__number"]) if values["visa__number"] is not None else None,
        )

    return row


def iqama_expiry_of(iqama_number: str) -> date | None:
    """The public inquiry: the expiry of a resident's iqama, or None when there is no such iqama."""
    return (
        Person.objects.filter(national_id=iqama_number, national_id__startswith="2", iqama_expiry__isnull=False)
        .values_list("iqama_expiry", flat=True)
        .first()
    )


@_once
def unpaid_fines_of(person: Person) -> list[Fine]:
    """The person's unpaid fines, oldest first (what stands in the way of their services)."""
    return list(Fine.objects.filter(person=person, paid_at__isnull=True).order_by("issued_on", "id")[:20])
