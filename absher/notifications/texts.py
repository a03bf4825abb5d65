"""Each app registers the texts of its notices here, the way a model is registered with the admin.

`absher` knows no app: a notice stores its app (`source`), its kind and the facts its text needs,
and the app's renderer turns them into words in the active language, when the notice is read
(so a notice reads in the reader's language, and a corrected translation reaches old notices
too) and when its SMS is written (in the recipient's language). An app may give its SMS a text
of its own; by default the SMS says what the notice says.

    texts.register("passports", notice=render)                     # in the app's ready()
    texts.register("civil_affairs", notice=label, sms=sms_text)
"""

from collections.abc import Callable
from dataclasses import dataclass

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


def notice_text(source: str, kind: str, params: dict) -> str:
    return renderers(source).notice(kind, params or {})


def sms_text(source: str, kind: str, params: dict) -> str:
    return renderers(source).sms(kind, params or {})
