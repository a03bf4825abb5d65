"""The kiosk operators' and fingerprint adjudicators' groups and what they may do, re-created
idempotently after every migrate and every test flush (post_migrate), like civil_affairs.seed.
Permissions added by hand later are kept; the auditors' group (civil_affairs.seed) also gets to
read the enrollment record and the duplicate cases, and the civil affairs supervisors to decide
the cases.
"""

OPERATORS = "Kiosk operators"
ADJUDICATORS = "Fingerprint adjudicators"
DUPLICATE_CASES_DECIDE = ["biometrics.view_duplicatecase", "biometrics.change_duplicatecase", "biometrics.view_deduprequest"]

GROUP_PERMISSIONS = {
    OPERATORS: [
        "biometrics.view_kiosk", "biometrics.add_kiosk", "biometrics.change_kiosk",
        "biometrics.view_enrollmentattempt", "biometrics.view_matchthrottle",
    ],
    ADJUDICATORS: DUPLICATE_CASES_DECIDE,
}
# Groups another app creates; ours only adds to them if they exist.
EXTRA_PERMISSIONS = {
    "Auditors": ["biometrics.view_kiosk", "biometrics.view_enrollmentattempt", "biometrics.view_duplicatecase",
                 "biometrics.view_deduprequest"],
    "Civil affairs supervisors": DUPLICATE_CASES_DECIDE,
}


def seed_groups(*, using: str = "default") -> None:
    from absher.seeding import groups_grant

    groups_grant(GROUP_PERMISSIONS, using=using)
    groups_grant(EXTRA_PERMISSIONS, create=False, using=using)
