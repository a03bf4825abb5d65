"""Issue 11: the add-dependent checks that need no form run before it. The parent picks a son or
daughter from the registry's list, each shown with whether they can be added and, if not, why and
what to do; the form is never shown for a refused one; the service still checks on submit."""

import uuid
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from accounts.models import AccountState
from civil_affairs import inbox
from civil_affairs import selectors as registry
from civil_affairs.models import RequestStatus, RequestType, ServiceRequest
from civil_affairs.templatetags.calendars import dual_date
from dependents import eligibility as e
from dependents.behaviours import reason_text
from dependents.models import GuardianLink

pytestmark = pytest.mark.django_db

ADD = "add_dependent"


@pytest.fixture
def behaviour():
    return inbox.behaviour_for(ADD)


@pytest.fixture
def family(person_factory, user_factory, today):
    """A father with: a son 20 days short of 14 years 10 months, an eligible daughter, a son who
    holds his ID card, an adult son, and a daughter already added."""
    father = person_factory(sex="M", birth_date=date(1970, 5, 1), name_en="Saad Alharbi")
    mother = person_factory(sex="F", birth_date=date(1975, 5, 1))
    staff = user_factory(state=AccountState.ACTIVE, is_staff=True)
    account = user_factory(state=AccountState.ACTIVE, person=father)

    def child(sex, birth_date, name, **fields):
        fields.setdefault("national_id_issued", False)
        return person_factory(sex=sex, birth_date=birth_date, father=father, mother=mother, name_en=name,
                              name_ar=name, **fields)

    def born_reaching(years, months, on):
        # A birth date whose (Hijri) anniversary of years/months falls exactly on `on`, or the day
        # before when none does: the 30th of a Hijri month is nobody's anniversary when the birth
        # month had 29 days (the anniversary is clamped to the 29th). A day earlier keeps every
        # child on the same side of its edge (20 days short becomes 19; reached stays reached).
        for target in (on, on - timedelta(days=1)):
            guess = target - timedelta(days=round(years * 354.37 + months * 29.53))
            for shift in range(-40, 41):
                birth = guess + timedelta(days=shift)
                if registry.ages.anniversary(birth, years=years, months=months, calendar="hijri") == target:
                    return birth
        raise AssertionError("no such birth date")

    young = child("M", born_reaching(14, 10, today + timedelta(days=20)), "Omar")
    daughter = child("F", born_reaching(14, 10, today - timedelta(days=30)), "Salma")
    carded = child("M", born_reaching(16, 0, today - timedelta(days=3)), "Fahad", national_id_issued=True)
    added = child("F", born_reaching(15, 6, today), "Reem")
    GuardianLink.objects.create(guardian=father, dependent=added, guardian_account=account, relation="father",
                                created_by=staff)

    class Family:
        pass

    f = Family()
    f.account, f.father, f.mother, f.staff = account, father, mother, staff
    f.young, f.daughter, f.carded, f.added = young, daughter, carded, added
    f.child = child
    return f


def english(client, user):
    client.force_login(user)
    client.cookies["absher_language"] = "en"


def new_url(query=""):
    return reverse("civil_affairs:request-new", args=[ADD]) + query


# --- the rule's texts -------------------------------------------------------------------------


@pytest.mark.parametrize(("sex", "words"), [("M", "Your son can"), ("F", "Your daughter can"), (None, "A son or daughter")])
def test_the_wait_names_son_or_daughter_when_known(sex, words):
    decision = e.Decision(allowed=False, reasons=(e.TOO_YOUNG,), eligible_from=date(2027, 3, 1), eligible_until=None,
                          relation="father")
    with translation.override("en"):
        dated = reason_text(e.TOO_YOUNG, decision, sex=sex)
        plain = reason_text(e.TOO_YOUNG, None, sex=sex)
        assert dated.startswith(words) and dual_date(date(2027, 3, 1)) in dated
        assert plain.startswith(words) and "2027" not in plain


# --- the choices ------------------------------------------------------------------------------


def test_each_child_with_its_decision(behaviour, family, today):
    with translation.override("en"):
        choices = {choice.value: choice for choice in behaviour.choices(applicant=family.account, today=today)}
    assert set(choices) == {p.national_id for p in (family.young, family.daughter, family.carded, family.added)}
    assert choices[family.daughter.national_id].allowed
    young = choices[family.young.national_id].refusal
    # 20 days ahead, or 19 when no birth date reaches 14 years 10 months exactly then (born_reaching).
    assert young.reasons == (e.TOO_YOUNG,) and young.allowed_from in (today + timedelta(days=20), today + timedelta(days=19))
    assert young.allowed_from == registry.ages.anniversary(family.young.birth_date, years=14, months=10, calendar="hijri")
    with translation.override("en"):
        assert young.messages[0].startswith("Your son can be added") and dual_date(young.allowed_from) in young.messages[0]
    assert choices[family.carded.national_id].refusal.reasons == (e.HOLDS_NATIONAL_ID,)
    assert choices[family.added.national_id].refusal.reasons == (e.ALREADY_ADDED,)
    assert choices[family.added.national_id].details["already_added"]


def test_the_same_decisions_as_on_submit(behaviour, family, today):
    """The list and the submit check agree child by child (one rule, reused)."""
    for choice in behaviour.choices(applicant=family.account, today=today):
        if choice.allowed:
            behaviour.check(applicant=family.account, data={"dependent_national_id": choice.value}, today=today)
        else:
            with pytest.raises(inbox.RequestNotAllowed) as caught:
                behaviour.check(applicant=family.account, data={"dependent_national_id": choice.value}, today=today)
            assert caught.value.refusal.reasons == choice.refusal.reasons


