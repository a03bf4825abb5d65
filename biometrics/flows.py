"""The kiosk-scoped store of the flow in progress: one row per kiosk, keyed by its credential.

Not the citizen's portal session: a citizen's sign-in at the kiosk or a reset never touches
the device's credential, and what one citizen typed is gone when the flow ends, is abandoned,
or idles for KIOSK_IDLE_TIMEOUT (2 minutes). The data is ids and the step, never a template.
"""

from datetime import timedelta

from django.conf import settings

from .models import Kiosk, KioskFlow


def idle_timeout() -> timedelta:
    return getattr(settings, "KIOSK_IDLE_TIMEOUT", timedelta(minutes=2))


def flow_max_age() -> timedelta:
    return getattr(settings, "KIOSK_FLOW_MAX_AGE", timedelta(minutes=20))


def flow_load(kiosk: Kiosk, *, now) -> KioskFlow | None:
    """The kiosk's flow, or None; a flow that idled too long, or outlived its device binding, is deleted."""
    flow = KioskFlow.objects.filter(kiosk=kiosk).first()
    if flow is None:
        return None
    if (
        flow.device_id != kiosk.device_id
        or now - flow.touched_at >= idle_timeout()
        or now - flow.started_at >= flow_max_age()
    ):
        flow.delete()
        return None
    return flow


def flow_begin(kiosk: Kiosk, *, language: str, now) -> KioskFlow:
    """A new flow in `language`; whatever the kiosk held before is dropped."""
    KioskFlow.objects.filter(kiosk=kiosk).delete()
    return KioskFlow.objects.create(
        kiosk=kiosk, device_id=kiosk.device_id, data={"lang": language, "step": "menu"}, started_at=now, touched_at=now
    )


def flow_touch(flow: KioskFlow, *, now) -> None:
    flow.touched_at = now
    KioskFlow.objects.filter(pk=flow.pk).update(touched_at=now)


def flow_update(flow: KioskFlow, *, now, **data) -> None:
    flow.data.update(data)
    flow.touched_at = now
    flow.save(update_fields=["data", "touched_at"])


def flow_replace(flow: KioskFlow, *, now, **data) -> None:
    """Keep only the language and `data`: the end screens hold nothing of the citizen."""
    flow.data = {"lang": flow.data.get("lang", "ar"), **data}
    flow.touched_at = now
    flow.save(update_fields=["data", "touched_at"])


def flow_clear(kiosk: Kiosk) -> bool:
    deleted, _detail = KioskFlow.objects.filter(kiosk=kiosk).delete()
    return bool(deleted)
