"""SMS texts of passkeys, rendered in the recipient's language by the outbox (absher.notifications)."""

from django.utils.translation import gettext as _


def notice_text(kind: str) -> str:
    texts = {
        "added": _("Absher: a passkey was added to your account. If it was not you, call 920020405 now."),
    }
    return texts[kind]
