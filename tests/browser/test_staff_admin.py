"""The staff admin at 1366 px in both languages: the queue, the decision page and the supervisors'
dashboard pass axe-core with no violation; the queue fits; the decisions work; the chart draws
under the portal's CSP."""

import io
import json
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.models import AccountState
from tests.browser.test_accessibility import AXE, set_language, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
VIEWPORT = {"width": 1366, "height": 900}
QUEUE = "/staff/civil_affairs/servicerequest/"


@pytest.fixture(scope="module")
def axe_source():
    if not AXE.exists():
        pytest.skip(f"{AXE} is missing: run `npm ci`")
    return AXE.read_text(encoding="utf-8")


def violations(page, axe_source):
    """axe-core's WCAG 2.0, 2.1 and 2.2 A and AA rules (2.2 brings target-size)."""
    page.add_script_tag(content=axe_source)
    return page.evaluate(
        "async () => { const r = await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa']}}); return r.violations.map(v => "
        "({id: v.id, impact: v.impact, count: v.nodes.length, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})); }"
    )


@pytest.fixture
def colour_scheme():
    return "light"


@pytest.fixture
def axe_page(browser, live_server, colour_scheme):
    """A page whose context may inject axe despite the CSP (the pages themselves are unchanged)."""
    context = browser.new_context(
        bypass_csp=True, viewport=VIEWPORT, base_url=live_server.url, color_scheme=colour_scheme,
    )
    page = context.new_page()
    yield page
    context.close()


