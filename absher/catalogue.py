"""The service catalogue on the home page. An entry without a URL name says "coming soon"."""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
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
        try:
            return reverse(self.url_name)
        except NoReverseMatch:
            return ""


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
