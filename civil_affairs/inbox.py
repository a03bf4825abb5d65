"""The request inbox's registry of behaviours, the way models are registered with the admin.

The inbox knows no service app: an app that owns a request type registers a behaviour for
its code (`inbox.register(AddDependentRequest)` in its AppConfig.ready), and the inbox calls
the behaviour's form, checks and approval through this small interface. What staff may
edit about a type (texts, requirements, department) is data in `RequestType`.
"""

from dataclasses import dataclass, field
from datetime import date

from django import forms


@dataclass(frozen=True)
class Refusal:
    """Why a request cannot be filed (or approved): reason codes, a text for each, and the
    date from which time will fix it, if it will."""

    reasons: tuple[str, ...]
    messages: tuple[str, ...] = ()
    allowed_from: date | None = None
    details: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Choice:
    """One thing the applicant may pick before the form (for example one of their sons and
    daughters), with the refusal that stands in its way, if any: a refused one never reaches
    the form."""

    value: str
    label: str
    refusal: Refusal | None = None
    details: dict = field(default_factory=dict)

    @property
    def allowed(self) -> bool:
        return self.refusal is None


class RequestNotAllowed(Exception):
    def __init__(self, refusal: Refusal):
        super().__init__(refusal.reasons)
        self.refusal = refusal


class RequestBehaviour:
    """What a request type does. Subclasses set `code` and override what they need."""

    code: str = ""
    #: Extra fields of the request form (for example the dependent's ID number), or None.
    form_class: type[forms.Form] | None = None
    #: Shown before the form (template path) to say who may file and what happens next.
    explanation_template: str = ""

    #: The form field the applicant picks before the form (`choices`), or "" when there is none.
    choice_field: str = ""
    #: The page that lists the choices (template path), with `choices` and `request_type`.
    choice_template: str = ""

    def precheck(self, *, applicant, today: date) -> None:
        """The checks that need nothing from the form, run before it is shown (and again on
        submit, by `check`): raise RequestNotAllowed, and the form is never shown."""

    def choices(self, *, applicant, today: date) -> list[Choice]:
        """What the applicant picks before the form, each with its refusal, if any."""
        return []

    def check_choice(self, *, applicant, value: str, today: date) -> None:
        """The checks a picked value faces before the form (the same as on submit)."""
        self.check(applicant=applicant, data={self.choice_field: value}, today=today)

    def subject(self, *, applicant, data: dict):
        """The registry person the request is about, if any (from the cleaned form data)."""
        return None

    def check(self, *, applicant, data: dict, today: date) -> None:
        """Raise RequestNotAllowed when this applicant may not file this request today."""

    def approve(self, *, request, actor, today: date) -> None:
        """What approval does (inside the approval's transaction). Raise RequestNotAllowed to refuse."""

    def summary(self, *, request) -> list[tuple[str, str]]:
        """Label/value pairs of the request's data, for the citizen's and staff's pages."""
        return []


_registry: dict[str, RequestBehaviour] = {}


def register(behaviour_class: type[RequestBehaviour]) -> type[RequestBehaviour]:
    if not behaviour_class.code:
        raise ValueError("a request behaviour needs a code")
    _registry[behaviour_class.code] = behaviour_class()
    return behaviour_class


def behaviour_for(code: str) -> RequestBehaviour:
    """The registered behaviour, or the plain one (a description and attachments, nothing more)."""
    return _registry.get(code) or RequestBehaviour()


def registered_codes() -> set[str]:
    return set(_registry)
