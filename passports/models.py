"""Records of the passports services. Every holder is a person of the civil registry.

Identity stays in the registry: a resident's iqama number is the person's ID number and the
iqama's expiry is `Person.iqama_expiry` (extended only through
civil_affairs.services_registry.person_iqama_extend). Rows here change only through
passports.services and passports.billing.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .rules import absconding as absconding_rules
from .rules import visas as visa_rules

PERSON = "civil_affairs.Person"


class Fee(models.Model):
    """The fee table, as data: staff change the amounts; the rules name fees by code."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name_ar = models.CharField(_("name in Arabic"), max_length=150)
    name_en = models.CharField(_("name in English"), max_length=150)
    amount = models.DecimalField(_("amount (SAR)"), max_digits=9, decimal_places=2)
    source = models.CharField(_("source of the figure"), max_length=300, blank=True)
    updated_at = models.DateTimeField(_("last change"), auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("fee")
        verbose_name_plural = _("fees")
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="fee_amount_not_negative")]

    def __str__(self):
        return f"{self.code}: {self.amount}"


class Sponsorship(models.Model):
    """A worker sponsored by a citizen or a resident. One active sponsorship per worker."""

    sponsor = models.ForeignKey(PERSON, verbose_name=_("sponsor"), on_delete=models.PROTECT, related_name="sponsorships_as_sponsor")
    worker = models.ForeignKey(PERSON, verbose_name=_("worker"), on_delete=models.PROTECT, related_name="sponsorships_as_worker")
    occupation_ar = models.CharField(_("occupation in Arabic"), max_length=100)
    occupation_en = models.CharField(_("occupation in English"), max_length=100)
    started_on = models.DateField(_("started on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)

    class Meta:
        ordering = ["-started_on", "-id"]
        verbose_name = _("sponsorship")
        verbose_name_plural = _("sponsorships")
        constraints = [
            models.UniqueConstraint(fields=["worker"], condition=Q(ended_on__isnull=True), name="one_active_sponsorship_per_worker"),
            models.CheckConstraint(condition=~Q(sponsor=models.F("worker")), name="sponsorship_not_self"),
        ]

    def __str__(self):
        return f"{self.sponsor_id} -> {self.worker_id}"


class Passport(models.Model):
    class Status(models.TextChoices):
        VALID = "valid", _("Valid")
        REPLACED = "replaced", _("Replaced by a new passport")
        CANCELLED = "cancelled", _("Cancelled")

    class Delivery(models.TextChoices):
        COLLECTION = "collection", _("Collection from a passports office")
        POST = "post", _("Delivery by post to the national address")

    holder = models.ForeignKey(PERSON, verbose_name=_("holder"), on_delete=models.PROTECT, related_name="passports")
    number = models.CharField(_("passport number"), max_length=20, unique=True)
    country = models.CharField(_("issuing country"), max_length=2, default="SA")
    issued_on = models.DateField(_("issued on"))
    expires_on = models.DateField(_("expires on"), db_index=True)
    validity_years = models.PositiveSmallIntegerField(_("validity (years)"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.VALID)
    delivery = models.CharField(_("delivery"), max_length=10, choices=Delivery.choices, blank=True)
    office = models.CharField(_("passports office"), max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-expires_on", "-id"]
        verbose_name = _("passport")
        verbose_name_plural = _("passports")
        constraints = [
            models.UniqueConstraint(fields=["holder", "country"], condition=Q(status="valid"), name="one_valid_passport_per_country"),
        ]

    def __str__(self):
        return self.number


class IqamaRecord(models.Model):
    """The iqama's details. Its number is the holder's ID number and its expiry is the registry's."""

    holder = models.OneToOneField(PERSON, verbose_name=_("holder"), on_delete=models.PROTECT, related_name="iqama_record")
    sponsor = models.ForeignKey(
        PERSON, verbose_name=_("sponsor"), null=True, blank=True, on_delete=models.PROTECT, related_name="iqamas_sponsored"
    )
    employer_name = models.CharField(
        _("employer (when not a person of the registry)"), max_length=200, blank=True
    )
    occupation_ar = models.CharField(_("occupation in Arabic"), max_length=100)
    occupation_en = models.CharField(_("occupation in English"), max_length=100)
    issued_on = models.DateField(_("first issued on"))

    class Meta:
        ordering = ["holder__national_id"]
        verbose_name = _("iqama")
        verbose_name_plural = _("iqamas")

    def __str__(self):
        return str(self.holder_id)


class IqamaRenewal(models.Model):
    """The renewal history: every issue and renewal, with its fee and whether it was late."""

    iqama = models.ForeignKey(IqamaRecord, on_delete=models.CASCADE, related_name="renewals")
    renewed_on = models.DateField(_("renewed on"))
    previous_expiry = models.DateField(_("previous expiry"), null=True, blank=True)
    new_expiry = models.DateField(_("new expiry"))
    years = models.PositiveSmallIntegerField(_("years"))
    late = models.BooleanField(_("late renewal"), default=False)
    amount = models.DecimalField(_("amount paid (SAR)"), max_digits=9, decimal_places=2, default=0)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-renewed_on", "-id"]
        verbose_name = _("iqama renewal")
        verbose_name_plural = _("iqama renewal history")

    def __str__(self):
        return f"{self.iqama_id} {self.renewed_on} -> {self.new_expiry}"


class Visa(models.Model):
    class Kind(models.TextChoices):
        SINGLE = visa_rules.SINGLE, _("Exit/re-entry (single)")
        MULTIPLE = visa_rules.MULTIPLE, _("Exit/re-entry (multiple)")
        FINAL_EXIT = visa_rules.FINAL_EXIT, _("Final exit")

    class Status(models.TextChoices):
        ISSUED = visa_rules.ISSUED, _("Issued")
        USED = visa_rules.USED, _("Used")
        EXPIRED = visa_rules.EXPIRED, _("Expired")
        CANCELLED = visa_rules.CANCELLED, _("Cancelled")

    number = models.CharField(_("visa number"), max_length=10, unique=True)
    holder = models.ForeignKey(PERSON, verbose_name=_("holder"), on_delete=models.PROTECT, related_name="visas")
    kind = models.CharField(_("type"), max_length=24, choices=Kind.choices)
    months = models.PositiveSmallIntegerField(_("duration (months)"), null=True, blank=True)
    issued_on = models.DateField(_("issued on"))
    travel_by = models.DateField(_("travel before"))
    return_by = models.DateField(_("return before"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ISSUED)
    holder_abroad_on_it = models.BooleanField(_("holder abroad on this visa"), default=False)
    extended_months = models.PositiveSmallIntegerField(_("months extended"), default=0)
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_on", "-id"]
        verbose_name = _("visa")
        verbose_name_plural = _("visas")
        indexes = [models.Index(fields=["holder", "status"])]

    def __str__(self):
        return self.number

    def facts(self) -> visa_rules.VisaFacts:
        return visa_rules.VisaFacts(
            kind=self.kind, status=self.status, issued_on=self.issued_on, travel_by=self.travel_by, months=self.months,
            return_by=self.return_by, holder_abroad_on_it=self.holder_abroad_on_it, extended_months=self.extended_months,
        )

    def status_on(self, today) -> str:
        return visa_rules.effective_status(self.facts(), today)

    def status_label_on(self, today) -> str:
        return str(dict(self.Status.choices)[self.status_on(today)])


class TravelRecord(models.Model):
    class Direction(models.TextChoices):
        EXIT = "exit", _("Exit")
        ENTRY = "entry", _("Entry")

    class Port(models.TextChoices):
        RUH = "RUH", _("King Khalid International Airport, Riyadh")
        JED = "JED", _("King Abdulaziz International Airport, Jeddah")
        DMM = "DMM", _("King Fahd International Airport, Dammam")
        MED = "MED", _("Prince Mohammad bin Abdulaziz Airport, Madinah")
        CAUSEWAY = "causeway", _("King Fahd Causeway")
        BATHA = "batha", _("Al-Batha border crossing")
        HADITHA = "haditha", _("Al-Haditha border crossing")
        JEDDAH_PORT = "jeddah_port", _("Jeddah Islamic Port")

    holder = models.ForeignKey(PERSON, verbose_name=_("traveller"), on_delete=models.PROTECT, related_name="travel_records")
    direction = models.CharField(_("direction"), max_length=5, choices=Direction.choices)
    port = models.CharField(_("port"), max_length=12, choices=Port.choices)
    on = models.DateField(_("date"))
    visa = models.ForeignKey(Visa, null=True, blank=True, on_delete=models.PROTECT, related_name="travel_records")
    passport_number = models.CharField(_("passport number"), max_length=20, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-on", "-id"]
        verbose_name = _("travel record")
        verbose_name_plural = _("travel records")
        indexes = [models.Index(fields=["holder", "-on"])]

    def __str__(self):
        return f"{self.holder_id} {self.direction} {self.on}"


class TravelPermit(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        CANCELLED = "cancelled", _("Cancelled")

    class Destination(models.TextChoices):
        ALL = "all", _("All countries")
        GCC = "gcc", _("Gulf Cooperation Council countries")

    number = models.CharField(_("permit number"), max_length=10, unique=True)
    holder = models.ForeignKey(PERSON, verbose_name=_("traveller"), on_delete=models.PROTECT, related_name="travel_permits")
    granted_by = models.ForeignKey(PERSON, verbose_name=_("granted by"), on_delete=models.PROTECT, related_name="travel_permits_granted")
    destination = models.CharField(_("destination"), max_length=4, choices=Destination.choices, default=Destination.ALL)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-valid_from", "-id"]
        verbose_name = _("travel permit")
        verbose_name_plural = _("travel permits")

    def __str__(self):
        return self.number

    def active_on(self, today) -> bool:
        return self.status == self.Status.ACTIVE and self.valid_from <= today <= self.valid_until


class AbscondingReport(models.Model):
    """A sponsor's report that a worker is absent from work. Once per worker, ever."""

    class Status(models.TextChoices):
        ACTIVE = absconding_rules.ACTIVE, _("Active")
        CANCELLED = absconding_rules.CANCELLED, _("Cancelled")

    reference = models.CharField(_("reference number"), max_length=20, unique=True)
    worker = models.OneToOneField(PERSON, verbose_name=_("worker"), on_delete=models.PROTECT, related_name="absconding_report")
    sponsor = models.ForeignKey(PERSON, verbose_name=_("sponsor"), on_delete=models.PROTECT, related_name="absconding_reports_filed")
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reported_on = models.DateField(_("reported on"))
    last_seen_on = models.DateField(_("last seen at work on"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-reported_on", "-id"]
        verbose_name = _("absence report")
        verbose_name_plural = _("absence reports")

    def __str__(self):
        return self.reference

    @property
    def cancellable_until(self):
        return absconding_rules.cancellable_until(self.reported_on)

    @property
    def blocks_services(self) -> bool:
        return absconding_rules.blocks(self.status)


class Fine(models.Model):
    """A fine recorded against a person (traffic, residence or labour violation). Unpaid ones block services."""

    reference = models.CharField(_("reference number"), max_length=20, unique=True)
    person = models.ForeignKey(PERSON, verbose_name=_("person"), on_delete=models.PROTECT, related_name="fines")
    amount = models.DecimalField(_("amount (SAR)"), max_digits=9, decimal_places=2)
    reason_ar = models.CharField(_("reason in Arabic"), max_length=200)
    reason_en = models.CharField(_("reason in English"), max_length=200)
    issued_on = models.DateField(_("issued on"))
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)

    class Meta:
        ordering = ["-issued_on", "-id"]
        verbose_name = _("fine")
        verbose_name_plural = _("fines")
        indexes = [models.Index(fields=["person", "paid_at"])]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="fine_amount_positive")]

    def __str__(self):
        return self.reference


class Service(models.TextChoices):
    """What a bill pays for or a receipt records."""

    PASSPORT = "passport", _("Passport issue or renewal")
    IQAMA = "iqama", _("Iqama issue or renewal")
    EXIT_REENTRY = "exit_reentry", _("Exit/re-entry visa")
    VISA_EXTENSION = "visa_extension", _("Exit/re-entry visa extension")
    VISA_CANCELLATION = "visa_cancellation", _("Visa cancellation")
    FINAL_EXIT = "final_exit", _("Final exit visa")
    TRAVEL_PERMIT = "travel_permit", _("Travel permit")
    TRAVEL_PERMIT_CANCELLATION = "travel_permit_cancellation", _("Travel permit cancellation")
    ABSCONDING_REPORT = "absconding_report", _("Report of absence from work")
    FINE = "fine", _("Payment of a fine")


class Bill(models.Model):
    """A bill with a SADAD-style number. The service goes ahead only once it is paid."""

    class Status(models.TextChoices):
        # The allowed moves between these are passports.billing.BILL_MOVES.
        UNPAID = "unpaid", _("Waiting for payment")
        PAID = "paid", _("Paid")
        USED = "used", _("Paid and used")
        REFUND_PENDING = "refund_pending", _("Refund under way")
        REFUNDED = "refunded", _("Refunded")

    number = models.CharField(_("bill number"), max_length=14, unique=True)
    payer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("payer"), on_delete=models.PROTECT, related_name="passport_bills")
    holder = models.ForeignKey(PERSON, verbose_name=_("for"), on_delete=models.PROTECT, related_name="passport_bills")
    service = models.CharField(_("service"), max_length=30, choices=Service.choices)
    amount = models.DecimalField(_("amount (SAR)"), max_digits=9, decimal_places=2)
    #: The fee lines: [{"code", "quantity", "amount"}].
    lines = models.JSONField(_("fee lines"), default=list)
    #: What the service needs to go ahead once paid (the form's choices, the visa number...).
    params = models.JSONField(_("service details"), default=dict)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.UNPAID)
    submission_key = models.UUIDField(editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    payment_reference = models.CharField(_("payment reference"), max_length=60, blank=True)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    refunded_at = models.DateTimeField(_("refunded at"), null=True, blank=True)
    refund_reference = models.CharField(_("refund reference"), max_length=60, blank=True)
    #: When the payer was last sent to the gateway: reconciliation asks the gateway about such bills.
    payment_started_at = models.DateTimeField(_("payment started at"), null=True, blank=True)
    #: The refund under way: when it was asked for, and the idempotency key the gateway gets with every try.
    refund_requested_at = models.DateTimeField(_("refund asked for at"), null=True, blank=True)
    refund_key = models.CharField(_("refund idempotency key"), max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("bill")
        verbose_name_plural = _("bills")
        constraints = [
            models.UniqueConstraint(fields=["payer", "submission_key"], name="bill_one_per_submission_key"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="bill_amount_positive"),
            models.CheckConstraint(condition=~Q(status="refund_pending") | ~Q(refund_key=""),
                                   name="bill_refund_pending_has_key"),
        ]
        indexes = [
            models.Index(fields=["payer", "status", "-created_at"]),
            # The reconciliation's two questions: payments started and refunds asked for, left pending.
            models.Index(fields=["status", "payment_started_at"], name="bill_status_payment_started"),
            models.Index(fields=["status", "refund_requested_at"], name="bill_status_refund_requested"),
        ]

    def __str__(self):
        return self.number


class PaymentNotification(models.Model):
    """A gateway's signed server-to-server notification, kept by its id: the same id again changes
    nothing (a replay, or the gateway retrying after losing our answer)."""

    notification_id = models.CharField(_("notification id"), max_length=100, unique=True)
    bill = models.ForeignKey(Bill, verbose_name=_("bill"), on_delete=models.PROTECT, related_name="notifications")
    #: What the gateway said (paid, declined) and what the portal did with it.
    status = models.CharField(_("gateway status"), max_length=20)
    outcome = models.CharField(_("outcome"), max_length=30)
    payment_reference = models.CharField(_("payment reference"), max_length=60, blank=True)
    body_sha256 = models.CharField(max_length=64)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("payment notification")
        verbose_name_plural = _("payment notifications")

    def __str__(self):
        return self.notification_id


class SimulatedGatewayEntry(models.Model):
    """The simulated gateway's own ledger (development and tests only): what it was paid, what it
    declined and what it refunded. It is kept apart from the bills, as a real gateway's books are,
    so that the portal and the gateway can disagree after a crash and reconciliation can be tried."""

    class Kind(models.TextChoices):
        PAYMENT = "payment", "payment"
        DECLINE = "decline", "decline"
        REFUND = "refund", "refund"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    bill_number = models.CharField(max_length=14, db_index=True)
    reference = models.CharField(max_length=60, unique=True)
    amount = models.DecimalField(max_digits=9, decimal_places=2)
    #: A refund's idempotency key: the same key twice refunds once.
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["bill_number"], condition=Q(kind="payment"),
                                    name="simulated_gateway_one_payment_per_bill"),
        ]

    def __str__(self):
        return f"{self.kind} {self.bill_number} {self.reference}"


class Receipt(models.Model):
    """What a service did, for whom, at what cost: the page the user keeps."""

    reference = models.CharField(_("receipt number"), max_length=20, unique=True)
    service = models.CharField(_("service"), max_length=30, choices=Service.choices)
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("applicant"), on_delete=models.PROTECT, related_name="passport_receipts")
    holder = models.ForeignKey(PERSON, verbose_name=_("for"), on_delete=models.PROTECT, related_name="passport_receipts")
    bill = models.OneToOneField(Bill, null=True, blank=True, on_delete=models.PROTECT, related_name="receipt")
    amount = models.DecimalField(_("amount (SAR)"), max_digits=9, decimal_places=2, default=0)
    passport = models.ForeignKey(Passport, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    iqama_renewal = models.ForeignKey(IqamaRenewal, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    visa = models.ForeignKey(Visa, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    travel_permit = models.ForeignKey(TravelPermit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    absconding_report = models.ForeignKey(AbscondingReport, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    fine = models.ForeignKey(Fine, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("date"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        indexes = [models.Index(fields=["applicant", "-created_at"])]

    def __str__(self):
        return self.reference or f"#{self.pk}"


class ExpiryReminder(models.Model):
    """One reminder sent to one user about one document's expiry date: the command's memory."""

    class Document(models.TextChoices):
        PASSPORT = "passport", _("passport")
        IQAMA = "iqama", _("iqama")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(PERSON, on_delete=models.CASCADE, related_name="+")
    document = models.CharField(max_length=10, choices=Document.choices)
    expires_on = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = _("expiry reminder")
        verbose_name_plural = _("expiry reminders")
        constraints = [
            models.UniqueConstraint(fields=["user", "person", "document", "expires_on"], name="one_reminder_per_expiry"),
        ]

    def __str__(self):
        return f"{self.document} {self.person_id} {self.expires_on}"
