"""The add-dependent request type with real registry rows: filing checks, approval, summary."""

import threading
import time
import uuid
from datetime import date, timedelta

import pytest
from django.db import connection
from django.utils import translation

from absher.models import AuditEvent
from accounts.models import AccountState
from civil_affairs import ages, inbox
from civil_affairs import selectors as registry
from civil_affairs.inbox import RequestNotAllowed
from civil_affairs.models import RequestStatus, RequestType, ServiceRequest
from civil_affairs.templatetags.calendars import dual_date
from dependents import eligibility as e
from dependents.behaviours import NOT_IN_REGISTRY, PENDING_REQUEST, AddDependentRequest
from dependents.forms import AddDependentForm
from dependents.models import GuardianLink
from tests.conftest import make_id, require_postgres

pytestmark = pytest.mark.django_db

BORN = date(2010, 3, 15)
DAY = timedelta(days=1)


@pytest.fixture
def behaviour():
    return inbox.behaviour_for("add_dependent")


@pytest.fixture
def family(person_factory, user_factory):
    """A citizen father (with an active account) and mother, and a resident couple with their daughter."""
    father = person_factory(sex="M", birth_date=date(1975, 5, 1), name_en="Saad Al-Harbi")
    mother = person_factory(sex="F", birth_date=date(1980, 5, 1))
    uncle = person_factory(sex="M", birth_date=date(1978, 5, 1))

    class Family:
        pass

    f = Family()
    f.father, f.mother, f.uncle = father, mother, uncle
    f.father_user = user_factory(state=AccountState.ACTIVE, person=father)
    f.mother_user = user_factory(state=AccountState.ACTIVE, person=mother)
    f.uncle_user = user_factory(state=AccountState.ACTIVE, person=uncle)
    f.staff = user_factory(state=AccountState.ACTIVE, is_staff=True)

    def child(prefix="1", sex="M", birth_date=BORN, **fields):
        fields.setdefault("national_id_issued", False)
        return person_factory(
            prefix=prefix, sex=sex, birth_date=birth_date, father=father, mother=mother, name_ar="عمر سعد",
            name_en="Omar Saad", **fields
        )

    f.child = child
    return f


def reaches(person, years, months=0):
    return registry.person_reaches(person, years=years, months=months)


def refusal_of(behaviour, *, applicant, person=None, national_id=None, today):
    with pytest.raises(RequestNotAllowed) as caught:
        behaviour.check(applicant=applicant, data={"dependent_national_id": national_id or person.national_id}, today=today)
    return caught.value.refusal


def add_request(applicant, person, *, status=RequestStatus.SUBMITTED):
    request_type, _ = RequestType.objects.get_or_create(
        code="add_dependent", defaults={"name_ar": "إضافة تابع", "name_en": "Add a dependent", "department": "civil_affairs"}
    )
    request = ServiceRequest.objects.create(
        request_type=request_type, department=request_type.department, applicant=applicant, subject=person,
        status=status, description="Please add my son", data={"dependent_national_id": person.national_id},
        submission_key=uuid.uuid4(),
    )
    request.reference = f"CA-TEST-{request.pk:06d}"
    request.save(update_fields=["reference"])
    return request


def test_the_inbox_knows_the_type(behaviour):
    assert isinstance(behaviour, AddDependentRequest)
    assert "add_dependent" in inbox.registered_codes()
    assert behaviour.form_class is AddDependentForm


