"""Issue 11: withdrawing a request asks first and ends in "Withdrawn"; a request's page shows its
steps, what happens next, and its times in both calendars in Riyadh time."""

import importlib
import re
from datetime import UTC, datetime

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import translation

from accounts.models import AccountState
from civil_affairs import services, statuses
from civil_affairs.exceptions import TransitionNotAllowed
from civil_affairs.models import RequestEvent, RequestStatus, ServiceRequest
from civil_affairs.templatetags.calendars import dual_datetime

pytestmark = pytest.mark.django_db
S = RequestStatus


@pytest.fixture
def staff(user_factory):
    return user_factory(is_staff=True, state=AccountState.ACTIVE)


def english(client, user):
    client.force_login(user)
    client.cookies["absher_language"] = "en"


# --- the status table -------------------------------------------------------------------------


@pytest.mark.parametrize("status", sorted(statuses.OPEN))
def test_an_open_request_can_be_withdrawn(status):
    assert statuses.can_move(status, S.WITHDRAWN)


@pytest.mark.parametrize("status", sorted(statuses.FINAL))
def test_a_final_request_moves_nowhere_withdrawn_included(status):
    assert S.WITHDRAWN in statuses.FINAL and S.WITHDRAWN not in statuses.OPEN
    assert statuses.TRANSITIONS[status] == set()
    assert not statuses.can_move(status, S.WITHDRAWN)


def test_staff_moves_never_include_withdrawal():
    for status in statuses.OPEN:
        moves = statuses.staff_moves(status)
        assert S.WITHDRAWN not in moves and moves == statuses.TRANSITIONS[status] - {S.WITHDRAWN}
    assert statuses.staff_moves(S.WITHDRAWN) == set()


@pytest.mark.parametrize(("status", "step"), [
    (S.SUBMITTED, 2), (S.IN_REVIEW, 2), (S.WAITING_CITIZEN, 2), (S.APPROVED, 4), (S.REJECTED, 4), (S.CLOSED, 4),
    (S.WITHDRAWN, None),
])
def test_the_step_of_each_status(status, step):
    assert statuses.request_step(status) == step


def test_every_status_says_what_happens_next():
    with translation.override("en"):
        texts = {status: statuses.what_happens_next(status) for status in S.values}
    assert all(texts.values()) and len(set(texts.values())) == len(texts)
    assert "reply" in texts[S.WAITING_CITIZEN] and "withdrew" in texts[S.WITHDRAWN]


# --- the service ------------------------------------------------------------------------------


def test_withdrawal_is_final_and_decides_nothing(citizen, submit, staff):
    request = submit(citizen)
    services.request_take(request=request, actor=staff)
    request = services.request_withdraw(request=request, applicant=citizen)
    assert request.status == S.WITHDRAWN and request.decided_at is None and request.decision_reason == ""
    assert list(request.events.values_list("to_status", flat=True)) == [S.SUBMITTED, S.IN_REVIEW, S.WITHDRAWN]
    for status in (S.IN_REVIEW, S.APPROVED, S.REJECTED, S.CLOSED, S.WITHDRAWN):
        with pytest.raises(TransitionNotAllowed):
            services.request_transition(request=request, to_status=status, actor=staff, note="x")
    with pytest.raises(TransitionNotAllowed):
        services.request_withdraw(request=request, applicant=citizen)


def test_only_the_applicant_withdraws(citizen, submit, staff):
    request = submit(citizen)
    with pytest.raises(TransitionNotAllowed):
        services.request_transition(request=request, to_status=S.WITHDRAWN, actor=staff)
    request.refresh_from_db()
    assert request.status == S.SUBMITTED


def test_a_decided_request_cannot_be_withdrawn(citizen, submit, staff):
    request = submit(citizen)
    services.request_take(request=request, actor=staff)
    services.request_transition(request=request, to_status=S.APPROVED, actor=staff)
    with pytest.raises(TransitionNotAllowed):
        services.request_withdraw(request=request, applicant=citizen)


# --- the pages --------------------------------------------------------------------------------


def test_withdraw_asks_first_then_withdraws(client, citizen, submit):
    request = submit(citizen)
    english(client, citizen)
    url = reverse("civil_affairs:request-withdraw", args=[request.reference])
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and page.templates[0].name == "civil_affairs/request_withdraw.html"
    assert re.search(rf'Withdraw request <bdi dir="ltr" class="text-nowrap">{request.reference}</bdi>\?', html)
    assert "This cannot be undone." in html and '<form method="post"' in html
    assert f'href="{reverse("civil_affairs:request-detail", args=[request.reference])}"' in html
    request.refresh_from_db()
    assert request.status == S.SUBMITTED  # a GET changes nothing
    response = client.post(url)
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == S.WITHDRAWN
    detail = client.get(response.url).content.decode()
    assert "Withdrawn" in detail and ">Closed<" not in detail and "You withdrew this request on" in detail
    assert 'class="steps' not in detail  # never decided: no "Decided" step shown as done
    assert url not in detail  # nothing left to withdraw
    # Asking again says so, and withdraws nothing twice.
    again = client.get(url)
    assert again.status_code == 302 and again.url == reverse("civil_affairs:request-detail", args=[request.reference])
    assert client.post(url).status_code == 302
    assert request.events.filter(to_status=S.WITHDRAWN).count() == 1


