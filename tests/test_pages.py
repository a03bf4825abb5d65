"""The base layout, the language switcher, the catalogue and the contact page."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_switcher_remembers_english_and_back(client):
    response = client.post(reverse("set-language"), {"language": "en", "next": "/contact/"})
    assert response.status_code == 302 and response.url == "/contact/"
    assert response.cookies["absher_language"]["httponly"]
    page = client.get("/contact/")
    assert b'lang="en"' in page.content and b'dir="ltr"' in page.content
    client.post(reverse("set-language"), {"language": "ar", "next": "/"})
    assert b'dir="rtl"' in client.get("/").content


def test_switcher_refuses_foreign_redirects_and_unknown_languages(client):
    response = client.post(reverse("set-language"), {"language": "fr", "next": "https://evil.example/"})
    assert response.url == "/"
    assert "absher_language" not in response.cookies


def test_switcher_saves_the_choice_on_the_account(client, user_factory):
    user = user_factory(preferred_language="ar")
    client.force_login(user)
    client.post(reverse("set-language"), {"language": "en", "next": "/"})
    user.refresh_from_db()
    assert user.preferred_language == "en"


def test_catalogue_links_every_service_that_exists(client):
    from absher.catalogue import CATALOGUE

    client.post(reverse("set-language"), {"language": "en"})
    body = client.get("/").content.decode()
    for entry in CATALOGUE:
        assert entry.url and entry.url in body, entry.title
    assert "Coming soon" not in body


def test_contact_page_numbers(client):
    body = client.get("/contact/").content.decode()
    assert "920020405" in body and "+966 11 461 8666" in body and "@" in body


def test_static_assets_are_local(client):
    body = client.get("/").content.decode()
    assert "/static/vendor/bootstrap/css/bootstrap.rtl.min.css" in body
    assert "//cdn" not in body and "https://" not in body
