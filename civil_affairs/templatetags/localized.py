"""`{{ obj|tr:"name" }}`: the Arabic or English text of a field pair (`name_ar` / `name_en`)."""

from django import template
from django.utils.translation import get_language

register = template.Library()


@register.filter
def tr(obj, field):
    language = "ar" if (get_language() or "ar").startswith("ar") else "en"
    return getattr(obj, f"{field}_{language}", "") or getattr(obj, f"{field}_en", "")