def test_an_open_request_shows_as_pending(behaviour, family, today):
    request_type = RequestType.objects.get(code=ADD)
    ServiceRequest.objects.create(
        request_type=request_type, department=request_type.department, applicant=family.account,
        subject=family.daughter, status=RequestStatus.IN_REVIEW, description="x", submission_key=uuid.uuid4(),
        reference="CA-2026-990001",
    )
    choice = next(c for c in behaviour.choices(applicant=family.account, today=today)
                  if c.value == family.daughter.national_id)
    assert choice.refusal.reasons == (e.PENDING_REQUEST,) and choice.details["pending"]


def test_a_fixed_number_of_queries_however_many_children(behaviour, family, today):
    with CaptureQueriesContext(connection) as few:
        behaviour.choices(applicant=family.account, today=today)
    for n in range(6):
        family.child("F", date(2012, 1, 1 + n), f"Extra {n}")
    with CaptureQueriesContext(connection) as many:
        assert len(behaviour.choices(applicant=family.account, today=today)) == 10
    assert len(many) == len(few) <= 4


def test_no_person_no_choices(behaviour, user_factory, today):
    account = user_factory(state=AccountState.ACTIVE)
    assert behaviour.choices(applicant=account, today=today) == []


# --- the pages --------------------------------------------------------------------------------


def test_the_list_comes_before_the_form(client, family):
    english(client, family.account)
    page = client.get(new_url())
    html = page.content.decode()
    assert page.status_code == 200 and page.templates[0].name == "dependents/add_dependent_choose.html"
    assert 'id="id_description"' not in html and 'type="file"' not in html
    for person in (family.young, family.daughter, family.carded, family.added):
        assert f'id="choice-{person.national_id}"' in html
        assert f'<bdi dir="ltr" class="text-nowrap">{person.national_id}</bdi>' in html
    # The eligible daughter leads to the form; the others say why, with no way into it.
    assert f'href="?dependent_national_id={family.daughter.national_id}"' in html
    for person in (family.young, family.carded, family.added):
        assert f"dependent_national_id={person.national_id}\"" not in html
    with translation.override("en"):
        assert escape(dual_date(registry.person_reaches(family.young, years=14, months=10))) in html
    assert "Your son can be added" in html and "Your daughter" in html and "Saudi Arabia" in html
    assert reverse("dependents:dependent-list") in html  # the one already added: where to see her


def test_a_refused_child_never_reaches_the_form(client, family):
    english(client, family.account)
    page = client.get(new_url(f"?dependent_national_id={family.young.national_id}"))
    html = page.content.decode()
    assert page.templates[0].name == "civil_affairs/request_refused.html"
    assert 'id="id_description"' not in html and "Your son can be added" in html
    assert f'href="{new_url()}"' in html  # back to the list
    assert not ServiceRequest.objects.exists()


def test_someone_elses_child_is_not_listed(client, family, person_factory):
    stranger = person_factory(sex="F", birth_date=date(2008, 1, 1), national_id_issued=False)
    english(client, family.account)
    page = client.get(new_url(f"?dependent_national_id={stranger.national_id}"))
    assert page.templates[0].name == "dependents/add_dependent_choose.html"
    assert "does not record you as the father or mother" in page.content.decode()


@pytest.mark.parametrize("junk", ["abc", "1" * 5000, "1000000001\x00", "\u202e1000000001"])
def test_junk_choices_are_the_list_again(client, family, junk):
    english(client, family.account)
    page = client.get(new_url(), {"dependent_national_id": junk})
    assert page.status_code == 200 and page.templates[0].name == "dependents/add_dependent_choose.html"


def test_the_chosen_child_then_the_form(client, family, committed):
    english(client, family.account)
    page = client.get(new_url(f"?dependent_national_id={family.daughter.national_id}"))
    html = page.content.decode()
    assert page.templates[0].name == "civil_affairs/request_new.html"
    assert 'id="id_description"' in html and "Your daughter" in html and family.daughter.name_en in html
    assert f'type="hidden" name="dependent_national_id" value="{family.daughter.national_id}"' in html
    # A missing description: the form again, still about her.
    again = client.post(new_url(), {"dependent_national_id": family.daughter.national_id,
                                    "submission_key": str(uuid.uuid4())})
    assert again.status_code == 200 and family.daughter.name_en in again.content.decode()
    with committed():
        response = client.post(new_url(), {"dependent_national_id": family.daughter.national_id,
                                           "description": "Please add Salma", "submission_key": str(uuid.uuid4())})
    filed = ServiceRequest.objects.get()
    assert response.url == reverse("civil_affairs:request-detail", args=[filed.reference])
    assert filed.subject == family.daughter


def test_the_service_still_refuses_on_submit(client, family):
    """A hand-made POST for a refused child is refused by the service's own check."""
    english(client, family.account)
    response = client.post(new_url(), {"dependent_national_id": family.young.national_id,
                                       "description": "Add Omar", "submission_key": str(uuid.uuid4())})
    assert response.templates[0].name == "civil_affairs/request_refused.html"
    assert response.context["refusal"].reasons == (e.TOO_YOUNG,)
    assert not ServiceRequest.objects.exists()


def test_a_parent_with_no_children_in_the_registry(client, user_factory):
    account = user_factory(state=AccountState.ACTIVE)
    english(client, account)
    html = client.get(new_url()).content.decode()
    assert "The civil registry records no son or daughter of yours." in html


def test_dependents_page_names_son_daughter_and_nationality(client, family):
    english(client, family.account)
    html = client.get(reverse("dependents:dependent-list")).content.decode()
    assert "Your daughter" in html and "Saudi Arabia" in html and ">SA<" not in html
    assert f'<bdi dir="ltr" class="text-nowrap">{family.added.national_id}</bdi>' in html
