"""`{% load country_names %}{{ code|country_name }}`: an ISO 3166 code (a nationality) as the country's name in the active
language, from django-countries' catalogues ("SA" -> "المملكة العربية السعودية" / "Saudi Arabia").
An unknown code is shown as it is rather than hidden."""

from django import template
from django_countries import countries

register = template.Library()


def country_name(code: str | None) -> str:
    code = (code or "").strip().upper()
    if not code:
        return ""
    return str(countries.name(code)) or code


register.filter("country_name", country_name)
