from django import forms
from django.utils.translation import gettext_lazy as _

from absher.forms import DigitsField
from civil_affairs.identity import validate_id_number


class AddDependentForm(forms.Form):
    """The add-dependent request's own field: whom to add."""

    dependent_national_id = DigitsField(
        label=_("Dependent's ID number"),
        help_text=_("The 10 digits of your son's or daughter's ID number (or iqama number), as in the family record."),
        max_length=10,
        error_messages={"required": _("Enter the dependent's ID number.")},
    )

    def clean_dependent_national_id(self):
        number = self.cleaned_data["dependent_national_id"]
        validate_id_number(number)
        return number
