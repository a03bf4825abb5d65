"""QUALITY figure 27: no identifier in a URL gives a 5xx.

Every URL pattern of the project is enumerated from the resolver, and each of its parameters is
replaced in turn by junk (a NUL byte, 10,000 characters, bidi controls, `../`, a percent-encoded
newline, an integer past the database's range, Arabic-Indic digits) while the other parameters
keep a value of their own shape. Each URL is requested by an anonymous visitor, a citizen and a
member of staff (the admin's change, history and delete URLs included): none answers 5xx, and
every portal route answers 404, because its identifier's converter (`absher/converters.py`)
refuses anything but the identifier's shape.
"""

import re
from datetime import datetime
from urllib.parse import quote

import pytest
import time_machine
from django.test import Client
from django.urls import URLResolver, get_resolver, resolve, reverse
from django.urls.resolvers import RegexPattern, RoutePattern

from absher import converters
from accounts.models import AccountState
from tests.conftest import make_id

JUNK = {
    "nul": "abc\x00def",
    "nul-in-shape": "1000000001\x00",
    "ten-thousand": "A" * 10_000,
    "ten-thousand-digits": "9" * 10_000,
    "past-bigint": "9" * 20,
    "rtl-override": "\u202e1000000001",
    "bidi-isolate": "CA-2026-000014\u2066",
    "dot-dot": "../",
    "newline": "x\nERROR fake line",
    "arabic-digits": "١٠٠٠٠٠٠٠٠١",
}

# A value of each converter's own shape (not an existing object) for the parameters that are not
# the one under test. A new converter must be given one here.
SAMPLES = {
    "str": "1",
    "path": "1",
    "int": "1",
    "regex": "1",
    "nid": "1000000001",
    "request_ref": "CA-2026-000014",
    "request_type": "inquiry",
    "visa": "6000000001",
    "permit": "7000000001",
    "fine": "F000000001",
    "bill": "100000000009",
    "receipt": "PR-2026-000014",
    "id": "1",
}

# Routes of Django's and of libraries, which take what they are given and answer it themselves.
NOT_THE_PORTAL_S = ("/staff/", "/captcha/")

NAMED_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>")
ROUTE_PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def _regex_template(regex: str) -> tuple[str, dict[str, str]]:
    """`image/(?P<key>\\w+)/$` -> (`image/{key}/`, {"key": "regex"})."""
    parts, names, at = [], {}, 0
    for match in NAMED_GROUP.finditer(regex):
        if match.start() < at:
            continue
        parts.append(regex[at:match.start()])
        depth, index = 1, match.end()
        while depth:
            depth += {"(": 1, ")": -1}.get(regex[index], 0)
            index += 1
        parts.append("{" + match["name"] + "}")
        names[match["name"]] = "regex"
        at = index
    parts.append(regex[at:])
    template = "".join(parts)
    for anchor in ("^", "$", "\\Z"):
        template = template.replace(anchor, "")
    return template.replace("\\.", "."), names


def _route_template(route: str) -> tuple[str, dict[str, str]]:
    """`people/<nid:national_id>/` -> (`people/{national_id}/`, {"national_id": "nid"})."""
    names = {}

    def hole(match):
        names[match["name"]] = match["converter"] or "str"
        return "{" + match["name"] + "}"

    return ROUTE_PARAMETER.sub(hole, route), names


def every_route() -> list[tuple[str, str, dict[str, str]]]:
    """(name, path with {parameter} holes, {parameter: converter}) for every pattern of the project."""
    found = []

    def walk(resolver, prefix, prefix_names):
        for entry in resolver.url_patterns:
            if isinstance(entry.pattern, RoutePattern):
                template, names = _route_template(str(entry.pattern))
            else:
                assert isinstance(entry.pattern, RegexPattern), entry
                template, names = _regex_template(str(entry.pattern))
            if isinstance(entry, URLResolver):
                walk(entry, prefix + template, {**prefix_names, **names})
            else:
                found.append((entry.name or entry.lookup_str, prefix + template, {**prefix_names, **names}))

    walk(get_resolver(), "/", {})
    return found


def junk_urls(*, admin: bool):
    """(route, junk label, url) for every route with junk in each of its parameters in turn
    (but for junk that has the shape of the parameter, such as twenty digits for a slug)."""
    for name, template, parameters in every_route():
        if template.startswith("/staff/") != admin:
            continue
        for parameter, kind in parameters.items():
            for label, junk in JUNK.items():
                if kind in converters.REGISTERED and _matches(kind, junk):
                    continue
                values = {p: SAMPLES[k] for p, k in parameters.items()}
                values[parameter] = junk if junk == "../" else quote(junk, safe="")
                yield name, label, template.format(**values)


