"""Demo documents for the demo people, and demo sponsors with domestic workers.

The registry's demo people (civil_affairs.demo) get passports (some expiring, some expired),
iqama details, visas, travel records, a travel permit and fines; domestic workers are added to
the registry (residents, through the registry's own upsert) and sponsored by DemoActive1,
DemoParent1 and the "sponsor" demo person. Everything goes through the services.

Idempotent: the people are upserted (their dates follow today, like civil_affairs.demo); each
document is created only when it is missing, so what a demo user did with them stays.
"""

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction

from civil_affairs.demo import demo_id, demo_people_by_key, demo_people_load, years_ago
from civil_affairs.models import Person
from civil_affairs.registry_import import PersonRecord, person_records_upsert

from . import services
from .models import AbscondingReport, Fine, IqamaRecord, Passport, Sponsorship, TravelPermit, TravelRecord, Visa

STAFF_USERNAME = "StaffAdmin1"
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoWorker:
    key: str
    serial: int
    name_ar: str
    name_en: str
    sex: str
    age: int
    nationality: str
    sponsor_key: str
    occupation_ar: str
    occupation_en: str
    iqama_days: int  # iqama expiry, days from today (negative: expired)
    passport_days: int
    fingerprint: bool
    note: str

    @property
    def national_id(self) -> str:
        return demo_id("2", self.serial)


WORKERS = (
    DemoWorker("siti", 101, "سيتي رحايو", "Siti Rahayu", "F", 34, "ID", "account_active", "عاملة منزلية", "Housemaid",
               25, 1100, True, "DemoActive1's housemaid: iqama expires in 25 days (renew; reminder)."),
    DemoWorker("ramesh", 102, "راميش كومار بيلاي", "Ramesh Kumar Pillai", "M", 41, "IN", "account_active",
               "سائق خاص", "Private driver", -10, 700, True,
               "DemoActive1's driver: iqama expired 10 days ago (late fee) and an unpaid fine blocks renewal until paid."),
    DemoWorker("joy", 103, "جوي سانتوس باوتيستا", "Joy Santos Bautista", "F", 29, "PH", "harbi_father",
               "عاملة منزلية", "Housemaid", 300, 1500, True,
               "DemoParent1's housemaid: abroad on a single exit/re-entry visa (extend it; cannot be reported absent)."),
    DemoWorker("karim", 104, "عبدالكريم ميا", "Abdul Karim Mia", "M", 36, "BD", "harbi_father", "سائق خاص",
               "Private driver", 250, 800, True,
               "DemoParent1's driver, in the Kingdom: issue an exit/re-entry or final exit visa, or report him absent."),
    DemoWorker("nirmala", 105, "نيرمالا ديفي", "Nirmala Devi", "F", 39, "LK", "sponsor", "عاملة منزلية", "Housemaid",
               150, 900, True, "Reported absent from work 20 days ago by the sponsor (report final, services stopped)."),
    DemoWorker("ahmed", 106, "أحمد حسن عبدالله", "Ahmed Hassan Abdullah", "M", 45, "EG", "sponsor", "مزارع", "Farmer",
               120, 600, False, "The sponsor's farmer: no fingerprint registered (iqama and visas refused until it is)."),
)

# Passports of the registry's demo people: (person key, days to expiry from today).
CITIZEN_PASSPORTS = (
    ("account_active", 20),  # DemoActive1: expires in 20 days (renewal window open, reminder)
    ("harbi_father", 1100),  # DemoParent1: too early to renew
    ("harbi_mother", 700),
    ("harbi_daughter_adult", -40),  # 20 years old: renewed by a parent, 5 years only
    ("harbi_son_under_18", 60),  # no ID card at 17: renewal refused until he has one
    ("harbi_son_14y10m_tomorrow", -5),  # under 15: family rules
    ("sponsor", 1500),
    ("ghamdi_father", 400),
)
RESIDENT_PASSPORTS = (
    ("mostafa_father", "EG", 1200), ("mostafa_mother", "EG", 1200), ("mostafa_son_14y10m_tomorrow", "EG", 500),
    ("mostafa_daughter_child", "EG", 500), ("menon_father", "IN", 900), ("menon_mother", "IN", 900),
    ("menon_daughter_14y10m_today", "IN", 20),
)


