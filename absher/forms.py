"""Form pieces every app uses: digits typed in Arabic-Indic are read as Western digits."""

from django import forms

ARABIC_INDIC = "٠١٢٣٤٥٦٧٨٩"
EXTENDED_ARABIC_INDIC = "۰۱۲۳۴۵۶۷۸۹"
_DIGITS = str.maketrans(ARABIC_INDIC + EXTENDED_ARABIC_INDIC, "0123456789" * 2)


def normalize_digits(value: str) -> str:
    return value.translate(_DIGITS)


class DigitsField(forms.CharField):
    """A number typed as text (ID, mobile, code): leading zeros matter, any digit script accepted."""

    def __init__(self, *, autocomplete="off", **kwargs):
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "numeric", "autocomplete": autocomplete, "dir": "ltr"})

    def to_python(self, value):
        value = super().to_python(value)
        return normalize_digits(value).replace(" ", "")