def _answers(client: Client, *, admin: bool, methods=("get", "post")) -> tuple[int, list[str], set]:
    """(requests made, the server errors, the statuses seen) for the junk URLs."""
    failures, statuses, count = [], set(), 0
    for name, label, url in junk_urls(admin=admin):
        for method in methods:
            count += 1
            try:
                status = getattr(client, method)(url).status_code
            except Exception as exc:  # the test client raises what the view raised  # noqa: BLE001
                failures.append(f"{method.upper()} {name} [{label}] -> {type(exc).__name__}: {str(exc)[:120]!r}")
                continue
            statuses.add((url.startswith(NOT_THE_PORTAL_S), status))
            if status >= 500:
                failures.append(f"{method.upper()} {name} [{label}] -> {status}")
    return count, failures, statuses


def _signed_in(client, user_factory, who):
    if who == "citizen":
        client.force_login(user_factory(state=AccountState.ACTIVE))
    elif who == "staff":
        client.force_login(user_factory(state=AccountState.ACTIVE, is_staff=True, is_superuser=True))
    return client


# --- the walk covers every route, and every portal route names its identifier's shape ---------


def test_every_route_is_walked():
    routes = {name: (template, parameters) for name, template, parameters in every_route()}
    for name in ("person-detail", "request-detail", "attachment-download", "bill-refund", "receipt-detail",
                 "operator-service", "accounts_user_change", "passports_visa_history", "auth_user_password_change"):
        assert name in routes, name
    assert len([1 for _template, parameters in routes.values() if parameters]) >= 90
    unknown = {kind for _template, parameters in routes.values() for kind in parameters.values()} - set(SAMPLES)
    assert not unknown, f"give a sample value for the converters {unknown}"


def test_every_portal_parameter_takes_its_identifier_s_shape():
    loose = [
        (template, parameter, kind)
        for _name, template, parameters in every_route()
        if not template.startswith(NOT_THE_PORTAL_S)
        for parameter, kind in parameters.items()
        if kind not in converters.REGISTERED
    ]
    assert not loose, f"give these parameters a converter of absher/converters.py: {loose}"


# --- no junk gives a server error ------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["anonymous", "citizen", "staff"])
def test_junk_in_a_portal_url_answers_404(client, user_factory, who):
    count, failures, statuses = _answers(_signed_in(client, user_factory, who), admin=False)
    assert not failures, f"{who}: {len(failures)} server errors:\n" + "\n".join(failures[:60])
    assert count > 500
    assert {status for outside, status in statuses if not outside} == {404}


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["anonymous", "citizen"])
def test_junk_in_an_admin_url_tells_an_outsider_nothing(client, user_factory, who):
    count, failures, statuses = _answers(_signed_in(client, user_factory, who), admin=True, methods=("get",))
    assert not failures, f"{who}: {len(failures)} server errors:\n" + "\n".join(failures[:60])
    assert count > 800
    assert {status for _outside, status in statuses} <= {302, 404}


@pytest.mark.django_db
def test_junk_in_an_admin_url_gives_staff_no_server_error(client, user_factory):
    """Django's admin answers an object id that is no key (a redirect with a message, or 404).

    GET only: the admin's views look the object up the same way for POST, before anything else.
    """
    count, failures, statuses = _answers(_signed_in(client, user_factory, "staff"), admin=True, methods=("get",))
    assert not failures, f"staff: {len(failures)} server errors:\n" + "\n".join(failures[:60])
    assert count > 800
    assert {status for _outside, status in statuses} <= {200, 302, 403, 404}


@pytest.mark.django_db
def test_the_probe_of_the_issue_answers_404(client, user_factory):
    client.force_login(user_factory(state=AccountState.ACTIVE))
    for url in ("/services/passports/people/abc%00def/", "/services/civil-affairs/requests/abc%00def/",
                "/services/passports/bills/abc%00def/", "/services/passports/receipts/abc%00def/",
                "/services/passports/visas/abc%00def/", "/services/passports/visas/abc%00def/extend/",
                "/services/passports/people/1000000001%00/", "/services/passports/people/%E2%80%AE1000000001/",
                "/services/passports/people/" + "1" * 10_000 + "/"):
        assert client.get(url).status_code == 404, url[:80]


# --- the converters take exactly what the portal makes, and hand the views the same values -------


def _matches(converter: str, value: str) -> bool:
    return re.fullmatch(converters.REGISTERED[converter].regex, value) is not None


