"""The request types the inbox starts with (texts and requirements are data staff edit),
and the staff groups of the civil affairs department."""

from django.db import migrations

TYPES = [
    {
        "code": "add_dependent",
        "name_ar": "إضافة تابع",
        "name_en": "Add a dependent",
        "description_ar": "يضيف الأب أو الأم الابن أو البنت من سن 14 سنة و10 أشهر (الابن حتى 18 سنة) ممن لا يحمل هوية وطنية.",
        "description_en": "A father or mother adds a son or daughter from 14 years and 10 months (a son until 18) who holds no national ID card.",
        "department": "civil_affairs",
        "position": 1,
        "requirements": [
            ("birth_certificate", "شهادة الميلاد", "Birth certificate", True),
            ("family_record", "سجل الأسرة", "Family record", True),
            ("photo", "صورة شخصية حديثة للتابع بخلفية بيضاء", "A recent photo of the dependent on a white background", True),
        ],
    },
    {
        "code": "register_newborn",
        "name_ar": "تسجيل مولود",
        "name_en": "Register a newborn",
        "description_ar": "تسجيل مولود جديد في سجل الأسرة.",
        "description_en": "Register a newborn child in the family record.",
        "department": "civil_affairs",
        "position": 2,
        "requirements": [
            ("birth_certificate", "تبليغ الولادة من المستشفى", "The hospital's birth notification", True),
            ("family_record", "سجل الأسرة", "Family record", True),
        ],
    },
    {
        "code": "renew_national_id",
        "name_ar": "تجديد بطاقة الهوية الوطنية",
        "name_en": "Renew the national ID card",
        "description_ar": "يمكن التجديد خلال 180 يومًا قبل انتهاء البطاقة.",
        "description_en": "A card can be renewed in the last 180 days before it expires.",
        "department": "civil_affairs",
        "position": 3,
        "requirements": [
            ("photo", "صورة شخصية حديثة بخلفية بيضاء", "A recent photo on a white background", True),
        ],
    },
    {
        "code": "update_family_record",
        "name_ar": "تحديث سجل الأسرة",
        "name_en": "Update the family record",
        "description_ar": "تعديل بيانات في سجل الأسرة (الحالة الاجتماعية، المهنة، العنوان).",
        "description_en": "Change data in the family record (marital status, occupation, address).",
        "department": "civil_affairs",
        "position": 4,
        "requirements": [
            ("family_record", "سجل الأسرة", "Family record", True),
            ("other", "المستند المؤيد للتعديل", "The document that supports the change", False),
        ],
    },
    {
        "code": "general_inquiry",
        "name_ar": "استفسار أو شكوى",
        "name_en": "Inquiry or complaint",
        "description_ar": "اكتب استفسارك أو شكواك لإدارة الأحوال المدنية.",
        "description_en": "Write your inquiry or complaint to civil affairs.",
        "department": "civil_affairs",
        "position": 9,
        "requirements": [],
    },
]

GROUPS = {
    "Civil affairs officers": ["view_servicerequest", "change_servicerequest", "view_person", "view_attachment",
                               "view_requestmessage", "view_requestevent"],
    "Civil affairs supervisors": ["view_servicerequest", "change_servicerequest", "view_person", "change_person",
                                  "view_attachment", "view_requestmessage", "view_requestevent",
                                  "view_requesttype", "change_requesttype", "add_requirement",
                                  "change_requirement", "delete_requirement", "view_requirement"],
    "Auditors": ["view_servicerequest", "view_person", "view_attachment", "view_requestmessage",
                 "view_requestevent", "view_persondataaccess", "view_auditevent"],
}


def forwards(apps, schema_editor):
    RequestType = apps.get_model("civil_affairs", "RequestType")
    Requirement = apps.get_model("civil_affairs", "Requirement")
    for spec in TYPES:
        spec = dict(spec)
        requirements = spec.pop("requirements")
        request_type, created = RequestType.objects.get_or_create(code=spec["code"], defaults=spec)
        if created:
            for position, (kind, text_ar, text_en, mandatory) in enumerate(requirements):
                Requirement.objects.create(
                    request_type=request_type, kind=kind, text_ar=text_ar, text_en=text_en,
                    mandatory=mandatory, position=position,
                )


def groups(apps, schema_editor):
    # Permissions exist only after post_migrate; create them now so the groups can hold them.
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*Permission.objects.filter(codename__in=codenames))


class Migration(migrations.Migration):
    dependencies = [
        ("civil_affairs", "0002_requesttype_person_national_id_expiry_requestmessage_and_more"),
        ("absher", "0003_audit_append_only"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]
    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.RunPython(groups, migrations.RunPython.noop),
    ]
