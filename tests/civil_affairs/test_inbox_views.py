"""The citizen's inbox pages: filing with files, refusals, access, downloads, query budgets."""

import re

import pytest
from django.urls import get_resolver, reverse

from accounts.models import AccountState
from civil_affairs.models import ServiceRequest
from tests.civil_affairs.conftest import pdf_file, png_file

pytestmark = pytest.mark.django_db


def new_request_post(**overrides):
    data = {"description": "My request", "submission_key": "6f1c1f4e-2b7a-4d8e-9a55-0c1d2e3f4a5b"}
    data.update(overrides)
    return data


def test_new_request_page_shows_applicant_data_and_requirements(client, citizen):
    client.force_login(citizen)
    page = client.get(reverse("civil_affairs:request-new", args=["register_newborn"]))
    body = page.content.decode()
    assert page.status_code == 200
    assert citizen.person.national_id in body
    assert page.context["requirements"] and 'name="submission_key"' in body


def test_file_a_request_with_attachments_and_read_it(client, citizen, committed):
    client.force_login(citizen)
    with committed():
        response = client.post(
            reverse("civil_affairs:request-new", args=["general_inquiry"]),
            new_request_post(files=[pdf_file(), png_file()]),
        )
    request = ServiceRequest.objects.get()
    assert response.url == reverse("civil_affairs:request-detail", args=[request.reference])
    page = client.get(response.url)
    assert page.status_code == 200 and b"record.pdf" in page.content
    listing = client.get(reverse("civil_affairs:request-list"))
    assert request.reference.encode() in listing.content


def test_a_bad_file_is_named_and_the_rest_of_the_form_is_kept(client, citizen):
    client.force_login(citizen)
    fake = pdf_file("evil.pdf")
    fake.file.seek(0)
    fake.file.truncate()
    fake.file.write(b"<html><script>alert(1)</script></html>")
    fake.file.seek(0)
    fake.size = 40
    response = client.post(
        reverse("civil_affairs:request-new", args=["general_inquiry"]),
        new_request_post(description="Keep this text", files=[png_file(), fake]),
    )
    assert response.status_code == 200
    assert "evil.pdf" in " ".join(response.context["form"].errors["files"])
    assert "Keep this text" in response.content.decode()
    assert ServiceRequest.objects.count() == 0


def test_a_double_submission_makes_one_request(client, citizen, committed):
    client.force_login(citizen)
    url = reverse("civil_affairs:request-new", args=["general_inquiry"])
    with committed():
        first = client.post(url, new_request_post())
        second = client.post(url, new_request_post())
    assert first.url == second.url and ServiceRequest.objects.count() == 1


def test_a_registered_but_not_active_account_is_told_how_to_activate(client, user_factory):
    client.force_login(user_factory(state=AccountState.REGISTERED))
    response = client.get(reverse("civil_affairs:request-type-list"))
    assert response.status_code == 403
    assert reverse("contact").encode() in response.content


def test_renewal_of_the_id_card_is_refused_before_its_window_with_the_date(client, user_factory, person_factory, today):
    from datetime import timedelta


    person = person_factory(national_id_expiry=today + timedelta(days=400))
    client.force_login(user_factory(state=AccountState.ACTIVE, person=person))
    response = client.post(reverse("civil_affairs:request-new", args=["renew_national_id"]), new_request_post())
    assert response.status_code == 200
    assert response.templates[0].name == "civil_affairs/request_refused.html"
    assert response.context["refusal"].allowed_from == today + timedelta(days=400 - 180)
    assert ServiceRequest.objects.count() == 0


def _object_routes():
    """Every citizen route of the inbox that names an object, from the URL resolver."""
    routes = []
    for pattern in get_resolver("civil_affairs.urls").url_patterns:
        route = str(pattern.pattern)
        if "<" in route and "code" not in route:
            routes.append((pattern.name, re.findall(r"<(?:\w+:)?(\w+)>", route)))
    return routes


def test_another_citizen_gets_404_for_every_object_url(client, citizen, user_factory, submit):
    request = submit(citizen, files=[png_file()])
    attachment = request.attachments.get()
    values = {"reference": request.reference, "attachment_id": attachment.pk}
    routes = _object_routes()
    assert {name for name, _ in routes} >= {"request-detail", "request-reply", "request-withdraw", "attachment-download"}
    intruder = user_factory(state=AccountState.ACTIVE)
    client.force_login(intruder)
    for name, params in routes:
        url = reverse(f"civil_affairs:{name}", kwargs={p: values[p] for p in params})
        assert client.get(url).status_code in (404, 405), url
        assert client.post(url).status_code == 404, url
    client.force_login(citizen)
    assert client.get(reverse("civil_affairs:request-detail", args=[request.reference])).status_code == 200


