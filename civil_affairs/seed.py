"""Reference data the portal needs to work: the starting request types and the staff groups.

Created by migration 0003 and again, idempotently, after every `migrate` and every test
flush (post_migrate), so that a database emptied by a transactional test gets it back.
What staff changed later (texts, requirements) is never overwritten.
"""

GROUP_PERMISSIONS = {
    "Civil affairs officers": [
        "civil_affairs.view_servicerequest", "civil_affairs.change_servicerequest", "civil_affairs.view_person",
        "civil_affairs.view_attachment", "civil_affairs.view_requestmessage", "civil_affairs.view_requestevent",
        "dependents.view_guardianlink",
    ],
    "Civil affairs supervisors": [
        "civil_affairs.view_servicerequest", "civil_affairs.change_servicerequest", "civil_affairs.view_person",
        "civil_affairs.change_person", "civil_affairs.view_attachment", "civil_affairs.view_requestmessage",
        "civil_affairs.view_requestevent", "civil_affairs.view_requesttype", "civil_affairs.change_requesttype",
        "civil_affairs.add_requirement", "civil_affairs.change_requirement", "civil_affairs.delete_requirement",
        "civil_affairs.view_requirement", "dependents.view_guardianlink",
    ],
    "Auditors": [
        "civil_affairs.view_servicerequest", "civil_affairs.view_person", "civil_affairs.view_attachment",
        "civil_affairs.view_requestmessage", "civil_affairs.view_requestevent", "civil_affairs.view_persondataaccess",
        "absher.view_auditevent", "dependents.view_guardianlink",
    ],
}


def seed_reference_data(*, apps=None, **kwargs) -> None:
    from django.apps import apps as global_apps

    apps = apps or global_apps
    try:
        RequestType = apps.get_model("civil_affairs", "RequestType")
        Requirement = apps.get_model("civil_affairs", "Requirement")
    except LookupError:
        return
    from importlib import import_module

    from absher.seeding import groups_grant

    types = import_module("civil_affairs.migrations.0003_request_types_and_groups").TYPES
    for spec in types:
        spec = dict(spec)
        requirements = spec.pop("requirements")
        request_type, created = RequestType.objects.get_or_create(code=spec["code"], defaults=spec)
        if created:
            for position, (kind, text_ar, text_en, mandatory) in enumerate(requirements):
                Requirement.objects.create(
                    request_type=request_type, kind=kind, text_ar=text_ar, text_en=text_en, mandatory=mandatory,
                    position=position,
                )
    groups_grant(GROUP_PERMISSIONS)
