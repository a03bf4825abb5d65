"""The forms of the passports services: they check input; the rules decide."""

import uuid

from captcha.fields import CaptchaField, CaptchaTextInput
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from absher.forms import DigitsField
from civil_affairs.identity import RESIDENT, validate_id_number

from . import dates
from .models import Passport, TravelPermit, Visa
from .rules import passport as passport_rules
from .rules import passport_delivery
from .rules import visas as visa_rules

OFFICES = [
    ("", _("Choose an office")),
    ("riyadh", _("Riyadh passports office")),
    ("jeddah", _("Jeddah passports office")),
    ("makkah", _("Makkah passports office")),
    ("madinah", _("Madinah passports office")),
    ("dammam", _("Dammam passports office")),
    ("abha", _("Abha passports office")),
    ("tabuk", _("Tabuk passports office")),
    ("hail", _("Hail passports office")),
]
DATE_INPUT = forms.DateInput(attrs={"type": "date", "dir": "ltr"}, format="%Y-%m-%d")


class ServiceForm(forms.Form):
    """Every service form carries a submission key: a double click makes one bill."""

    submission_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("submission_key", uuid.uuid4())

    def params(self) -> dict:
        """What the service needs, as JSON (it goes into the bill when the service costs money)."""
        return {}


class PassportForm(ServiceForm):
    years = forms.TypedChoiceField(
        label=_("Validity"),
        choices=lambda: [(years, ngettext("%(years)d year", "%(years)d years", years) % {"years": years})
                         for years in passport_rules.VALIDITIES],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the passport's validity.")},
    )
    delivery = forms.ChoiceField(
        label=_("How to receive the passport"),
        choices=Passport.Delivery.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how to receive the passport.")},
    )
    office = forms.ChoiceField(label=_("Passports office (for collection)"), choices=OFFICES, required=False)

    def clean(self):
        data = super().clean()
        if data.get("delivery") and passport_delivery.office_problem(data["delivery"], data.get("office", "")):
            self.add_error("office", ValidationError(_("Choose the office to collect the passport from."), code="office_required"))
        return data

    def params(self):
        data = self.cleaned_data
        return {"years": data["years"], "delivery": data["delivery"],
                "office": passport_delivery.office_kept(data["delivery"], data["office"])}


class IqamaForm(ServiceForm):
    years = forms.TypedChoiceField(
        label=_("Period"),
        choices=[(1, _("One year")), (2, _("Two years"))],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the period.")},
    )

    def params(self):
        return {"years": self.cleaned_data["years"]}


def _months_choices():
    return [(months, ngettext("%(months)d month", "%(months)d months", months) % {"months": months})
            for months in visa_rules.MONTHS]


class ExitReentryForm(ServiceForm):
    kind = forms.ChoiceField(
        label=_("Type of visa"),
        choices=[(Visa.Kind.SINGLE, Visa.Kind.SINGLE.label), (Visa.Kind.MULTIPLE, Visa.Kind.MULTIPLE.label)],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the type of visa.")},
    )
    months = forms.TypedChoiceField(label=_("Duration"), choices=_months_choices, coerce=int,
                                    help_text=_("Counted from the day of travel. The visa must be used within 90 days."))

    def params(self):
        return {"kind": self.cleaned_data["kind"], "months": self.cleaned_data["months"]}


