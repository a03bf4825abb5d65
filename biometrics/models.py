from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models.functions import Greatest, Least
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Region(models.TextChoices):
    """The 13 administrative regions of the Kingdom, in their official order."""

    RIYADH = "riyadh", _("Riyadh")
    MAKKAH = "makkah", _("Makkah")
    MADINAH = "madinah", _("Madinah")
    QASSIM = "qassim", _("Al-Qassim")
    EASTERN = "eastern", _("Eastern Province")
    ASIR = "asir", _("Asir")
    TABUK = "tabuk", _("Tabuk")
    HAIL = "hail", _("Hail")
    NORTHERN_BORDERS = "northern_borders", _("Northern Borders")
    JAZAN = "jazan", _("Jazan")
    NAJRAN = "najran", _("Najran")
    AL_BAHA = "al_baha", _("Al-Baha")
    AL_JOUF = "al_jouf", _("Al-Jouf")


class KioskStatus(models.TextChoices):
    ONLINE = "online", _("Online")
    OFFLINE = "offline", _("Offline")
    OUT_OF_SERVICE = "out_of_service", _("Out of service")


def offline_after() -> timedelta:
    return getattr(settings, "KIOSK_OFFLINE_AFTER", timedelta(minutes=3))


class Kiosk(models.Model):
    """A self-service kiosk with a fingerprint reader. Its status follows from its heartbeats."""

    serial = models.CharField(_("serial number"), max_length=32, unique=True)
    region = models.CharField(_("region"), max_length=20, choices=Region.choices, db_index=True)
    city_ar = models.CharField(_("city in Arabic"), max_length=100)
    city_en = models.CharField(_("city in English"), max_length=100)
    site_name_ar = models.CharField(_("site name in Arabic"), max_length=200)
    site_name_en = models.CharField(_("site name in English"), max_length=200)
    address_ar = models.CharField(_("address in Arabic"), max_length=300)
    address_en = models.CharField(_("address in English"), max_length=300)
    opening_hours_ar = models.CharField(_("opening hours in Arabic"), max_length=200)
    opening_hours_en = models.CharField(_("opening hours in English"), max_length=200)
    accessibility_ar = models.CharField(_("accessibility notes in Arabic"), max_length=300, blank=True)
    accessibility_en = models.CharField(_("accessibility notes in English"), max_length=300, blank=True)
    # What the public centres page shows besides the address: the site's phone, and where it is on a map.
    phone = models.CharField(_("phone of the site"), max_length=20, blank=True, help_text=_("As it is dialled, e.g. 011 000 0101."))
    latitude = models.DecimalField(_("latitude"), max_digits=8, decimal_places=5, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=8, decimal_places=5, null=True, blank=True)
    in_service = models.BooleanField(_("in service"), default=True)
    out_of_service_reason = models.CharField(_("reason out of service"), max_length=300, blank=True)
    last_heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)
    # The device bound to this kiosk: its credential cookie names this id; a new binding (or
    # an unbinding) makes every earlier credential worthless.
    device_id = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    provisioned_at = models.DateTimeField(_("device bound at"), null=True, blank=True, editable=False)
    provisioned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("device bound by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+", editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["region", "city_en", "site_name_en", "serial"]
        verbose_name = _("kiosk")
        verbose_name_plural = _("kiosks")

    def __str__(self):
        return f"{self.serial} {self.site_name(get_language() or 'ar')}"

    def _in(self, language: str, field: str) -> str:
        return getattr(self, f"{field}_ar" if language == "ar" else f"{field}_en")

    def site_name(self, language: str) -> str:
        return self._in(language, "site_name")

    def localized(self, language: str) -> dict:
        return {field: self._in(language, field) for field in ("site_name", "city", "address", "opening_hours", "accessibility")}

    @property
    def is_provisioned(self) -> bool:
        return self.device_id is not None

    def status(self, now=None) -> str:
        now = now or timezone.now()
        if not self.in_service:
            return KioskStatus.OUT_OF_SERVICE
        if self.last_heartbeat_at and now - self.last_heartbeat_at <= offline_after():
            return KioskStatus.ONLINE
        return KioskStatus.OFFLINE

    def get_status_display(self) -> str:
        return KioskStatus(self.status()).label


class KioskFlow(models.Model):
    """The one citizen flow in progress on a kiosk, kept on the server, never in a portal session.

    Bound to the device's credential (`device_id`); deleted when the flow ends, is abandoned,
    idles past KIOSK_IDLE_TIMEOUT, or an operator ends it. `data` holds the step, the language
    and the ids the next step needs, never a template or a code.
    """

    kiosk = models.OneToOneField(Kiosk, on_delete=models.CASCADE, related_name="flow")
    device_id = models.UUIDField()
    data = models.JSONField(default=dict)
    started_at = models.DateTimeField()
    touched_at = models.DateTimeField()

    class Meta:
        verbose_name = _("kiosk session")
        verbose_name_plural = _("kiosk sessions")

    def __str__(self):
        return f"{self.kiosk.serial}: {self.data.get('step', '')}"


class PendingCapture(models.Model):
    """A capture a kiosk's reader agent posted, waiting (seconds) for the kiosk page to use it.

    Only `biometrics.readers.agent` uses it; the sealed capture is encrypted at rest too.
    """

    kiosk = models.OneToOneField(Kiosk, on_delete=models.CASCADE, related_name="pending_capture")
    sealed = models.BinaryField()
    received_at = models.DateTimeField()

    def __str__(self):
        return f"{self.kiosk_id} at {self.received_at:%H:%M:%S}"


class EnrollmentPurpose(models.TextChoices):
    ACTIVATION = "activation", _("Account activation")
    MOBILE_CHANGE = "mobile_change", _("Change of a lost mobile number")


class EnrollmentAttempt(models.Model):
    """One touch of the reader at a kiosk, whatever came of it: kiosk, ID, time, result, quality, score."""

    class Result(models.TextChoices):
        MATCH = "match", _("Match")
        NO_MATCH = "no_match", _("No match")
        POOR_QUALITY = "poor_quality", _("Poor quality")
        NO_FINGER = "no_finger", _("No finger")
        READER_ERROR = "reader_error", _("Reader error")
        LOCKED = "locked", _("Refused: too many failed matches")
        NO_REFERENCE = "no_reference", _("No reference in the registry")
        REPLAYED = "replayed", _("Refused: a capture seen before")
        UNAVAILABLE = "unavailable", _("Matcher unavailable")

    kiosk = models.ForeignKey(Kiosk, verbose_name=_("kiosk"), on_delete=models.PROTECT, related_name="attempts")
    national_id = models.CharField(_("ID or iqama number"), max_length=10, db_index=True)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("account"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="enrollment_attempts",
    )
    purpose = models.CharField(_("purpose"), max_length=20, choices=EnrollmentPurpose.choices)
    at = models.DateTimeField(_("time"), db_index=True)
    result = models.CharField(_("result"), max_length=20, choices=Result.choices)
    quality = models.PositiveSmallIntegerField(_("quality"), null=True, blank=True)
    score = models.FloatField(_("score"), null=True, blank=True)
    threshold = models.FloatField(_("threshold"), null=True, blank=True)
    # Which matcher decided (algorithm and engine version), and a keyed digest of the capture's
    # pixels: a real reader never gives the same pixels twice, so a digest seen before is a replay.
    algorithm = models.CharField(_("algorithm"), max_length=80, blank=True)
    capture_digest = models.CharField(max_length=64, blank=True, editable=False)
    # Set when the flow this match opened ended in an activation or a changed mobile number.
    completed_at = models.DateTimeField(_("flow completed at"), null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("enrollment attempt")
        verbose_name_plural = _("enrollment attempts")
        indexes = [models.Index(fields=["account", "completed_at"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.kiosk_id} {self.national_id} {self.result}"


class MatchThrottle(models.Model):
    """Failed matches of one ID number, counted across all kiosks (accounts.lockout's rule)."""

    national_id = models.CharField(_("ID or iqama number"), max_length=10, unique=True)
    failures = models.PositiveIntegerField(default=0)
    # Captures that did not match since the last counted failure: the kiosk allows
    # FINGERPRINT_CAPTURES_PER_TRY touches before one failure counts.
    misses = models.PositiveSmallIntegerField(default=0)
    lockouts = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(_("refused until"), null=True, blank=True)
    hour_started_at = models.DateTimeField(null=True, blank=True)
    processed_in_hour = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("failed matches of an ID")
        verbose_name_plural = _("failed matches by ID")

    def __str__(self):
        return self.national_id


# --- de-duplication at enrolment (biometrics.abis, biometrics.enrolment) ----------------------


class PatternClass(models.TextChoices):
    ARCH = "arch", _("Arch")
    TENTED_ARCH = "tented_arch", _("Tented arch")
    LEFT_LOOP = "left_loop", _("Left loop")
    RIGHT_LOOP = "right_loop", _("Right loop")
    WHORL = "whorl", _("Whorl")
    UNKNOWN = "unknown", _("Unknown")


class AbisEntry(models.Model):
    """One ID number's reference in the reference ABIS's gallery (biometrics.abis.reference).

    The template is encrypted like the registry's (civil_affairs.services_registry); the pattern
    class is the bin a search looks in. A vendor ABIS keeps its own gallery instead.
    """

    subject = models.CharField(_("ID or iqama number"), max_length=10, unique=True)
    template = models.BinaryField(editable=False)
    pattern = models.CharField(_("pattern class"), max_length=12, choices=PatternClass.choices)
    inserted_at = models.DateTimeField(_("inserted at"))

    class Meta:
        verbose_name = _("gallery entry")
        verbose_name_plural = _("gallery entries")
        indexes = [models.Index(fields=["pattern", "id"])]

    def __str__(self):
        return self.subject


class DedupStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    DONE = "done", _("Searched")
    FAILED = "failed", _("Failed")
    TEMPLATE_ONLY = "template_only", _("Not searched: template only")


class DedupRequest(models.Model):
    """A search of a new reference against the gallery, queued by biometrics.enrolment.reference_enrol.

    The enrolment images wait here, encrypted, until the search ends; then they are deleted.
    A reference given as a template only cannot be searched by the reference engine (libfprint
    compares images with templates, never two templates): TEMPLATE_ONLY, and it is inserted
    in the gallery all the same, so later enrolments are compared with it.
    """

    national_id = models.CharField(_("ID or iqama number"), max_length=10, db_index=True)
    images = models.BinaryField(null=True, blank=True, editable=False)
    status = models.CharField(_("status"), max_length=20, choices=DedupStatus.choices, default=DedupStatus.QUEUED)
    hits = models.PositiveSmallIntegerField(_("duplicates found"), default=0)
    failure = models.CharField(_("failure"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("queued at"), db_index=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("de-duplication request")
        verbose_name_plural = _("de-duplication requests")

    def __str__(self):
        return f"{self.national_id} {self.status}"


class DuplicateCase(models.Model):
    """One finger found under two ID numbers: staff decide whether they are two people.

    While open, or once decided "same person", both ID numbers' activations are held
    (biometrics.abis.activation_held).
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DIFFERENT_PEOPLE = "different_people", _("Different people: released")
        SAME_PERSON = "same_person", _("Same person under two ID numbers: held and referred")

    national_id = models.CharField(_("ID number enrolled"), max_length=10, db_index=True)
    other_national_id = models.CharField(_("ID number it matched"), max_length=10, db_index=True)
    score = models.FloatField(_("score"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField(_("opened at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    class Meta:
        verbose_name = _("duplicate fingerprint case")
        verbose_name_plural = _("duplicate fingerprint cases")
        constraints = [
            # One case per pair of ID numbers, whichever of the two enrolled last.
            models.UniqueConstraint(Least("national_id", "other_national_id"), Greatest("national_id", "other_national_id"),
                                    name="biometrics_one_case_per_pair"),
        ]

    def __str__(self):
        return f"{self.national_id} / {self.other_national_id}"