def test_the_withdraw_button_comes_after_everything_else(client, citizen, submit, staff):
    request = submit(citizen)
    services.request_take(request=request, actor=staff)
    services.request_ask_citizen(request=request, actor=staff, body="Send the family record")
    english(client, citizen)
    html = client.get(reverse("civil_affairs:request-detail", args=[request.reference])).content.decode()
    withdraw = html.index(reverse("civil_affairs:request-withdraw", args=[request.reference]))
    for earlier in ('id="thread"', reverse("civil_affairs:request-reply", args=[request.reference]), 'id="timeline"'):
        assert html.index(earlier) < withdraw, earlier
    # A link to the confirmation page, not a form that withdraws on one tap.
    assert '<a class="btn btn-outline-danger" href="' + reverse(
        "civil_affairs:request-withdraw", args=[request.reference]) in html


def test_the_request_page_shows_steps_and_what_to_send(client, citizen, submit, staff):
    request = submit(citizen)
    english(client, citizen)
    url = reverse("civil_affairs:request-detail", args=[request.reference])
    html = client.get(url).content.decode()
    assert re.search(r'steps-current" aria-current="step">.*?In review', html, re.S)
    assert "steps-done" in html and "What happens next" in html
    services.request_take(request=request, actor=staff)
    services.request_ask_citizen(request=request, actor=staff, body="Send the family record, page 2")
    html = client.get(url).content.decode()
    assert "What the department asked for" in html and "Send the family record, page 2" in html
    assert 'href="#id_body"' in html and 'id="id_body"' in html
    request.refresh_from_db()
    services.message_post(request=request, author=citizen, body="Attached")
    services.request_transition(request=request, to_status=S.APPROVED, actor=staff)
    html = client.get(url).content.decode()
    assert html.count("steps-done") == 3 and 'aria-current="step"' not in html
    assert "Nothing more is needed from you." in html


def test_timeline_and_messages_in_both_calendars_in_riyadh_time(client, citizen, submit, staff):
    request = submit(citizen)
    services.request_take(request=request, actor=staff)
    services.request_ask_citizen(request=request, actor=staff, body="Send it")
    late = datetime(2026, 12, 31, 21, 30, tzinfo=UTC)  # 00:30 on 1 January 2027 in Riyadh
    RequestEvent.objects.filter(request=request).update(at=late)
    request.messages.update(at=late)
    english(client, citizen)
    html = client.get(reverse("civil_affairs:request-detail", args=[request.reference])).content.decode()
    with translation.override("en"):
        shown = dual_datetime(late)
    assert shown.startswith("Jan. 1, 2027"), shown
    assert "AH" in shown and "1448" in shown and "12:30" in shown, shown
    timeline = html[html.index('id="timeline"'):]
    assert timeline.count(shown) == 3
    thread = html[html.index('id="thread"'):html.index('id="timeline"')]
    assert shown in thread


def test_dual_datetime_reads_the_local_date_and_time_in_arabic():
    late = datetime(2026, 12, 31, 21, 30, tzinfo=UTC)
    with translation.override("ar"):
        shown = dual_datetime(late)
    assert "2027" in shown and "00:30" in shown and "هـ" in shown, shown
    assert dual_datetime(None) == ""


def test_my_requests_is_a_table_of_cards_with_labels_and_a_keyboard_region(client, citizen, submit):
    request = submit(citizen)
    english(client, citizen)
    html = client.get(reverse("civil_affairs:request-list")).content.decode()
    assert 'tabindex="0" role="region" aria-label="My requests"' in html and "table-cards" in html
    assert 'data-label="Reference number"' in html and 'data-label="Status"' in html
    assert f'<bdi dir="ltr" class="text-nowrap">{request.reference}</bdi>' in html


# --- the data migration -----------------------------------------------------------------------


def test_earlier_withdrawals_become_withdrawn(citizen, submit, staff):
    migration = importlib.import_module("civil_affairs.migrations.0010_withdrawn_status")
    withdrawn, closed_by_staff, approved = submit(citizen), submit(citizen), submit(citizen)
    # As request_withdraw did before: "closed" by the applicant, with its note.
    for request, actor, note in ((withdrawn, citizen, "withdrawn by the applicant"), (closed_by_staff, staff, "")):
        ServiceRequest.objects.filter(pk=request.pk).update(
            status=S.CLOSED, decided_at=datetime(2026, 1, 5, tzinfo=UTC), decision_reason=note
        )
        RequestEvent.objects.create(request=request, from_status=S.SUBMITTED, to_status=S.CLOSED, actor=actor, note=note)
    services.request_take(request=approved, actor=staff)
    services.request_transition(request=approved, to_status=S.APPROVED, actor=staff)

    migration.forwards(apps, None)
    for request in (withdrawn, closed_by_staff, approved):
        request.refresh_from_db()
    assert withdrawn.status == S.WITHDRAWN and withdrawn.decided_at is None and withdrawn.decision_reason == ""
    assert withdrawn.events.last().to_status == S.WITHDRAWN
    assert closed_by_staff.status == S.CLOSED and closed_by_staff.events.last().to_status == S.CLOSED
    assert approved.status == S.APPROVED

    migration.backwards(apps, None)
    withdrawn.refresh_from_db()
    assert withdrawn.status == S.CLOSED and withdrawn.events.last().to_status == S.CLOSED
