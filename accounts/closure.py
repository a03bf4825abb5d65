"""Closing an account by its holder, with an SMS code (issue 12, "the citizen in control").

What goes: the account's hold on the ID number, the mobile, the username and the e-mail; its
password, sessions, devices, tokens and passkeys (the apps that hold them listen to
accounts.signals.account_closed). What stays: the account's row (state `closed`), its requests,
bills, receipts, dependents' links, notices and audit rows: they are government records and name
the account. The ID number and the mobile can then be registered again.

Refused for a staff account (staff accounts are closed by the staff's administrators), and while
the citizen's business is half-way: a request still being processed (withdraw it or wait for the
decision) or money on its way (a bill paid and not used, a payment started, a refund under way):
no one could be told of the outcome any more.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from absher.audit import audit_record
from absher.notifications.services import message_enqueue

from . import otp, services
from .exceptions import AccountError, OtpRejected
from .models import AccountState, LoginThrottle, OneTimeCode, OtpPurpose, User
from .signals import account_closed

CLOSABLE_STATES = frozenset({AccountState.REGISTERED, AccountState.ACTIVE})

# Reason codes, in the order they are told.
STAFF_ACCOUNT = "staff_account"
NOT_CLOSABLE = "not_closable"
REQUESTS_OPEN = "requests_open"
MONEY_PENDING = "money_pending"


@dataclass(frozen=True)
class ClosureFacts:
    state: str
    staff: bool
    open_requests: int
    money_pending: int


def closure_refusals(facts: ClosureFacts) -> list[str]:
    """What stands in the way of closing the account (reason codes), or [] when nothing does."""
    reasons = []
    if facts.staff:
        reasons.append(STAFF_ACCOUNT)
    elif facts.state not in CLOSABLE_STATES:
        reasons.append(NOT_CLOSABLE)
    if facts.open_requests:
        reasons.append(REQUESTS_OPEN)
    if facts.money_pending:
        reasons.append(MONEY_PENDING)
    return reasons


class AccountCloseRefused(AccountError):
    """The account cannot be closed now: `reasons` say why (closure_refusals)."""

    def __init__(self, reasons: list[str]):
        super().__init__(*reasons)
        self.reasons = list(reasons)
        self.code = f"close_{self.reasons[0]}"

    def messages(self) -> list[str]:
        return [refusal_text(reason) for reason in self.reasons]

    def message(self) -> str:
        return " ".join(self.messages())


def refusal_text(reason: str) -> str:
    texts = {
        STAFF_ACCOUNT: _("A staff account cannot be closed here. Ask your administrator."),
        NOT_CLOSABLE: _("This account cannot be closed in its present state. Contact us."),
        REQUESTS_OPEN: _(
            "You have requests still being processed. Withdraw them or wait for their decision, then close your account."
        ),
        MONEY_PENDING: _(
            "A payment or a refund of yours is still under way, or a paid bill has not been used yet. "
            "Wait until it is settled, then close your account."
        ),
    }
    return texts[reason]


def closure_facts(user: User) -> ClosureFacts:
    """The facts closure_refusals reads, in three small queries."""
    # Accounts stand below the services (DESIGN.md); the one service fact read here comes
    # through a late import, as the export's sections do (accounts.export).
    from civil_affairs.models import ServiceRequest
    from civil_affairs.statuses import OPEN
    from passports.models import Bill

    open_requests = ServiceRequest.objects.filter(applicant=user, status__in=OPEN).count()
    money = Bill.objects.filter(payer=user).filter(
        Q(status__in=[Bill.Status.PAID, Bill.Status.REFUND_PENDING])
        | Q(status=Bill.Status.UNPAID, payment_started_at__isnull=False)
    )
    return ClosureFacts(
        state=user.state,
        staff=bool(user.is_staff or user.is_superuser),
        open_requests=open_requests,
        money_pending=money.count(),
    )


def close_check(user: User) -> list[str]:
    return closure_refusals(closure_facts(user))


def tombstone_username(user_pk: int) -> str:
    """The closed account's username: never a valid username to register (it has a hyphen), unique by key."""
    return f"closed-{user_pk}"


def farewell_text() -> str:
    return _(
        "Absher: your account was closed and this number is no longer linked to it. "
        "If it was not you, call 920020405 now."
    )


def close_begin(*, user: User, client_address: str) -> uuid.UUID:
    """Send the code that confirms the closing, once nothing stands in the way (AccountCloseRefused)."""
    reasons = close_check(user)
    if reasons:
        raise AccountCloseRefused(reasons)
    return services.otp_challenge_start(user=user, purpose=OtpPurpose.ACCOUNT_CLOSE, client_address=client_address)


def close_resend(*, user: User, challenge, client_address: str) -> None:
    services.otp_resend(user=user, purpose=OtpPurpose.ACCOUNT_CLOSE, challenge=challenge, client_address=client_address)


def close_complete(*, user: User, challenge, code: str, client_address: str, now: datetime | None = None) -> User:
    """With the right code, close the account in one transaction; the old mobile is told after commit.

    Raises OtpRejected (a wrong, expired or used code: the attempt is counted) or
    AccountCloseRefused (something came in the way since the code was sent).
    """
    now = now or timezone.now()
    refusal = None
    with transaction.atomic():
        result = services._consume_code(
            user_id=user.pk, purpose=OtpPurpose.ACCOUNT_CLOSE, challenge=challenge, code=code,
            client_address=client_address, now=now,
        )
        if result.outcome == otp.ACCEPTED:
            account = User.objects.select_for_update().get(pk=user.pk)
            reasons = close_check(account)
            if reasons:
                refusal = AccountCloseRefused(reasons)
            else:
                _close(account, client_address=client_address, now=now)
                user = account
    if result.outcome != otp.ACCEPTED:
        raise OtpRejected(result.outcome, result.remaining)
    if refusal is not None:
        raise refusal
    return user


def _close(user: User, *, client_address: str, now: datetime) -> None:
    """Inside the caller's transaction, on the locked row."""
    old_username, old_mobile, old_state = user.username, user.mobile, user.state
    person = user.person
    services._record_state(
        user, old_state, AccountState.CLOSED, actor=user, reason="closed by the account holder",
        client_address=client_address,
    )
    user.closed_at = now
    user.person = None
    user.pending_person = None
    user.mobile = None
    user.email = ""
    user.username = tombstone_username(user.pk)
    user.set_unusable_password()  # every web session ends with it (its hash is bound to the password)
    user.is_active = False
    user.state_before_suspension = ""
    user.save(update_fields=[
        "state", "closed_at", "person", "pending_person", "mobile", "email", "username", "password", "is_active",
        "state_before_suspension",
    ])
    OneTimeCode.objects.filter(user=user, used_at=None, voided_at=None).update(voided_at=now)
    LoginThrottle.objects.filter(key=f"user:{user.pk}").delete()
    # The row that says whose account it was: the account itself no longer does.
    audit_record(
        action="account_closed", actor=user, subject=user, subject_label=old_username, client_address=client_address,
        old_username=old_username, person_id=person.pk if person else None,
        national_id=person.national_id if person else "", mobile_ending=(old_mobile or "")[-3:],
        from_state=old_state,
    )
    # Devices and their tokens, passkeys: each app removes what only the account had.
    account_closed.send(sender=User, user=user)
    if old_mobile:
        message_enqueue(
            to=old_mobile, language=user.preferred_language, purpose="accounts.closed", user=user, render=farewell_text,
        )