@pytest.mark.parametrize(
    ("typed", "valid", "code"),
    [
        (make_id("1", 555), True, None),
        (make_id("2", 555).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")), True, None),
        ("1234567890", False, "id_check_digit"),
        ("3" + make_id("1", 555)[1:], False, "id_prefix"),
        ("12345", False, "id_format"),
        ("", False, "required"),
    ],
)
def test_the_form_reads_an_id_number(typed, valid, code):
    form = AddDependentForm({"dependent_national_id": typed})
    assert form.is_valid() is valid
    if valid:
        assert form.cleaned_data["dependent_national_id"].isascii()
    else:
        assert form.has_error("dependent_national_id", code)


# --- filing -------------------------------------------------------------------------------


@pytest.mark.parametrize("sex", ["M", "F"])
def test_the_father_may_add_from_14y10m_in_hijri(behaviour, family, sex):
    son = family.child(sex=sex)
    edge = reaches(son, 14, 10)
    assert edge == ages.anniversary(BORN, years=14, months=10, calendar=ages.HIJRI)
    behaviour.check(applicant=family.father_user, data={"dependent_national_id": son.national_id}, today=edge)
    refusal = refusal_of(behaviour, applicant=family.father_user, person=son, today=edge - DAY)
    assert refusal.reasons == (e.TOO_YOUNG,)
    assert refusal.allowed_from == edge
    with translation.override("en"):
        refusal = refusal_of(behaviour, applicant=family.father_user, person=son, today=edge - DAY)
        assert dual_date(edge) in refusal.messages[0] and "AH" in refusal.messages[0]


def test_a_resident_child_counts_in_gregorian(behaviour, family):
    daughter = family.child(prefix="2", sex="F")
    hijri_edge = ages.anniversary(BORN, years=14, months=10, calendar=ages.HIJRI)
    gregorian_edge = ages.anniversary(BORN, years=14, months=10, calendar=ages.GREGORIAN)
    assert reaches(daughter, 14, 10) == gregorian_edge > hijri_edge
    refusal = refusal_of(behaviour, applicant=family.mother_user, person=daughter, today=hijri_edge)
    assert refusal.reasons == (e.TOO_YOUNG,) and refusal.allowed_from == gregorian_edge
    behaviour.check(applicant=family.mother_user, data={"dependent_national_id": daughter.national_id}, today=gregorian_edge)


def test_a_son_until_the_day_before_his_18th_birthday(behaviour, family):
    son = family.child()
    eighteen = reaches(son, 18)
    behaviour.check(applicant=family.mother_user, data={"dependent_national_id": son.national_id}, today=eighteen - DAY)
    refusal = refusal_of(behaviour, applicant=family.mother_user, person=son, today=eighteen)
    assert refusal.reasons == (e.MALE_18_OR_OVER,) and refusal.allowed_from is None


def bracket_depth(text):
    depth = deepest = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        deepest = max(deepest, depth)
    assert depth == 0, text
    return deepest


def test_dates_in_the_refusals_are_not_in_nested_brackets(behaviour, family):
    """dual_date already brackets the Hijri date: a text never puts that in brackets again."""
    son = family.child()
    eighteen, edge = reaches(son, 18), reaches(son, 14, 10)
    with translation.override("en"):
        too_old = refusal_of(behaviour, applicant=family.father_user, person=son, today=eighteen).messages[0]
        too_young = refusal_of(behaviour, applicant=family.father_user, person=son, today=edge - DAY).messages[0]
        shown = dual_date(eighteen)
    assert too_old == (
        f"A son can be added only before his 18th birthday. He turned 18 on {shown} and can now register his own "
        "account."
    )
    assert "(" in shown and "AH)" in shown
    assert bracket_depth(too_old) == 1 and bracket_depth(too_young) == 1


def test_a_daughter_past_18(behaviour, family):
    daughter = family.child(sex="F")
    behaviour.check(
        applicant=family.father_user, data={"dependent_national_id": daughter.national_id}, today=reaches(daughter, 22)
    )


def test_only_a_registered_parent_and_a_stranger_learns_nothing_more(behaviour, family):
    """The uncle is refused as not a parent; the child's age, card and account are not his to learn."""
    son = family.child(national_id_issued=True, status="deceased")
    today = reaches(son, 18)
    refusal = refusal_of(behaviour, applicant=family.uncle_user, person=son, today=today)
    assert refusal.reasons == (e.NOT_PARENT,) and refusal.allowed_from is None
    unknown = refusal_of(behaviour, applicant=family.uncle_user, national_id=make_id("1", 99999), today=today)
    assert unknown.reasons == (NOT_IN_REGISTRY,)
    assert unknown.messages == refusal.messages  # the same words: the registry's content is not revealed


def test_an_account_without_a_person_is_not_a_parent(behaviour, family, user_factory):
    son = family.child()
    nobody = user_factory(state=AccountState.ACTIVE)
    nobody.person = None
    nobody.save(update_fields=["person"])
    refusal = refusal_of(behaviour, applicant=nobody, person=son, today=reaches(son, 15))
    assert refusal.reasons == (e.NOT_PARENT,)


def test_every_reason_is_reported_to_the_parent(behaviour, family, user_factory):
    son = family.child(national_id_issued=True, status="deceased")
    user_factory(person=son)
    refusal = refusal_of(behaviour, applicant=family.father_user, person=son, today=reaches(son, 19))
    assert refusal.reasons == (e.NOT_LIVING, e.MALE_18_OR_OVER, e.HOLDS_NATIONAL_ID, e.HAS_ACCOUNT)
    assert len(refusal.messages) == 4 and all(refusal.messages)


def test_added_before_to_anyone(behaviour, family):
    son = family.child()
    GuardianLink.objects.create(
        guardian=family.mother, dependent=son, guardian_account=family.mother_user, relation="mother",
        created_by=family.staff,
    )
    refusal = refusal_of(behaviour, applicant=family.father_user, person=son, today=reaches(son, 15))
    assert refusal.reasons == (e.ALREADY_ADDED,)


@pytest.mark.parametrize(
    ("status", "refused"),
    [
        (RequestStatus.SUBMITTED, True),
        (RequestStatus.IN_REVIEW, True),
        (RequestStatus.WAITING_CITIZEN, True),
        (RequestStatus.REJECTED, False),
        (RequestStatus.CLOSED, False),
        (RequestStatus.WITHDRAWN, False),
    ],
)
def test_one_open_request_per_child(behaviour, family, status, refused):
    """The father's open request stands in the way of his second one and of the mother's; a
    closed one (rejected, withdrawn, closed) of neither."""
    son = family.child()
    add_request(family.father_user, son, status=status)
    today = reaches(son, 15)
    for parent in (family.father_user, family.mother_user):
        if refused:
            refusal = refusal_of(behaviour, applicant=parent, person=son, today=today)
            assert refusal.reasons == (PENDING_REQUEST,) == (e.PENDING_REQUEST,)
        else:
            behaviour.check(applicant=parent, data={"dependent_national_id": son.national_id}, today=today)
    # A stranger learns only that he is not a parent, not that a request exists.
    assert refusal_of(behaviour, applicant=family.uncle_user, person=son, today=today).reasons == (e.NOT_PARENT,)


def test_the_open_request_is_explained(behaviour, family):
    son = family.child()
    add_request(family.father_user, son)
    with translation.override("en"):
        refusal = refusal_of(behaviour, applicant=family.mother_user, person=son, today=reaches(son, 15))
    assert refusal.reasons == (e.PENDING_REQUEST,)
    assert refusal.messages == (
        "A request to add this person as a dependent is already being handled. A new one can be filed once it is "
        "closed.",
    )


def test_another_childs_request_does_not_count(behaviour, family):
    son, daughter = family.child(), family.child(sex="F")
    add_request(family.father_user, son)
    behaviour.check(applicant=family.mother_user, data={"dependent_national_id": daughter.national_id},
                    today=reaches(daughter, 15))


def test_approval_is_not_refused_by_its_own_open_request(behaviour, family):
    """The request being decided is open; the one-at-a-time rule is for filing, not for it."""
    son = family.child()
    request = add_request(family.mother_user, son, status=RequestStatus.IN_REVIEW)
    behaviour.approve(request=request, actor=family.staff, today=reaches(son, 15))
    assert GuardianLink.objects.get(dependent=son).guardian == family.mother


def test_subject_is_the_registry_person(behaviour, family):
    son = family.child()
    assert behaviour.subject(applicant=family.father_user, data={"dependent_national_id": son.national_id}) == son
    assert behaviour.subject(applicant=family.father_user, data={"dependent_national_id": make_id("1", 99999)}) is None


# --- approval -----------------------------------------------------------------------------


def test_approval_links_once(behaviour, family):
    son = family.child()
    today = reaches(son, 15)
    request = add_request(family.father_user, son, status=RequestStatus.IN_REVIEW)
    behaviour.approve(request=request, actor=family.staff, today=today)
    link = GuardianLink.objects.get(dependent=son)
    assert (link.guardian, link.guardian_account, link.relation, link.request, link.created_by) == (
        family.father, family.father_user, "father", request, family.staff,
    )
    assert AuditEvent.objects.filter(action="dependent_added", subject=family.father_user).exists()

    second = add_request(family.mother_user, son, status=RequestStatus.IN_REVIEW)
    with pytest.raises(RequestNotAllowed) as caught:
        behaviour.approve(request=second, actor=family.staff, today=today)
    assert caught.value.refusal.reasons == (e.ALREADY_ADDED,)
    assert GuardianLink.objects.filter(dependent=son).count() == 1


def test_a_lost_race_is_a_refusal_not_a_broken_transaction(behaviour, family, monkeypatch):
    """Two approvals for one person at once: the unique dependent stops the second, and the
    approval's transaction goes on (the link was tried in a savepoint)."""
    son = family.child()
    today = reaches(son, 15)
    behaviour.approve(request=add_request(family.father_user, son), actor=family.staff, today=today)
    monkeypatch.setattr("dependents.selectors.dependent_already_added", lambda person: False)
    with pytest.raises(RequestNotAllowed) as caught:
        behaviour.approve(request=add_request(family.mother_user, son), actor=family.staff, today=today)
    assert caught.value.refusal.reasons == (e.ALREADY_ADDED,)
    assert GuardianLink.objects.filter(dependent=son).count() == 1


def test_approval_on_a_day_the_rule_no_longer_holds(behaviour, family):
    """Filed the day before his 18th birthday, decided on it: refused, and no link."""
    son = family.child()
    eighteen = reaches(son, 18)
    behaviour.check(applicant=family.father_user, data={"dependent_national_id": son.national_id}, today=eighteen - DAY)
    request = add_request(family.father_user, son, status=RequestStatus.IN_REVIEW)
    with pytest.raises(RequestNotAllowed) as caught:
        behaviour.approve(request=request, actor=family.staff, today=eighteen)
    assert caught.value.refusal.reasons == (e.MALE_18_OR_OVER,)
    assert not GuardianLink.objects.exists()


def test_approval_after_the_card_was_issued(behaviour, family):
    son = family.child()
    request = add_request(family.father_user, son, status=RequestStatus.IN_REVIEW)
    son.national_id_issued = True
    son.save(update_fields=["national_id_issued"])
    with pytest.raises(RequestNotAllowed) as caught:
        behaviour.approve(request=request, actor=family.staff, today=reaches(son, 15))
    assert caught.value.refusal.reasons == (e.HOLDS_NATIONAL_ID,)


def test_filed_and_approved_through_the_inbox(family, committed):
    """The inbox's own services call the behaviour: filing refuses a second open request, approval links."""
    from civil_affairs import services

    son = family.child()
    today = reaches(son, 15)
    request_type = RequestType.objects.get(code="add_dependent")

    def submit():
        with committed():
            return services.request_submit(
                applicant=family.father_user, request_type=request_type,
                data={"dependent_national_id": son.national_id}, description="My son", submission_key=uuid.uuid4(),
                today=today,
            )

    request = submit()
    assert request.subject == son
    with pytest.raises(RequestNotAllowed) as caught:
        submit()
    assert caught.value.refusal.reasons == (e.PENDING_REQUEST,)
    with committed():
        services.request_transition(request=request, to_status=RequestStatus.IN_REVIEW, actor=family.staff, today=today)
        services.request_transition(request=request, to_status=RequestStatus.APPROVED, actor=family.staff, today=today)
    assert GuardianLink.objects.get(dependent=son).request == request


def inbox_submit(applicant, person, *, today):
    from civil_affairs import services

    return services.request_submit(
        applicant=applicant, request_type=RequestType.objects.get(code="add_dependent"),
        data={"dependent_national_id": person.national_id}, description="Our son", submission_key=uuid.uuid4(),
        today=today,
    )


@pytest.mark.parametrize("closing", ["rejected", "withdrawn", "closed by staff"])
def test_father_then_mother_through_the_inbox(family, committed, closing):
    """The mother's request is refused while the father's is open, and filed once it is closed."""
    from civil_affairs import services

    son = family.child()
    today = reaches(son, 15)
    with committed():
        fathers = inbox_submit(family.father_user, son, today=today)
    with pytest.raises(RequestNotAllowed) as caught, committed():
        inbox_submit(family.mother_user, son, today=today)
    assert caught.value.refusal.reasons == (e.PENDING_REQUEST,)
    assert ServiceRequest.objects.filter(subject=son).count() == 1

    with committed():
        if closing == "rejected":
            services.request_transition(request=fathers, to_status=RequestStatus.REJECTED, actor=family.staff,
                                        note="Family record missing", today=today)
        elif closing == "withdrawn":
            services.request_withdraw(request=fathers, applicant=family.father_user)
        else:
            services.request_transition(request=fathers, to_status=RequestStatus.CLOSED, actor=family.staff, today=today)
        mothers = inbox_submit(family.mother_user, son, today=today)
    assert mothers.applicant == family.mother_user and mothers.status == RequestStatus.SUBMITTED
    # And now the father waits for hers.
    with pytest.raises(RequestNotAllowed) as caught, committed():
        inbox_submit(family.father_user, son, today=today)
    assert caught.value.refusal.reasons == (e.PENDING_REQUEST,)


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_father_and_mother_at_once_make_one_request(family, monkeypatch):
    """Both submissions pass the first check, made outside the transaction; under the lock on
    the child's registry row only one is filed, and the other parent is told why."""
    require_postgres("row locks")
    son = family.child()
    today = reaches(son, 15)
    subject = AddDependentRequest.subject

    def slow_subject(self, **kwargs):
        # Called inside the submission's transaction between the check and the insert: widen
        # that window so that, without the child's lock, both parents would pass the check.
        time.sleep(0.3)
        return subject(self, **kwargs)

    monkeypatch.setattr(AddDependentRequest, "subject", slow_subject)
    barrier = threading.Barrier(2)
    filed, refused = [], []

    def submit(parent):
        try:
            barrier.wait()
            filed.append(inbox_submit(parent, son, today=today).pk)
        except RequestNotAllowed as exc:
            refused.append(exc.refusal.reasons)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(parent,)) for parent in (family.father_user, family.mother_user)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(filed) == 1 and refused == [(e.PENDING_REQUEST,)]
    assert list(ServiceRequest.objects.filter(subject=son).values_list("pk", flat=True)) == filed


