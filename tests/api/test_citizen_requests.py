"""/api/v1/requests/: the citizen's civil affairs requests through the API (the pages' services)."""

import uuid

import pytest
from django.utils import translation

from absher.notifications.models import Notice
from civil_affairs import services
from civil_affairs.models import RequestStatus, ServiceRequest
from tests.api.fixtures_citizen import *  # noqa: F403 - the fixtures
from tests.api.fixtures_citizen import as_user, error_of, pdf_file, png_file

pytestmark = pytest.mark.django_db

LIST = "/api/v1/requests/"


def detail(reference, tail=""):
    return f"/api/v1/requests/{reference}/{tail}"


def new_request(**extra):
    return {"request_type": "general_inquiry", "description": "Please help", "submission_key": str(uuid.uuid4()), **extra}


def waiting(request, staff):
    """The department asks the citizen for more (the staff's services)."""
    services.request_take(request=request, actor=staff)
    services.request_ask_citizen(request=request, actor=staff, body="Send the family record")
    request.refresh_from_db()
    return request


# --- who may see what ---------------------------------------------------------------------------


@pytest.mark.parametrize("tail", ["", "reply/", "withdraw/"])
def test_object_routes_refuse_others_unauthenticated_and_not_activated(api, citizen, other_citizen, registered,
                                                                        file_request, tail):
    own = file_request(citizen)
    method = api.get if tail == "" else api.post
    body = {"body": "x"} if tail == "reply/" else {}
    response = method(detail(own.reference, tail), body)
    assert response.status_code == 401 and error_of(response)["code"] == "not_authenticated"
    as_user(api, other_citizen)
    response = method(detail(own.reference, tail), body)
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"
    as_user(api, registered)
    response = method(detail(own.reference, tail), body)
    assert response.status_code == 403 and error_of(response)["code"] == "account_not_activated"


def test_attachment_refuses_others(api, citizen, other_citizen, registered, file_request):
    own = file_request(citizen, files=[png_file()])
    url = detail(own.reference, f"attachments/{own.attachments.get().pk}/")
    assert api.get(url).status_code == 401
    as_user(api, other_citizen)
    assert api.get(url).status_code == 404
    # Another citizen's own request does not open this attachment either.
    theirs = file_request(other_citizen)
    other_url = detail(theirs.reference, f"attachments/{own.attachments.get().pk}/")
    assert api.get(other_url).status_code == 404
    as_user(api, registered)
    assert error_of(api.get(url))["code"] == "account_not_activated"


def test_an_unknown_reference_is_404(api, citizen):
    as_user(api, citizen)
    assert api.get(detail("CA-2026-999999")).status_code == 404
    assert api.get("/api/v1/requests/CA-2026-1/").status_code == 404  # not the shape: no route


# --- the list -------------------------------------------------------------------------------


def test_list_is_mine_only_and_paginated(api, citizen, other_citizen, file_request):
    mine = file_request(citizen)
    file_request(other_citizen)
    as_user(api, citizen)
    body = api.get(LIST).json()
    assert body["count"] == 1
    row = body["results"][0]
    assert row["reference"] == mine.reference and row["status"] == "submitted"
    with translation.override("ar"):
        assert row["status_label"] == str(RequestStatus.SUBMITTED.label)


def test_list_queries_do_not_grow(api, citizen, file_request, django_assert_max_num_queries):
    file_request(citizen)
    as_user(api, citizen)
    api.get(LIST)  # the token's first use writes the device's "last seen"
    with django_assert_max_num_queries(6) as one:
        assert api.get(LIST).json()["count"] == 1
    for _ in range(9):
        file_request(citizen)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert api.get(LIST).json()["count"] == 10


# --- one request ------------------------------------------------------------------------------


def test_detail_shows_the_page_and_marks_its_notices_read(api, citizen, file_request, staff):
    own = waiting(file_request(citizen, files=[png_file()]), staff)
    assert Notice.objects.filter(user=citizen, read_at=None).exists()
    as_user(api, citizen)
    body = api.get(detail(own.reference)).json()
    assert body["reference"] == own.reference and body["status"] == "waiting_citizen"
    assert body["can_reply"] and body["can_withdraw"] and not body["has_decision"]
    assert body["asked"]["body"] == "Send the family record" and body["asked"]["from_staff"]
    assert [a["name"] for a in body["attachments"]] == ["photo.png"] and body["attachments"][0]["size"] > 0
    assert [e["status"] for e in body["events"]] == ["submitted", "in_review", "waiting_citizen"]
    assert body["step"] == 2 and body["what_next"]
    assert not Notice.objects.filter(user=citizen, source="civil_affairs", read_at=None).exists()


