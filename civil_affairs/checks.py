"""System checks: attachments have a storage of their own, and a deployment is told when that storage
is one machine's disk."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from . import storage


@register()
def check_attachment_storage(app_configs, **kwargs):
    if storage.ALIAS not in settings.STORAGES:
        return [Error(
            f'STORAGES has no "{storage.ALIAS}" storage: uploads and downloads of attachments would fail',
            hint='Add "attachments": {"BACKEND": "civil_affairs.storage.PrivateFileSystemStorage"} or an S3 storage.',
            id="civil_affairs.E001",
        )]
    return []


@register(Tags.files, deploy=True)
def check_attachments_are_shared(app_configs, **kwargs):
    """A Warning, not an Error: one machine serving everything may keep the files on its disk."""
    if storage.ALIAS not in settings.STORAGES or settings.DEBUG:
        return []
    from django.core.files.storage import FileSystemStorage

    if isinstance(storage.backend(), FileSystemStorage):
        return [Warning(
            "attachments are on this machine's disk (PRIVATE_FILES_ROOT): a second web or worker machine would "
            "not see them",
            hint="Set ATTACHMENTS_S3_BUCKET (absher/settings/production.py); a single-machine deployment may "
                 'silence this check (SILENCED_SYSTEM_CHECKS = ["civil_affairs.W001"]).',
            id="civil_affairs.W001",
        )]
    return []
