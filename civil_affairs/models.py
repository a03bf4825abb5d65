from django.db import models
from django.utils.translation import gettext_lazy as _

from .identity import CITIZEN, RESIDENT, id_kind


class Person(models.Model):
    """A person of the civil registry: the one source of truth for identity."""

    class Sex(models.TextChoices):
        MALE = "M", _("Male")
        FEMALE = "F", _("Female")

    class Status(models.TextChoices):
        LIVING = "living", _("Living")
        DECEASED = "deceased", _("Deceased")
        ID_CANCELLED = "id_cancelled", _("ID cancelled")

    national_id = models.CharField(_("ID or iqama number"), max_length=10, unique=True)
    name_ar = models.CharField(_("name in Arabic"), max_length=200)
    name_en = models.CharField(_("name in English"), max_length=200)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("date of birth"))
    nationality = models.CharField(_("nationality"), max_length=2, help_text=_("ISO 3166 two-letter code, e.g. SA"))
    father = models.ForeignKey(
        "self", verbose_name=_("father"), null=True, blank=True, on_delete=models.PROTECT, related_name="children_as_father"
    )
    mother = models.ForeignKey(
        "self", verbose_name=_("mother"), null=True, blank=True, on_delete=models.PROTECT, related_name="children_as_mother"
    )
    national_id_issued = models.BooleanField(_("national ID card issued"), default=False)
    iqama_expiry = models.DateField(_("iqama expiry"), null=True, blank=True)
    national_id_expiry = models.DateField(_("national ID card expiry"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.LIVING)
    # The reference fingerprint template taken when the ID was issued, encrypted at rest
    # (civil_affairs.services_registry reads and writes it; it never reaches a page or a log).
    fingerprint_reference = models.BinaryField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["national_id"]
        verbose_name = _("person")
        verbose_name_plural = _("civil registry")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(national_id__regex=r"^[12][0-9]{9}$"), name="person_national_id_format"
            ),
        ]
        indexes = [
            # The daily iqama reminders (passports.services.expiry_reminders_send): living residents
            # whose iqama expires within the window. Partial on that query's own filter, so it holds
            # living residents alone and the scan reads only the window's rows, not the registry;
            # PostgreSQL uses it only while the query says the same (`national_id__startswith="2"`,
            # `status="living"`): change both together (bench/indexes.py shows the plan).
            models.Index(
                fields=["iqama_expiry"], condition=models.Q(national_id__startswith="2", status="living"),
                name="person_living_iqama_expiry",
            ),
        ]

    def __str__(self):
        from django.utils.translation import get_language

        return f"{self.national_id} {self.display_name(get_language() or 'ar')}"

    @property
    def kind(self) -> str:
        return id_kind(self.national_id)

    @property
    def is_citizen(self) -> bool:
        return self.kind == CITIZEN

    @property
    def is_resident(self) -> bool:
        return self.kind == RESIDENT

    @property
    def is_living(self) -> bool:
        return self.status == self.Status.LIVING

    def rule_violations(self, *, today):
        """The registry's rules (civil_affairs.person_rules) for this row, its parents and its children."""
        from . import person_rules as rules

        def relative(person):
            return rules.Relative(person.national_id, person.sex, person.birth_date)

        facts = rules.PersonFacts(
            national_id=self.national_id or "", name_ar=self.name_ar or "", name_en=self.name_en or "",
            sex=self.sex or "", birth_date=self.birth_date, nationality=self.nationality or "",
            iqama_expiry=self.iqama_expiry,
        )
        children = {rules.FATHER: {}, rules.MOTHER: {}}
        if self.pk:
            rows = (
                Person.objects.filter(models.Q(father_id=self.pk) | models.Q(mother_id=self.pk))
                .exclude(pk=self.pk)
                .values_list("national_id", "birth_date", "father_id", "mother_id")
            )
            for national_id, birth_date, father_pk, mother_pk in rows:
                if father_pk == self.pk:
                    children[rules.FATHER][national_id] = birth_date
                if mother_pk == self.pk:
                    children[rules.MOTHER][national_id] = birth_date
        return rules.person_violations(
            facts,
            today=today,
            father=relative(self.father) if self.father_id else None,
            mother=relative(self.mother) if self.mother_id else None,
            children_as_father=children[rules.FATHER],
            children_as_mother=children[rules.MOTHER],
        )

    def clean(self):
        """The same rules as the import and the staff change (civil_affairs.person_rules).

        What the fields' own checks already report (blank, choices, length) is not said twice.
        """
        from django.utils import timezone

        from .person_rules import as_validation_error

        self.nationality = (self.nationality or "").strip().upper()
        violations = [
            violation
            for violation in self.rule_violations(today=timezone.localdate())
            if not (
                violation.code in {"sex", "name_too_long"}
                or (violation.code in {"name_ar_missing", "name_en_missing"} and not getattr(self, violation.field))
            )
        ]
        if violations:
            raise as_validation_error(violations)

    def display_name(self, language: str) -> str:
        return self.name_ar if language == "ar" else self.name_en


# --- the request inbox ----------------------------------------------------------------------


class Department(models.TextChoices):
    CIVIL_AFFAIRS = "civil_affairs", _("Civil affairs")
    PASSPORTS = "passports", _("Passports")


class DocumentKind(models.TextChoices):
    BIRTH_CERTIFICATE = "birth_certificate", _("Birth certificate")
    FAMILY_RECORD = "family_record", _("Family record")
    PHOTO = "photo", _("Personal photo")
    ID_CARD = "id_card", _("National ID card")
    PASSPORT = "passport", _("Passport")
    MEDICAL_REPORT = "medical_report", _("Medical report")
    OTHER = "other", _("Other document")


