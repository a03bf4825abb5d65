"""The API's one error shape, for what Django itself refuses too."""

import pytest
from rest_framework.test import APIClient


@pytest.mark.django_db
def test_a_body_over_djangos_cap_answers_413_in_the_error_shape(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = APIClient().post(
        "/api/v1/auth/sign-in/", {"username": "x" * 150, "password": "y" * 200}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 413
    assert response.json() == {"error": {"code": "too_large", "message": "What you sent is too large."}}


@pytest.mark.django_db
def test_an_unknown_route_under_the_api_is_a_json_404():
    response = APIClient().get("/api/v1/no-such-thing/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_unparseable_json_is_a_400_parse_error(db):
    response = APIClient().post("/api/v1/auth/sign-in/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"
