"""Reference data the passports services need: the fee table, the department's request types and
the staff groups. Created idempotently after every `migrate` and every test flush (post_migrate);
what staff changed later (amounts, texts) is never overwritten.
"""

from decimal import Decimal

# (code, Arabic name, English name, amount in SAR, source). The rule modules say which figures
# could be confirmed; every amount can be changed by staff in the admin.
FEES = (
    ("passport_5y", "جواز سفر لمدة 5 سنوات", "Passport, 5 years", Decimal("300"),
     "Jawazat, as reported by Saudi Gazette (fees unchanged: SR300 for 5 years)"),
    ("passport_10y", "جواز سفر لمدة 10 سنوات", "Passport, 10 years", Decimal("600"),
     "Jawazat, as reported by Saudi Gazette (SR600 for 10 years)"),
    ("exit_reentry_single", "تأشيرة خروج وعودة مفردة (حتى شهرين)", "Single exit/re-entry visa (up to two months)",
     Decimal("200"), "Jawazat, as reported by Gulf News, 19 June 2022"),
    ("exit_reentry_single_extra_month", "كل شهر إضافي لتأشيرة الخروج والعودة المفردة",
     "Each further month of a single exit/re-entry visa", Decimal("100"), "Jawazat, as reported by Gulf News, 19 June 2022"),
    ("exit_reentry_multiple", "تأشيرة خروج وعودة متعددة (حتى ثلاثة أشهر)", "Multiple exit/re-entry visa (up to three months)",
     Decimal("500"), "Jawazat, as reported by Gulf News, 19 June 2022"),
    ("exit_reentry_multiple_extra_month", "كل شهر إضافي لتأشيرة الخروج والعودة المتعددة",
     "Each further month of a multiple exit/re-entry visa", Decimal("200"), "Jawazat, as reported by Gulf News, 19 June 2022"),
    ("final_exit", "تأشيرة خروج نهائي", "Final exit visa", Decimal("0"), "Free (Absher service page)"),
    ("iqama_year", "رسوم الإقامة لسنة", "Iqama, one year", Decimal("650"),
     "Issue 5's figure; NOT confirmed against a current official source"),
    ("iqama_late_first", "غرامة تأخير تجديد الإقامة (المرة الأولى)", "Late iqama renewal (first time)", Decimal("500"),
     "Jawazat, as reported by Saudi Gazette and others"),
    ("iqama_late_repeat", "غرامة تأخير تجديد الإقامة (المرة الثانية وما بعدها)", "Late iqama renewal (second time and after)",
     Decimal("1000"), "Jawazat, as reported by Saudi Gazette and others"),
)

REQUEST_TYPES = (
    {
        "code": "absconding_report_cancel",
        "name_ar": "إلغاء بلاغ تغيب عامل",
        "name_en": "Cancel a report of a worker's absence",
        "description_ar": "يُلغى بلاغ التغيب عن العمل من إدارة الجوازات وحدها، خلال 15 يومًا من تاريخ البلاغ.",
        "description_en": "Only the passports department cancels a report of absence from work, within 15 days of the report.",
        "department": "passports",
        "position": 50,
    },
    {
        "code": "passports_inquiry",
        "name_ar": "استفسار للجوازات",
        "name_en": "Inquiry to the passports department",
        "description_ar": "سؤال أو طلب إلى المديرية العامة للجوازات لا تغطيه الخدمات الإلكترونية.",
        "description_en": "A question or request to the General Directorate of Passports that the e-services do not cover.",
        "department": "passports",
        "position": 51,
    },
)

_VIEW = ["passport", "iqamarecord", "iqamarenewal", "visa", "travelrecord", "travelpermit", "abscondingreport",
         "sponsorship", "fine", "fee", "bill", "paymentnotification", "receipt", "expiryreminder"]
_INBOX = ["civil_affairs.view_servicerequest", "civil_affairs.change_servicerequest", "civil_affairs.view_person",
          "civil_affairs.view_attachment", "civil_affairs.view_requestmessage", "civil_affairs.view_requestevent"]

GROUP_PERMISSIONS = {
    "Passport officers": [
        *_INBOX, *(f"passports.view_{name}" for name in _VIEW),
        "passports.add_travelrecord", "passports.change_abscondingreport",
    ],
    "Passport supervisors": [
        *_INBOX, *(f"passports.view_{name}" for name in _VIEW),
        "passports.add_travelrecord", "passports.change_abscondingreport", "passports.change_fee",
        "passports.add_passport", "passports.add_fine", "passports.add_sponsorship", "passports.change_sponsorship",
        "passports.add_iqamarecord", "passports.change_iqamarecord",
    ],
    "Auditors": [*(f"passports.view_{name}" for name in _VIEW)],
}


def seed_reference_data(*, apps=None, **kwargs) -> None:
    from django.apps import apps as global_apps

    apps = apps or global_apps
    try:
        Fee = apps.get_model("passports", "Fee")
        RequestType = apps.get_model("civil_affairs", "RequestType")
    except LookupError:
        return
    for code, name_ar, name_en, amount, source in FEES:
        Fee.objects.get_or_create(code=code, defaults={"name_ar": name_ar, "name_en": name_en, "amount": amount,
                                                       "source": source})
    for spec in REQUEST_TYPES:
        RequestType.objects.get_or_create(code=spec["code"], defaults=spec)
    from absher.seeding import groups_grant

    groups_grant(GROUP_PERMISSIONS)
