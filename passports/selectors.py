"""Reads of the passports services, and the facts the pure rules need.

`acting_people` and `acting_person` are the one door to a person's records: every view and
every service asks them (through `relation_for`) whether the user may act for the person, by
the rule of passports.rules.authority. A person the user may not act for does not exist for
them (the views answer 404).
"""

import functools
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from civil_affairs import selectors as registry
from civil_affairs.models import Person

from .models import (
    AbscondingReport,
    Bill,
    Fee,
    Fine,
    IqamaRecord,
    IqamaRenewal,
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


def fee_table() -> dict[str, Decimal]:
    return dict(Fee.objects.values_list("code", "amount"))


def fees_for_display():
    return Fee.objects.all()


def fee_table_of(fees) -> dict[str, Decimal]:
    """fee_table from Fee rows the page has read already."""
    return {fee.code: fee.amount for fee in fees}


# --- documents and records of one person ---------------------------------------------------


def valid_passport(person: Person, *, today: date | None = None) -> Passport | None:
    """The passport the person travels on: Saudi for a citizen, the latest valid foreign one for a resident."""
    return _travel_passports(person.is_citizen).filter(holder=person).first()


def _travel_passports(citizen: bool):
    passports = Passport.objects.filter(status=Passport.Status.VALID)
    if citizen:
        passports = passports.filter(country=SAUDI_ARABIA)
    return passports.order_by("-expires_on")


def last_crossing(person: Person) -> TravelRecord | None:
    return TravelRecord.objects.filter(holder=person).order_by("-on", "-id").first()


def visa_travelled_on(visa: Visa) -> date | None:
    """The day of the first exit on `visa`: its duration counts from it."""
    first = visa.travel_records.filter(direction=TravelRecord.Direction.EXIT).order_by("on", "id").first()
    return first.on if first else None


def is_abroad(person: Person) -> bool:
    last = last_crossing(person)
    return last is not None and last.direction == TravelRecord.Direction.EXIT


def iqama_record(person: Person):
    return IqamaRecord.objects.filter(holder=person).select_related("sponsor").first()


def _unpaid_fines(person: Person):
    return Fine.objects.filter(person=person, paid_at__isnull=True).order_by("issued_on", "id")[:20]


def _held_visas(person: Person):
    """The visas the rules look at: every one not cancelled."""
    return Visa.objects.filter(holder=person).exclude(status=Visa.Status.CANCELLED)


# --- the facts the rules read, gathered once for a holder ---------------------------------------
# The rules of a person's services (each asked with several answers before any form) read the same
# facts: they are read with the person, as annotations of the one query that finds them (see
# `facts_hook`), or in one query (`holder_facts`), plus the visas and the unpaid fines when a rule
# or the page needs them (one query each, or none when the page has read them already). Never one
# query per service or per answer.


def _facts_annotations(today: date) -> dict:
    holder = OuterRef("pk")

    def passport_until(citizen: bool):
        return Subquery(_travel_passports(citizen).filter(holder=holder).values("expires_on")[:1])

    late = (IqamaRenewal.objects.filter(iqama__holder=holder, late=True).order_by().values("iqama__holder")
            .annotate(n=Count("pk")).values("n"))
    return {
        "facts_fingerprint_on_file": ExpressionWrapper(Q(fingerprint_reference__isnull=False), output_field=BooleanField()),
        "facts_saudi_passport_until": passport_until(True),
        "facts_passport_until": passport_until(False),
        "facts_unpaid_fines": Exists(Fine.objects.filter(person=holder, paid_at__isnull=True)),
        "facts_reported_absent": Exists(AbscondingReport.objects.filter(worker=holder, status=AbscondingReport.Status.ACTIVE)),
        "facts_ever_reported": Exists(AbscondingReport.objects.filter(worker=holder)),
        "facts_iqama_issued": Exists(IqamaRecord.objects.filter(holder=holder)),
        "facts_late_renewals": Coalesce(Subquery(late, output_field=IntegerField()), Value(0)),
        "facts_last_direction": Subquery(TravelRecord.objects.filter(holder=holder).order_by("-on", "-id").values("direction")[:1]),
        "facts_active_permit": Exists(TravelPermit.objects.filter(holder=holder, status=TravelPermit.Status.ACTIVE,
                                                                  valid_until__gte=today)),
    }


FACT_NAMES = tuple(_facts_annotations(date(2000, 1, 1)))


def facts_hook(today: date, hook=None):
    """A queryset_hook for acting_person: the person comes with the facts the rules read (and `hook`'s)."""

    def apply(rows):
        rows = rows.annotate(**_facts_annotations(today))
        return hook(rows) if hook is not None else rows

    return apply


class HolderFacts:
    """The facts about one holder the rules of their services read, as of `today`.

    `values` are the annotations of `_facts_annotations` (read with the person, or in one query on
    first use); `held_visas` (those not cancelled) and `unpaid_fines` are passed in when the page has read
    them already, else read in one query each on first use. Built once per page or per decision
    and handed to every rule asked: the rules themselves stay pure functions of the dataclasses below.
    """

    def __init__(self, person: Person, *, today: date, values: dict | None = None, held_visas=None, unpaid_fines=None):
        self.person = person
        self.today = today
        if values is not None:
            self.__dict__["values"] = values
        if held_visas is not None:
            self.__dict__["held_visas"] = list(held_visas)
        if unpaid_fines is not None:
            self.__dict__["unpaid_fines"] = list(unpaid_fines)

    @classmethod
    def annotated(cls, person: Person, *, today: date, **kwargs) -> "HolderFacts":
        """The facts of a person found through `facts_hook` (no query); of another, read on first use."""
        if not all(hasattr(person, name) for name in FACT_NAMES):
            return cls(person, today=today, **kwargs)
        return cls(person, today=today, values={name: getattr(person, name) for name in FACT_NAMES}, **kwargs)

    @functools.cached_property
    def values(self) -> dict:
        return Person.objects.filter(pk=self.person.pk).annotate(**_facts_annotations(self.today)).values(*FACT_NAMES).get()

    @functools.cached_property
    def held_visas(self) -> list[Visa]:
        return list(_held_visas(self.person))

    @functools.cached_property
    def unpaid_fines(self) -> list[Fine]:
        return list(_unpaid_fines(self.person))

    # --- single facts ---

    @property
    def passport_valid_until(self) -> date | None:
        return self.values["facts_saudi_passport_until" if self.person.is_citizen else "facts_passport_until"]

    @property
    def has_unpaid_fines(self) -> bool:
        return self.values["facts_unpaid_fines"]

    @property
    def reported_absent(self) -> bool:
        return self.values["facts_reported_absent"]

    @property
    def fingerprint_on_file(self) -> bool:
        return self.values["facts_fingerprint_on_file"]

    @property
    def abroad(self) -> bool:
        return self.values["facts_last_direction"] == TravelRecord.Direction.EXIT

    def open_visa(self) -> bool:
        return any(visas.is_open(visa.facts(), self.today) for visa in self.held_visas)

    # --- what each rule reads ---

    def passport_holder(self) -> passport_rules.PassportHolder:
        person = self.person
        return passport_rules.PassportHolder(
            citizen=person.is_citizen, living=person.is_living, birth_date=person.birth_date,
            age_calendar=registry.age_calendar(person), national_id_issued=person.national_id_issued,
        )

    def iqama_holder(self) -> iqama.IqamaHolder:
        person = self.person
        return iqama.IqamaHolder(
            resident=person.is_resident, living=person.is_living, birth_date=person.birth_date,
            age_calendar=registry.age_calendar(person), fingerprint_on_file=self.fingerprint_on_file,
        )

    def iqama_state(self) -> iqama.IqamaState:
        issued = self.values["facts_iqama_issued"]
        return iqama.IqamaState(
            issued=issued,
            expiry=self.person.iqama_expiry if issued else None,
            passport_valid_until=self.passport_valid_until,
            unpaid_fines=self.has_unpaid_fines,
            reported_absent=self.reported_absent,
            late_renewals=self.values["facts_late_renewals"] if issued else 0,
        )

    def traveller(self) -> visas.Traveller:
        person = self.person
        return visas.Traveller(
            resident=person.is_resident, living=person.is_living, birth_date=person.birth_date,
            age_calendar=registry.age_calendar(person), fingerprint_on_file=self.fingerprint_on_file,
            iqama_expiry=person.iqama_expiry, passport_valid_until=self.passport_valid_until,
            reported_absent=self.reported_absent, abroad=self.abroad, unpaid_fines=self.has_unpaid_fines,
        )

    def child(self) -> travel_permit.Child:
        person = self.person
        return travel_permit.Child(
            citizen=person.is_citizen, living=person.is_living, birth_date=person.birth_date,
            age_calendar=registry.age_calendar(person), passport_valid_until=self.passport_valid_until,
            has_active_permit=self.values["facts_active_permit"],
        )

    def worker(self) -> absconding_rules.Worker:
        today = self.today
        final_exit = any(
            visa.kind == Visa.Kind.FINAL_EXIT and visa.status_on(today) in (Visa.Status.ISSUED, Visa.Status.USED)
            for visa in self.held_visas
        )
        abroad_on_valid = any(
            visa.kind in visas.EXIT_REENTRY_KINDS and visa.holder_abroad_on_it and visa.status_on(today) == Visa.Status.USED
            for visa in self.held_visas
        )
        return absconding_rules.Worker(
            iqama_expiry=self.person.iqama_expiry, already_reported=self.values["facts_ever_reported"],
            final_exit_issued=final_exit, abroad_on_valid_visa=abroad_on_valid,
        )


def holder_facts(person: Person, *, today: date) -> HolderFacts:
    """The holder's facts read fresh (each kind on first use): for a decision on a submission."""
    return HolderFacts(person, today=today)


# --- pages ---------------------------------------------------------------------------------


def person_page_hook(today: date):
    """What the person's page shows with the person: iqama details and absence report, joined, and the
    facts the rules of their services read (facts_hook)."""
    return facts_hook(today, lambda rows: rows.select_related("iqama_record__sponsor", "absconding_report"))


def home_hook(rows):
    from django.db.models import Prefetch

    return rows.prefetch_related(
        Prefetch("passports", queryset=Passport.objects.filter(status=Passport.Status.VALID).order_by("-expires_on"),
                 to_attr="valid_passports")
    )


def _shown(rows, first):
    """`rows` with a flag `shown`: whether the row is among `first` (a sliced queryset of the same model)."""
    return rows.annotate(shown=ExpressionWrapper(Q(pk__in=first.values("pk")), output_field=BooleanField()))


def person_documents(person: Person) -> dict:
    """Everything the person's page lists, one query a kind, and what the rules of their services read
    besides: the visas not cancelled ("held_visas") come with the visas listed, the unpaid fines
    ("unpaid_fines", oldest first) with the fines listed."""
    latest_visas = Visa.objects.filter(holder=person).order_by("-issued_on", "-id")[:20]
    visas_read = list(
        _shown(Visa.objects.filter(Q(pk__in=latest_visas.values("pk")) | ~Q(status=Visa.Status.CANCELLED), holder=person),
               latest_visas).order_by("-issued_on", "-id")
    )
    fines_listed = Fine.objects.filter(person=person).order_by("paid_at", "-issued_on")[:20]
    unpaid = _unpaid_fines(person)
    fines_read = list(
        _shown(Fine.objects.filter(Q(pk__in=fines_listed.values("pk")) | Q(pk__in=unpaid.values("pk")), person=person),
               fines_listed)
        .annotate(unpaid_first=ExpressionWrapper(Q(pk__in=unpaid.values("pk")), output_field=BooleanField()))
        .order_by("paid_at", "-issued_on")
    )
    return {
        "passports": list(Passport.objects.filter(holder=person).order_by("-issued_on", "-id")[:20]),
        "visas": [visa for visa in visas_read if visa.shown],
        "held_visas": [visa for visa in visas_read if visa.status != Visa.Status.CANCELLED],
        "permits": list(TravelPermit.objects.filter(holder=person).order_by("-valid_from", "-id")[:10]),
        "fines": [fine for fine in fines_read if fine.shown],
        "unpaid_fines": sorted((fine for fine in fines_read if fine.unpaid_first), key=lambda fine: (fine.issued_on, fine.id)),
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


def unpaid_fines_of(person: Person) -> list[Fine]:
    """The person's unpaid fines, oldest first (what stands in the way of their services)."""
    return list(_unpaid_fines(person))