# --- summary ------------------------------------------------------------------------------


def test_summary_in_the_active_language(behaviour, family, today):
    son = family.child()
    request = add_request(family.father_user, son)
    years = ages.age_in_years(BORN, today, calendar=ages.HIJRI)
    with translation.override("en"):
        summary = dict(behaviour.summary(request=request))
        born_shown = dual_date(BORN)
    assert summary["Dependent's name"] == "Omar Saad"
    assert summary["Dependent's ID number"] == son.national_id
    assert summary["Sex"] == "Male"
    assert summary["Date of birth"] == born_shown and "AH" in born_shown
    assert summary["Age"].startswith(f"{years} ") and "Hijri" in summary["Age"]
    with translation.override("ar"):
        assert "عمر سعد" in dict(behaviour.summary(request=request)).values()

    resident = family.child(prefix="2", sex="F")
    with translation.override("en"):
        age = dict(behaviour.summary(request=add_request(family.mother_user, resident)))["Age"]
    assert age.startswith(f"{ages.age_in_years(BORN, today, calendar=ages.GREGORIAN)} ") and "Gregorian" in age


# --- the demo families --------------------------------------------------------------------


def test_the_demo_families_show_each_edge(behaviour, user_factory, today):
    """What the demo people are documented to show is what the rule decides."""
    demo_families_check(behaviour, user_factory, today=today)


