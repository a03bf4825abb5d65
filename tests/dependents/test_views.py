"""The "My dependents" page through the test client."""

import uuid
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.html import escape

from accounts.models import AccountState
from civil_affairs import ages
from civil_affairs import selectors as registry
from civil_affairs.models import RequestStatus, RequestType, ServiceRequest
from civil_affairs.templatetags.calendars import dual_date
from dependents.models import GuardianLink

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.dependents.urls")]


@pytest.fixture
def staff(user_factory):
    return user_factory(state=AccountState.ACTIVE, is_staff=True)


@pytest.fixture
def parent(person_factory, user_factory):
    father = person_factory(sex="M", birth_date=date(1975, 1, 1))
    return user_factory(state=AccountState.ACTIVE, person=father)


@pytest.fixture
def add_dependent(person_factory, staff):
    request_type, _ = RequestType.objects.get_or_create(
        code="add_dependent", defaults={"name_ar": "إضافة تابع", "name_en": "Add a dependent", "department": "civil_affairs"}
    )

    def create(user, *, prefix="1", sex="M", birth_date=date(2010, 3, 15), name_en="Omar Saad", name_ar="عمر سعد",
               status=RequestStatus.APPROVED):
        relation = "father" if user.person.sex == "M" else "mother"
        child = person_factory(prefix=prefix, sex=sex, birth_date=birth_date, name_en=name_en, name_ar=name_ar,
                               national_id_issued=False, **{relation: user.person})
        request = ServiceRequest.objects.create(
            request_type=request_type, department=request_type.department, applicant=user, subject=child,
            status=status, description="add", data={"dependent_national_id": child.national_id},
            submission_key=uuid.uuid4(),
        )
        request.reference = f"CA-TEST-{request.pk:06d}"
        request.save(update_fields=["reference"])
        if status == RequestStatus.APPROVED:
            GuardianLink.objects.create(guardian=user.person, dependent=child, guardian_account=user,
                                        relation=relation, request=request, created_by=staff)
        return child, request

    return create


def page(client, user, language="en"):
    client.force_login(user)
    client.cookies["absher_language"] = language
    return client.get(reverse("dependents:dependent-list"))


def test_the_url():
    assert reverse("dependents:dependent-list") == "/services/dependents/"


def test_signed_in_and_active_only(client, user_factory):
    response = client.get(reverse("dependents:dependent-list"))
    assert response.status_code == 302 and reverse("accounts:login") in response.url
    response = page(client, user_factory(state=AccountState.REGISTERED))
    assert response.status_code == 403
    assert "accounts/activation_required.html" in [t.name for t in response.templates]


def test_lists_dependents_with_both_calendars(client, parent, add_dependent, today):
    son, son_request = add_dependent(parent)
    daughter, _ = add_dependent(parent, prefix="2", sex="F", birth_date=date(2009, 2, 25), name_en="Salma Saad")
    response = page(client, parent)
    assert response.status_code == 200
    html = response.content.decode()
    with translation.override("en"):
        for person in (son, daughter):
            assert person.name_en in html and person.national_id in html
            assert escape(dual_date(person.birth_date)) in html
            hijri = ages.age_in_years(person.birth_date, today, calendar=ages.HIJRI)
            gregorian = ages.age_in_years(person.birth_date, today, calendar=ages.GREGORIAN)
            assert f"{hijri} years in the Hijri calendar" in html
            assert f"{gregorian} years in the Gregorian calendar" in html
            # 15 and 18 in the dependent's own calendar: Hijri for the citizen son, Gregorian for the resident daughter.
            for years in (15, 18):
                shown = escape(dual_date(registry.person_reaches(person, years=years)))
                assert shown in html and "AH)" in shown
    assert registry.person_reaches(son, years=15) == ages.anniversary(son.birth_date, years=15, calendar=ages.HIJRI)
    assert registry.person_reaches(daughter, years=15) == ages.anniversary(
        daughter.birth_date, years=15, calendar=ages.GREGORIAN
    )
    assert son_request.reference in html and "Add a dependent" in html and "Approved" in html


