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


def seed_groups(*, using: str = "default") -> None:
    from absher.seeding import groups_grant

    groups_grant(GROUP_PERMISSIONS, using=using)
    groups_grant(EXTRA_PERMISSIONS, create=False, using=using)
