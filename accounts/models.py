from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class AccountState(models.TextChoices):
    PENDING_PHONE = "pending_phone", _("Waiting for mobile confirmation")
    REGISTERED = "registered", _("Registered (not yet activated)")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    #: Closed by its holder (accounts.closure): no person, mobile or usable password any more;
    #: the row stays for the requests and audit rows that name it.
    CLOSED = "closed", _("Closed")


class PortalUserManager(UserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        """A staff superuser (createsuperuser) is active from the start, and its history says so."""
        extra_fields.setdefault("state", AccountState.ACTIVE)
        user = super().create_superuser(username, email, password, **extra_fields)
        AccountStateChange.objects.create(
            user=user, from_state="", to_state=user.state, reason="created with manage.py createsuperuser"
        )
        return user


class User(AbstractUser):
    """An account of the portal. Identity facts live in the civil registry's person."""

    # Unique (in any case) among accounts past `pending_phone` only: see Meta.constraints.
    username = models.CharField(_("username"), max_length=150)
    # Set when the mobile is confirmed; until then the ID typed is held in `pending_person`, so
    # that an unconfirmed registration never holds anybody's ID number (QUALITY 26).
    person = models.OneToOneField(
        "civil_affairs.Person",
        verbose_name=_("person in the civil registry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="account",
    )
    pending_person = models.ForeignKey(
        "civil_affairs.Person",
        verbose_name=_("person named at registration"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # NULL, not "", for "no mobile" (staff): the partial unique index lets NULLs repeat.
    mobile = models.CharField(_("mobile number"), max_length=16, null=True, blank=True, db_index=True)  # noqa: DJ001
    preferred_language = models.CharField(
        _("preferred language"), max_length=5, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    state = models.CharField(_("account state"), max_length=16, choices=AccountState.choices, default=AccountState.PENDING_PHONE)
    state_before_suspension = models.CharField(max_length=16, choices=AccountState.choices, blank=True)
    terms_version = models.CharField(_("terms version accepted"), max_length=16, blank=True)
    terms_accepted_at = models.DateTimeField(_("terms accepted at"), null=True, blank=True)
    phone_confirmed_at = models.DateTimeField(_("mobile confirmed at"), null=True, blank=True)
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)
    activation_method = models.CharField(_("activation method"), max_length=32, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    objects = PortalUserManager()
    REQUIRED_FIELDS = ["email", "mobile"]

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        # A registration still waiting for its SMS code holds nothing: several may name the same
        # mobile or username, and the first to confirm its code voids the others.
        constraints = [
            models.UniqueConstraint(
                Lower("username"), condition=~models.Q(state="pending_phone"), name="user_username_ci_unique_confirmed"
            ),
            models.UniqueConstraint(
                fields=["mobile"], condition=~models.Q(state="pending_phone"), name="user_mobile_unique_confirmed"
            ),
        ]
        # Sign-in with an unknown username asks whether a pending registration has it
        # (accounts.selectors.pending_registrations_named): the unique index above covers
        # confirmed accounts only, and without this one each such sign-in read every account.
        indexes = [
            models.Index(Lower("username"), condition=models.Q(state="pending_phone"), name="user_username_ci_pending"),
        ]

    def __str__(self):
        return self.username

    @property
    def registration_person_id(self) -> int | None:
        """The registry person this account is for: confirmed (`person`) or named at registration."""
        return self.person_id or self.pending_person_id

    @property
    def national_id(self) -> str:
        return self.person.national_id if self.person_id else ""

    @property
    def is_portal_active(self) -> bool:
        return self.state == AccountState.ACTIVE

    def display_name(self, language: str = "ar") -> str:
        return self.person.display_name(language) if self.person_id else self.get_username()

    def remember_language(self, language: str) -> None:
        # The switcher's choice also decides the language of this account's SMS.
        type(self).objects.filter(pk=self.pk).update(preferred_language=language)
        self.preferred_language = language


class AccountStateChange(models.Model):
    """Every change of an account's state: who, when and why."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="state_changes")
    from_state = models.CharField(max_length=16, choices=AccountState.choices, blank=True)
    to_state = models.CharField(max_length=16, choices=AccountState.choices)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.TextField(_("reason"), blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("account state change")
        verbose_name_plural = _("account state changes")

    def __str__(self):
        return f"{self.user_id}: {self.from_state or '-'} -> {self.to_state}"


class OtpPurpose(models.TextChoices):
    REGISTRATION = "registration", _("mobile confirmation")
    LOGIN = "login", _("sign-in")
    PASSWORD_RESET = "password_reset", _("password reset")
    PASSWORD_CHANGE = "password_change", _("password change")
    KIOSK_MOBILE = "kiosk_mobile", _("mobile confirmation at a kiosk")
    MOBILE_CHANGE = "mobile_change", _("mobile number change")
    PASSKEY_ADD = "passkey_add", _("adding a passkey")
    ACCOUNT_CLOSE = "account_close", _("closing the account")


class OneTimeCode(models.Model):
    """A code sent by SMS. Only its keyed hash is stored; bound to user, purpose and challenge."""

    class Delivery(models.TextChoices):
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    user = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="one_time_codes")
    purpose = models.CharField(max_length=32, choices=OtpPurpose.choices)
    challenge = models.UUIDField(db_index=True)
    mobile = models.CharField(max_length=16, db_index=True)
    client_address = models.GenericIPAddressField(null=True, blank=True)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(db_index=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    #: The SMS that carries it (absher.notifications): its outcome is the code's delivery.
    message = models.ForeignKey(
        "absher.OutboxMessage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["client_address", "created_at"]), models.Index(fields=["mobile", "created_at"])]

    def __str__(self):
        return f"{self.purpose} code for user {self.user_id} at {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def delivery(self) -> str:
        """Pending, sent, or failed: the SMS could not be delivered within the code's lifetime
        (the code pages say so and offer a new code). Read it with select_related("message")."""
        if self.message_id is None:
            return self.Delivery.PENDING
        return self.Delivery(self.message.outcome)


class LoginThrottle(models.Model):
    """Failed sign-ins counted per account (whatever identifier was typed) or per client address."""

    key = models.CharField(max_length=200, unique=True)
    failures = models.PositiveIntegerField(default=0)
    lockouts = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    hour_started_at = models.DateTimeField(null=True, blank=True)
    processed_in_hour = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return self.key
