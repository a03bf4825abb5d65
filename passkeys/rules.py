"""Plain rules of passkeys (no ORM, no clock): the signature counter, names.

The counter (WebAuthn Level 2, 6.1.1 and 7.2 step 21): an authenticator that keeps one increases
it at every signature; a copy of its key (a cloned authenticator) shows itself when a count comes
that is not above the last one seen. Authenticators that keep no counter (synced passkeys) always
say 0: only then is an equal count acceptable.
"""

from devices.rules import browser_name

#: Passkeys one account may hold.
MAX_PER_ACCOUNT = 10
NAME_MAX_LENGTH = 64


def sign_count_ok(*, stored: int, received: int) -> bool:
    """Whether the counter of an assertion shows no clone: above the stored one, or both 0."""
    if stored == 0 and received == 0:
        return True
    return received > stored


def clean_name(name: str) -> str:
    """Printable, trimmed, at most NAME_MAX_LENGTH characters ("" when nothing printable is left)."""
    kept = (ch if ch.isprintable() else " " if ch.isspace() else "" for ch in (name or ""))
    cleaned = "".join(kept)
    return " ".join(cleaned.split())[:NAME_MAX_LENGTH]


def default_name(user_agent: str, fallback: str) -> str:
    """What the citizen will recognise: the browser and system that created it ("Chrome on Android")."""
    return clean_name(browser_name(user_agent)) or fallback
