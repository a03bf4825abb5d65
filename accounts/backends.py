from django.contrib.auth.backends import ModelBackend

from .models import User
from .selectors import user_by_identifier, user_by_pk


class UsernameOrNationalIdBackend(ModelBackend):
    """Password check by username (any case) or ID number. The portal's sign-in goes through
    accounts.services.login_begin, which adds lockout and the one-time code; this backend is
    what django.contrib.auth.login records in the session."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        user = user_by_identifier(username or "")
        if user is None:
            # One hash for an unknown identifier too, as Django's ModelBackend does: timing tells nothing.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id):
        """The signed-in user of a request (django.contrib.auth's get_user asks this on every
        signed-in request): ModelBackend's answer, read with SQL compiled once (selectors.user_by_pk)."""
        user = user_by_pk(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
