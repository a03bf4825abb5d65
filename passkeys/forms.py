from django import forms
from django.utils.translation import gettext_lazy as _

from . import rules


class PasskeyNameForm(forms.Form):
    name = forms.CharField(
        label=_("Name of the passkey"),
        max_length=rules.NAME_MAX_LENGTH,
        help_text=_("A name you will recognise, such as the phone or computer that keeps it."),
        error_messages={"required": _("Enter a name for the passkey.")},
    )

    def clean_name(self):
        name = rules.clean_name(self.cleaned_data["name"])
        if not name:
            raise forms.ValidationError(_("Enter a name for the passkey."), code="required")
        return name
