from django.template import Context, Template
from django.utils import translation

from absher.steps import FLOWS, flow_steps
from absher.templatetags.country_names import country_name


def test_steps_before_the_current_are_done_and_after_it_to_come():
    states = [step.state for step in flow_steps("paid_service", 3)]
    assert states == ["done", "done", "current", "todo"]


def test_past_the_last_step_every_step_is_done():
    assert {step.state for step in flow_steps("request", len(FLOWS["request"]) + 1)} == {"done"}


def test_the_steps_tag_marks_the_current_step_for_assistive_technology():
    with translation.override("en"):
        html = Template('{% load steps %}{% steps "registration" 2 %}').render(Context())
    assert html.count('aria-current="step"') == 1
    assert "Step 2 of 4:" in html and "Confirm your mobile" in html
    assert html.index("Your details") < html.index("Confirm your mobile") < html.index("Activate at a kiosk")


def test_a_nationality_code_reads_as_the_country_in_the_language():
    with translation.override("ar"):
        assert country_name("in") == "الهند"
    with translation.override("en"):
        assert country_name("SA") == "Saudi Arabia"


def test_an_unknown_or_missing_code_is_shown_as_it_is():
    assert country_name("ZZ") == "ZZ"
    assert country_name(None) == ""
