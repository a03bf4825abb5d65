"""/api/v1/dependents/: My dependents, the registry's sons and daughters (who can be added, and
if not why and from when), and adding one through the add-dependent request."""

import uuid
from datetime import date

import pytest

from civil_affairs import ages
from civil_affairs.models import RequestType, ServiceRequest
from dependents.models import GuardianLink
from tests.api.fixtures_citizen import *  # noqa: F403 - the fixtures
from tests.api.fixtures_citizen import as_user, error_of, pdf_file

pytestmark = pytest.mark.django_db

DEPENDENTS = "/api/v1/dependents/"


def years_ago(today: date, years: int) -> date:
    return ages.anniversary(today, years=-years)


@pytest.fixture
def child_of(person_factory):
    def create(parent, *, years=16, sex="M", **fields):
        return person_factory(sex=sex, birth_date=years_ago(fields.pop("today"), years), national_id_issued=False,
                              father=parent.person, **fields)

    return create


@pytest.fixture
def added(child_of, staff, today):
    def create(parent, **fields):
        child = child_of(parent, today=today, **fields)
        GuardianLink.objects.create(guardian=parent.person, dependent=child, guardian_account=parent, relation="father",
                                    created_by=staff)
        return child

    return create


def add(api, national_id, **extra):
    body = {"dependent_national_id": national_id, "description": "My son", "submission_key": str(uuid.uuid4()), **extra}
    return api.post(DEPENDENTS, body, format="multipart" if "files" in extra else "json", HTTP_ACCEPT_LANGUAGE="en")


def test_who_may(api, registered):
    assert error_of(api.get(DEPENDENTS))["code"] == "not_authenticated"
    assert api.post(DEPENDENTS, {}).status_code == 401
    as_user(api, registered)
    assert error_of(api.get(DEPENDENTS))["code"] == "account_not_activated"
    assert api.post(DEPENDENTS, {}).status_code == 403


def test_the_page_data(api, citizen, other_citizen, child_of, added, today):
    daughter = added(citizen, sex="F", years=17)
    son = child_of(citizen, today=today, years=16)
    young = child_of(citizen, today=today, years=10, sex="F")
    added(other_citizen)  # not mine
    as_user(api, citizen)
    body = api.get(DEPENDENTS, HTTP_ACCEPT_LANGUAGE="en").json()
    assert body["today"]["gregorian"] == today.isoformat()
    [row] = body["dependents"]
    assert row["national_id"] == daughter.national_id and row["relation"] == "father" and row["sex"] == "F"
    assert row["age_gregorian"] == 17 and row["age_hijri"] == ages.age_in_years(daughter.birth_date, today, calendar=ages.HIJRI)
    assert row["turns_18"]["gregorian"] == ages.anniversary(daughter.birth_date, years=18, calendar=ages.HIJRI).isoformat()
    assert row["turns_18"]["hijri"] and row["requests"] == []
    children = {c["national_id"]: c for c in body["children"]}
    assert children[son.national_id]["can_add"] and children[son.national_id]["refusal"] is None
    assert body["children"][0]["national_id"] == son.national_id  # those who can be added first
    refused = children[young.national_id]
    assert not refused["can_add"] and refused["refusal"]["reasons"] == ["too_young"]
    opens = ages.anniversary(young.birth_date, years=14, months=10, calendar=ages.HIJRI)
    assert refused["refusal"]["allowed_from"]["gregorian"] == opens.isoformat()
    assert refused["refusal"]["messages"][0].startswith("Your daughter can be added from the age of 14 years and 10 months")
    assert children[daughter.national_id]["refusal"]["reasons"] == ["already_added"]
    assert children[daughter.national_id]["already_added"]


def test_add_a_son(api, citizen, child_of, today):
    son = child_of(citizen, today=today)
    as_user(api, citizen)
    response = add(api, son.national_id, files=[pdf_file()])
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["request_type"] == "add_dependent" and body["status"] == "submitted"
    filed = ServiceRequest.objects.get(reference=body["reference"])
    assert filed.subject == son and filed.applicant == citizen and filed.attachments.count() == 1
    listing = api.get(DEPENDENTS).json()
    assert [r["reference"] for r in listing["pending_additions"]] == [body["reference"]]
    assert listing["children"][0]["pending"] and listing["children"][0]["refusal"]["reasons"] == ["pending_request"]
    again = add(api, son.national_id)
    assert again.status_code == 403 and error_of(again)["code"] == "pending_request"


def test_refusals_carry_the_rules_codes(api, citizen, other_citizen, child_of, person_factory, today):
    as_user(api, citizen)
    young = child_of(citizen, today=today, years=10)
    response = add(api, young.national_id)
    error = error_of(response)
    assert response.status_code == 403 and error["code"] == "too_young"
    assert error["message"].startswith("Your son can be added from the age of 14 years and 10 months: from ")
    stranger = child_of(other_citizen, today=today)
    assert error_of(add(api, stranger.national_id))["code"] == "not_parent"
    from tests.conftest import make_id

    assert error_of(add(api, make_id("1", 99999)))["code"] == "not_in_registry"
    assert not ServiceRequest.objects.exists()


@pytest.mark.parametrize("national_id", ["123", "1234567890", "abcdefghij", ""])
def test_a_bad_id_number_is_a_field_error(api, citizen, national_id):
    as_user(api, citizen)
    response = add(api, national_id)
    assert response.status_code == 400 and "dependent_national_id" in error_of(response)["fields"]


def test_bad_files_refused(api, citizen, child_of, today):
    son = child_of(citizen, today=today)
    as_user(api, citizen)
    bad = pdf_file("scan.pdf").__class__("scan.pdf", b"GIF89a not a pdf")
    response = add(api, son.national_id, files=[bad])
    assert response.status_code == 400 and error_of(response)["code"] == "not_real_pdf"


def test_closed_type(api, citizen, child_of, today):
    RequestType.objects.filter(code="add_dependent").update(is_active=False)
    as_user(api, citizen)
    assert error_of(add(api, child_of(citizen, today=today).national_id))["code"] == "request_type_closed"


def test_queries_do_not_grow(api, citizen, child_of, added, today, file_request, django_assert_max_num_queries):
    added(citizen, sex="F", years=17)
    child_of(citizen, today=today, years=10)
    as_user(api, citizen)
    api.get(DEPENDENTS)
    with django_assert_max_num_queries(8) as one:
        assert len(api.get(DEPENDENTS).json()["children"]) == 2
    for n in range(9):
        added(citizen, sex="F", years=16 + n % 3)
        child_of(citizen, today=today, years=5 + n)
    with django_assert_max_num_queries(len(one.captured_queries)):
        body = api.get(DEPENDENTS).json()
    assert len(body["dependents"]) == 10 and len(body["children"]) == 20
