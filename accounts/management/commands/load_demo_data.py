from dataclasses import dataclass

from django.conf import settings
from django.core.management.base import BaseCommand, no_translations
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import AccountState, User
from accounts.services import _record_state, account_activate, account_suspend, registration_check
from civil_affairs.demo import NEWCOMER, REFUSED, demo_people, demo_people_load
from civil_affairs.models import Person

DEMO_PASSWORD = "DemoPass2026"
DEMO_REASON = "demo data (load_demo_data)"
STAFF_USERNAME = "StaffAdmin1"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    state: str
    mobile: str
    person_key: str | None  # a key of civil_affairs.demo's people; None: no person
    staff: bool = False  # a staff superuser
    group: str = ""  # a staff member of this group (see civil_affairs' migrations)


DEMO_ACCOUNTS = (
    # The staff account comes first: it is the actor of the others' activation and suspension.
    DemoAccount(STAFF_USERNAME, AccountState.ACTIVE, "+966500000900", None, staff=True),
    DemoAccount("DemoPending1", AccountState.PENDING_PHONE, "+966500000901", "account_pending"),
    DemoAccount("DemoRegistered1", AccountState.REGISTERED, "+966500000902", "account_registered"),
    DemoAccount("DemoActive1", AccountState.ACTIVE, "+966500000903", "account_active"),
    DemoAccount("DemoSuspended1", AccountState.SUSPENDED, "+966500000904", "account_suspended"),
    DemoAccount("DemoParent1", AccountState.ACTIVE, "+966500000905", "harbi_father"),
    DemoAccount("DemoResident1", AccountState.ACTIVE, "+966500000909", "mostafa_father"),
    DemoAccount("CivilOfficer1", AccountState.ACTIVE, "+966500000906", None, group="Civil affairs officers"),
    DemoAccount("Auditor1", AccountState.ACTIVE, "+966500000907", None, group="Auditors"),
)


class Command(BaseCommand):
    help = "Load the demo people into the civil registry and create demo accounts in every state (idempotent)."

    @no_translations
    def handle(self, *args, **options):
        today = timezone.localdate()
        people = {person.key: person for person in demo_people(today=today)}
        loaded = demo_people_load(today=today)
        self.stdout.write(
            f"demo people: created {loaded.created}, updated {loaded.updated}, unchanged {loaded.unchanged}"
        )

        staff = None
        for spec in DEMO_ACCOUNTS:
            user, note = self._ensure_account(spec, people=people, staff=staff)
            if spec.staff:
                staff = user
            self.stdout.write(f"account {spec.username}: {note}")

        self._print_logins()
        self._print_people(people, today=today)

    def _ensure_account(self, spec: DemoAccount, *, people, staff: User | None) -> tuple[User | None, str]:
        existing = User.objects.annotate(u=Lower("username")).filter(u=spec.username.lower()).first()
        if existing is not None:
            return existing, "exists, left as it is"
        person = Person.objects.get(national_id=people[spec.person_key].national_id) if spec.person_key else None
        if person is not None and User.objects.filter(Q(person=person) | Q(pending_person=person)).exists():
            return None, self.style.WARNING(f"skipped: {person.national_id} already has another account")
        if User.objects.filter(mobile=spec.mobile).exists():
            return None, self.style.WARNING(f"skipped: mobile {spec.mobile} belongs to another account")

        now = timezone.now()
        with transaction.atomic():
            user = User(
                username=spec.username,
                email=f"{spec.username.lower()}@example.com",
                mobile=spec.mobile,
                # A registration waiting for its SMS code names its ID without holding it, as
                # registration_start does; the person is linked when the mobile is confirmed.
                person=None if spec.state == AccountState.PENDING_PHONE else person,
                pending_person=person if spec.state == AccountState.PENDING_PHONE else None,
                state="",
                is_staff=spec.staff or bool(spec.group),
                is_superuser=spec.staff,
                terms_version=settings.TERMS_VERSION,
                terms_accepted_at=now,
            )
            user.set_password(DEMO_PASSWORD)
            user.save()
            if spec.group:
                from django.contrib.auth.models import Group

                user.groups.add(Group.objects.get(name=spec.group))
            # The history a real account would have: registered, then mobile confirmed, and so on.
            _record_state(user, "", AccountState.PENDING_PHONE, reason=DEMO_REASON)
            user.save(update_fields=["state"])
            if spec.state != AccountState.PENDING_PHONE:
                _record_state(user, user.state, AccountState.REGISTERED, reason=DEMO_REASON)
                user.phone_confirmed_at = now
                user.save(update_fields=["state", "phone_confirmed_at"])
            if spec.state in (AccountState.ACTIVE, AccountState.SUSPENDED):
                # The staff account has no one before it to activate it: its actor is the system (None).
                user = account_activate(user=user, actor=staff, method="in_person", reason=DEMO_REASON)
            if spec.state == AccountState.SUSPENDED:
                user = account_suspend(user=user, actor=staff, reason=DEMO_REASON)
        return user, f"created ({user.state})"

    def _print_logins(self):
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD})")
        rows = [("username", "state", "mobile", "ID number", "name")]
        for spec in DEMO_ACCOUNTS:
            user = User.objects.select_related("person").filter(username=spec.username).first()
            if user is None:
                rows.append((spec.username, "(missing)", "", "", ""))
                continue
            role = "staff superuser" if user.is_superuser else (spec.group or user.state)
            rows.append((user.username, role, user.mobile or "", user.national_id, user.display_name("en")))
        self._table(rows)

    def _print_people(self, people, *, today):
        self.stdout.write("")
        self.stdout.write("Free to register today (no account yet)")
        rows = [("ID number", "name", "what it shows")]
        refused = [("ID number", "name", "refusal", "what it shows")]
        for person in people.values():
            decision = registration_check(national_id=person.national_id, today=today)
            if person.group == NEWCOMER and decision.allowed:
                rows.append((person.national_id, person.name_en, person.note))
            elif person.group == REFUSED:
                refused.append((person.national_id, person.name_en, decision.code or "allowed", person.note))
        self._table(rows)
        self.stdout.write("")
        self.stdout.write("Registration refused (try them on the registration form)")
        self._table(refused)

    def _table(self, rows):
        widths = [max(len(str(row[column])) for row in rows) for column in range(len(rows[0]))]
        for index, row in enumerate(rows):
            self.stdout.write("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
            if index == 0:
                self.stdout.write("  ".join("-" * width for width in widths))
