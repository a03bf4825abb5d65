"""Plain rules of sessions and devices, testable without a database."""

import hashlib
import re

_BROWSERS = [
    # Order matters: Edge, Opera and Samsung's browser also say "Chrome"; Chrome also says "Safari".
    ("Edg/", "Edge"),
    ("EdgA/", "Edge"),
    ("EdgiOS/", "Edge"),
    ("OPR/", "Opera"),
    ("OPT/", "Opera"),
    ("OPiOS/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
]
_SYSTEMS = [
    (re.compile(r"iPhone"), "iPhone"),
    (re.compile(r"iPad"), "iPad"),
    (re.compile(r"Android"), "Android"),
    (re.compile(r"Windows"), "Windows"),
    (re.compile(r"Mac OS X|Macintosh"), "macOS"),
    (re.compile(r"CrOS"), "ChromeOS"),
    (re.compile(r"Linux"), "Linux"),
]


def browser_parts(user_agent: str) -> tuple[str, str]:
    """(browser, system) of a User-Agent header, each "" when not recognised: ("Chrome", "Android")."""
    user_agent = user_agent or ""
    browser = next((name for marker, name in _BROWSERS if marker in user_agent), "")
    system = next((name for pattern, name in _SYSTEMS if pattern.search(user_agent)), "")
    return browser, system


def browser_name(user_agent: str) -> str:
    """What a citizen recognises of a browser: "Chrome on Android", "Safari on iPhone", or "".
    Stored in English (the staff's admin reads it); the pages translate it (devices.selectors)."""
    browser, system = browser_parts(user_agent)
    if browser and system:
        return f"{browser} on {system}"
    return browser or system


def app_device_name(name: str) -> str:
    """The app's own name for its device ("Pixel 8", "iPhone 15"), printable and at most 100 characters."""
    cleaned = "".join(ch for ch in (name or "") if ch.isprintable()).strip()
    return cleaned[:100]


def digest(value: str) -> str:
    """SHA-256 of a secret of high entropy (a token, a session key, a device key): what is stored."""
    return hashlib.sha256(value.encode()).hexdigest()
