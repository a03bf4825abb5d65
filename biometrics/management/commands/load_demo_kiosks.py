"""Demo kiosks in several regions, reference fingerprints for the demo people, a kiosk operator.

Idempotent: what exists is left as it is (a kiosk's state, a reference already stored).
Run after `load_demo_data` (which loads the demo people and accounts).
"""

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, no_translations
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import User
from accounts.services import staff_account_create
from biometrics.enrolment import matcher_available, synthetic_reference_enrol
from biometrics.models import Kiosk, Region
from biometrics.seed import seed_groups
from biometrics.selectors import OPERATORS_GROUP
from civil_affairs.demo import demo_people
from civil_affairs.models import Person

DEMO_REASON = "demo data (load_demo_kiosks)"
OPERATOR_USERNAME = "KioskOperator1"
OPERATOR_MOBILE = "+966500000908"
OFFICE_HOURS = ("الأحد إلى الخميس، 7:30 صباحًا – 2:30 مساءً", "Sunday to Thursday, 7:30 am – 2:30 pm")
MALL_HOURS = ("يوميًا، 10 صباحًا – 11 مساءً", "Every day, 10 am – 11 pm")
STEP_FREE = ("مدخل بلا درج، والشاشة على ارتفاع يناسب الكرسي المتحرك", "Step-free entrance; the screen is at wheelchair height")


@dataclass(frozen=True)
class DemoKiosk:
    serial: str
    region: str
    city: tuple[str, str]
    site: tuple[str, str]
    address: tuple[str, str]
    hours: tuple[str, str] = OFFICE_HOURS
    access: tuple[str, str] = STEP_FREE
    in_service: bool = True
    reason: str = ""
    phone: str = ""  # demo numbers (0000 exchange): not any office's real line
    place: tuple[str, str] = ("", "")  # latitude, longitude (approximate, of the district)


DEMO_KIOSKS = (
    DemoKiosk("KSK-RUH-001", Region.RIYADH, ("الرياض", "Riyadh"), ("مكتب الأحوال المدنية بالملز", "Civil Affairs Office, Al Malaz"),
              ("حي الملز، طريق صلاح الدين الأيوبي", "Al Malaz district, Salah Al Din Al Ayoubi Road"),
              phone="011 000 0101", place=("24.66600", "46.73370")),
    DemoKiosk("KSK-RUH-002", Region.RIYADH, ("الرياض", "Riyadh"), ("الرياض بارك، الدور الأرضي", "Riyadh Park mall, ground floor"),
              ("طريق الملك عبدالعزيز، حي العقيق", "King Abdulaziz Road, Al Aqiq district"), hours=MALL_HOURS,
              phone="011 000 0102", place=("24.75600", "46.63000")),
    DemoKiosk("KSK-RUH-003", Region.RIYADH, ("الخرج", "Al-Kharj"), ("مكتب الأحوال المدنية بالخرج", "Civil Affairs Office, Al-Kharj"),
              ("حي الخالدية، شارع الملك فهد", "Al Khalidiyah district, King Fahd Street"), access=("", ""),
              phone="011 000 0103", place=("24.14800", "47.30500")),
    DemoKiosk("KSK-MAK-001", Region.MAKKAH, ("جدة", "Jeddah"), ("إدارة الجوازات بجدة", "Passports Department, Jeddah"),
              ("حي الروضة، شارع الأمير سلطان", "Al Rawdah district, Prince Sultan Street"),
              phone="012 000 0201", place=("21.55600", "39.15300")),
    DemoKiosk("KSK-MAK-002", Region.MAKKAH, ("مكة المكرمة", "Makkah"), ("مكتب الأحوال المدنية بالعزيزية", "Civil Affairs Office, Al Aziziyah"),
              ("حي العزيزية، الطريق الدائري الثالث", "Al Aziziyah district, Third Ring Road"),
              phone="012 000 0202", place=("21.40800", "39.87600")),
    DemoKiosk("KSK-EST-001", Region.EASTERN, ("الدمام", "Dammam"), ("مكتب الأحوال المدنية بالدمام", "Civil Affairs Office, Dammam"),
              ("حي الفيصلية، طريق الملك سعود", "Al Faisaliyah district, King Saud Road"),
              phone="013 000 0301", place=("26.40600", "50.04200")),
    DemoKiosk("KSK-EST-002", Region.EASTERN, ("الخبر", "Al-Khobar"), ("الراشد مول، المدخل الشمالي", "Al Rashid Mall, north entrance"),
              ("طريق الملك خالد، حي مدينة العمال", "King Khalid Road, Madinat Al Umal district"), hours=MALL_HOURS,
              in_service=False, reason="screen replacement (demo)",
              phone="013 000 0302", place=("26.28800", "50.19700")),
    DemoKiosk("KSK-MED-001", Region.MADINAH, ("المدينة المنورة", "Madinah"), ("إدارة الجوازات بالمدينة المنورة", "Passports Department, Madinah"),
              ("حي قباء، طريق الهجرة", "Quba district, Al Hijrah Road"),
              phone="014 000 0401", place=("24.43900", "39.61700")),
    DemoKiosk("KSK-QSM-001", Region.QASSIM, ("بريدة", "Buraidah"), ("مكتب الأحوال المدنية ببريدة", "Civil Affairs Office, Buraidah"),
              ("حي الصفراء، طريق الملك عبدالعزيز", "Al Safra district, King Abdulaziz Road"),
              phone="016 000 0501", place=("26.34500", "43.98800")),
    DemoKiosk("KSK-ASR-001", Region.ASIR, ("أبها", "Abha"), ("مكتب الأحوال المدنية بأبها", "Civil Affairs Office, Abha"),
              ("حي المنسك، طريق الملك فيصل", "Al Mansak district, King Faisal Road"),
              phone="017 000 0601", place=("18.21500", "42.50500")),
)