def png(name="photo.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (300, 200), (20, 120, 60)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def pdf(name="record.pdf"):
    buffer = io.BytesIO()
    Image.new("RGB", (200, 280), (240, 240, 240)).save(buffer, "PDF")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/pdf")


@pytest.fixture
def staff_world(user_factory):
    from django.contrib.auth.models import Group

    from civil_affairs import services
    from civil_affairs.models import RequestType

    def staff(group, username):
        user = user_factory(is_staff=True, state=AccountState.ACTIVE, username=username)
        user.groups.add(Group.objects.get(name=group))
        return user

    officer = staff("Civil affairs officers", "Officer2026x")
    supervisor = staff("Civil affairs supervisors", "Supervisor2026x")
    citizen = user_factory(state=AccountState.ACTIVE)
    newborn = services.request_submit(
        applicant=citizen, request_type=RequestType.objects.get(code="register_newborn"),
        data={"child_name_ar": "سارة", "child_name_en": "Sara", "child_sex": "F", "child_birth_date": "2026-01-05"},
        description="Our daughter was born at the King Fahd hospital.", files=[png(), pdf()], submission_key=uuid.uuid4(),
    )
    others = []
    for n in range(3):
        request = services.request_submit(
            applicant=citizen, request_type=RequestType.objects.get(code="general_inquiry"), data={},
            description=f"Question {n}", submission_key=uuid.uuid4(),
        )
        others.append(request)
    services.request_take(request=others[0], actor=officer)
    services.request_ask_citizen(request=others[0], actor=officer, body="Which office?")
    services.request_take(request=others[1], actor=officer)
    services.request_transition(request=others[1], to_status="approved", actor=officer)
    return {"officer": officer, "supervisor": supervisor, "citizen": citizen, "newborn": newborn, "others": others}


@pytest.mark.parametrize("colour_scheme", ["light", "dark"])
@pytest.mark.parametrize("language", ["ar", "en"])
def test_staff_pages_pass_axe_at_1366(axe_page, live_server, axe_source, staff_world, language, colour_scheme, screenshot):
    page = axe_page
    one_preview_at_a_time(page)
    newborn, others = staff_world["newborn"], staff_world["others"]
    set_language(page, live_server, language)
    found = {}
    pages = {
        "officer": [
            "/staff/", QUEUE, QUEUE + "?queue=decided", f"{QUEUE}{newborn.pk}/change/", f"{QUEUE}{others[0].pk}/change/",
            f"{QUEUE}{others[1].pk}/change/", f"{QUEUE}{newborn.pk}/message/",
        ],
        "supervisor": ["/staff/dashboard/"],
    }
    for who, urls in pages.items():
        page.context.clear_cookies()
        set_language(page, live_server, language)
        sign_in(page, live_server, staff_world[who])
        for url in urls:
            page.goto(live_server.url + url)
            assert page.url.endswith(url), (url, page.url)
            assert page.locator("html").get_attribute("lang") == language
            if problems := violations(page, axe_source):
                found[url] = problems
            if colour_scheme == "light":  # one set of pictures (the fixture clears a test's earlier ones)
                screenshot(page, language, url.strip("/").replace("/", "-").replace("?", "-") or "index")
    assert found == {}, json.dumps(found, ensure_ascii=False, indent=1)


@pytest.mark.parametrize("language", ["ar", "en"])
def test_the_queue_fits_1366_and_opens_on_the_oldest(axe_page, live_server, staff_world, language):
    page = axe_page
    set_language(page, live_server, language)
    sign_in(page, live_server, staff_world["officer"])
    page.goto(live_server.url + QUEUE)
    sizes = page.evaluate(
        "() => { const t = document.querySelector('#result_list'); return {table: t.scrollWidth, "
        "page: document.documentElement.clientWidth, scroll: document.documentElement.scrollWidth}; }"
    )
    wide = page.evaluate(
        "() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > "
        "document.documentElement.clientWidth || e.getBoundingClientRect().left < 0).slice(0, 8)"
        ".map(e => e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().left) + ',' + Math.round(e.getBoundingClientRect().right))"
    )
    assert sizes["scroll"] <= sizes["page"], (sizes, wide)
    results = page.evaluate("() => { const r = document.querySelector('#changelist .results'); return [r.scrollWidth, r.clientWidth]; }")
    assert results[0] <= results[1], results  # no column cut off inside the queue  # no sideways scrolling at 1366 px
    lines = page.evaluate(
        "() => [...document.querySelectorAll('#result_list .field-reference_number bdi')].map(e => e.getClientRects().length)"
    )
    assert lines and set(lines) == {1}  # each reference on one line
    references = page.locator("#result_list .field-reference_number").all_inner_texts()
    newborn, others = staff_world["newborn"], staff_world["others"]
    assert references == [newborn.reference, others[0].reference, others[2].reference]  # open ones, oldest first


def one_preview_at_a_time(page):
    """SQLite's shared in-memory test database refuses two writers at once ("table is locked"); each preview
    records a view. On SQLite the browser's parallel loads of the previews are passed on one by one."""
    from django.db import connection

    if connection.vendor != "sqlite":
        return
    page.route("**/preview/", lambda route: route.fulfill(response=route.fetch()))


def test_decide_in_the_page_then_it_is_read_only(page, live_server, staff_world, page_problems):
    from civil_affairs.models import RequestStatus

    one_preview_at_a_time(page)
    newborn = staff_world["newborn"]
    set_language(page, live_server, "en")
    sign_in(page, live_server, staff_world["officer"])
    page.goto(f"{QUEUE}{newborn.pk}/change/")
    assert page.locator(".staff-attachments img").count() == 2
    sizes = page.evaluate(  # drawn lazily: loaded now, each a picture the browser could decode
        "async () => Promise.all([...document.querySelectorAll('.staff-attachments img')].map(async (i) => "
        "{ i.loading = 'eager'; await i.decode(); return i.naturalWidth; }))"
    )
    assert len(sizes) == 2 and min(sizes) > 10, sizes
    page.get_by_role("button", name="Take into review").click()
    page.wait_for_url(f"**{QUEUE}{newborn.pk}/change/")
    assert "In review" in page.locator(".staff-status").inner_text()
    page.get_by_role("button", name="Reject with a reason").click()  # no reason: the form says so
    assert page.locator(".errornote").count() >= 1 or page.locator("#id_reject-reason:invalid").count() == 1
    page.fill("#id_reject-reason", "The birth notification is unreadable")
    page.get_by_role("button", name="Reject with a reason").click()
    page.wait_for_url(f"**{QUEUE}{newborn.pk}/change/")
    newborn.refresh_from_db()
    assert newborn.status == RequestStatus.REJECTED
    assert page.locator("#request-decide ~ form, .staff-decision").count() == 0
    assert "The birth notification is unreadable" in page.content()
    assert page_problems.items == []


def test_the_dashboard_chart_draws_under_the_csp(page, live_server, staff_world, page_problems):
    set_language(page, live_server, "ar")
    page.set_viewport_size(VIEWPORT)
    sign_in(page, live_server, staff_world["supervisor"])
    page.goto("/staff/dashboard/")
    page.wait_for_selector("#staff-decisions-chart canvas")
    assert page_problems.items == []
