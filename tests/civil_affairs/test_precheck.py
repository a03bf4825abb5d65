"""Issue 11: a request type whose checks need nothing from the form refuses before the form, on the
list of types and on its own page, and still on submit."""

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from accounts.models import AccountState
from civil_affairs import inbox
from civil_affairs.behaviours import ID_RENEWAL_WINDOW
from civil_affairs.models import ServiceRequest
from civil_affairs.templatetags.calendars import dual_date

pytestmark = pytest.mark.django_db
RENEW = "renew_national_id"


@pytest.fixture
def early(person_factory, user_factory, today):
    """A citizen whose card expires a day after the renewal window opens tomorrow."""
    person = person_factory(national_id_expiry=today + ID_RENEWAL_WINDOW + timedelta(days=1))
    return user_factory(state=AccountState.ACTIVE, person=person)


@pytest.fixture
def due(person_factory, user_factory, today):
    person = person_factory(national_id_expiry=today + ID_RENEWAL_WINDOW)  # the window opens today
    return user_factory(state=AccountState.ACTIVE, person=person)


def test_the_precheck_at_the_window_edge(early, due, today):
    behaviour = inbox.behaviour_for(RENEW)
    with pytest.raises(inbox.RequestNotAllowed) as caught:
        behaviour.precheck(applicant=early, today=today)
    assert caught.value.refusal.allowed_from == today + timedelta(days=1)
    behaviour.precheck(applicant=due, today=today)


def test_a_type_without_prechecks_passes(early, today):
    inbox.behaviour_for("general_inquiry").precheck(applicant=early, today=today)
    inbox.behaviour_for("register_newborn").precheck(applicant=early, today=today)


def test_the_list_of_types_says_why_and_offers_no_form(client, early, today):
    client.force_login(early)
    client.cookies["absher_language"] = "en"
    html = client.get(reverse("civil_affairs:request-type-list")).content.decode()
    assert f'href="{reverse("civil_affairs:request-new", args=[RENEW])}"' not in html
    assert f'href="{reverse("civil_affairs:request-new", args=["general_inquiry"])}"' in html
    with translation.override("en"):
        assert "You cannot send this request now:" in html
        assert escape(dual_date(today + timedelta(days=1))).replace("(", "") in html.replace("(", "")  # Sha&#x27;ban


def test_the_type_page_refuses_before_the_form(client, early, due):
    url = reverse("civil_affairs:request-new", args=[RENEW])
    client.force_login(early)
    page = client.get(url)
    assert page.templates[0].name == "civil_affairs/request_refused.html"
    assert 'id="id_description"' not in page.content.decode()
    posted = client.post(url, {"description": "Renew", "submission_key": str(uuid.uuid4())})
    assert posted.templates[0].name == "civil_affairs/request_refused.html"
    assert not ServiceRequest.objects.exists()
    client.force_login(due)
    assert client.get(url).templates[0].name == "civil_affairs/request_new.html"
