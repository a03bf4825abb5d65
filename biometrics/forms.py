from crispy_forms.bootstrap import PrependedText
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from absher.forms import DigitsField, normalize_digits
from accounts import rules
from accounts import selectors as account_selectors
from accounts.forms import CodeForm, PasswordPairMixin, password_fields
from accounts.models import User
from civil_affairs.identity import validate_id_number
from civil_affairs.selectors import person_by_national_id

from . import fingerprint
from .models import EnrollmentPurpose, Kiosk, Region
from .readers.simulated import FAULTS

# Nothing typed at a kiosk may stay in the browser's autofill for the next citizen.
KIOSK_INPUT = {"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}

FINGER_LABELS = {
    fingerprint.RIGHT_THUMB: _("Right thumb"),
    fingerprint.RIGHT_INDEX: _("Right index finger"),
    fingerprint.RIGHT_MIDDLE: _("Right middle finger"),
    fingerprint.RIGHT_RING: _("Right ring finger"),
    fingerprint.RIGHT_LITTLE: _("Right little finger"),
    fingerprint.LEFT_THUMB: _("Left thumb"),
    fingerprint.LEFT_INDEX: _("Left index finger"),
    fingerprint.LEFT_MIDDLE: _("Left middle finger"),
    fingerprint.LEFT_RING: _("Left ring finger"),
    fingerprint.LEFT_LITTLE: _("Left little finger"),
}
FAULT_LABELS = {"no_finger": _("No finger on the reader"), "poor_quality": _("Poor quality"), "unplugged": _("Reader unplugged")}


class CentreRegionForm(forms.Form):
    region = forms.ChoiceField(label=_("Region"), choices=[("", _("Choose a region"))] + list(Region.choices))


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=settings.LANGUAGES)


class MenuForm(forms.Form):
    purpose = forms.ChoiceField(choices=EnrollmentPurpose.choices)


def _digits(label, help_text, required_message, max_length=14):
    field = DigitsField(label=label, max_length=max_length, help_text=help_text, error_messages={"required": required_message})
    field.widget.attrs.update({**KIOSK_INPUT, "inputmode": "numeric", "data-keypad": "1"})
    return field


class KioskIdForm(forms.Form):
    national_id = _digits(
        _("ID or iqama number"), _("10 digits: a national ID starts with 1, an iqama with 2."), _("Enter your ID or iqama number.")
    )

    def clean_national_id(self):
        national_id = self.cleaned_data["national_id"]
        validate_id_number(national_id)
        if person_by_national_id(national_id) is None:
            raise ValidationError(
                _("This ID number is not in the civil registry. Check the number, or visit a civil affairs office."),
                code="not_in_registry",
            )
        return national_id


class SimulatorForm(forms.Form):
    """What the simulated reader presents (development and demos only)."""

    presented_id = DigitsField(label=_("Whose finger (ID number)"), max_length=10, required=False)
    finger = forms.ChoiceField(label=_("Which finger"), choices=list(FINGER_LABELS.items()), initial=fingerprint.RIGHT_INDEX)
    fault = forms.ChoiceField(
        label=_("Simulate a reader error"), choices=[("", _("None"))] + [(f, FAULT_LABELS[f]) for f in FAULTS], required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["presented_id"].widget.attrs.update({**KIOSK_INPUT, "class": "form-control"})
        self.fields["finger"].widget.attrs["class"] = "form-select"
        self.fields["fault"].widget.attrs["class"] = "form-select"


class TermsForm(forms.Form):
    accept = forms.BooleanField(
        label=_("I have read and accept the terms"),
        error_messages={"required": _("Accept the terms to continue.")},
    )


class _MobileForm(forms.Form):
    mobile = _digits(
        _("Mobile number"), _("The 9 digits without the leading zero, e.g. 5XXXXXXXX."), _("Enter your mobile number."), 16
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        # The number is typed without +966, which reads before it (left to right) in both languages.
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(PrependedText("mobile", "+966", wrapper_class="phone-field"))


class AccountMobileForm(_MobileForm):
    """The mobile typed must be the account's (the code goes there)."""

    def clean_mobile(self):
        mobile = rules.normalize_mobile(self.cleaned_data["mobile"])
        if mobile != self.user.mobile:
            raise ValidationError(
                _("This is not the mobile number of your account. Enter the number you registered with, or change a lost number from the first screen."),
                code="mobile_not_account",
            )
        return mobile


class NewMobileForm(_MobileForm):
    def clean_mobile(self):
        mobile = rules.normalize_mobile(self.cleaned_data["mobile"])
        if mobile == self.user.mobile:
            raise ValidationError(_("This is already your account's mobile number."), code="mobile_unchanged")
        if account_selectors.mobile_taken(mobile):
            raise ValidationError(
                _("This mobile number belongs to another account. Each mobile number serves one account."), code="mobile_taken"
            )
        return mobile


class KioskCodeForm(CodeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update({**KIOSK_INPUT, "data-keypad": "1"})


class KioskCredentialsForm(forms.Form):
    identifier = forms.CharField(
        label=_("Username or ID number"),
        max_length=150,
        widget=forms.TextInput(attrs={**KIOSK_INPUT, "dir": "ltr"}),
        error_messages={"required": _("Enter your username or ID number.")},
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        max_length=256,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        error_messages={"required": _("Enter your password.")},
    )

    def clean_identifier(self):
        return normalize_digits(self.cleaned_data["identifier"].strip())


class KioskClaimForm(PasswordPairMixin, forms.Form):
    """The owner's own username and password on the account they take over at the kiosk."""

    username = forms.CharField(
        label=_("Username"),
        max_length=30,
        help_text=_("8 to 30 English letters and digits, starting with a letter, with upper case, lower case and a digit."),
        widget=forms.TextInput(attrs={**KIOSK_INPUT, "dir": "ltr"}),
        error_messages={"required": _("Choose a username.")},
    )
    # No autocomplete on a machine many people use.
    password1, password2 = password_fields(_("Password"), autocomplete="off", max_length=256)

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_username(self):
        username = self.cleaned_data["username"]
        rules.validate_username(username)
        # The account's own username may stay: the owner may have set it up themselves.
        if account_selectors.username_taken(username, exclude_pk=self.user.pk):
            raise ValidationError(_("This username is taken. Choose another."), code="username_taken")
        return username

    def clean(self):
        cleaned = super().clean()
        self._check_passwords(User(username=cleaned.get("username", "")))
        return cleaned


class ProvisionForm(forms.Form):
    kiosk = forms.ModelChoiceField(
        label=_("The kiosk this device is"), queryset=Kiosk.objects.order_by("region", "serial"),
        error_messages={"required": _("Choose the kiosk.")},
    )


class OutOfServiceForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300, error_messages={"required": _("Say why the kiosk is out of service.")})
