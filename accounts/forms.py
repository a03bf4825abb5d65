from captcha.fields import CaptchaField, CaptchaTextInput
from crispy_forms.bootstrap import PrependedText
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout
from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from absher.forms import DigitsField
from civil_affairs.identity import validate_id_number

from . import rules
from .models import User


class CodeForm(forms.Form):
    code = DigitsField(
        label=_("Verification code"),
        max_length=12,
        autocomplete="one-time-code",
        help_text=_("The 6 digits of the SMS we sent you."),
        error_messages={"required": _("Enter the code from the SMS.")},
    )

    def clean_code(self):
        code = self.cleaned_data["code"]
        if len(code) != settings.OTP_LENGTH or not code.isdigit():
            raise ValidationError(_("The code has %(n)d digits.") % {"n": settings.OTP_LENGTH}, code="code_format")
        return code


def page_language() -> str:
    """The page's language as one of LANGUAGES ("en-us" -> "en"); the portal's default otherwise."""
    codes = [code for code, _label in settings.LANGUAGES]
    active = (get_language() or settings.LANGUAGE_CODE).lower()
    for code in codes:
        if active == code or active.startswith(f"{code}-"):
            return code
    return settings.LANGUAGE_CODE


def _id_field():
    return DigitsField(
        label=_("ID or iqama number"),
        max_length=14,
        help_text=_("10 digits: a national ID starts with 1, an iqama with 2."),
        error_messages={"required": _("Enter your ID or iqama number.")},
        validators=[],
    )


def _mobile_field():
    field = DigitsField(
        label=_("Mobile number"),
        max_length=16,
        autocomplete="tel-national",
        help_text=_("The 9 digits without the leading zero, e.g. 5XXXXXXXX."),
        error_messages={"required": _("Enter your mobile number.")},
    )
    field.widget.attrs["inputmode"] = "tel"
    return field


def _helper_with_phone_prefix(form):
    """Fields in order, the mobile with +966 before it (the number is typed without it)."""
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    helper.layout = Layout(
        *[PrependedText(name, "+966", wrapper_class="phone-field") if name == "mobile" else name for name in form.fields]
    )
    return helper


def _email_fields(first_label, second_label):
    """The e-mail typed twice."""
    invalid = _("Enter a valid e-mail, e.g. name@example.com.")
    return (
        forms.EmailField(
            label=first_label,
            widget=forms.EmailInput(attrs={"autocomplete": "email", "dir": "ltr"}),
            error_messages={"required": _("Enter your e-mail."), "invalid": invalid},
        ),
        forms.EmailField(
            label=second_label,
            widget=forms.EmailInput(attrs={"autocomplete": "email", "dir": "ltr"}),
            error_messages={"required": _("Type your e-mail again."), "invalid": invalid},
        ),
    )


def _check_emails(form, cleaned):
    if cleaned.get("email") and cleaned.get("email2") and cleaned["email"].lower() != cleaned["email2"].lower():
        form.add_error("email2", ValidationError(_("The two e-mails are not the same."), code="email_mismatch"))


def _captcha_field():
    # The answer box is named for screen readers: the field's legend is not a <label> for it.
    return CaptchaField(
        label=_("Type the characters in the image"),
        widget=CaptchaTextInput(attrs={"aria-label": _("Characters in the image"), "dir": "ltr"}),
        error_messages={"invalid": _("The characters do not match the image. Try the new image.")},
    )


class PasswordPairMixin:
    """Two password fields checked against the policy in AUTH_PASSWORD_VALIDATORS."""

    def _check_passwords(self, user):
        password1 = self.cleaned_data.get("password1")
        password2 = self.cleaned_data.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", ValidationError(_("The two passwords are not the same."), code="password_mismatch"))
        if password1:
            try:
                password_validation.validate_password(password1, user)
            except ValidationError as errors:
                self.add_error("password1", errors)