def test_detail_in_english_and_arabic(api, citizen, file_request):
    own = file_request(citizen)
    as_user(api, citizen)
    english = api.get(detail(own.reference), HTTP_ACCEPT_LANGUAGE="en").json()
    arabic = api.get(detail(own.reference)).json()
    assert english["status_label"] == "Submitted" and english["request_type_name"] == "Inquiry or complaint"
    with translation.override("ar"):
        assert arabic["status_label"] == str(RequestStatus.SUBMITTED.label) != "Submitted"


# --- filing -----------------------------------------------------------------------------------


def test_file_a_request_in_json(api, citizen):
    as_user(api, citizen)
    sent = new_request()
    response = api.post(LIST, sent, format="json")
    assert response.status_code == 201, response.content
    reference = response.json()["reference"]
    assert ServiceRequest.objects.get(reference=reference).applicant == citizen
    # The same submission key again (a retry) gives the same request.
    again = api.post(LIST, sent, format="json")
    assert again.json()["reference"] == reference
    assert ServiceRequest.objects.filter(applicant=citizen).count() == 1


def test_file_a_request_with_files_and_the_types_fields(api, citizen, today):
    as_user(api, citizen)
    sent = new_request(request_type="register_newborn", files=[png_file(), pdf_file()])
    sent.update({"data.child_name_ar": "سارة", "data.child_name_en": "Sara", "data.child_sex": "F",
                 "data.child_birth_date": today.isoformat()})
    response = api.post(LIST, sent, format="multipart")
    assert response.status_code == 201, response.content
    body = response.json()
    assert sorted(a["name"] for a in body["attachments"]) == ["photo.png", "record.pdf"]
    assert ServiceRequest.objects.get(reference=body["reference"]).data["child_name_en"] == "Sara"


def test_the_types_form_refuses_with_its_codes(api, citizen, today):
    as_user(api, citizen)
    from datetime import timedelta

    sent = new_request(request_type="register_newborn", data={
        "child_name_ar": "سارة", "child_name_en": "Sara", "child_sex": "X",
        "child_birth_date": (today + timedelta(days=1)).isoformat()})
    response = api.post(LIST, sent, format="json", HTTP_ACCEPT_LANGUAGE="en")
    error = error_of(response)
    assert response.status_code == 400 and error["code"] == "invalid"
    assert error["fields"]["data.child_birth_date"][0]["code"] == "future"
    assert error["fields"]["data.child_birth_date"][0]["message"] == "A date of birth cannot be in the future."
    assert error["fields"]["data.child_sex"][0]["code"] == "invalid_choice"


@pytest.mark.parametrize(("upload", "code", "http_status"), [
    (lambda: pdf_file("fake.pdf").__class__("fake.pdf", b"<html>not a pdf</html>"), "not_real_pdf", 400),
    (lambda: png_file().__class__("empty.png", b""), "empty", 400),
])
def test_files_are_checked_as_on_the_page(api, citizen, upload, code, http_status):
    as_user(api, citizen)
    response = api.post(LIST, new_request(files=[upload()]), format="multipart")
    error = error_of(response)
    assert response.status_code == http_status and error["code"] == code
    assert error["fields"]["files"][0]["code"] == code
    assert not ServiceRequest.objects.exists()


def test_a_file_too_large_is_413(api, citizen, settings):
    settings.UPLOAD_MAX_BYTES = 100
    as_user(api, citizen)
    response = api.post(LIST, new_request(files=[png_file(size=(400, 400))]), format="multipart")
    assert response.status_code == 413 and error_of(response)["code"] == "too_large"


def test_too_many_files(api, citizen, settings):
    settings.UPLOAD_MAX_FILES = 1
    as_user(api, citizen)
    response = api.post(LIST, new_request(files=[png_file(), pdf_file()]), format="multipart")
    assert response.status_code == 400 and error_of(response)["code"] == "too_many_files"


