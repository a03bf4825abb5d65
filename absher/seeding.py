"""Staff groups and their permissions, seeded idempotently by each app after migrate and flush."""


def permissions_named(dotted_names, *, using: str = "default") -> list:
    """The Permission rows for "app_label.codename" names; names not (yet) defined are skipped."""
    from django.contrib.auth.models import Permission

    found = []
    for dotted in dotted_names:
        app_label, codename = dotted.split(".")
        permission = Permission.objects.using(using).filter(content_type__app_label=app_label, codename=codename).first()
        if permission is not None:
            found.append(permission)
    return found


def groups_grant(group_permissions: dict, *, create: bool = True, using: str = "default") -> None:
    """Give each group its permissions (adding, never removing what staff granted by hand).
    With create=False only groups that already exist (another app's) are given them."""
    from django.contrib.auth.models import Group

    for name, dotted_names in group_permissions.items():
        if create:
            group, _created = Group.objects.using(using).get_or_create(name=name)
        else:
            group = Group.objects.using(using).filter(name=name).first()
            if group is None:
                continue
        group.permissions.add(*permissions_named(dotted_names, using=using))
