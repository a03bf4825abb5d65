"""The kiosk operators' group and what it may do, re-created idempotently after every migrate
and every test flush (post_migrate), like civil_affairs.seed. Permissions added by hand later
are kept; the auditors' group (civil_affairs.seed) also gets to read the enrollment record.
"""

GROUP_PERMISSIONS = {
    "Kiosk operators": [
        "biometrics.view_kiosk", "biometrics.add_kiosk", "biometrics.change_kiosk",
        "biometrics.view_enrollmentattempt", "biometrics.view_matchthrottle",
    ],
}
# Groups another app creates; ours only adds to them if they exist.
EXTRA_PERMISSIONS = {
    "Auditors": ["biometrics.view_kiosk", "biometrics.view_enrollmentattempt"],
}


def _permissions(dotted_names, using):
    from django.contrib.auth.models import Permission

    found = []
    for dotted in dotted_names:
        app_label, codename = dotted.split(".")
        permission = Permission.objects.using(using).filter(content_type__app_label=app_label, codename=codename).first()
        if permission is not None:
            found.append(permission)
    return found


def seed_groups(*, using: str = "default") -> None:
    from django.contrib.auth.models import Group

    for name, permissions in GROUP_PERMISSIONS.items():
        group, _created = Group.objects.using(using).get_or_create(name=name)
        group.permissions.add(*_permissions(permissions, using))
    for name, permissions in EXTRA_PERMISSIONS.items():
        group = Group.objects.using(using).filter(name=name).first()
        if group is not None:
            group.permissions.add(*_permissions(permissions, using))
