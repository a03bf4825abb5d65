"""The client's address behind trusted proxies: junk in X-Forwarded-For never reaches the audit trail."""

import pytest
from django.test import RequestFactory

from absher.request_info import client_address


@pytest.mark.parametrize(
    ("forwarded", "proxies", "expected"),
    [
        ("", 0, "10.0.0.9"),
        ("203.0.113.7", 1, "203.0.113.7"),
        ("198.51.100.1, 203.0.113.7", 1, "203.0.113.7"),
        ("198.51.100.1, 203.0.113.7", 2, "198.51.100.1"),
        ("2001:db8::1", 1, "2001:db8::1"),
        ("203.0.113.7", 2, "10.0.0.9"),  # fewer hops than proxies: the peer
        ("a\x00b", 1, "10.0.0.9"),  # junk, not an address: the peer
        ("1.2.3.4\n5.6.7.8", 1, "10.0.0.9"),
        ("x" * 10_000, 1, "10.0.0.9"),
    ],
)
def test_client_address(settings, forwarded, proxies, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR="10.0.0.9")
    assert client_address(request) == expected


def test_junk_forwarded_for_on_a_failed_sign_in_is_no_server_error(client, settings, db):
    settings.TRUSTED_PROXY_COUNT = 1
    response = client.post("/accounts/login/", {"username": "Nobody2026", "password": "Wrong2026x"},
                           HTTP_X_FORWARDED_FOR="a\x00b")
    assert response.status_code == 200