class VisaExtendForm(ServiceForm):
    months = forms.TypedChoiceField(label=_("Extend by"), choices=_months_choices, coerce=int)

    def __init__(self, *args, visa_number: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.visa_number = visa_number

    def params(self):
        return {"visa": self.visa_number, "months": self.cleaned_data["months"]}


class ConfirmForm(ServiceForm):
    confirm = forms.BooleanField(
        label=_("I have read the conditions and confirm the request."),
        error_messages={"required": _("Tick the box to confirm.")},
    )


class FinalExitForm(ConfirmForm):
    pass


class TravelPermitForm(ServiceForm):
    destination = forms.ChoiceField(label=_("Destination"), choices=TravelPermit.Destination.choices, widget=forms.RadioSelect,
                                    initial=TravelPermit.Destination.ALL)
    valid_until = forms.DateField(label=_("Valid until (inclusive)"), widget=DATE_INPUT,
                                  help_text=_("The permit starts today; it cannot outlast the passport or the 21st birthday."),
                                  error_messages={"required": _("Enter the permit's last day."),
                                                  "invalid": _("Enter a date such as 2027-01-31.")})

    def params(self):
        return {"destination": self.cleaned_data["destination"], "valid_until": self.cleaned_data["valid_until"].isoformat()}


class AbscondingForm(ConfirmForm):
    last_seen_on = forms.DateField(label=_("Last day the worker was at work"), widget=DATE_INPUT,
                                   error_messages={"required": _("Enter the last day the worker was at work."),
                                                   "invalid": _("Enter a date such as 2027-01-31.")})
    confirm = forms.BooleanField(
        label=_("I confirm the worker is absent from work. I know that a report can be cancelled only at the passports "
                "department within 15 days, and after that the worker is deported."),
        error_messages={"required": _("Tick the box to confirm.")},
    )
    field_order = ["last_seen_on", "confirm"]

    def clean_last_seen_on(self):
        day = self.cleaned_data["last_seen_on"]
        if day > timezone.localdate():
            raise ValidationError(_("This date is in the future."), code="future")
        return day

    def params(self):
        return {"last_seen_on": self.cleaned_data["last_seen_on"].isoformat()}


class VisaInquiryForm(forms.Form):
    number = DigitsField(label=_("Visa number"), max_length=10, min_length=10,
                         error_messages={"required": _("Enter the visa number."),
                                         "min_length": _("A visa number has 10 digits.")})


class EitherCalendarDateField(forms.CharField):
    """A date typed in the Gregorian or the Hijri calendar: the year tells which (passports.dates)."""

    default_error_messages = {
        "invalid": _("Enter a date as year-month-day, Gregorian (2027-01-31) or Hijri (1448-08-22)."),
        "hijri_out_of_range": _("The year is neither a Gregorian year nor a Hijri year from 1343 to 1500."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.TextInput(attrs={"dir": "ltr", "autocomplete": "off", "spellcheck": "false",
                                                           "placeholder": "YYYY-MM-DD", "maxlength": "12",
                                                           "class": "date-either"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return None
        try:
            day, _calendar = dates.parse_either(text)
        except dates.DateNotUnderstood as exc:
            raise ValidationError(self.error_messages[exc.code], code=exc.code) from None
        return day


class TravelRecordFilterForm(forms.Form):
    person = forms.ChoiceField(label=_("Traveller"), required=False)
    date_from = EitherCalendarDateField(label=_("From"), required=False,
                                        help_text=_("Gregorian or Hijri, year-month-day: 2027-01-31 or 1448-08-22."))
    date_to = EitherCalendarDateField(label=_("To"), required=False,
                                      help_text=_("Gregorian or Hijri, year-month-day: 2027-01-31 or 1448-08-22."))

    def __init__(self, *args, people=(), language="ar", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [("", _("Everyone"))] + [
            (acting.person.national_id, acting.person.display_name(language)) for acting in people
        ]

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", ValidationError(_("The end date is before the start date."), code="dates_order"))
        return data


class IqamaValidityForm(forms.Form):
    iqama_number = DigitsField(label=_("Iqama number"), max_length=10,
                               help_text=_("The 10 digits of the iqama number, starting with 2."),
                               error_messages={"required": _("Enter the iqama number.")})
    # The same accessible captcha as registration (its answer box is named for screen readers).
    captcha = CaptchaField(
        label=_("Type the characters in the image"),
        widget=CaptchaTextInput(attrs={"aria-label": _("Characters in the image"), "dir": "ltr"}),
        error_messages={"invalid": _("The characters do not match the image. Try the new image.")},
    )

    def clean_iqama_number(self):
        number = self.cleaned_data["iqama_number"]
        if validate_id_number(number) != RESIDENT:
            raise ValidationError(_("An iqama number starts with 2."), code="not_iqama")
        return number

