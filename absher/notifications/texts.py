"""Each app registers the texts of its notices here, the way a model is registered with the admin.

`absher` knows no app: a notice stores its app (`source`), its kind and the facts its text needs,
and the app's renderer turns them into words in the active language, when the notice is read
(so a notice reads in the reader's language, and a corrected translation reaches old notices
too) and when its SMS is written (in the recipient's language). An app may give its SMS a text
of its own; by default the SMS says what the notice says. An SMS names its sender first ("أبشر:",
"Absher:"): inside the portal that prefix says nothing, so a notice is shown without it.

    texts.register("passports", notice=render)                     # in the app's ready()
    texts.register("civil_affairs", notice=label, sms=sms_text)
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext

Render = Callable[[str, dict], str]


@dataclass(frozen=True)
class Renderers:
    notice: Render
    sms: Render


_registry: dict[str, Renderers] = {}


def register(source: str, *, notice: Render, sms: Render | None = None) -> None:
    _registry[source] = Renderers(notice=notice, sms=sms or notice)


def renderers(source: str) -> Renderers:
    try:
        return _registry[source]
    except KeyError:
        raise LookupError(f"no texts registered for notices of {source!r}") from None


#: The SMS's sender as it starts every SMS text, in each language (the catalogue's "Absher:" too).
SMS_PREFIXES = ("Absher:", "أبشر:")


def without_sms_prefix(text: str) -> str:
    """`text` without the SMS's leading "Absher:" / "أبشر:", its first letter capitalised in English."""
    stripped = text.lstrip()
    for prefix in (gettext("Absher:"), *SMS_PREFIXES):
        if prefix and stripped.startswith(prefix):
            rest = stripped[len(prefix):].lstrip()
            return rest[:1].upper() + rest[1:] if rest[:1].isascii() else rest
    return text


def notice_text(source: str, kind: str, params: dict) -> str:
    """The notice's text in the active language, as the portal shows it (no SMS prefix)."""
    return without_sms_prefix(renderers(source).notice(kind, params or {}))


# A run of digits, Latin letters and the marks inside references, amounts, dates and masked mobiles
# ("PR-2026-000001", "300.00", "05•••••678", "+966"), kept only when it holds a digit.
_VALUE = re.compile(r"\+?[0-9A-Za-z\u2022](?:[0-9A-Za-z\u2022\-/.:,]*[0-9A-Za-z\u2022])?")


def isolate_values(text: str) -> SafeString:
    """`text` escaped, each number, reference or amount in it isolated left to right (<bdi dir="ltr">)."""
    markup = SafeString()
    last = 0
    for match in _VALUE.finditer(text):
        if not any(char.isdigit() for char in match.group()):
            continue
        markup += conditional_escape(text[last:match.start()]) + format_html('<bdi dir="ltr">{}</bdi>', match.group())
        last = match.end()
    return markup + conditional_escape(text[last:])


def sms_text(source: str, kind: str, params: dict) -> str:
    return renderers(source).sms(kind, params or {})
