from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _account_closed(sender, user, **kwargs):
    from .services import passkeys_delete_all

    passkeys_delete_all(user=user)


class PasskeysConfig(AppConfig):
    name = "passkeys"
    verbose_name = _("Passkeys")

    def ready(self):
        from accounts.signals import account_closed

        # A closed account keeps no way in: its passkeys go with its devices.
        account_closed.connect(_account_closed, dispatch_uid="passkeys.account_closed")
