"""Behaviours of civil affairs' own request types (dependents registers its own)."""

from datetime import date, timedelta

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .inbox import Refusal, RequestBehaviour, RequestNotAllowed, register
from .templatetags.calendars import dual_date

# Ministry of Interior: a national ID card may be renewed in the 180 days before it expires.
ID_RENEWAL_WINDOW = timedelta(days=180)
ID_CARD_VALIDITY_YEARS = 10


class NewbornForm(forms.Form):
    child_name_ar = forms.CharField(label=gettext_lazy("Child's name in Arabic"), max_length=100)
    child_name_en = forms.CharField(label=gettext_lazy("Child's name in English"), max_length=100)
    child_sex = forms.ChoiceField(label=gettext_lazy("Sex"), choices=[("M", gettext_lazy("Male")), ("F", gettext_lazy("Female"))])
    child_birth_date = forms.DateField(
        label=gettext_lazy("Date of birth"), widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("As on the hospital's birth notification."),
    )

    def clean_child_birth_date(self):
        from django.utils import timezone

        born = self.cleaned_data["child_birth_date"]
        if born > timezone.localdate():
            raise forms.ValidationError(_("A date of birth cannot be in the future."), code="future")
        return born


@register
class RegisterNewbornRequest(RequestBehaviour):
    code = "register_newborn"
    form_class = NewbornForm

    def summary(self, *, request):
        data = request.data
        sex = {"M": _("Male"), "F": _("Female")}.get(data.get("child_sex"), "")
        born = date.fromisoformat(data["child_birth_date"]) if data.get("child_birth_date") else None
        return [
            (_("Child's name in Arabic"), data.get("child_name_ar", "")),
            (_("Child's name in English"), data.get("child_name_en", "")),
            (_("Sex"), sex),
            (_("Date of birth"), dual_date(born) if born else ""),
        ]


@register
class RenewNationalIdRequest(RequestBehaviour):
    code = "renew_national_id"

    def subject(self, *, applicant, data):
        return applicant.person

    def precheck(self, *, applicant, today):
        # The renewal's rules read the registry alone, never the form: all of them run before it.
        self.check(applicant=applicant, data={}, today=today)

    def check(self, *, applicant, data, today):
        person = applicant.person
        if person is None or not person.is_citizen or not person.national_id_issued:
            raise RequestNotAllowed(Refusal(("no_national_id_card",), (_("Only a citizen who holds a national ID card can renew it."),)))
        expiry = person.national_id_expiry
        if expiry and today < expiry - ID_RENEWAL_WINDOW:
            opens = expiry - ID_RENEWAL_WINDOW
            raise RequestNotAllowed(
                Refusal(
                    ("too_early",),
                    (_("Your card expires on %(expiry)s. You can renew it from %(opens)s.") % {
                        "expiry": dual_date(expiry), "opens": dual_date(opens)},),
                    allowed_from=opens,
                )
            )

    def approve(self, *, request, actor, today):
        from .services_registry import person_national_id_renew

        self.check(applicant=request.applicant, data=request.data, today=today)
        person_national_id_renew(person=request.applicant.person, today=today, actor=actor, years=ID_CARD_VALIDITY_YEARS)

    def summary(self, *, request):
        person = request.applicant.person
        return [(_("Card expiry"), dual_date(person.national_id_expiry) if person and person.national_id_expiry else "")]


class FamilyRecordForm(forms.Form):
    change = forms.ChoiceField(
        label=gettext_lazy("What to update"),
        choices=[
            ("marital_status", gettext_lazy("Marital status")),
            ("occupation", gettext_lazy("Occupation")),
            ("address", gettext_lazy("Address")),
            ("other", gettext_lazy("Something else")),
        ],
    )


@register
class UpdateFamilyRecordRequest(RequestBehaviour):
    code = "update_family_record"
    form_class = FamilyRecordForm

    def subject(self, *, applicant, data):
        return applicant.person

    def summary(self, *, request):
        labels = dict(FamilyRecordForm.base_fields["change"].choices)
        return [(_("What to update"), str(labels.get(request.data.get("change"), "")))]


@register
class GeneralInquiryRequest(RequestBehaviour):
    code = "general_inquiry"