def demo_families_check(behaviour, user_factory, *, today):
    from civil_affairs.demo import demo_people_by_key, demo_people_load

    demo_people_load(today=today)
    people = {key: registry.person_by_national_id(p.national_id) for key, p in demo_people_by_key(today=today).items()}
    parents = {key: user_factory(state=AccountState.ACTIVE, person=people[key])
               for key in ("harbi_father", "ghamdi_mother", "mostafa_father", "menon_mother")}

    def outcome(parent, child, day=today):
        try:
            behaviour.check(applicant=parents[parent], data={"dependent_national_id": people[child].national_id}, today=day)
        except RequestNotAllowed as refused:
            return refused.refusal.reasons, refused.refusal.allowed_from
        return (), None

    # The demo picks births that reach an age on a day or, on the rare days no birth date does, just after.
    tomorrow = today + timedelta(days=1)
    omar_from = reaches(people["harbi_son_14y10m_tomorrow"], 14, 10)
    karim_from = reaches(people["mostafa_son_14y10m_tomorrow"], 14, 10)
    abdulrahman_18 = reaches(people["harbi_son_under_18"], 18)
    assert tomorrow <= omar_from <= tomorrow + DAY and tomorrow <= karim_from <= tomorrow + DAY
    assert abdulrahman_18 >= today + timedelta(days=30)
    assert outcome("harbi_father", "harbi_son_under_18") == ((), None)
    assert outcome("harbi_father", "harbi_son_under_18", abdulrahman_18) == ((e.MALE_18_OR_OVER,), None)
    assert outcome("harbi_father", "harbi_son_14y10m_tomorrow") == ((e.TOO_YOUNG,), omar_from)
    assert outcome("harbi_father", "harbi_son_14y10m_tomorrow", omar_from) == ((), None)
    assert outcome("harbi_father", "harbi_daughter_adult") == ((e.HOLDS_NATIONAL_ID,), None)
    assert outcome("harbi_father", "ghamdi_daughter_14y10m_today") == ((e.NOT_PARENT,), None)
    assert outcome("ghamdi_mother", "ghamdi_daughter_14y10m_today") == ((), None)
    assert outcome("ghamdi_mother", "ghamdi_son_over_18") == ((e.MALE_18_OR_OVER, e.HOLDS_NATIONAL_ID), None)
    assert outcome("mostafa_father", "mostafa_son_14y10m_tomorrow") == ((e.TOO_YOUNG,), karim_from)
    assert outcome("menon_mother", "menon_daughter_14y10m_today") == ((), None)
