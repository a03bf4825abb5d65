"""Staff changes of an account's identity: its mobile number, its registry person, its staff access.

The admin shows these fields read-only; its pages call these services, each one transaction that
locks the account, returns early when nothing changes, and writes one audit row with the old
and the new value, who made the change and why (QUALITY 29). SMS are outbox rows in it, sent after commit.
"""

from functools import partial

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from absher.audit import audit_record
from absher.notifications.services import message_enqueue
from civil_affairs.models import Person

from .exceptions import AccountError, IdentifierTaken
from .models import AccountState, OneTimeCode, User
from .rules import normalize_mobile


class IdentityChangeRefused(AccountError):
    """A staff change of an account's identity that the rules do not allow: nothing was written."""

    def __init__(self, code: str, text: str = ""):
        super().__init__(code)
        self.code = code
        self.text = text

    def message(self) -> str:
        texts = {
            "reason_required": _("Write the reason for the change: the audit trail keeps it."),
            "own_account": _("Staff do not change their own account here: ask another member of staff."),
            "not_superuser": _("Only a superuser can change staff access."),
            "person_taken": _("This person already has another account."),
        }
        return self.text or texts.get(self.code, _("This change is not allowed."))


def mobile_change_text(kind: str, ending: str = "") -> str:
    """The SMS to the old number (`old`) and to the new one (`new`) after a staff change."""
    if kind == "old":
        return _(
            "Absher: staff changed your account's mobile number to a number ending in %(ending)s. "
            "If you did not ask for this, call %(phone)s now."
        ) % {"ending": ending, "phone": settings.SUPPORT_PHONE_LOCAL}
    return _(
        "Absher: this number is now your Absher account's mobile number, changed by staff. "
        "If you did not ask for this, call %(phone)s now."
    ) % {"phone": settings.SUPPORT_PHONE_LOCAL}


def _checked_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise IdentityChangeRefused("reason_required")
    return reason


def _not_own(user: User, actor: User) -> None:
    if getattr(actor, "pk", None) == user.pk:
        raise IdentityChangeRefused("own_account")


def account_mobile_change(
    *, user: User, new_mobile: str, actor: User, reason: str, client_address: str | None = None
) -> User:
    """Staff set an account's mobile number (the owner lost the old one, identity checked in person).

    Both numbers are told by SMS once the change is committed; codes already sent to the old
    number stop working.
    """
    reason = _checked_reason(reason)
    _not_own(user, actor)
    try:
        new_mobile = normalize_mobile(new_mobile)
    except ValidationError as error:
        raise IdentityChangeRefused(error.code or "mobile_format", error.messages[0]) from None
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        old_mobile = user.mobile or ""
        if old_mobile == new_mobile:
            return user
        # A registration still waiting for its code holds no number; any other account does.
        if User.objects.filter(mobile=new_mobile).exclude(pk=user.pk).exclude(state=AccountState.PENDING_PHONE).exists():
            raise IdentifierTaken("mobile")
        user.mobile = new_mobile
        try:
            with transaction.atomic():
                user.save(update_fields=["mobile"])
        except IntegrityError:  # another account took the number in the meantime
            raise IdentifierTaken("mobile") from None
        OneTimeCode.objects.filter(user=user, used_at=None, voided_at=None).update(voided_at=timezone.now())
        audit_record(
            action="mobile_changed", actor=actor, subject=user, client_address=client_address, method="staff",
            old=old_mobile or None, new=new_mobile, reason=reason,
        )
        language = user.preferred_language
        if old_mobile:
            message_enqueue(
                to=old_mobile, language=language, purpose="accounts.staff_mobile_change_old", user=user,
                render=partial(mobile_change_text, "old", new_mobile[-3:]),
            )
        message_enqueue(
            to=new_mobile, language=language, purpose="accounts.staff_mobile_change_new", user=user,
            render=partial(mobile_change_text, "new"),
        )
    return user


def account_person_link(
    *, user: User, person: Person | None, actor: User, reason: str, client_address: str | None = None
) -> User:
    """Staff link an account to its person in the civil registry (None: unlink), for a reason."""
    reason = _checked_reason(reason)
    _not_own(user, actor)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.person_id == (person.pk if person else None):
            return user
        if person is not None:
            person = Person.objects.select_for_update().get(pk=person.pk)
            if User.objects.filter(person=person).exclude(pk=user.pk).exists():
                raise IdentityChangeRefused("person_taken")
        old = user.person.national_id if user.person_id else None
        user.person = person
        try:
            with transaction.atomic():
                user.save(update_fields=["person"])
        except IntegrityError:  # linked to another account in the meantime
            raise IdentityChangeRefused("person_taken") from None
        audit_record(
            action="account_person_changed", actor=actor, subject=user, client_address=client_address,
            old=old, new=person.national_id if person else None, reason=reason,
        )
    return user


def _access(user: User) -> dict:
    return {
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "groups": sorted(user.groups.values_list("name", flat=True)),
        "user_permissions": sorted(
            f"{app}.{codename}"
            for app, codename in user.user_permissions.values_list("content_type__app_label", "codename")
        ),
    }


def account_staff_access_change(
    *,
    user: User,
    actor: User,
    reason: str,
    is_staff: bool | None = None,
    is_superuser: bool | None = None,
    groups: list[Group] | None = None,
    user_permissions: list[Permission] | None = None,
    client_address: str | None = None,
) -> User:
    """Grant or revoke staff status, superuser status, groups and permissions (None: unchanged).

    Only a superuser does it, never for their own account; one audit row carries the old and the
    new value of each part that changed.
    """
    reason = _checked_reason(reason)
    if not (getattr(actor, "is_superuser", False) and getattr(actor, "is_active", False)):
        raise IdentityChangeRefused("not_superuser")
    _not_own(user, actor)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        before = _access(user)
        fields = []
        for name, value in (("is_staff", is_staff), ("is_superuser", is_superuser)):
            if value is not None and getattr(user, name) != bool(value):
                setattr(user, name, bool(value))
                fields.append(name)
        if fields:
            user.save(update_fields=fields)
        if groups is not None:
            user.groups.set(groups)
        if user_permissions is not None:
            user.user_permissions.set(user_permissions)
        after = _access(user)
        changes = {name: {"old": before[name], "new": after[name]} for name in before if before[name] != after[name]}
        if not changes:
            return user
        audit_record(
            action="staff_access_changed", actor=actor, subject=user, client_address=client_address,
            changes=changes, reason=reason,
        )
    return user
