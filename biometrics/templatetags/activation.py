"""`{% load activation %}{% activation_of account as activation %}`: when, how and where an account
was activated, for pages of apps below biometrics (the profile) that must not import it."""

from django import template

from ..selectors import activation_of as _activation_of

register = template.Library()


@register.simple_tag
def activation_of(user):
    return _activation_of(user)


@register.filter
def activation_place(activation):
    """Where (the kiosk's site and city) in the active language, or ""."""
    from django.utils.translation import get_language

    return activation.place("ar" if (get_language() or "ar").startswith("ar") else "en") if activation else ""
