"""/api/v1/notices/: the account's notices of every service, and marking them read."""

import pytest
from django.utils import translation

from absher.notifications.models import Notice
from absher.notifications.services import notify
from tests.api.fixtures_citizen import *  # noqa: F403 - the fixtures
from tests.api.fixtures_citizen import as_user, error_of

pytestmark = pytest.mark.django_db

NOTICES = "/api/v1/notices/"


def status_notice(user, reference="CA-2026-000001", status="approved"):
    return notify(user=user, source="civil_affairs", kind="status", params={"reference": reference, "status": status},
                  sms=False)


def test_unauthenticated(api):
    assert error_of(api.get(NOTICES))["code"] == "not_authenticated"
    assert api.post(NOTICES + "read/").status_code == 401


def test_mine_newest_first_in_the_accept_language(api, citizen, other_citizen):
    status_notice(citizen, "CA-2026-000001", "in_review")
    status_notice(citizen, "CA-2026-000002", "approved")
    status_notice(other_citizen)
    as_user(api, citizen)
    body = api.get(NOTICES, HTTP_ACCEPT_LANGUAGE="en").json()
    assert body["count"] == 2
    newest = body["results"][0]
    assert newest["request_reference"] == "CA-2026-000002" and newest["text"] == "Approved"
    assert newest["source"] == "civil_affairs" and newest["read"] is False and newest["bill_number"] is None
    arabic = api.get(NOTICES).json()["results"][0]
    with translation.override("ar"):
        from civil_affairs.models import RequestStatus

        assert arabic["text"] == str(RequestStatus.APPROVED.label) != "Approved"


def test_a_registered_account_reads_its_notices(api, registered):
    status_notice(registered)
    as_user(api, registered)
    assert api.get(NOTICES).json()["count"] == 1


def test_filters(api, citizen):
    status_notice(citizen)
    notify(user=citizen, source="passports", kind="paid", params={"bill": "123456789012", "amount": "300.00"}, sms=False)
    as_user(api, citizen)
    assert api.get(NOTICES, {"source": "passports"}).json()["results"][0]["bill_number"] == "123456789012"
    Notice.objects.filter(source="passports").update(read_at="2026-01-01T00:00:00Z")
    assert api.get(NOTICES, {"unread": "true"}).json()["count"] == 1
    response = api.get(NOTICES, {"source": "nowhere"})
    assert response.status_code == 400 and "source" in error_of(response)["fields"]
    assert api.get(NOTICES, {"unread": "maybe"}).status_code == 400


def test_mark_read(api, citizen, other_citizen):
    status_notice(citizen)
    notify(user=citizen, source="passports", kind="paid", params={"bill": "123456789012", "amount": "300.00"}, sms=False)
    status_notice(other_citizen)
    as_user(api, citizen)
    response = api.post(NOTICES + "read/", {"source": "passports"}, format="json")
    assert response.status_code == 200 and response.json() == {"marked": 1}
    assert api.post(NOTICES + "read/", {}, format="json").json() == {"marked": 1}
    assert not Notice.objects.filter(user=citizen, read_at=None).exists()
    assert Notice.objects.filter(user=other_citizen, read_at=None).exists()
    assert api.post(NOTICES + "read/", {"source": "x"}, format="json").status_code == 400


def test_queries_do_not_grow(api, citizen, django_assert_max_num_queries):
    status_notice(citizen)
    as_user(api, citizen)
    api.get(NOTICES)
    with django_assert_max_num_queries(5) as one:
        assert api.get(NOTICES).json()["count"] == 1
    for n in range(9):
        status_notice(citizen, f"CA-2026-{n + 10:06d}")
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert api.get(NOTICES).json()["count"] == 10
