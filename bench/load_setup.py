"""Prepares the citizens of the load test (bench/locustfile.py) and writes their credentials.

    DJANGO_SETTINGS_MODULE=absher.settings.production DATABASE_URL=... \\
        .venv/bin/python bench/load_setup.py [--accounts 250] [--fines 6] [--out var/load/citizens.json]

Run with the portal's venv and the settings of the stack under test (bench/load.sh does). Each
citizen is made the way the portal makes one, through the services: a registry person (with an
ID card), a confirmed account activated in person by a staff member, a passport and a trip, one
request in the civil affairs inbox, unpaid fines (paying one is a service that makes a bill) and,
for every fourth, a bill already issued and waiting; every third has a daughter added as a
dependent by an approved add-dependent request. Run again, it tops up what the last run used
(fines paid, bills settled) and creates nothing twice.

It also resets the bench accounts' SMS-code counts and sign-in throttles (theirs only, and the
throttles of the 10.x addresses the simulated citizens sign in from): the per-mobile caps
(3 codes in 15 minutes, 10 a day) would otherwise refuse the second run of the day. Never point
it at a database with real people in it.

The file lists, per citizen: username, password, mobile (as the SMS backend writes it), ID
number, the dependent's ID number (or ""), and what there is to pay: {"bill": number} or
{"fine": reference}, bills first.
"""

import argparse
import json
import os
import sys
import time
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "absher.settings.production")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import transaction  # noqa: E402
from django.db.models import Q  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import AccountState, LoginThrottle, OneTimeCode, User  # noqa: E402
from accounts.services import _record_state, account_activate  # noqa: E402
from civil_affairs import services as inbox  # noqa: E402
from civil_affairs.demo import demo_id, years_ago  # noqa: E402
from civil_affairs.models import Person, RequestStatus, RequestType, ServiceRequest  # noqa: E402
from civil_affairs.registry_import import PersonRecord, person_records_upsert  # noqa: E402
from dependents.models import GuardianLink  # noqa: E402
from passports import services as passports  # noqa: E402
from passports.models import Bill, Fine, Passport, Service, TravelRecord  # noqa: E402

PASSWORD = "LoadPass2026"
REASON = "load test data (bench/load_setup.py)"
STAFF_USERNAME = "LoadStaff1"
STAFF_MOBILE = "+966570999999"
# Serials of the bench's people: far from the demo's (civil_affairs.demo) and the tests' (a few hundred).
CITIZEN_SERIAL = 60_000_000
CHILD_SERIAL = 61_000_000
DEPENDENT_EVERY = 3
BILL_EVERY = 4


def username(i: int) -> str:
    return f"LoadCitizen{i:04d}"


def mobile(i: int) -> str:
    return f"+96657{i:07d}"


def citizen_id(i: int) -> str:
    return demo_id("1", CITIZEN_SERIAL + i)


def child_id(i: int) -> str:
    return demo_id("1", CHILD_SERIAL + i)


def people_records(count: int, today) -> list[PersonRecord]:
    records = []
    for i in range(count):
        sex = "M" if i % 2 == 0 else "F"
        records.append(PersonRecord(
            national_id=citizen_id(i), name_ar=f"مواطن اختبار الحمل {i}", name_en=f"Load Citizen {i}", sex=sex,
            birth_date=years_ago(today, 30 + i % 25, days=20 + i % 300), nationality="SA", national_id_issued=True,
        ))
        if i % DEPENDENT_EVERY == 0:
            # A daughter of 16 without an ID card: one the add-dependent rule accepts.
            father, mother = (citizen_id(i), "") if sex == "M" else ("", citizen_id(i))
            records.append(PersonRecord(
                national_id=child_id(i), name_ar=f"ابنة اختبار الحمل {i}", name_en=f"Load Daughter {i}", sex="F",
                birth_date=years_ago(today, 16, days=40 + i % 200), nationality="SA", father_id=father, mother_id=mother,
            ))
    return records


def staff_account() -> User:
    staff = User.objects.filter(username=STAFF_USERNAME).first()
    if staff is not None:
        return staff
    with transaction.atomic():
        staff = User(username=STAFF_USERNAME, email="loadstaff1@example.com", mobile=STAFF_MOBILE, state="",
                     is_staff=True, terms_version=settings.TERMS_VERSION, terms_accepted_at=timezone.now())
        staff.set_password(PASSWORD)
        staff.save()
        _record_state(staff, "", AccountState.PENDING_PHONE, reason=REASON)
        _record_state(staff, AccountState.PENDING_PHONE, AccountState.REGISTERED, reason=REASON)
        staff.phone_confirmed_at = timezone.now()
        staff.save(update_fields=["state", "phone_confirmed_at"])
    return account_activate(user=staff, actor=None, method="in_person", reason=REASON)


def citizen_account(i: int, person: Person, staff: User) -> User:
    """A confirmed account activated in person, as load_demo_data makes its demo accounts."""
    user = User.objects.filter(username=username(i)).first()
    if user is None:
        with transaction.atomic():
            user = User(username=username(i), email=f"{username(i).lower()}@example.com", mobile=mobile(i),
                        person=person, state="", terms_version=settings.TERMS_VERSION, terms_accepted_at=timezone.now())
            user.set_password(PASSWORD)
            user.save()
            _record_state(user, "", AccountState.PENDING_PHONE, reason=REASON)
            _record_state(user, AccountState.PENDING_PHONE, AccountState.REGISTERED, reason=REASON)
            user.phone_confirmed_at = timezone.now()
            user.save(update_fields=["state", "phone_confirmed_at"])
    if user.state != AccountState.ACTIVE:
        user = account_activate(user=user, actor=staff, method="in_person", reason=REASON)
    return user


