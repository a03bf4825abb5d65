"""The password policy: one small validator class a rule, listed in AUTH_PASSWORD_VALIDATORS.

The seed's composition rule (upper, lower, digit) is kept as a deliberate deviation from
ASVS 2.1.9; length is counted in characters, any Unicode is accepted and nothing is truncated.
"""

from collections import Counter

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


class MinimumLengthValidator:
    def __init__(self, min_length=8):
        self.min_length = min_length

    def validate(self, password, user=None):
        if len(password) < self.min_length:
            raise ValidationError(
                ngettext(
                    "The password needs at least %(n)d character.",
                    "The password needs at least %(n)d characters.",
                    self.min_length,
                )
                % {"n": self.min_length},
                code="password_too_short",
            )

    def get_help_text(self):
        return _("At least %(n)d characters.") % {"n": self.min_length}


class MaximumLengthValidator:
    def __init__(self, max_length=128):
        self.max_length = max_length

    def validate(self, password, user=None):
        if len(password) > self.max_length:
            raise ValidationError(
                _("The password can have at most %(n)d characters.") % {"n": self.max_length}, code="password_too_long"
            )

    def get_help_text(self):
        return _("At most %(n)d characters.") % {"n": self.max_length}


class CompositionValidator:
    def validate(self, password, user=None):
        if not (
            any(c.isupper() for c in password) and any(c.islower() for c in password) and any(c.isdigit() for c in password)
        ):
            raise ValidationError(
                _("The password needs an upper-case letter, a lower-case letter and a digit."), code="password_composition"
            )

    def get_help_text(self):
        return _("An upper-case letter, a lower-case letter and a digit.")


class UsernameShareValidator:
    """Not more than half of the password may be the username."""

    def validate(self, password, user=None):
        username = (getattr(user, "username", "") or "").lower() if user is not None else ""
        if not username or not password:
            return
        lowered = password.lower()
        longest = _longest_common_substring(lowered, username)
        if longest * 2 > len(password):
            raise ValidationError(_("More than half of the password is your username."), code="password_username")

    def get_help_text(self):
        return _("At most half of the password may be your username.")


class RepeatedCharacterValidator:
    """No character may make up more than half of the password."""

    def validate(self, password, user=None):
        if password and max(Counter(password).values()) * 2 > len(password):
            raise ValidationError(
                _("One character makes up more than half of the password."), code="password_repeated"
            )

    def get_help_text(self):
        return _("No single character may make up more than half of the password.")


def _longest_common_substring(a: str, b: str) -> int:
    best = 0
    previous = [0] * (len(b) + 1)
    for ca in a:
        current = [0] * (len(b) + 1)
        for j, cb in enumerate(b, start=1):
            if ca == cb:
                current[j] = previous[j - 1] + 1
                best = max(best, current[j])
        previous = current
    return best
