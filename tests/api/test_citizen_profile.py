"""/api/v1/profile/: the profile page's data and the preferred language, for any signed-in account."""

from datetime import date

import pytest
from django.utils import translation

from accounts.models import AccountState, User
from tests.api.fixtures_citizen import *  # noqa: F403 - the fixtures
from tests.api.fixtures_citizen import as_user, error_of

pytestmark = pytest.mark.django_db

PROFILE = "/api/v1/profile/"
LANGUAGE = "/api/v1/profile/language/"


def test_unauthenticated_is_401_with_the_error_shape(api):
    response = api.get(PROFILE)
    assert response.status_code == 401 and error_of(response)["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")
    api.credentials(HTTP_AUTHORIZATION="Bearer aat_not-a-token")
    assert error_of(api.get(PROFILE))["code"] == "token_invalid"
    assert api.patch(LANGUAGE, {"language": "en"}).status_code == 401


def test_the_profile_as_the_page_shows_it(api, person_factory, user_factory):
    person = person_factory(name_ar="سعد علي", name_en="Saad Ali", birth_date=date(1990, 1, 1))
    user = user_factory(state=AccountState.ACTIVE, person=person, mobile="+966501234567", email="saad@example.com")
    as_user(api, user)
    body = api.get(PROFILE, HTTP_ACCEPT_LANGUAGE="en").json()
    assert body["username"] == user.username and body["email"] == "saad@example.com"
    assert body["masked_mobile"] == "05\u2022\u2022\u2022\u2022\u2022567"
    assert body["state"] == "active" and body["state_label"] == "Active" and body["activated"]
    assert body["language"] == "ar"
    assert body["person"]["national_id"] == person.national_id and body["person"]["name"] == "Saad Ali"
    assert body["person"]["birth_date"]["gregorian"] == "1990-01-01"
    assert body["person"]["birth_date"]["hijri"] == "1410-06-04"
    assert "1990" in body["person"]["birth_date"]["text"] and "1410" in body["person"]["birth_date"]["text"]
    assert body["person"]["nationality"] == "SA" and body["person"]["iqama_expiry"] is None


def test_in_arabic_by_default(api, citizen):
    as_user(api, citizen)
    body = api.get(PROFILE).json()
    with translation.override("ar"):
        assert body["state_label"] == str(AccountState.ACTIVE.label) != "Active"
    assert body["person"]["name"] == citizen.person.name_ar


def test_a_registered_account_sees_its_profile(api, registered):
    as_user(api, registered)
    response = api.get(PROFILE)
    assert response.status_code == 200
    assert response.json()["state"] == "registered" and response.json()["activated"] is False


def test_language_change(api, registered):
    as_user(api, registered)
    response = api.patch(LANGUAGE, {"language": "en"}, format="json")
    assert response.status_code == 200 and response.json()["language"] == "en"
    assert User.objects.get(pk=registered.pk).preferred_language == "en"


@pytest.mark.parametrize("body", [{"language": "fr"}, {}, {"language": ["en"]}, {"language": None}])
def test_language_refused(api, citizen, body):
    as_user(api, citizen)
    response = api.patch(LANGUAGE, body, format="json")
    assert response.status_code == 400 and "language" in error_of(response)["fields"]


def test_queries(api, citizen, django_assert_max_num_queries):
    as_user(api, citizen)
    api.get(PROFILE)
    with django_assert_max_num_queries(4):
        api.get(PROFILE)
