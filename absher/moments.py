"""How a page says "until when": the time today, or the date and time on another day (Riyadh)."""

from django.utils import formats, timezone


def until_text(moment, *, seconds: bool = False) -> str:
    local = timezone.localtime(moment)
    if local.date() == timezone.localdate():
        return formats.time_format(local, "H:i:s" if seconds else "H:i")
    return formats.date_format(local, "DATE_FORMAT") + " " + formats.time_format(local, "H:i")