def ensure_documents(person: Person, staff: User, today) -> None:
    number = "L" + person.national_id[-8:]
    if not Passport.objects.filter(number=number).exists():
        passports.passport_record(holder=person, number=number, country="SA", issued_on=today - timedelta(days=1500),
                                  expires_on=today + timedelta(days=2150), validity_years=10, actor=staff)
    out = today - timedelta(days=120)
    if not TravelRecord.objects.filter(holder=person, on=out).exists():
        passports.crossing_record(holder=person, direction=TravelRecord.Direction.EXIT, port="RUH", on=out, actor=staff)
        passports.crossing_record(holder=person, direction=TravelRecord.Direction.ENTRY, port="RUH",
                                  on=out + timedelta(days=9), actor=staff)


def ensure_request(user: User) -> None:
    if ServiceRequest.objects.filter(applicant=user).exists():
        return
    inbox.request_submit(applicant=user, request_type=RequestType.objects.get(code="general_inquiry"), data={},
                         description="استفسار عن موعد مراجعة مكتب الأحوال المدنية.",
                         submission_key=uuid.uuid5(uuid.NAMESPACE_URL, f"load-setup:{user.pk}"))


def ensure_dependent(i: int, user: User, staff: User, today) -> str:
    if i % DEPENDENT_EVERY:
        return ""
    child = Person.objects.get(national_id=child_id(i))
    if not GuardianLink.objects.filter(dependent=child).exists():
        filed = inbox.request_submit(
            applicant=user, request_type=RequestType.objects.get(code="add_dependent"),
            data={"dependent_national_id": child.national_id}, description="إضافة ابنتي إلى حسابي.",
            submission_key=uuid.uuid5(uuid.NAMESPACE_URL, f"load-setup-dependent:{user.pk}"),
        )
        for status in (RequestStatus.IN_REVIEW, RequestStatus.APPROVED):
            filed.refresh_from_db()
            if filed.status != status:
                inbox.request_transition(request=filed, to_status=status, actor=staff, today=today)
    return child.national_id


def ensure_payables(i: int, user: User, person: Person, staff: User, fines: int, today) -> list[dict]:
    unpaid = Fine.objects.filter(person=person, paid_at__isnull=True)
    for n in range(max(0, fines - unpaid.count())):
        passports.fine_record(person=person, amount=Decimal(100 + 50 * (n % 4)), reason_ar="مخالفة مرورية: وقوف خاطئ",
                              reason_en="Traffic violation: wrong parking", issued_on=today - timedelta(days=10 + n),
                              actor=staff)
    if i % BILL_EVERY == 1 and not Bill.objects.filter(payer=user, status=Bill.Status.UNPAID).exists():
        fine = unpaid.order_by("id").first()
        # The key the fine's pay button uses (passports.views.fine_pay): the page finds this bill again.
        passports.service_order(service=Service.FINE, actor=user, holder=person, params={"fine": fine.reference},
                                submission_key=uuid.uuid5(uuid.NAMESPACE_URL, f"fine:{fine.reference}:{user.pk}"))
    bills = list(Bill.objects.filter(payer=user, status=Bill.Status.UNPAID).order_by("id").values_list("number", "params"))
    billed = {params.get("fine") for _number, params in bills}
    return [{"bill": number} for number, _params in bills] + [
        {"fine": ref} for ref in unpaid.order_by("id").values_list("reference", flat=True) if ref not in billed
    ]


def reset_limits(users: list[User]) -> None:
    """The bench accounts' code counts and throttles, and those of the simulated addresses."""
    OneTimeCode.objects.filter(mobile__in=[u.mobile for u in users]).delete()
    LoginThrottle.objects.filter(
        Q(key__in=[f"user:{u.pk}" for u in users]) | Q(key__startswith="address:10.") | Q(key__startswith="lookups:10.")
    ).delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=250)
    parser.add_argument("--fines", type=int, default=6, help="unpaid fines each citizen has to pay")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "load" / "citizens.json")
    args = parser.parse_args()
    started = time.monotonic()
    today = timezone.localdate()
    loaded = person_records_upsert(people_records(args.accounts, today))
    print(f"registry: created {loaded.created}, updated {loaded.updated}, unchanged {loaded.unchanged}")
    staff = staff_account()
    people = {p.national_id: p for p in Person.objects.filter(national_id__in=[citizen_id(i) for i in range(args.accounts)])}
    citizens, users = [], []
    for i in range(args.accounts):
        person = people[citizen_id(i)]
        user = citizen_account(i, person, staff)
        ensure_documents(person, staff, today)
        ensure_request(user)
        dependent = ensure_dependent(i, user, staff, today)
        payables = ensure_payables(i, user, person, staff, args.fines, today)
        users.append(user)
        citizens.append({"username": user.username, "password": PASSWORD, "mobile": user.mobile,
                         "national_id": person.national_id, "dependent": dependent, "payables": payables})
    reset_limits(users)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"citizens": citizens}, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"{len(citizens)} citizens ({sum(1 for c in citizens if c['dependent'])} with a dependent, "
          f"{sum(len(c['payables']) for c in citizens)} payables) -> {args.out} in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