class Command(BaseCommand):
    help = "Load demo kiosks, reference fingerprints for the demo people and a kiosk operator (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--all-people", action="store_true",
            help="give every person of the registry without a reference one (not only the demo people)",
        )

    @no_translations
    def handle(self, *args, **options):
        seed_groups()
        created = 0
        for spec in DEMO_KIOSKS:
            kiosk, was_created = Kiosk.objects.get_or_create(serial=spec.serial, defaults=self._fields(spec))
            created += was_created
            if not was_created:
                self._fill_new_fields(kiosk, spec)
        self.stdout.write(f"demo kiosks: created {created}, already there {len(DEMO_KIOSKS) - created}")

        people = Person.objects.filter(fingerprint_reference__isnull=True)
        if not options["all_people"]:
            people = people.filter(national_id__in=[p.national_id for p in demo_people(today=timezone.localdate())])
        given = 0
        if people.exists() and not matcher_available():
            self.stdout.write(self.style.WARNING(
                "reference fingerprints skipped: the matcher is unavailable (install libfprint, see README)"))
        else:
            for person in people.iterator():
                synthetic_reference_enrol(person=person, actor=None, reason=DEMO_REASON)
                given += 1
            # Each enrolment queues its de-duplication (run at once where Celery runs eagerly).
            self.stdout.write(f"reference fingerprints given (synthetic right index finger images, enrolled through NBIS): {given}")

        self.stdout.write(f"kiosk operator {OPERATOR_USERNAME}: {self._operator()}")
        self.stdout.write("")
        self.stdout.write(
            f"To try a kiosk: sign in as {OPERATOR_USERNAME} (password of the demo accounts), open /kiosk/provision/, "
            "bind the browser to a kiosk, then activate DemoRegistered1 with the simulated reader (its own ID number "
            "presents its own right index finger)."
        )

    @staticmethod
    def _fields(spec: DemoKiosk) -> dict:
        return {
            "region": spec.region,
            "city_ar": spec.city[0], "city_en": spec.city[1],
            "site_name_ar": spec.site[0], "site_name_en": spec.site[1],
            "address_ar": spec.address[0], "address_en": spec.address[1],
            "opening_hours_ar": spec.hours[0], "opening_hours_en": spec.hours[1],
            "accessibility_ar": spec.access[0], "accessibility_en": spec.access[1],
            "in_service": spec.in_service, "out_of_service_reason": spec.reason,
            "phone": spec.phone,
            "latitude": Decimal(spec.place[0]) if spec.place[0] else None,
            "longitude": Decimal(spec.place[1]) if spec.place[1] else None,
        }

    def _fill_new_fields(self, kiosk: Kiosk, spec: DemoKiosk) -> None:
        """A demo kiosk loaded before it had a phone and a place gets them; nothing set is changed."""
        fields = self._fields(spec)
        missing = {name: fields[name] for name in ("phone", "latitude", "longitude") if getattr(kiosk, name) in ("", None)}
        if missing:
            Kiosk.objects.filter(pk=kiosk.pk).update(**missing)

    def _operator(self) -> str:
        from accounts.management.commands.load_demo_data import DEMO_PASSWORD

        if User.objects.annotate(u=Lower("username")).filter(u=OPERATOR_USERNAME.lower()).exists():
            return "exists, left as it is"
        if User.objects.filter(mobile=OPERATOR_MOBILE).exists():
            return self.style.WARNING(f"skipped: mobile {OPERATOR_MOBILE} belongs to another account")
        if not Group.objects.filter(name=OPERATORS_GROUP).exists():  # pragma: no cover - seed_groups made it
            return self.style.WARNING("skipped: no kiosk operators' group")
        staff_account_create(
            username=OPERATOR_USERNAME, email=f"{OPERATOR_USERNAME.lower()}@example.com", mobile=OPERATOR_MOBILE,
            password=DEMO_PASSWORD, groups=[OPERATORS_GROUP], actor=None, reason=DEMO_REASON,
        )
        return f"created (staff, {OPERATORS_GROUP}, mobile {OPERATOR_MOBILE})"