def test_arabic_page(client, parent, add_dependent):
    son, _ = add_dependent(parent)
    html = page(client, parent, language="ar").content.decode()
    with translation.override("ar"):
        assert son.name_ar in html and escape(dual_date(son.birth_date)) in html and "هـ" in dual_date(son.birth_date)


def test_requests_about_a_dependent_and_pending_additions(client, parent, add_dependent, person_factory):
    son, _ = add_dependent(parent)
    other_type = RequestType.objects.create(code="test_other", name_ar="أخرى", name_en="Other thing",
                                            department="civil_affairs")
    about_son = ServiceRequest.objects.create(
        request_type=other_type, department="civil_affairs", applicant=parent, subject=son, status=RequestStatus.IN_REVIEW,
        description="x", submission_key=uuid.uuid4(), reference="CA-TEST-900001",
    )
    waiting, waiting_request = add_dependent(parent, sex="F", name_en="Reem Saad", status=RequestStatus.SUBMITTED)
    html = page(client, parent).content.decode()
    assert about_son.reference in html and "Other thing" in html and "In review" in html
    assert waiting_request.reference in html and "Reem Saad" in html and "Submitted" in html


def test_others_dependents_are_never_shown(client, parent, add_dependent, person_factory, user_factory):
    mine, _ = add_dependent(parent)
    neighbour = user_factory(state=AccountState.ACTIVE, person=person_factory(sex="F", birth_date=date(1980, 1, 1)))
    theirs, their_request = add_dependent(neighbour, name_en="Hidden Child", name_ar="طفل آخر")
    _, their_pending = add_dependent(neighbour, name_en="Hidden Pending", status=RequestStatus.SUBMITTED)
    html = page(client, parent).content.decode()
    assert mine.national_id in html
    for hidden in (theirs.national_id, "Hidden Child", their_request.reference, "Hidden Pending", their_pending.reference):
        assert hidden not in html
    html = page(client, neighbour).content.decode()
    assert theirs.national_id in html and mine.national_id not in html


def test_no_dependents(client, parent):
    response = page(client, parent)
    assert response.status_code == 200 and "You have not added any dependents." in response.content.decode()


def test_the_add_link_when_the_inbox_has_its_url(client, parent):
    try:
        add_url = reverse("civil_affairs:request-new", args=["add_dependent"])
    except NoReverseMatch:
        pytest.skip("the inbox's request-new url is not there yet")
    assert f'href="{add_url}"' in page(client, parent).content.decode()


def queries_for(client, user):
    client.force_login(user)
    client.cookies["absher_language"] = "en"
    client.get(reverse("dependents:dependent-list"))  # the session settles on the first visit
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("dependents:dependent-list"))
    assert response.status_code == 200
    return len(captured)


def test_a_fixed_number_of_queries(client, parent, add_dependent, person_factory, user_factory):
    add_dependent(parent)
    add_dependent(parent, status=RequestStatus.SUBMITTED)
    one = queries_for(client, parent)
    other = user_factory(state=AccountState.ACTIVE, person=person_factory(sex="M", birth_date=date(1970, 1, 1)))
    for serial in range(5):
        add_dependent(other, prefix="2" if serial % 2 else "1", sex="F" if serial % 2 else "M")
    add_dependent(other, status=RequestStatus.SUBMITTED)
    five = queries_for(client, other)
    assert one == five
    assert five <= 6


def test_staff_see_links_in_the_admin_but_do_not_type_them(client, parent, add_dependent, user_factory):
    son, _ = add_dependent(parent)
    admin = user_factory(state=AccountState.ACTIVE, is_staff=True, is_superuser=True)
    client.force_login(admin)
    listing = client.get(reverse("admin:dependents_guardianlink_changelist"))
    assert listing.status_code == 200 and son.national_id in listing.content.decode()
    assert client.get(reverse("admin:dependents_guardianlink_add")).status_code == 403
    link = GuardianLink.objects.get(dependent=son)
    detail = client.get(reverse("admin:dependents_guardianlink_change", args=[link.pk]))
    assert detail.status_code == 200 and 'name="relation"' not in detail.content.decode()