def _passport_number(national_id: str, country: str) -> str:
    # Stable for the demo: a letter and the ID's last eight digits.
    return ("A" if country == "SA" else "N") + national_id[-8:]


def _staff():
    from accounts.models import User

    return User.objects.filter(username=STAFF_USERNAME).first()


class _References:
    """Reference fingerprints of the demo people, from the biometrics app's synthetic images
    through its enrolment (de-duplicated like any); none when the matcher is unavailable."""

    def __init__(self):
        try:
            from biometrics.enrolment import matcher_available, synthetic_reference_enrol
        except ImportError:  # pragma: no cover - the kiosk app is optional here
            self.enrol, self.available = None, False
        else:
            self.enrol, self.available = synthetic_reference_enrol, matcher_available()
        self.given = self.skipped = 0

    def ensure(self, person: Person, actor) -> None:
        if Person.objects.filter(pk=person.pk, fingerprint_reference__isnull=False).exists():
            return
        if not self.available:
            self.skipped += 1
            return
        self.enrol(person=person, actor=actor, reason="demo data (load_demo_passports)")
        self.given += 1


def _ensure_passport(person: Person, *, country: str, days: int, today: date, actor) -> None:
    number = _passport_number(person.national_id, country)
    if Passport.objects.filter(number=number).exists():
        return
    expires = today + timedelta(days=days)
    years = 5 if country == "SA" and person.birth_date > years_ago(today, 21) else 10
    issued = expires - timedelta(days=365 * years)
    services.passport_record(holder=person, number=number, country=country, issued_on=issued, expires_on=expires,
                             validity_years=years if country == "SA" else None, actor=actor)


def _trip(person: Person, *, out: date, back: date | None, port: str, actor) -> None:
    if TravelRecord.objects.filter(holder=person, on=out, direction=TravelRecord.Direction.EXIT).exists():
        return
    services.crossing_record(holder=person, direction=TravelRecord.Direction.EXIT, port=port, on=out, actor=actor)
    if back is not None:
        services.crossing_record(holder=person, direction=TravelRecord.Direction.ENTRY, port=port, on=back, actor=actor)


