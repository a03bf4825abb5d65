"""Demo people of the civil registry, one or more for every rule the portal applies.

Birth dates and iqama expiries are computed from `today`, so that whoever turns 18 "today"
does so on whatever day the demo is loaded. IDs are fixed (prefix + 8-digit serial + Luhn
check digit), so they stay the same from one load to the next. No account is made here: the
accounts app links its demo accounts to these people (see accounts' load_demo_data).
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings

from . import ages
from .identity import luhn_check_digit
from .models import Person
from .registry_import import ImportResult, PersonRecord, person_records_upsert

HIJRI_MONTH_DAYS = 29.530589
GREGORIAN_MONTH_DAYS = 30.436875
# Groups of demo people, for the tables printed and documented.
NEWCOMER = "newcomer"  # may register today: no account, every check passes
REFUSED = "refused"  # shows a reason why registration is refused (or an edge of it)
ACCOUNT = "account"  # holds one of the demo accounts
FAMILY = "family"  # parents and children for the dependents service


def demo_id(prefix: str, serial: int) -> str:
    """A stable, valid ID ('1') or iqama ('2') number: prefix, 8-digit serial, check digit."""
    first_nine = f"{prefix}{serial:08d}"
    return first_nine + luhn_check_digit(first_nine)


@dataclass(frozen=True)
class DemoPerson:
    key: str
    national_id: str
    name_ar: str
    name_en: str
    sex: str
    birth_date: date
    nationality: str
    note: str
    group: str
    national_id_issued: bool = False
    iqama_expiry: date | None = None
    father_id: str = ""
    mother_id: str = ""
    status: str = Person.Status.LIVING

    def record(self) -> PersonRecord:
        return PersonRecord(
            national_id=self.national_id,
            name_ar=self.name_ar,
            name_en=self.name_en,
            sex=self.sex,
            birth_date=self.birth_date,
            nationality=self.nationality,
            father_id=self.father_id,
            mother_id=self.mother_id,
            national_id_issued=self.national_id_issued,
            iqama_expiry=self.iqama_expiry,
            status=self.status,
        )


# --- birth dates that put an age on a chosen day -------------------------------------------


def _born_around(day: date, *, years: int, months: int, calendar: str) -> date:
    month_days = HIJRI_MONTH_DAYS if calendar == ages.HIJRI else GREGORIAN_MONTH_DAYS
    return day - timedelta(days=round((years * 12 + months) * month_days))


def _candidates(day: date, *, years: int, months: int, calendar: str) -> list[tuple[date, date]]:
    """(birth date, date the age is reached) for births in a window round the likely one, in order."""
    middle = _born_around(day, years=years, months=months, calendar=calendar)
    births = (middle + timedelta(days=offset) for offset in range(-45, 46))
    return [(birth, ages.anniversary(birth, years=years, months=months, calendar=calendar)) for birth in births]


def born_reaching_on_or_before(day: date, *, years: int, months: int = 0, calendar: str) -> date:
    """The latest birth date on which someone has reached the age by `day`.

    They reach it exactly on `day` when some birth date does so; a few days of the year no
    birth date maps to (the 30th of a Hijri month whose birth month had 29 days), and then
    they reached it the day before.
    """
    reached = [birth for birth, on in _candidates(day, years=years, months=months, calendar=calendar) if on <= day]
    return max(reached)


def born_reaching_on_or_after(day: date, *, years: int, months: int = 0, calendar: str) -> date:
    """The earliest birth date on which someone reaches the age on `day` or, if no birth date does, just after."""
    later = [birth for birth, on in _candidates(day, years=years, months=months, calendar=calendar) if on >= day]
    return min(later)


def years_ago(today: date, years: int, *, days: int = 0) -> date:
    """A birth date about `years` (Gregorian) years before today, moved back `days` to keep clear of any edge."""
    return ages.anniversary(today, years=-years, calendar=ages.GREGORIAN) - timedelta(days=days)


# --- the people -------------------------------------------------------------------------


def demo_people(*, today: date) -> list[DemoPerson]:
    """Every demo person, with dates computed from `today` (Riyadh)."""
    citizen_calendar = settings.AGE_CALENDAR_CITIZEN
    resident_calendar = settings.AGE_CALENDAR_RESIDENT
    tomorrow = today + timedelta(days=1)

    def citizen(serial: int) -> str:
        return demo_id("1", serial)

    def resident(serial: int) -> str:
        return demo_id("2", serial)

    on_or_before, on_or_after = born_reaching_on_or_before, born_reaching_on_or_after
    M, F = Person.Sex.MALE, Person.Sex.FEMALE
    card = {"national_id_issued": True}

    def iqama(days: int) -> dict:
        return {"iqama_expiry": today + timedelta(days=days)}

    harbi_father, harbi_mother = citizen(20), citizen(21)
    ghamdi_father, ghamdi_mother = citizen(30), citizen(31)
    qurashi_father, qurashi_mother = citizen(40), citizen(41)
    mostafa_father, mostafa_mother = resident(10), resident(11)
    menon_father, menon_mother = resident(20), resident(21)

    return [
        # Newcomers: adults who may register today.
        DemoPerson("newcomer_citizen_1", citizen(1), "عبدالله صالح القحطاني", "Abdullah Saleh Al-Qahtani", M,
                   years_ago(today, 35, days=40), "SA", "Adult citizen with an ID card, no account: free to register.",
                   NEWCOMER, **card),
        DemoPerson("newcomer_citizen_2", citizen(2), "نورة فهد العتيبي", "Noura Fahad Al-Otaibi", F,
                   years_ago(today, 28, days=100), "SA", "Adult citizen with an ID card, no account: free to register.",
                   NEWCOMER, **card),
        DemoPerson("newcomer_citizen_3", citizen(3), "فيصل تركي الشمري", "Faisal Turki Al-Shammari", M,
                   years_ago(today, 42, days=200), "SA", "Adult citizen with an ID card, no account: free to register.",
                   NEWCOMER, **card),
        DemoPerson("sponsor", citizen(4), "خالد إبراهيم الدوسري", "Khalid Ibrahim Al-Dosari", M,
                   years_ago(today, 51, days=60), "SA",
                   "Sponsor: adult citizen for domestic-worker services; no account, free to register.",
                   NEWCOMER, **card),
        DemoPerson("newcomer_resident_eg", resident(1), "أحمد محمود عبدالرحمن", "Ahmed Mahmoud Abdelrahman", M,
                   years_ago(today, 38, days=15), "EG", "Adult resident with a valid iqama, no account: free to register.",
                   NEWCOMER, **iqama(300)),
        DemoPerson("newcomer_resident_in", resident(2), "راجيش كومار ناير", "Rajesh Kumar Nair", M,
                   years_ago(today, 33, days=80), "IN", "Adult resident with a valid iqama, no account: free to register.",
                   NEWCOMER, **iqama(200)),
        DemoPerson("newcomer_resident_pk", resident(3), "محمد عمران خان", "Muhammad Imran Khan", M,
                   years_ago(today, 40, days=130), "PK", "Adult resident with a valid iqama, no account: free to register.",
                   NEWCOMER, **iqama(150)),
        DemoPerson("newcomer_resident_ph", resident(4), "ماريا سانتوس رييس", "Maria Santos Reyes", F,
                   years_ago(today, 31, days=170), "PH", "Adult resident with a valid iqama, no account: free to register.",
                   NEWCOMER, **iqama(250)),
        DemoPerson("iqama_expires_today", resident(6), "خوسيه ديلا كروز", "Jose Dela Cruz", M,
                   years_ago(today, 42, days=20), "PH",
                   "Resident whose iqama expires today: still valid today, free to register.",
                   NEWCOMER, **iqama(0)),
        DemoPerson("turned_18_today", citizen(7), "جود سلمان الرشيدي", "Joud Salman Al-Rashidi", F,
                   on_or_before(today, years=18, calendar=citizen_calendar), "SA",
                   "Citizen who turned 18 (Hijri) today, with an ID card: free to register from today.",
                   NEWCOMER, **card),
        # Registration refused, and why.
        DemoPerson("iqama_expired", resident(5), "بلال حسين شاه", "Bilal Hussain Shah", M,
                   years_ago(today, 36, days=50), "PK", "Resident whose iqama expired yesterday: registration refused.",
                   REFUSED, **iqama(-1)),
        DemoPerson("aged_17", citizen(5), "سارة ناصر السبيعي", "Sarah Nasser Al-Subaie", F,
                   on_or_after(today + timedelta(days=120), years=18, calendar=citizen_calendar), "SA",
                   "Citizen aged 17 (Hijri), no ID card yet: registration refused (under 18).", REFUSED),
        DemoPerson("turns_18_tomorrow", citizen(6), "بندر عبدالعزيز العنزي", "Bandar Abdulaziz Al-Anazi", M,
                   on_or_after(tomorrow, years=18, calendar=citizen_calendar), "SA",
                   "Citizen who turns 18 (Hijri) tomorrow, with an ID card: refused today, free tomorrow.",
                   REFUSED, **card),
        DemoPerson("no_id_card", citizen(8), "مشعل حمد البقمي", "Mishal Hamad Al-Buqami", M,
                   years_ago(today, 30, days=75), "SA",
                   "Adult citizen without a national ID card: registration refused.", REFUSED),
        DemoPerson("deceased", citizen(9), "سعود محمد الشهري", "Saud Mohammed Al-Shehri", M,
                   years_ago(today, 70, days=10), "SA", "Deceased: registration refused, no service.", REFUSED,
                   status=Person.Status.DECEASED, **card),
        DemoPerson("id_cancelled", citizen(10), "منيرة سعد الجهني", "Munira Saad Al-Juhani", F,
                   years_ago(today, 45, days=90), "SA", "ID cancelled: registration refused, no service.", REFUSED,
                   status=Person.Status.ID_CANCELLED, **card),
        # Holders of the demo accounts.
        DemoPerson("account_pending", citizen(11), "طلال فهد المالكي", "Talal Fahad Al-Malki", M,
                   years_ago(today, 29, days=30), "SA", "Holds DemoPending1 (mobile not confirmed).", ACCOUNT, **card),
        DemoPerson("account_registered", citizen(12), "هيفاء عبدالله الشهراني", "Haifa Abdullah Al-Shahrani", F,
                   years_ago(today, 33, days=140), "SA", "Holds DemoRegistered1 (registered, not activated).",
                   ACCOUNT, **card),
        DemoPerson("account_active", citizen(13), "ياسر محمد العمري", "Yasser Mohammed Al-Omari", M,
                   years_ago(today, 38, days=210), "SA", "Holds DemoActive1 (active).", ACCOUNT, **card),
        DemoPerson("account_suspended", citizen(14), "عادل سعيد البلوي", "Adel Saeed Al-Balawi", M,
                   years_ago(today, 47, days=25), "SA", "Holds DemoSuspended1 (suspended by staff).", ACCOUNT, **card),
        # The Al-Harbi family: the father holds DemoParent1.
        DemoPerson("harbi_father", harbi_father, "سعد محمد الحربي", "Saad Mohammed Al-Harbi", M,
                   years_ago(today, 46, days=45), "SA", "Al-Harbi father; holds DemoParent1 (active).", ACCOUNT, **card),
        DemoPerson("harbi_mother", harbi_mother, "هيا عبدالعزيز المطيري", "Haya Abdulaziz Al-Mutairi", F,
                   years_ago(today, 41, days=160), "SA", "Al-Harbi mother; no account.", FAMILY, **card),
        DemoPerson("harbi_daughter_adult", citizen(22), "ريم سعد الحربي", "Reem Saad Al-Harbi", F,
                   years_ago(today, 20, days=95), "SA", "Al-Harbi daughter over 18, with an ID card.", FAMILY,
                   father_id=harbi_father, mother_id=harbi_mother, **card),
        DemoPerson("harbi_son_under_18", citizen(23), "عبدالرحمن سعد الحربي", "Abdulrahman Saad Al-Harbi", M,
                   on_or_after(today + timedelta(days=30), years=18, calendar=citizen_calendar), "SA",
                   "Al-Harbi son just under 18 (Hijri): turns 18 in 30 days.", FAMILY,
                   father_id=harbi_father, mother_id=harbi_mother),
        DemoPerson("harbi_son_14y10m_tomorrow", citizen(24), "عمر سعد الحربي", "Omar Saad Al-Harbi", M,
                   on_or_after(tomorrow, years=14, months=10, calendar=citizen_calendar), "SA",
                   "Al-Harbi son who reaches 14 years 10 months (Hijri) tomorrow.", FAMILY,
                   father_id=harbi_father, mother_id=harbi_mother),
        # The Al-Ghamdi family.
        DemoPerson("ghamdi_father", ghamdi_father, "عبدالله علي الغامدي", "Abdullah Ali Al-Ghamdi", M,
                   years_ago(today, 48, days=120), "SA", "Al-Ghamdi father; no account.", FAMILY, **card),
        DemoPerson("ghamdi_mother", ghamdi_mother, "نوف سعيد الزهراني", "Nouf Saeed Al-Zahrani", F,
                   years_ago(today, 43, days=35), "SA", "Al-Ghamdi mother; no account.", FAMILY, **card),
        DemoPerson("ghamdi_son_over_18", citizen(32), "سلطان عبدالله الغامدي", "Sultan Abdullah Al-Ghamdi", M,
                   on_or_before(today - timedelta(days=30), years=18, calendar=citizen_calendar), "SA",
                   "Al-Ghamdi son just over 18 (Hijri): turned 18 30 days ago, with an ID card.", FAMILY,
                   father_id=ghamdi_father, mother_id=ghamdi_mother, **card),
        DemoPerson("ghamdi_daughter_with_card", citizen(33), "دانة عبدالله الغامدي", "Dana Abdullah Al-Ghamdi", F,
                   years_ago(today, 16, days=60), "SA", "Al-Ghamdi daughter aged 16 who already has an ID card.", FAMILY,
                   father_id=ghamdi_father, mother_id=ghamdi_mother, **card),
        DemoPerson("ghamdi_daughter_14y10m_today", citizen(34), "لمى عبدالله الغامدي", "Lama Abdullah Al-Ghamdi", F,
                   on_or_before(today, years=14, months=10, calendar=citizen_calendar), "SA",
                   "Al-Ghamdi daughter who reaches 14 years 10 months (Hijri) today.", FAMILY,
                   father_id=ghamdi_father, mother_id=ghamdi_mother),
        # The Al-Qurashi family.
        DemoPerson("qurashi_father", qurashi_father, "ماجد حسن القرشي", "Majed Hassan Al-Qurashi", M,
                   years_ago(today, 44, days=15), "SA", "Al-Qurashi father; no account.", FAMILY, **card),
        DemoPerson("qurashi_mother", qurashi_mother, "أمل فيصل السهلي", "Amal Faisal Al-Sahli", F,
                   years_ago(today, 39, days=220), "SA", "Al-Qurashi mother; no account.", FAMILY, **card),
        DemoPerson("qurashi_son_14y11m", citizen(42), "يوسف ماجد القرشي", "Yousef Majed Al-Qurashi", M,
                   on_or_before(today, years=14, months=11, calendar=citizen_calendar), "SA",
                   "Al-Qurashi son a month past 14 years 10 months (Hijri): 14 years 11 months today.", FAMILY,
                   father_id=qurashi_father, mother_id=qurashi_mother),
        DemoPerson("qurashi_daughter_child", citizen(43), "تالا ماجد القرشي", "Tala Majed Al-Qurashi", F,
                   years_ago(today, 9, days=100), "SA", "Al-Qurashi daughter aged 9.", FAMILY,
                   father_id=qurashi_father, mother_id=qurashi_mother),
        # Resident families (their ages count in Gregorian years).
        DemoPerson("mostafa_father", mostafa_father, "حسن علي مصطفى", "Hassan Ali Mostafa", M,
                   years_ago(today, 45, days=70), "EG", "Mostafa father (resident); no account.", FAMILY, **iqama(320)),
        DemoPerson("mostafa_mother", mostafa_mother, "منى إبراهيم سعيد", "Mona Ibrahim Saeed", F,
                   years_ago(today, 40, days=190), "EG", "Mostafa mother (resident); no account.", FAMILY, **iqama(320)),
        DemoPerson("mostafa_son_14y10m_tomorrow", resident(12), "كريم حسن مصطفى", "Karim Hassan Mostafa", M,
                   on_or_after(tomorrow, years=14, months=10, calendar=resident_calendar), "EG",
                   "Mostafa son (resident) who reaches 14 years 10 months (Gregorian) tomorrow.", FAMILY,
                   father_id=mostafa_father, mother_id=mostafa_mother, **iqama(320)),
        DemoPerson("mostafa_daughter_child", resident(13), "سلمى حسن مصطفى", "Salma Hassan Mostafa", F,
                   years_ago(today, 12, days=30), "EG", "Mostafa daughter (resident) aged 12.", FAMILY,
                   father_id=mostafa_father, mother_id=mostafa_mother, **iqama(320)),
        DemoPerson("menon_father", menon_father, "سوريش بابو مينون", "Suresh Babu Menon", M,
                   years_ago(today, 43, days=110), "IN", "Menon father (resident); no account.", FAMILY, **iqama(180)),
        DemoPerson("menon_mother", menon_mother, "لاكشمي سوريش", "Lakshmi Suresh", F,
                   years_ago(today, 38, days=5), "IN", "Menon mother (resident); no account.", FAMILY, **iqama(180)),
        DemoPerson("menon_daughter_14y10m_today", resident(22), "أنجلي سوريش مينون", "Anjali Suresh Menon", F,
                   on_or_before(today, years=14, months=10, calendar=resident_calendar), "IN",
                   "Menon daughter (resident) who reaches 14 years 10 months (Gregorian) today.", FAMILY,
                   father_id=menon_father, mother_id=menon_mother, **iqama(180)),
    ]


def demo_people_by_key(*, today: date) -> dict[str, DemoPerson]:
    return {person.key: person for person in demo_people(today=today)}


def demo_people_load(*, today: date) -> ImportResult:
    """Create or update the demo people (by national_id); loading twice on one day changes nothing."""
    return person_records_upsert([person.record() for person in demo_people(today=today)])
