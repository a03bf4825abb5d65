import pytest


@pytest.mark.django_db
def test_home_renders_in_arabic_by_default(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert b'lang="ar"' in response.content and b'dir="rtl"' in response.content
