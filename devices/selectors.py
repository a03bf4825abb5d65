"""Reads of the sessions page and the API: an account's live devices as a citizen reads them, and
its recent sign-ins (the audit trail) for "was it me?"."""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from absher.models import AuditEvent

from . import rules, services
from .models import Device

#: The audit trail's rows shown as the account's recent sign-ins.
SIGN_IN_ACTIONS = ("device_signed_in", "login_failed")
SIGN_IN_HISTORY_LENGTH = 10


def device_label(device: Device) -> str:
    """What the citizen recognises, in the page's language: "Chrome on Android" (a browser, read
    again from its User-Agent so that "on" is translated), the app's device name, or a fallback."""
    if device.kind == Device.Kind.WEB:
        browser, system = rules.browser_parts(device.user_agent)
        if browser and system:
            # Translators: a browser on an operating system, both proper names: "Chrome on Android".
            return _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
        return browser or system or device.name or _("Unknown browser")
    return device.name or _("Unknown device")


@dataclass(frozen=True)
class DeviceRow:
    device: Device
    label: str
    current: bool

    @property
    def pk(self) -> int:
        return self.device.pk


def devices_of(user, *, current_device_id: int | None, now: datetime | None = None) -> list[DeviceRow]:
    """The account's live sessions and devices, the one asking (`current_device_id`) first."""
    rows = [
        DeviceRow(device=device, label=device_label(device), current=device.pk == current_device_id)
        for device in services.active_devices(user, now=now or timezone.now())
    ]
    return sorted(rows, key=lambda row: not row.current)  # stable: the rest stay most recent first


@dataclass(frozen=True)
class SignIn:
    at: datetime
    succeeded: bool
    client_address: str | None
    kind: str  # "web", "app" or "" (a failed password names no device)
    new_device: bool


def sign_ins_of(user, *, limit: int = SIGN_IN_HISTORY_LENGTH) -> list[SignIn]:
    """The account's latest sign-ins and failed passwords, newest first."""
    events = (
        AuditEvent.objects.filter(subject_id=user.pk, action__in=SIGN_IN_ACTIONS)
        .only("at", "action", "client_address", "details")
        .order_by("-at", "-id")[:limit]
    )
    return [
        SignIn(
            at=event.at,
            succeeded=event.action == "device_signed_in",
            client_address=event.client_address,
            kind=str((event.details or {}).get("kind", "")),
            new_device=bool((event.details or {}).get("new_device")),
        )
        for event in events
    ]
