"""Passports fixtures: a family, a sponsor with workers, documents made through the services."""

from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from accounts.models import AccountState


@dataclass
class World:
    father: object  # the account (a citizen)
    mother_person: object
    son: object  # person, citizen, 10 years old
    daughter: object  # person, citizen, 17 years old, no ID card
    adult_son: object  # person, 25: no longer a child for these services
    worker: object  # person, resident, sponsored by the father
    stranger: object  # an active account with its own family and worker
    stranger_child: object
    stranger_worker: object
    resident: object  # an active resident account with a child
    resident_child: object


@pytest.fixture
def fingerprint(db):
    from civil_affairs.models import Person

    def give(*people):
        Person.objects.filter(pk__in=[p.pk for p in people]).update(fingerprint_reference=b"test-template")
        for person in people:
            person.refresh_from_db()

    return give


@pytest.fixture
def staff(user_factory):
    return user_factory(state=AccountState.ACTIVE, is_staff=True, is_superuser=True, mobile="+966500009999")


@pytest.fixture
def world(db, person_factory, user_factory, staff, today, fingerprint):
    from passports import services

    father_person = person_factory(sex="M", birth_date=date(1980, 3, 1), name_en="Saad Harbi", name_ar="سعد الحربي")
    mother = person_factory(sex="F", birth_date=date(1984, 5, 1), name_en="Haya Harbi", name_ar="هيا الحربي")
    son = person_factory(sex="M", birth_date=today - timedelta(days=365 * 10), father=father_person, mother=mother,
                         national_id_issued=False, name_en="Omar Harbi", name_ar="عمر الحربي")
    daughter = person_factory(sex="F", birth_date=today - timedelta(days=365 * 17), father=father_person, mother=mother,
                              national_id_issued=False, name_en="Reem Harbi", name_ar="ريم الحربي")
    adult_son = person_factory(sex="M", birth_date=date(1999, 1, 1), father=father_person, mother=mother,
                               name_en="Fahad Harbi", name_ar="فهد الحربي")
    worker = person_factory(prefix="2", sex="F", birth_date=date(1992, 2, 2), nationality="PH",
                            iqama_expiry=today + timedelta(days=200), name_en="Maria Cruz", name_ar="ماريا كروز")
    father = user_factory(state=AccountState.ACTIVE, person=father_person, username="SaadHarbi01", mobile="+966500000101")
    services.sponsorship_start(sponsor=father_person, worker=worker, occupation_ar="عاملة منزلية",
                               occupation_en="Housemaid", started_on=today - timedelta(days=400), actor=staff)
    services.iqama_record_register(holder=worker, sponsor=father_person, occupation_ar="عاملة منزلية",
                                   occupation_en="Housemaid", issued_on=today - timedelta(days=400), actor=staff)
    services.passport_record(holder=worker, number="P1234567", country="PH", issued_on=date(2020, 1, 1),
                             expires_on=today + timedelta(days=900), actor=staff)
    fingerprint(worker)

    stranger_person = person_factory(sex="M", birth_date=date(1975, 1, 1), name_en="Stranger", name_ar="غريب")
    stranger = user_factory(state=AccountState.ACTIVE, person=stranger_person, username="Stranger0001", mobile="+966500000102")
    stranger_child = person_factory(sex="F", birth_date=today - timedelta(days=365 * 8), father=stranger_person,
                                    national_id_issued=False, name_en="Stranger Child", name_ar="طفلة غريبة")
    stranger_worker = person_factory(prefix="2", sex="M", birth_date=date(1990, 1, 1), nationality="IN",
                                     iqama_expiry=today + timedelta(days=100), name_en="Other Worker", name_ar="عامل آخر")
    services.sponsorship_start(sponsor=stranger_person, worker=stranger_worker, occupation_ar="سائق",
                               occupation_en="Driver", started_on=today - timedelta(days=100), actor=staff)

    resident_person = person_factory(prefix="2", sex="M", birth_date=date(1982, 1, 1), nationality="EG",
                                     iqama_expiry=today + timedelta(days=300), name_en="Hassan Mostafa", name_ar="حسن مصطفى")
    resident = user_factory(state=AccountState.ACTIVE, person=resident_person, username="HassanMostafa1",
                            mobile="+966500000103")
    resident_child = person_factory(prefix="2", sex="F", birth_date=today - timedelta(days=365 * 12), nationality="EG",
                                    father=resident_person, iqama_expiry=today + timedelta(days=20),
                                    name_en="Salma Mostafa", name_ar="سلمى مصطفى")
    return World(father=father, mother_person=mother, son=son, daughter=daughter, adult_son=adult_son, worker=worker,
                 stranger=stranger, stranger_child=stranger_child, stranger_worker=stranger_worker, resident=resident,
                 resident_child=resident_child)


@pytest.fixture
def passport_of(staff):
    from passports import services

    def give(person, *, expires_on, number=None, country="SA", issued_on=None):
        number = number or services.new_passport_number()
        return services.passport_record(holder=person, number=number, country=country,
                                        issued_on=issued_on or expires_on - timedelta(days=5 * 365), expires_on=expires_on,
                                        actor=staff, validity_years=5)

    return give


@pytest.fixture
def pay(committed):
    """Pay a bill through the simulated gateway's service calls and carry out its service."""
    from passports import billing, services

    def run(bill, user, *, today=None):
        with committed():
            bill = billing.bill_pay(bill=bill, payment_reference="SIM-TEST", actor=user)
            return services.bill_fulfil(bill=bill, actor=user, today=today)

    return run
