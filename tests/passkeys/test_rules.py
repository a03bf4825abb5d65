import pytest

from passkeys import rules


@pytest.mark.parametrize(
    ("stored", "received", "ok"),
    [
        (0, 0, True),  # an authenticator that keeps no counter (synced passkeys)
        (0, 1, True),
        (5, 6, True),
        (5, 5, False),  # the same count again: a copy used in between, or a replay
        (5, 4, False),  # going back: a cloned authenticator
        (5, 0, False),  # a counter that stops at 0 after it counted
        (0, 2**32 - 1, True),
        (2**32 - 2, 2**32 - 1, True),
    ],
)
def test_sign_count_ok(stored, received, ok):
    assert rules.sign_count_ok(stored=stored, received=received) is ok


@pytest.mark.parametrize(
    ("name", "cleaned"),
    [
        ("  My   phone ", "My phone"),
        ("هاتفي", "هاتفي"),
        ("a\x00b\u200fc", "abc"),
        ("", ""),
        ("\n\t", ""),
        ("x" * 100, "x" * rules.NAME_MAX_LENGTH),
    ],
)
def test_clean_name(name, cleaned):
    assert rules.clean_name(name) == cleaned


def test_default_name_is_the_browser_and_system():
    android = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36"
    assert rules.default_name(android, "Passkey") == "Chrome on Android"
    assert rules.default_name("", "Passkey") == "Passkey"
