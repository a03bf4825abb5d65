"""The steps of the portal's multi-step flows, shown above each of their pages (GOV.UK's "step by
step"): where the citizen is, what came before and what happens next.

`{% load steps %}{% steps "registration" 2 %}` renders `templates/includes/steps.html` with the flow's
steps, the second one current (1-based); steps before it are done, those after it to come.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

FLOWS = {
    "registration": (
        _("Your details"),
        _("Confirm your mobile"),
        _("Signed in"),
        _("Activate at a kiosk"),
    ),
    "paid_service": (
        _("Application"),
        _("Bill"),
        _("Payment"),
        _("Receipt"),
    ),
    "request": (
        _("Sent"),
        _("In review"),
        _("Decided"),
    ),
}


@dataclass(frozen=True)
class Step:
    number: int
    label: str
    state: str  # "done", "current" or "todo"


def flow_steps(flow: str, current: int) -> list[Step]:
    """The steps of `flow` with the `current` one (1-based) marked; past the last means all done."""
    labels = FLOWS[flow]
    steps = []
    for number, label in enumerate(labels, 1):
        state = "done" if number < current else "current" if number == current else "todo"
        steps.append(Step(number, label, state))
    return steps