def test_download_is_an_attachment_with_safe_headers(client, citizen, submit):
    request = submit(citizen, files=[png_file("../../etc/passwd.png")])
    attachment = request.attachments.get()
    assert "/" not in attachment.display_name and ".." not in attachment.stored_name
    client.force_login(citizen)
    response = client.get(reverse("civil_affairs:attachment-download", args=[request.reference, attachment.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "image/png"
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\x89PNG")


def test_reply_while_waiting_with_more_files(client, citizen, submit, user_factory, committed):
    from civil_affairs import services

    staff = user_factory(is_staff=True, state=AccountState.ACTIVE)
    request = submit(citizen)
    services.request_take(request=request, actor=staff)
    services.request_ask_citizen(request=request, actor=staff, body="Send the record")
    client.force_login(citizen)
    page = client.get(reverse("civil_affairs:request-detail", args=[request.reference]))
    assert page.context["reply_form"] is not None
    with committed():
        response = client.post(
            reverse("civil_affairs:request-reply", args=[request.reference]), {"body": "Attached", "files": [pdf_file()]}
        )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == "in_review" and request.attachments.count() == 1


@pytest.mark.parametrize("count", [1, 12])
def test_inbox_pages_within_the_query_budget(client, citizen, submit, django_assert_max_num_queries, count):
    for _ in range(count):
        request = submit(citizen, files=[png_file()])
    client.force_login(citizen)
    with django_assert_max_num_queries(8):
        client.get(reverse("civil_affairs:request-list"))
    with django_assert_max_num_queries(8):
        client.get(reverse("civil_affairs:request-detail", args=[request.reference]))


def _conversation(request, officer, citizen, turns):
    """`turns` rounds of a question from the officer and the citizen's answer with a file."""
    from civil_affairs import services

    for turn in range(turns):
        services.request_ask_citizen(request=request, actor=officer, body=f"Question {turn}")
        request.refresh_from_db()
        services.message_post(request=request, author=citizen, body=f"Answer {turn}", files=[png_file(f"a{turn}.png")])
        request.refresh_from_db()


def test_inbox_queries_are_the_same_with_one_row_or_many(client, citizen, officer, submit, committed):
    """QUALITY "Speed": the list and a request's page cost as many queries with 1 row as with many
    (requests in the list; messages, their files and timeline events on the request's page)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from civil_affairs import services

    def queries(url) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    request = submit(citizen, files=[png_file()])
    with committed():
        request = services.request_take(request=request, actor=officer)
        _conversation(request, officer, citizen, 1)
    client.force_login(citizen)
    pages = [reverse("civil_affairs:request-list"), reverse("civil_affairs:request-detail", args=[request.reference])]
    client.get(pages[0])  # the session's first request records its start (a write, once)
    before = [queries(url) for url in pages]
    for _ in range(15):
        submit(citizen, files=[png_file()])
    with committed():
        _conversation(request, officer, citizen, 6)
    after = [queries(url) for url in pages]
    assert max(before) <= 8 and before == after, (before, after)


def test_statuses_read_in_the_readers_language(client, citizen, officer, submit, committed):
    from civil_affairs import services

    request = submit(citizen)
    with committed():
        services.request_take(request=request, actor=officer)
    client.force_login(citizen)
    client.cookies["absher_language"] = "en"
    listing = client.get(reverse("civil_affairs:request-list")).content.decode()
    assert '<span class="badge status-in_review">In review</span>' in listing
    page = client.get(reverse("civil_affairs:request-detail", args=[request.reference])).content.decode()
    assert page.count('<span class="badge status-in_review">In review</span>') == 2  # the header and the timeline
    assert '<span class="badge status-submitted">Submitted</span>' in page
    client.cookies["absher_language"] = "ar"
    assert '<span class="badge status-in_review">قيد الدراسة</span>' in client.get(
        reverse("civil_affairs:request-list")).content.decode()


def test_the_civil_affairs_page_lists_unread_notices_and_the_request_page_reads_them(client, citizen, submit, committed,
                                                                                    user_factory):
    from absher.notifications.models import Notice
    from civil_affairs import services

    staff = user_factory(is_staff=True, state=AccountState.ACTIVE)
    first, second = submit(citizen), submit(citizen)
    with committed():
        services.request_take(request=first, actor=staff)
    client.force_login(citizen)
    client.cookies["absher_language"] = "en"
    page = client.get(reverse("civil_affairs:home")).content.decode()
    for request in (first, second):
        assert f'href="{reverse("civil_affairs:request-detail", args=[request.reference])}"' in page
    assert f"{first.reference}</bdi></a>: In review" in page and f"{second.reference}</bdi></a>: Submitted" in page
    client.get(reverse("civil_affairs:request-detail", args=[first.reference]))  # reading the request reads its notices
    assert not Notice.objects.filter(user=citizen, subject_id=first.pk, read_at=None).exists()
    assert Notice.objects.filter(user=citizen, subject_id=second.pk, read_at=None).count() == 1
    page = client.get(reverse("civil_affairs:home")).content.decode()
    assert first.reference not in page and second.reference in page


def test_staff_views_are_shown_to_the_citizen(client, citizen, submit, user_factory):
    from civil_affairs import services

    staff = user_factory(is_staff=True, is_superuser=True, state=AccountState.ACTIVE, username="Officer2026x")
    request = submit(citizen)
    client.force_login(staff)
    assert client.get(reverse("admin:civil_affairs_servicerequest_change", args=[request.pk])).status_code == 200
    client.force_login(citizen)
    page = client.get(reverse("civil_affairs:data-access"))
    assert b"Officer2026x" in page.content and request.reference.encode() in page.content
    assert services  # the record was written by the admin view through the service