def test_djangos_own_caps_answer_with_the_error_shape(api, citizen, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2
    as_user(api, citizen)
    response = api.post(LIST, new_request(files=[png_file(), png_file(), png_file()]), format="multipart")
    assert response.status_code == 400 and error_of(response)["code"] == "too_many_files"
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 20
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = api.post(LIST, new_request(description="x" * 500), format="multipart", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 413 and error_of(response) == {"code": "too_large", "message": "What you sent is too large."}


def test_an_unknown_or_closed_type(api, citizen):
    as_user(api, citizen)
    response = api.post(LIST, new_request(request_type="no_such_type"), format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert error_of(response) == {"code": "request_type_closed", "message": "This service does not take new requests now."}


def test_a_refused_type_says_why(api, person_factory, user_factory):
    from datetime import date

    holder = user_factory(state="active", person=person_factory(national_id_issued=False))
    as_user(api, holder)
    response = api.post(LIST, new_request(request_type="renew_national_id"), format="json")
    assert response.status_code == 403 and error_of(response)["code"] == "no_national_id_card"
    assert date  # the refusal names no date here


@pytest.mark.parametrize("body", [
    [], "text", {"request_type": 5, "description": {"a": 1}, "submission_key": "no"},
    {"request_type": "general_inquiry", "description": "x" * 5000, "submission_key": str(uuid.uuid4())},
    {"request_type": "general_inquiry", "description": "x", "submission_key": str(uuid.uuid4()), "data": {"a": {"b": 1}}},
    {"request_type": "general_inquiry", "description": "x", "submission_key": str(uuid.uuid4()), "files": ["x", 1]},
    {"request_type": "x" * 60, "description": "x", "submission_key": str(uuid.uuid4())},
])
def test_bad_input_is_400_never_500(api, citizen, body):
    as_user(api, citizen)
    response = api.post(LIST, body, format="json")
    assert response.status_code == 400 and error_of(response)["code"] in {"invalid", "parse_error"}


def test_messages_follow_accept_language(api, citizen):
    as_user(api, citizen)
    sent = new_request(request_type="no_such_type")
    english = error_of(api.post(LIST, sent, format="json", HTTP_ACCEPT_LANGUAGE="en"))
    arabic = error_of(api.post(LIST, sent, format="json"))
    assert english["message"] == "This service does not take new requests now."
    assert arabic["message"] == "لا تستقبل هذه الخدمة طلبات جديدة حاليًا."
    # Field errors too: DRF's own messages, in the Accept-Language.
    english = error_of(api.post(LIST, {}, format="json", HTTP_ACCEPT_LANGUAGE="en"))
    arabic = error_of(api.post(LIST, {}, format="json"))
    assert english["fields"]["description"][0] == {"code": "required", "message": "This field is required."}
    assert arabic["fields"]["description"][0]["code"] == "required"
    assert arabic["fields"]["description"][0]["message"] != "This field is required."


# --- reply, withdraw ----------------------------------------------------------------------------


def test_reply_while_waiting(api, citizen, file_request, staff):
    own = waiting(file_request(citizen), staff)
    as_user(api, citizen)
    response = api.post(detail(own.reference, "reply/"), {"body": "Here it is", "files": [pdf_file()]}, format="multipart")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "in_review"
    assert body["messages"][-1]["body"] == "Here it is" and not body["messages"][-1]["from_staff"]
    assert [a["name"] for a in body["messages"][-1]["attachments"]] == ["record.pdf"]


def test_reply_not_expected_and_empty(api, citizen, file_request):
    own = file_request(citizen)
    as_user(api, citizen)
    response = api.post(detail(own.reference, "reply/"), {"body": "Hello"}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 409
    assert error_of(response) == {"code": "reply_not_expected", "message": "You can reply when the request waits for you."}
    response = api.post(detail(own.reference, "reply/"), {"body": ""}, format="json")
    assert response.status_code == 400 and "body" in error_of(response)["fields"]


def test_withdraw(api, citizen, file_request):
    own = file_request(citizen)
    as_user(api, citizen)
    response = api.post(detail(own.reference, "withdraw/"))
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    assert response.json()["withdrawn_at"] and response.json()["withdrawn_at_text"] and not response.json()["can_withdraw"]
    again = api.post(detail(own.reference, "withdraw/"), HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 409
    assert error_of(again) == {"code": "transition_not_allowed", "message": "This request can no longer be withdrawn."}


# --- attachments, types -----------------------------------------------------------------------


def test_download_as_the_page_serves_it(api, citizen, file_request):
    own = file_request(citizen, files=[pdf_file()])
    attachment = own.attachments.get()
    as_user(api, citizen)
    response = api.get(detail(own.reference, f"attachments/{attachment.pk}/"), HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;") and "record.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_request_types_with_requirements_fields_and_refusals(api, person_factory, user_factory):
    holder = user_factory(state="active", person=person_factory(national_id_issued=False))
    as_user(api, holder)
    body = api.get("/api/v1/request-types/", HTTP_ACCEPT_LANGUAGE="en").json()
    types = {t["code"]: t for t in body}
    assert types["add_dependent"]["name"] == "Add a dependent"
    assert [r["document_kind"] for r in types["add_dependent"]["requirements"]][:2] == ["birth_certificate", "family_record"]
    newborn = {f["name"]: f for f in types["register_newborn"]["form_fields"]}
    assert newborn["child_birth_date"]["input_type"] == "date"
    assert {c["value"] for c in newborn["child_sex"]["choices"]} == {"M", "F"}
    assert types["general_inquiry"]["can_file"] and types["general_inquiry"]["refusal"] is None
    renew = types["renew_national_id"]
    assert not renew["can_file"] and renew["refusal"]["reasons"] == ["no_national_id_card"]