class RequestType(models.Model):
    """A kind of request: its texts, department and requirements are data staff edit; what it
    does is the behaviour registered under its `code` (civil_affairs.inbox)."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name_ar = models.CharField(_("name in Arabic"), max_length=150)
    name_en = models.CharField(_("name in English"), max_length=150)
    description_ar = models.TextField(_("description in Arabic"), blank=True)
    description_en = models.TextField(_("description in English"), blank=True)
    department = models.CharField(_("department"), max_length=20, choices=Department.choices)
    is_active = models.BooleanField(_("open for new requests"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("request type")
        verbose_name_plural = _("request types")

    def __str__(self):
        from django.utils.translation import get_language

        return self.name(get_language() or "ar")

    def name(self, language: str) -> str:
        return self.name_ar if language == "ar" else self.name_en

    def description(self, language: str) -> str:
        return self.description_ar if language == "ar" else self.description_en


class Requirement(models.Model):
    """A document asked for with a request type."""

    request_type = models.ForeignKey(RequestType, on_delete=models.CASCADE, related_name="requirements")
    kind = models.CharField(_("document"), max_length=30, choices=DocumentKind.choices)
    text_ar = models.CharField(_("text in Arabic"), max_length=300)
    text_en = models.CharField(_("text in English"), max_length=300)
    mandatory = models.BooleanField(_("mandatory"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("requirement")
        verbose_name_plural = _("requirements")

    def __str__(self):
        return self.text_en

    def text(self, language: str) -> str:
        return self.text_ar if language == "ar" else self.text_en


class RequestStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    IN_REVIEW = "in_review", _("In review")
    WAITING_CITIZEN = "waiting_citizen", _("Waiting for you")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    CLOSED = "closed", _("Closed")
    #: Withdrawn by the citizen before a decision (civil_affairs.services.request_withdraw): final.
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ServiceRequest(models.Model):
    """A citizen's request to a department, with its thread, attachments and timeline."""

    reference = models.CharField(_("reference number"), max_length=20, unique=True, null=True, blank=True)
    request_type = models.ForeignKey(RequestType, verbose_name=_("type"), on_delete=models.PROTECT, related_name="requests")
    department = models.CharField(_("department"), max_length=20, choices=Department.choices, db_index=True)
    applicant = models.ForeignKey(
        "accounts.User", verbose_name=_("applicant"), on_delete=models.PROTECT, related_name="service_requests"
    )
    subject = models.ForeignKey(
        Person,
        verbose_name=_("person concerned"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_requests",
    )
    status = models.CharField(_("status"), max_length=20, choices=RequestStatus.choices, default=RequestStatus.SUBMITTED)
    description = models.TextField(_("description"))
    data = models.JSONField(_("request data"), default=dict, blank=True)
    submission_key = models.UUIDField(_("submission key"), editable=False)
    assigned_to = models.ForeignKey(
        "accounts.User", verbose_name=_("handled by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision_reason = models.TextField(_("reason for the decision"), blank=True)
    created_at = models.DateTimeField(_("submitted at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("last change"), auto_now=True, db_index=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("request")
        verbose_name_plural = _("requests")
        constraints = [
            models.UniqueConstraint(fields=["applicant", "submission_key"], name="request_one_per_submission_key"),
        ]
        indexes = [
            models.Index(fields=["applicant", "-updated_at"]),
            models.Index(fields=["department", "status", "created_at"]),
            # The staff queue: requests still to handle, oldest first, however many are decided.
            models.Index(
                fields=["department", "created_at"],
                condition=models.Q(status__in=["submitted", "in_review", "waiting_citizen"]),
                name="request_open_queue_dept_idx",
            ),
            models.Index(
                fields=["created_at"],
                condition=models.Q(status__in=["submitted", "in_review", "waiting_citizen"]),
                name="request_open_queue_idx",
            ),
        ]

    def __str__(self):
        return self.reference or f"#{self.pk}"


class RequestEvent(models.Model):
    """One step of a request's timeline: a change of status, by whom, with what note."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, choices=RequestStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=RequestStatus.choices)
    actor = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("request event")
        verbose_name_plural = _("request timeline")

    def __str__(self):
        return f"{self.request_id}: {self.from_status or '-'} -> {self.to_status}"


class RequestMessage(models.Model):
    """The thread between the citizen and staff."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    from_staff = models.BooleanField(default=False)
    body = models.TextField(_("message"))
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self):
        return f"{self.request_id} {self.at:%Y-%m-%d %H:%M}"


class Attachment(models.Model):
    """A checked file. `stored_name` is server-chosen; `display_name` is only ever shown."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(RequestMessage, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments")
    stored_name = models.CharField(max_length=100, unique=True, editable=False)
    display_name = models.CharField(_("file name"), max_length=120)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.display_name


class PersonDataAccess(models.Model):
    """A staff view of a person's data, request or attachment: who, when, why. Shown to the citizen."""

    class What(models.TextChoices):
        REGISTRY_RECORD = "registry_record", _("registry record")
        REQUEST = "request", _("request")
        ATTACHMENT = "attachment", _("attached file")

    staff = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.CASCADE, related_name="data_accesses")
    request = models.ForeignKey(ServiceRequest, null=True, blank=True, on_delete=models.CASCADE, related_name="data_accesses")
    attachment = models.ForeignKey(Attachment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    what = models.CharField(_("what was seen"), max_length=30, choices=What.choices)
    reason = models.CharField(_("why"), max_length=200)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("staff view of personal data")
        verbose_name_plural = _("staff views of personal data")

    def __str__(self):
        return f"{self.staff_id} {self.what} {self.at:%Y-%m-%d %H:%M}"
