"""Outcomes of the kiosk's services that are not success; each says, translated, what happened."""

from django.utils.translation import gettext as _

from absher.moments import until_text


def _when(moment) -> str:
    return until_text(moment, seconds=True)


class KioskError(Exception):
    code = "error"

    def message(self) -> str:  # pragma: no cover - every subclass says its own
        return _("Something went wrong. Try again.")


class FingerprintLocked(KioskError):
    """Too many failed matches for this ID number, at any kiosk: wait until `until`."""

    code = "locked"

    def __init__(self, until):
        super().__init__(until)
        self.until = until

    def message(self) -> str:
        return _("Too many fingerprints did not match this ID number. You can try again at %(when)s.") % {
            "when": _when(self.until)
        }


class NoReference(KioskError):
    """The registry holds no reference fingerprint for this ID number."""

    code = "no_reference"

    def message(self) -> str:
        return _("The civil registry holds no fingerprint for this ID number. Visit a civil affairs office.")


class MatchExpired(KioskError):
    """The fingerprint match this step relies on is missing or too old: start again."""

    code = "match_expired"

    def message(self) -> str:
        return _("This session is no longer valid. Start again.")


class FingerprintUnavailable(KioskError):
    """The matcher could not compare (its engine is missing or failed): nothing was decided, nothing counted."""

    code = "unavailable"

    def message(self) -> str:
        return _("The fingerprint service is unavailable at the moment. Try again later, or visit a civil affairs office.")


class DuplicateUnderReview(KioskError):
    """The civil registry is reviewing this ID's fingerprint record (de-duplication): activation waits for it."""

    code = "under_review"

    def message(self) -> str:
        return _(
            "The civil registry is reviewing the fingerprint record of this ID number. Activation waits until the "
            "review is finished. Visit a civil affairs office."
        )
