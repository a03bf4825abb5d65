from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from accounts.models import AccountState


class SignedIn(BasePermission):
    """A signed-in citizen, activated or not (profile, language, notices, the account's controls)."""

    message = _("Sign in first.")

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated)


class ActiveCitizen(SignedIn):
    """E-services wait for activation at a kiosk, as on the pages (accounts.decorators)."""

    message = _("Your account is not activated yet. Activate it at a self-service kiosk to use e-services.")

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        if request.user.state != AccountState.ACTIVE:
            from .errors import ApiError

            raise ApiError("account_not_activated", str(self.message), 403)
        return True