def load(*, today: date) -> dict:
    """Create what is missing; return counts for the command's report."""
    demo_people_load(today=today)
    people = demo_people_by_key(today=today)
    records = [
        PersonRecord(national_id=worker.national_id, name_ar=worker.name_ar, name_en=worker.name_en, sex=worker.sex,
                     birth_date=years_ago(today, worker.age, days=37), nationality=worker.nationality,
                     iqama_expiry=today + timedelta(days=worker.iqama_days))
        for worker in WORKERS
    ]
    loaded = person_records_upsert(records)
    actor = _staff()
    by_id = {p.national_id: p for p in Person.objects.filter(
        national_id__in=[w.national_id for w in WORKERS] + [p.national_id for p in people.values()])}

    def person(key: str) -> Person:
        return by_id[people[key].national_id]

    references = _References()
    with transaction.atomic():
        for key, days in CITIZEN_PASSPORTS:
            _ensure_passport(person(key), country="SA", days=days, today=today, actor=actor)
        for key, country, days in RESIDENT_PASSPORTS:
            _ensure_passport(person(key), country=country, days=days, today=today, actor=actor)
        for key in ("mostafa_father", "mostafa_mother", "mostafa_son_14y10m_tomorrow", "menon_father", "menon_mother",
                    "menon_daughter_14y10m_today"):
            references.ensure(person(key), actor)
        # Iqama details of the resident families: the father's employer, the family under the father.
        for father_key, children in (("mostafa_father", ("mostafa_mother", "mostafa_son_14y10m_tomorrow",
                                                         "mostafa_daughter_child")),
                                     ("menon_father", ("menon_mother", "menon_daughter_14y10m_today"))):
            father = person(father_key)
            if not IqamaRecord.objects.filter(holder=father).exists():
                services.iqama_record_register(holder=father, sponsor=None, employer_name="Al-Bina Contracting Co.",
                                               occupation_ar="مهندس", occupation_en="Engineer",
                                               issued_on=today - timedelta(days=1500), actor=actor)
            for key in children:
                if not IqamaRecord.objects.filter(holder=person(key)).exists():
                    services.iqama_record_register(holder=person(key), sponsor=father, occupation_ar="تابع",
                                                   occupation_en="Family member", issued_on=today - timedelta(days=1200),
                                                   actor=actor)

        for worker in WORKERS:
            holder = by_id[worker.national_id]
            sponsor = person(worker.sponsor_key)
            if not Sponsorship.objects.filter(worker=holder, ended_on__isnull=True).exists():
                services.sponsorship_start(sponsor=sponsor, worker=holder, occupation_ar=worker.occupation_ar,
                                           occupation_en=worker.occupation_en, started_on=today - timedelta(days=700),
                                           actor=actor)
            if not IqamaRecord.objects.filter(holder=holder).exists():
                services.iqama_record_register(holder=holder, sponsor=sponsor, occupation_ar=worker.occupation_ar,
                                               occupation_en=worker.occupation_en, issued_on=today - timedelta(days=700),
                                               actor=actor)
            _ensure_passport(holder, country=worker.nationality, days=worker.passport_days, today=today, actor=actor)
            if worker.fingerprint:
                references.ensure(holder, actor)

        workers = {worker.key: by_id[worker.national_id] for worker in WORKERS}
        # Siti travelled last year on a single exit/re-entry visa, and came back.
        if not Visa.objects.filter(holder=workers["siti"]).exists():
            services.visa_record(holder=workers["siti"], kind=Visa.Kind.SINGLE, issued_on=today - timedelta(days=300),
                                 months=2, actor=actor)
            _trip(workers["siti"], out=today - timedelta(days=290), back=today - timedelta(days=250), port="JED", actor=actor)
        # Joy is abroad on a single visa: left 30 days ago for two months.
        if not Visa.objects.filter(holder=workers["joy"]).exists():
            services.visa_record(holder=workers["joy"], kind=Visa.Kind.SINGLE, issued_on=today - timedelta(days=40),
                                 months=2, actor=actor)
            _trip(workers["joy"], out=today - timedelta(days=30), back=None, port="RUH", actor=actor)
        # Ramesh: an unpaid traffic fine, and a visa he cancelled.
        if not Fine.objects.filter(person=workers["ramesh"]).exists():
            services.fine_record(person=workers["ramesh"], amount=Decimal("300"), reason_ar="مخالفة مرورية: تجاوز السرعة",
                                 reason_en="Traffic violation: speeding", issued_on=today - timedelta(days=45), actor=actor)
        # Nirmala was reported absent 20 days ago: the report can no longer be cancelled.
        if not AbscondingReport.objects.filter(worker=workers["nirmala"]).exists():
            reported = today - timedelta(days=20)
            services.absconding_report_record(worker=workers["nirmala"], sponsor=person("sponsor"), reported_on=reported,
                                              last_seen_on=reported - timedelta(days=2), actor=actor)

        # Trips of the families (citizens need no visa).
        _trip(person("account_active"), out=today - timedelta(days=95), back=today - timedelta(days=85), port="RUH",
              actor=actor)
        for key in ("harbi_father", "harbi_mother", "harbi_daughter_adult", "harbi_son_14y10m_tomorrow"):
            _trip(person(key), out=today - timedelta(days=150), back=today - timedelta(days=140), port="causeway",
                  actor=actor)
        # A travel permit Saad gave his son Abdulrahman (17).
        son = person("harbi_son_under_18")
        if not TravelPermit.objects.filter(holder=son).exists():
            services.travel_permit_record(holder=son, granted_by=person("harbi_father"),
                                          valid_from=today - timedelta(days=10), valid_until=today + timedelta(days=80),
                                          actor=actor)
    if references.skipped:
        logger.warning("reference fingerprints skipped for %d demo people: the matcher is unavailable (libfprint)",
                       references.skipped)
    return {"people": loaded, "workers": [(w, by_id[w.national_id]) for w in WORKERS],
            "fingerprints": {"given": references.given, "skipped": references.skipped}}

