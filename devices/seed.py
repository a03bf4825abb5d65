"""What the staff's groups may see of sessions, devices and passkeys, added after every migrate and
every test flush (post_migrate), like biometrics.seed: the auditors (civil_affairs.seed's group)
read an account's sign-ins. Ending a device (devices.change_device) is granted by hand."""

EXTRA_PERMISSIONS = {
    "Auditors": ["devices.view_device", "passkeys.view_passkey"],
}


def seed_groups(*, using: str = "default") -> None:
    from absher.seeding import groups_grant

    groups_grant(EXTRA_PERMISSIONS, create=False, using=using)
