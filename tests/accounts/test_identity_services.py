"""An account's identity (mobile, registry person, staff access) changes only through audited
services (accounts.services_identity), never through the admin's change form (QUALITY 29)."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.urls import reverse
from django.utils import translation

from absher.models import AuditEvent
from accounts.exceptions import AccountError
from accounts.models import AccountState, OneTimeCode, User
from accounts.services_identity import (
    account_mobile_change,
    account_person_link,
    account_staff_access_change,
    mobile_change_text,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(user_factory):
    return user_factory(is_staff=True, is_superuser=True, state=AccountState.ACTIVE, username="Superuser2026x")


@pytest.fixture
def citizen(user_factory):
    return user_factory(state=AccountState.ACTIVE, mobile="+966501110001", preferred_language="en")


def audit_rows(action):
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def user_values(user):
    fresh = User.objects.get(pk=user.pk)
    return {
        "mobile": fresh.mobile, "person": fresh.person_id, "is_active": fresh.is_active, "is_staff": fresh.is_staff,
        "is_superuser": fresh.is_superuser, "groups": set(fresh.groups.all()),
        "user_permissions": set(fresh.user_permissions.all()),
    }


# --- the admin's change form shows identity and access read-only ---------------------------------


def _admin_post(user, **attempt):
    """What the change form posts: the editable fields as they are, the inline's management form, and
    an attempt at an identity field (ignored if the form holds it read-only)."""
    data = {
        "username": user.username, "email": user.email, "preferred_language": user.preferred_language,
        "state_changes-TOTAL_FORMS": "0", "state_changes-INITIAL_FORMS": "0",
        "state_changes-MIN_NUM_FORMS": "0", "state_changes-MAX_NUM_FORMS": "1000", "_save": "Save",
    }
    data.update(attempt)
    return data


def _attempts(person_factory):
    group = Group.objects.get(name="Civil affairs supervisors")
    permission = Permission.objects.get(codename="change_user")
    return {
        "mobile": "+966501119999",
        "person": str(person_factory().pk),
        "is_active": "",
        "is_staff": "on",
        "is_superuser": "on",
        "groups": [str(group.pk)],
        "user_permissions": [str(permission.pk)],
    }


@pytest.mark.parametrize("name", ["mobile", "person", "is_active", "is_staff", "is_superuser", "groups", "user_permissions"])
def test_each_identity_field_is_read_only_in_the_admin(client, superuser, citizen, person_factory, name):
    client.force_login(superuser)
    url = reverse("admin:accounts_user_change", args=[citizen.pk])
    before = user_values(citizen)

    page = client.get(url)
    response = client.post(url, _admin_post(citizen, username="Renamed2026x", **{name: _attempts(person_factory)[name]}))

    assert page.status_code == 200
    assert f'name="{name}"'.encode() not in page.content
    assert response.status_code == 302  # the rest of the form was saved...
    assert User.objects.get(pk=citizen.pk).username == "Renamed2026x"
    assert user_values(citizen) == before  # ...but not the identity field
    assert not AuditEvent.objects.filter(action__in=["mobile_changed", "staff_access_changed", "account_person_changed"])


def test_the_change_form_saves_only_the_fields_it_changed(client, superuser, citizen):
    client.force_login(superuser)
    url = reverse("admin:accounts_user_change", args=[citizen.pk])
    account_mobile_change(user=citizen, new_mobile="0501112222", actor=superuser, reason="Lost phone")

    client.post(url, _admin_post(citizen, email="new@example.com"))

    fresh = User.objects.get(pk=citizen.pk)
    assert (fresh.mobile, fresh.email) == ("+966501112222", "new@example.com")


# --- the mobile number ------------------------------------------------------------------------------


def test_a_staff_mobile_change_is_audited_and_both_numbers_are_told_after_commit(
    superuser, citizen, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        account_mobile_change(
            user=citizen, new_mobile="0501112222", actor=superuser, reason="Lost phone; ID checked at the office",
            client_address="192.0.2.9",
        )
    assert User.objects.get(pk=citizen.pk).mobile == "+966501112222"
    assert sms_outbox == []  # nothing before the commit

    for callback in callbacks:
        callback()

    assert sorted(message.to for message in sms_outbox) == ["+966501110001", "+966501112222"]
    to_old = next(message for message in sms_outbox if message.to == "+966501110001")
    with translation.override("en"):
        assert to_old.body == mobile_change_text("old", ending="222")
    [event] = audit_rows("mobile_changed")
    assert event.actor == superuser and event.subject == citizen and event.client_address == "192.0.2.9"
    assert event.details == {
        "method": "staff", "old": "+966501110001", "new": "+966501112222", "reason": "Lost phone; ID checked at the office",
    }


def test_no_sms_when_the_mobile_change_rolls_back(superuser, citizen, sms_outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        account_mobile_change(user=citizen, new_mobile="0501112222", actor=superuser, reason="Lost phone")
        raise RuntimeError("the surrounding work failed")
    assert sms_outbox == []
    assert User.objects.get(pk=citizen.pk).mobile == "+966501110001"
    assert not audit_rows("mobile_changed")


def test_codes_sent_to_the_old_number_stop_working(superuser, citizen, committed):
    from accounts import services

    with committed():
        challenge = services.otp_challenge_start(user=citizen, purpose="login", client_address="192.0.2.1")
    account_mobile_change(user=citizen, new_mobile="0501112222", actor=superuser, reason="Stolen phone")
    assert OneTimeCode.objects.get(challenge=challenge).voided_at is not None


def test_the_same_mobile_changes_nothing(superuser, citizen, sms_outbox, committed):
    with committed():
        account_mobile_change(user=citizen, new_mobile="0501110001", actor=superuser, reason="Checked")
    assert sms_outbox == [] and not audit_rows("mobile_changed")


@pytest.mark.parametrize(
    "case, code",
    [
        ("taken", "mobile_taken"),
        ("format", "mobile_format"),
        ("not_mobile", "mobile_not_mobile"),
        ("no_reason", "reason_required"),
        ("own", "own_account"),
    ],
)
def test_a_mobile_change_is_refused_with_its_code(superuser, citizen, user_factory, sms_outbox, committed, case, code):
    user_factory(mobile="+966501113333")
    kwargs = {"user": citizen, "new_mobile": "0501114444", "actor": superuser, "reason": "Lost phone"}
    kwargs.update({
        "taken": {"new_mobile": "0501113333"},
        "format": {"new_mobile": "05011x4444"},
        "not_mobile": {"new_mobile": "0112345678"},
        "no_reason": {"reason": "  "},
        "own": {"user": superuser},
    }[case])

    with committed(), pytest.raises(AccountError) as refused:
        account_mobile_change(**kwargs)

    assert refused.value.code == code
    assert refused.value.message()
    assert User.objects.get(pk=citizen.pk).mobile == "+966501110001"
    assert sms_outbox == [] and not audit_rows("mobile_changed")


def test_the_mobile_page_calls_the_service(client, superuser, citizen, sms_outbox, committed):
    client.force_login(superuser)
    url = reverse("admin:accounts_user_mobile", args=[citizen.pk])

    assert url.encode() in client.get(reverse("admin:accounts_user_change", args=[citizen.pk])).content
    refused = client.post(url, {"mobile": "0501112222", "reason": ""})
    with committed():
        done = client.post(url, {"mobile": "0501112222", "reason": "Lost phone"})

    assert refused.status_code == 200 and refused.context["form"].has_error("reason", "required")
    assert b"0501112222" in refused.content  # what was typed is kept
    assert done.status_code == 302
    assert User.objects.get(pk=citizen.pk).mobile == "+966501112222"
    assert len(sms_outbox) == 2 and audit_rows("mobile_changed")[0].actor == superuser


def test_staff_without_the_change_permission_do_not_reach_the_identity_pages(client, user_factory, citizen):
    officer = user_factory(is_staff=True, state=AccountState.ACTIVE, username="Officer2026x")
    officer.groups.add(Group.objects.get(name="Civil affairs supervisors"))
    client.force_login(officer)
    for name in ("accounts_user_mobile", "accounts_user_person", "accounts_user_staff_access"):
        assert client.get(reverse(f"admin:{name}", args=[citizen.pk])).status_code == 403, name
    assert client.post(reverse("admin:accounts_user_mobile", args=[citizen.pk]), {"mobile": "0501112222", "reason": "x"}).status_code == 403
    assert User.objects.get(pk=citizen.pk).mobile == "+966501110001"


# --- staff access -------------------------------------------------------------------------------------


def test_granting_and_revoking_staff_access_is_audited_with_old_and_new(superuser, user_factory):
    clerk = user_factory(state=AccountState.ACTIVE)
    group = Group.objects.get(name="Civil affairs officers")
    permission = Permission.objects.get(content_type__app_label="civil_affairs", codename="view_person")

    account_staff_access_change(
        user=clerk, actor=superuser, reason="Joins the civil affairs office", is_staff=True, groups=[group],
        user_permissions=[permission], client_address="192.0.2.4",
    )
    account_staff_access_change(user=clerk, actor=superuser, reason="Leaves the office", is_staff=False, groups=[])

    granted, revoked = audit_rows("staff_access_changed")
    assert granted.actor == superuser and granted.subject == clerk and granted.client_address == "192.0.2.4"
    assert granted.details == {
        "reason": "Joins the civil affairs office",
        "changes": {
            "is_staff": {"old": False, "new": True},
            "groups": {"old": [], "new": ["Civil affairs officers"]},
            "user_permissions": {"old": [], "new": ["civil_affairs.view_person"]},
        },
    }
    assert revoked.details["changes"] == {
        "is_staff": {"old": True, "new": False},
        "groups": {"old": ["Civil affairs officers"], "new": []},
    }
    fresh = User.objects.get(pk=clerk.pk)
    assert not fresh.is_staff and not fresh.groups.exists() and fresh.user_permissions.get() == permission


def test_superuser_status_is_audited(superuser, user_factory):
    clerk = user_factory(is_staff=True, state=AccountState.ACTIVE)
    account_staff_access_change(user=clerk, actor=superuser, reason="Second administrator", is_superuser=True)
    assert User.objects.get(pk=clerk.pk).is_superuser
    assert audit_rows("staff_access_changed")[0].details["changes"] == {"is_superuser": {"old": False, "new": True}}


def test_staff_access_unchanged_writes_nothing(superuser, user_factory):
    clerk = user_factory(is_staff=True, state=AccountState.ACTIVE)
    account_staff_access_change(user=clerk, actor=superuser, reason="Checked", is_staff=True, groups=[], user_permissions=[])
    assert not audit_rows("staff_access_changed")


@pytest.mark.parametrize("case, code", [("not_superuser", "not_superuser"), ("own", "own_account"), ("no_reason", "reason_required")])
def test_staff_access_changes_are_refused_with_their_code(superuser, user_factory, case, code):
    clerk = user_factory(state=AccountState.ACTIVE)
    staff = user_factory(is_staff=True, state=AccountState.ACTIVE)
    kwargs = {"user": clerk, "actor": superuser, "reason": "x", "is_superuser": True}
    kwargs.update({"not_superuser": {"actor": staff}, "own": {"user": superuser, "is_superuser": False}, "no_reason": {"reason": ""}}[case])

    with pytest.raises(AccountError) as refused:
        account_staff_access_change(**kwargs)

    assert refused.value.code == code
    assert not User.objects.get(pk=kwargs["user"].pk).is_superuser or case == "own"
    assert User.objects.get(pk=superuser.pk).is_superuser
    assert not audit_rows("staff_access_changed")


def test_the_staff_access_page_is_for_superusers_and_calls_the_service(client, superuser, user_factory):
    clerk = user_factory(state=AccountState.ACTIVE)
    group = Group.objects.get(name="Auditors")
    client.force_login(superuser)
    url = reverse("admin:accounts_user_staff_access", args=[clerk.pk])

    assert client.get(url).status_code == 200
    response = client.post(url, {"is_staff": "on", "groups": [group.pk], "reason": "Audit of 2026"})

    assert response.status_code == 302
    fresh = User.objects.get(pk=clerk.pk)
    assert fresh.is_staff and list(fresh.groups.all()) == [group]
    assert audit_rows("staff_access_changed")[0].details["reason"] == "Audit of 2026"


# --- the account's registry person ----------------------------------------------------------------------


def test_linking_an_account_to_a_person_is_audited(superuser, citizen, person_factory):
    old = citizen.person
    other = person_factory()

    account_person_link(user=citizen, person=other, actor=superuser, reason="Registered with a wrong ID")
    account_person_link(user=citizen, person=other, actor=superuser, reason="again")  # nothing to change

    assert User.objects.get(pk=citizen.pk).person == other
    [event] = audit_rows("account_person_changed")
    assert event.actor == superuser and event.subject == citizen
    assert event.details == {"old": old.national_id, "new": other.national_id, "reason": "Registered with a wrong ID"}


def test_a_person_with_another_account_is_refused(superuser, citizen, user_factory):
    other = user_factory()
    with pytest.raises(AccountError) as refused:
        account_person_link(user=citizen, person=other.person, actor=superuser, reason="x")
    assert refused.value.code == "person_taken"
    assert not audit_rows("account_person_changed")


def test_the_person_page_calls_the_service(client, superuser, citizen, person_factory):
    other = person_factory()
    client.force_login(superuser)
    url = reverse("admin:accounts_user_person", args=[citizen.pk])

    unknown = client.post(url, {"national_id": "1000000000", "reason": "x"})
    done = client.post(url, {"national_id": other.national_id, "reason": "Registered with a wrong ID"})

    assert unknown.context["form"].has_error("national_id", "person_unknown")
    assert done.status_code == 302 and User.objects.get(pk=citizen.pk).person == other


# --- the older services keep their audit rows -------------------------------------------------------------


def test_suspension_still_records_its_state_change(superuser, citizen):
    from accounts import services

    services.account_suspend(user=citizen, actor=superuser, reason="Fraud report")
    [event] = audit_rows("account_state_changed")
    assert event.details == {"from_state": "active", "to_state": "suspended", "reason": "Fraud report"}
