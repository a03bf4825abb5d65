"""The service catalogue on the home page. An entry without a URL name says "coming soon"."""

from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class CatalogueEntry:
    title: str
    description: str
    icon: str
    url_name: str = ""

    @property
    def url(self) -> str:
        if not self.url_name:
            return ""
        return _reverse(self.url_name, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)


# The home page reads each entry's URL up to three times, on every visit; the answer changes only
# with the URL configuration and the prefix the site is mounted at (both part of the key).
@lru_cache(maxsize=64)
def _reverse(url_name: str, prefix: str, urlconf) -> str:
    try:
        return reverse(url_name, urlconf=urlconf)
    except NoReverseMatch:
        return ""


@receiver(setting_changed)
def _forget_urls(**kwargs):
    """A test that swaps the URL configuration or a setting it reads gets fresh URLs."""
    _reverse.cache_clear()


CATALOGUE = (
    CatalogueEntry(_("Register a new account"), _("Create your Absher account with your ID or iqama number."), "person-plus", "accounts:register"),
    CatalogueEntry(_("My account"), _("Your data, language, password and e-mail."), "person-vcard", "accounts:profile"),
    CatalogueEntry(_("Civil Affairs"), _("Requests to civil affairs: dependents, newborns, ID cards, family record."), "people", "civil_affairs:home"),
    CatalogueEntry(_("Passports"), _("Issue and renew passports and iqamas, visas, travel permits."), "passport", "passports:home"),
    CatalogueEntry(_("Iqama validity"), _("Check whether an iqama is valid."), "card-checklist", "passports:iqama-validity"),
    CatalogueEntry(_("Activation and registration centres"), _("Self-service kiosks by region, to activate your account."), "fingerprint", "biometrics:centre-list"),
)


def service_catalogue():
    return CATALOGUE
