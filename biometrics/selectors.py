"""Reads of the biometrics app: kiosks and centres, the kiosk a credential names, activations."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import Count
from django.utils import timezone

from accounts.models import User

from .credentials import credential_read
from .models import EnrollmentAttempt, Kiosk, KioskStatus, MatchThrottle, Region

OPERATORS_GROUP = "Kiosk operators"


def kiosk_from_credential(value: str | None) -> Kiosk | None:
    """The kiosk a device's credential cookie names, if the binding it names is still the kiosk's."""
    read = credential_read(value)
    if read is None:
        return None
    kiosk_id, device_id = read
    return Kiosk.objects.filter(pk=kiosk_id, device_id=device_id).first()


def regions_with_kiosks() -> list[tuple[str, str, int]]:
    """(region, name, number of kiosks) for the 13 regions, in their official order."""
    counts = {row["region"]: row["n"] for row in Kiosk.objects.order_by().values("region").annotate(n=Count("id"))}
    return [(value, label, counts.get(value, 0)) for value, label in Region.choices]


def kiosks_in_region(region: str) -> list[Kiosk]:
    return list(Kiosk.objects.filter(region=region).order_by("city_en", "site_name_en", "serial"))


# --- the public centres page ---------------------------------------------------------------------

#: A centre as a citizen reads it: a kiosk there can be used, or none can.
AVAILABLE = "available"
OUT_OF_SERVICE = KioskStatus.OUT_OF_SERVICE.value
#: A plain link to a public map (no script of a third party on our page).
MAP_URL = "https://www.openstreetmap.org/"


def kiosk_available(kiosk: Kiosk) -> bool:
    """Whether a citizen can use the kiosk: staff have not taken it out of service.

    Not its heartbeat: a kiosk that is switched off overnight, or between two heartbeats, is still
    there to be used when its site opens; a broken one is taken out of service by its operator.
    """
    return kiosk.in_service


def map_url(*, latitude: Decimal | None, longitude: Decimal | None, query: str = "") -> str:
    """A link to the place on OpenStreetMap: its coordinates when known, else a search for its address."""
    if latitude is not None and longitude is not None:
        lat, lon = f"{latitude:f}", f"{longitude:f}"
        return f"{MAP_URL}?{urlencode({'mlat': lat, 'mlon': lon})}#map=17/{lat}/{lon}"
    if query:
        return f"{MAP_URL}search?{urlencode({'query': query})}"
    return ""


def phone_dial(phone: str) -> str:
    """A phone number as a tel: link dials it: digits and a leading +."""
    return "".join(char for char in phone if char.isdigit() or char == "+")


@dataclass(frozen=True)
class Centre:
    """A site with one or more kiosks, in one language."""

    name: str
    city: str
    address: str
    opening_hours: str
    accessibility: str
    phone: str
    phone_dial: str
    map_url: str
    serials: tuple[str, ...]
    available: int

    @property
    def total(self) -> int:
        return len(self.serials)

    @property
    def status(self) -> str:
        return AVAILABLE if self.available else OUT_OF_SERVICE


def centres_in_region(region: str, *, language: str) -> list[Centre]:
    """The region's centres (kiosks at one site and address make one centre), in `language`."""
    sites: dict[tuple[str, str], list[Kiosk]] = {}
    for kiosk in kiosks_in_region(region):
        sites.setdefault((kiosk.site_name_en, kiosk.address_en), []).append(kiosk)
    centres = []
    for kiosks in sites.values():
        first = kiosks[0]
        text = first.localized(language)
        phone = next((kiosk.phone for kiosk in kiosks if kiosk.phone), "")
        located = next((kiosk for kiosk in kiosks if kiosk.latitude is not None and kiosk.longitude is not None), first)
        centres.append(Centre(
            name=text["site_name"], city=text["city"], address=text["address"],
            opening_hours=text["opening_hours"], accessibility=text["accessibility"],
            phone=phone, phone_dial=phone_dial(phone),
            map_url=map_url(latitude=located.latitude, longitude=located.longitude,
                            query=", ".join(part for part in (first.address_en, first.city_en) if part)),
            serials=tuple(kiosk.serial for kiosk in kiosks),
            available=sum(1 for kiosk in kiosks if kiosk_available(kiosk)),
        ))
    return centres


def match_blocked_until(national_id: str, *, now: datetime | None = None) -> datetime | None:
    """Until when tries for this ID are refused (too many failed matches), or None."""
    from accounts import lockout

    from .services import match_policy

    row = MatchThrottle.objects.filter(national_id=national_id).first()
    if row is None:
        return None
    state = lockout.ThrottleState(row.failures, row.lockouts, row.locked_until, row.hour_started_at, row.processed_in_hour)
    return lockout.blocked_until(state, now=now or timezone.now(), policy=match_policy())


def is_kiosk_operator(user) -> bool:
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    return user.is_superuser or user.groups.filter(name=OPERATORS_GROUP).exists()


def account_of_national_id(national_id: str) -> User | None:
    return User.objects.filter(person__national_id=national_id).first()


@dataclass(frozen=True)
class Activation:
    """When and how an account was activated, and at which kiosk if it was there."""

    at: datetime
    method: str  # kiosk_fingerprint, in_person, ...
    kiosk: Kiosk | None

    @property
    def at_kiosk(self) -> bool:
        return self.kiosk is not None

    def place(self, language: str) -> str:
        """The kiosk's site and city in `language`, or "" if not at a kiosk."""
        if self.kiosk is None:
            return ""
        return f"{self.kiosk.site_name(language)}, {self.kiosk.city_ar if language == 'ar' else self.kiosk.city_en}"


def activation_of(user) -> Activation | None:
    """The account's activation (None if it was never activated), for the citizen's own page."""
    if not getattr(user, "activated_at", None):
        return None
    kiosk = None
    if user.activation_method == "kiosk_fingerprint":
        attempt = (
            EnrollmentAttempt.objects.select_related("kiosk")
            .filter(account_id=user.pk, purpose="activation", completed_at__isnull=False)
            .order_by("-completed_at")
            .first()
        )
        kiosk = attempt.kiosk if attempt else None
    return Activation(at=user.activated_at, method=user.activation_method, kiosk=kiosk)