def password_fields(first_label, *, autocomplete="new-password", max_length=None):
    """A new password typed twice (the pair PasswordPairMixin checks)."""
    return (
        forms.CharField(
            label=first_label,
            strip=False,
            max_length=max_length,
            widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
            help_text=_("8 to 128 characters, with an upper-case letter, a lower-case letter and a digit."),
            error_messages={"required": _("Enter a password.")},
        ),
        forms.CharField(
            label=_("Password again"),
            strip=False,
            max_length=max_length,
            widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
            error_messages={"required": _("Type the password again.")},
        ),
    )


class RegistrationForm(PasswordPairMixin, forms.Form):
    national_id = _id_field()
    mobile = _mobile_field()
    username = forms.CharField(
        label=_("Username"),
        max_length=30,
        help_text=_("8 to 30 English letters and digits, starting with a letter, with upper case, lower case and a digit."),
        widget=forms.TextInput(attrs={"autocomplete": "username", "dir": "ltr", "autocapitalize": "none"}),
        error_messages={"required": _("Choose a username.")},
    )
    password1, password2 = password_fields(_("Password"))
    email, email2 = _email_fields(_("E-mail"), _("E-mail again"))
    language = forms.ChoiceField(
        label=_("Preferred language"),
        choices=settings.LANGUAGES,
        widget=forms.RadioSelect,
        help_text=_("The language of your SMS messages and of the portal."),
    )
    captcha = _captcha_field()
    terms = forms.BooleanField(
        label=_("I have read and accept the terms of use"),
        error_messages={"required": _("Accept the terms of use to register.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper_with_phone_prefix(self)
        # Whoever reads the form in English wants English: the SMS and the portal after sign-in follow it.
        self.fields["language"].initial = page_language()

    # Only what the typing itself shows is checked here. Whether the ID number, the mobile or
    # the username is free is the service's answer, given after the captcha and counted per
    # client address (QUALITY 25): the view calls it only when this form is valid.
    def clean_national_id(self):
        national_id = self.cleaned_data["national_id"]
        validate_id_number(national_id)
        return national_id

    def clean_mobile(self):
        return rules.normalize_mobile(self.cleaned_data["mobile"])

    def clean_username(self):
        username = self.cleaned_data["username"]
        rules.validate_username(username)
        return username

    def clean(self):
        cleaned = super().clean()
        _check_emails(self, cleaned)
        self._check_passwords(User(username=cleaned.get("username", ""), email=cleaned.get("email", "")))
        return cleaned


class LoginForm(forms.Form):
    identifier = forms.CharField(
        label=_("Username or ID number"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "dir": "ltr", "autocapitalize": "none"}),
        error_messages={"required": _("Enter your username or ID number.")},
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        max_length=256,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": _("Enter your password.")},
    )

    def clean_identifier(self):
        from absher.forms import normalize_digits

        return normalize_digits(self.cleaned_data["identifier"].strip())


class PasswordResetStartForm(forms.Form):
    national_id = _id_field()
    mobile = _mobile_field()
    captcha = _captcha_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper_with_phone_prefix(self)

    def clean_national_id(self):
        national_id = self.cleaned_data["national_id"]
        validate_id_number(national_id)
        return national_id

    def clean_mobile(self):
        return rules.normalize_mobile(self.cleaned_data["mobile"])


class NewPasswordForm(PasswordPairMixin, forms.Form):
    password1, password2 = password_fields(_("New password"))

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        password1 = cleaned.get("password1")
        if password1 and self.user.check_password(password1):
            self.add_error("password1", ValidationError(_("Choose a password different from your current one."), code="password_unchanged"))
            return cleaned
        self._check_passwords(self.user)
        return cleaned


class PasswordChangeForm(NewPasswordForm):
    current_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": _("Enter your current password.")},
    )
    field_order = ["current_password", "password1", "password2"]

    def clean_current_password(self):
        current = self.cleaned_data["current_password"]
        if not self.user.check_password(current):
            raise ValidationError(_("Your current password is incorrect."), code="password_incorrect")
        return current


class EmailChangeForm(forms.Form):
    email, email2 = _email_fields(_("New e-mail"), _("New e-mail again"))

    def clean(self):
        cleaned = super().clean()
        _check_emails(self, cleaned)
        return cleaned


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Preferred language"), choices=settings.LANGUAGES, widget=forms.RadioSelect)


class StaffReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=1000)
