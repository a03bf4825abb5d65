"""devices.rules: what a citizen recognises of a browser or an app, and the digest that is stored."""

import hashlib

import pytest

from devices import rules

AGENTS = [
    ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
     "Chrome on Android"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 "
     "Mobile/15E148 Safari/604.1", "Safari on iPhone"),
    ("Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 "
     "Safari/604.1", "Safari on iPad"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 "
     "Mobile/15E148 Safari/604.1", "Chrome on iPhone"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/133.0 "
     "Mobile/15E148 Safari/605.1.15", "Firefox on iPhone"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 "
     "EdgiOS/131.0.2903.68 Mobile/15E148 Safari/605.1.15", "Edge on iPhone"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
     "Chrome on Windows"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 "
     "Edg/131.0.2903.86", "Edge on Windows"),
    ("Mozilla/5.0 (Linux; Android 10; HD1913) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 Mobile "
     "Safari/537.36 EdgA/131.0.2903.70", "Edge on Android"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox on Windows"),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox on Linux"),
    ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chromium/131.0.0.0 Chrome/131.0.0.0 "
     "Safari/537.36", "Chromium on Linux"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
     "Safari on macOS"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
     "Safari/537.36 OPR/115.0.0.0", "Opera on macOS"),
    ("Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 "
     "Chrome/122.0.0.0 Mobile Safari/537.36", "Samsung Internet on Android"),
    ("Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
     "Chrome on ChromeOS"),
    # Only one of the two is recognised: that one alone.
    ("SomeBot/1.0 (Windows NT 10.0)", "Windows"),
    ("Firefox/133.0", "Firefox"),
    ("curl/8.5.0", ""),
    ("", ""),
]


@pytest.mark.parametrize(("user_agent", "name"), AGENTS, ids=[name or "unknown" for _, name in AGENTS])
def test_browser_name(user_agent, name):
    assert rules.browser_name(user_agent) == name


def test_browser_name_of_nothing():
    assert rules.browser_name(None) == ""
    assert rules.browser_parts(None) == ("", "")


def test_browser_parts():
    assert rules.browser_parts(AGENTS[0][0]) == ("Chrome", "Android")


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("Pixel 8", "Pixel 8"),
        ("  iPhone 15 Pro  ", "iPhone 15 Pro"),
        ("جوال أحمد", "جوال أحمد"),
        ("Evil\nline\x00\u202e", "Evilline"),
        ("x" * 150, "x" * 100),
        ("", ""),
        (None, ""),
    ],
)
def test_app_device_name_is_printable_and_short(given, kept):
    assert rules.app_device_name(given) == kept


def test_digest_is_sha256_hex():
    assert rules.digest("abc") == hashlib.sha256(b"abc").hexdigest()
    assert len(rules.digest("x")) == 64