@pytest.mark.django_db
@time_machine.travel(datetime(2026, 11, 29, 12, 0), tick=False)
def test_every_identifier_the_portal_makes_has_its_converter_s_shape(person_factory):
    from civil_affairs.models import Department, Person, RequestType, ServiceRequest
    from civil_affairs.services import reference_for
    from passports import billing, services

    constraint = next(c for c in Person._meta.constraints if c.name == "person_national_id_format")
    assert constraint.condition.children == [("national_id__regex", "^" + converters.NationalIdConverter.regex + "$")]
    for national_id in (make_id("1", 0), make_id("2", 99_999_999), person_factory().national_id):
        assert _matches("nid", national_id), national_id

    created = datetime(2026, 11, 29, 12, 0)
    for department in [*Department.values, "other"]:
        for pk in (1, 14, 999_999, 10**12 - 1):
            reference = reference_for(ServiceRequest(pk=pk, department=department, created_at=created))
            assert _matches("request_ref", reference) and len(reference) <= 20, reference
    assert not _matches("request_ref", reference_for(ServiceRequest(pk=10**12, department="civil_affairs",
                                                                    created_at=created)))

    codes = list(RequestType.objects.values_list("code", flat=True))
    assert codes and all(_matches("request_type", code) for code in codes)
    assert RequestType._meta.get_field("code").max_length == 50

    class Row:
        pk = 14

    for _ in range(50):
        assert _matches("visa", services.new_visa_number())
        assert _matches("permit", services.new_permit_number())
        assert _matches("fine", services.new_fine_reference())
        assert _matches("bill", billing.bill_number())
    assert _matches("receipt", services._reference("PR", Row))


@pytest.mark.parametrize("converter, junk", [
    (converter, junk) for converter in converters.REGISTERED for label, junk in JUNK.items()
    if (converter, label) != ("request_type", "past-bigint")  # twenty digits are a slug
])
def test_no_converter_takes_junk(converter, junk):
    assert not _matches(converter, junk)


@pytest.mark.parametrize("converter, value", [
    ("nid", "1000000001"), ("nid", "2999999990"), ("request_ref", "PS-2027-1234567"), ("visa", "6123456789"),
    ("permit", "7123456789"), ("fine", "F123456789"), ("bill", "123456789012"), ("receipt", "PR-2026-000001"),
    ("request_type", "add_dependent"), ("id", "9223372036854775807"),
])
def test_each_converter_takes_its_shape(converter, value):
    assert _matches(converter, value)


@pytest.mark.parametrize("converter, value", [
    ("nid", "3000000001"), ("nid", "100000000"), ("nid", "10000000011"), ("request_ref", "CA-26-000014"),
    ("request_ref", "ca-2026-000014"), ("request_ref", "CA-2026-14"), ("visa", "7123456789"), ("visa", "612345678"),
    ("permit", "6123456789"), ("fine", "f123456789"), ("bill", "023456789012"), ("bill", "12345678901"),
    ("receipt", "CA-2026-000001"), ("request_type", "a" * 51), ("request_type", "a.b"), ("id", "0"), ("id", "01"),
    ("id", "1" * 20),
])
def test_each_converter_refuses_the_next_shape(converter, value):
    assert not _matches(converter, value)


@pytest.mark.parametrize("name, kwargs", [
    ("passports:person-detail", {"national_id": "1000000001"}),
    ("passports:visa-extend", {"number": "6000000001"}),
    ("passports:travel-permit-cancel", {"number": "7000000001"}),
    ("passports:fine-pay", {"reference": "F000000001"}),
    ("passports:bill-refund", {"number": "100000000009"}),
    ("passports:receipt-detail", {"reference": "PR-2026-000014"}),
    ("civil_affairs:request-new", {"code": "add_dependent"}),
    ("civil_affairs:request-withdraw", {"reference": "CA-2026-000014"}),
    ("civil_affairs:attachment-download", {"reference": "CA-2026-000014", "attachment_id": 7}),
    ("biometrics:operator-service", {"pk": 3}),
])
def test_views_get_the_values_they_got_before(name, kwargs):
    match = resolve(reverse(name, kwargs=kwargs))
    assert match.kwargs == kwargs
    assert [type(value) for value in match.kwargs.values()] == [type(value) for value in kwargs.values()]


def test_reverse_refuses_a_value_of_another_shape():
    from django.urls import NoReverseMatch

    with pytest.raises(NoReverseMatch):
        reverse("passports:person-detail", args=["abc\x00def"])
    with pytest.raises(NoReverseMatch):
        reverse("civil_affairs:request-detail", args=["CA-TEST-900001"])
