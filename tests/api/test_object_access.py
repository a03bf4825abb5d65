"""Every route of the API that names an object answers 404 to another citizen (QUALITY 38).

The routes are enumerated from the schema: each path with a {parameter} must have a line in
OBJECT_ROUTES, a factory that makes (or finds) an object of citizen A and gives the path's
parameters. The test asks for it as citizen B, with every method the schema documents for the
path, and expects 404 in the error shape (code not_found: what a missing object gets, so B
learns nothing). As A, a GET of the same path must not be 404 (the factory names a real object).
A new parameterised route that is not listed here fails `test_every_object_route_is_listed`.

A factory takes citizen A's household (tests/api/conftest.py: Household: user, person, wife, son,
daughter, worker, requests, notices) and returns {parameter: value}. One line a route, e.g.:

    "/api/v1/requests/{reference}/": lambda a: {"reference": a.requests[0].reference},
"""

import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest

from .conftest import API, Household, assert_error, device_for, generated_schema


def _bill(a: Household):
    """An unpaid bill of A: the son's passport renewal."""
    from passports import services
    from passports.models import Service

    today = a.today
    services.passport_record(
        holder=a.son, number=services.new_passport_number(), country="SA", issued_on=today - timedelta(days=5 * 365),
        expires_on=today + timedelta(days=20), actor=a.user, validity_years=5,
    )
    return services.service_order(
        service=Service.PASSPORT, actor=a.user, holder=a.son,
        params={"years": 5, "delivery": "collection", "office": "riyadh"}, submission_key=uuid.uuid4(),
    )


def _receipt(a: Household):
    """A's receipt: the bill paid (through the simulated gateway's service calls) and carried out."""
    from passports import billing, services

    bill = billing.bill_pay(bill=_bill(a), payment_reference="SIM-TEST", actor=a.user)
    return services.bill_fulfil(bill=bill, actor=a.user)

pytestmark = pytest.mark.django_db

OBJECT_ROUTES: dict[str, Callable[[Household], dict]] = {
    # Profile, notices, dependents, civil affairs requests (api/resources/citizen_urls.py).
    "/api/v1/requests/{reference}/": lambda a: {"reference": a.requests[0].reference},
    "/api/v1/requests/{reference}/reply/": lambda a: {"reference": a.requests[0].reference},
    "/api/v1/requests/{reference}/withdraw/": lambda a: {"reference": a.requests[0].reference},
    "/api/v1/requests/{reference}/attachments/{attachment_id}/": lambda a: {
        "reference": a.requests[0].reference, "attachment_id": a.requests[0].attachments.first().pk,
    },
    # Passports: people, documents, visas, permits, bills, payments, receipts (api/resources/passports_urls.py).
    "/api/v1/bills/{number}/": lambda a: {"number": _bill(a).number},
    "/api/v1/bills/{number}/pay/": lambda a: {"number": _bill(a).number},
    "/api/v1/receipts/{reference}/": lambda a: {"reference": _receipt(a).reference},
    "/api/v1/receipts/{reference}/pdf/": lambda a: {"reference": _receipt(a).reference},
    "/api/v1/passports/people/{national_id}/": lambda a: {"national_id": a.son.national_id},
    "/api/v1/passports/people/{national_id}/travel/": lambda a: {"national_id": a.son.national_id},
    "/api/v1/passports/people/{national_id}/passport/": lambda a: {"national_id": a.son.national_id},
    # Sessions and devices (devices/api_urls.py), passkeys (passkeys/api_urls.py).
    "/api/v1/devices/{device_id}/end/": lambda a: {"device_id": device_for(a.user).pk},
}

#: Parameterised routes that name no object of an account (none yet); each with its reason.
NOT_OBJECT_ROUTES: dict[str, str] = {}

METHODS = ("get", "put", "patch", "post", "delete")


def _object_routes() -> dict[str, list[str]]:
    """{path: [methods]} of every schema path with a {parameter}."""
    paths = generated_schema()["paths"]
    return {
        path: [method for method in METHODS if method in item]
        for path, item in paths.items()
        if "{" in path and path not in NOT_OBJECT_ROUTES
    }


ROUTES = _object_routes()
CASES = [(path, method) for path, methods in sorted(ROUTES.items()) for method in methods]


def test_every_object_route_is_listed():
    missing = sorted(set(ROUTES) - set(OBJECT_ROUTES))
    assert not missing, (
        "routes that name an object are missing from OBJECT_ROUTES in tests/api/test_object_access.py "
        f"(add one line each: a factory of citizen A's object): {missing}"
    )


def test_the_map_lists_only_routes_of_the_schema():
    stale = sorted(set(OBJECT_ROUTES) - set(ROUTES))
    assert not stale, f"OBJECT_ROUTES lists routes the schema no longer has: {stale}"
    assert all(path.startswith(API) for path in OBJECT_ROUTES)


def _url(path: str, params: dict) -> str:
    url = path
    for name, value in params.items():
        url = url.replace("{" + name + "}", str(value))
    assert "{" not in url, f"{path}: the factory did not give every parameter ({params})"
    return url


@pytest.mark.parametrize(("path", "method"), CASES, ids=[f"{m.upper()} {p}" for p, m in CASES])
def test_another_citizens_object_is_not_found(path, method, family, bearer):
    if path not in OBJECT_ROUTES:
        pytest.fail(f"{path} is not in OBJECT_ROUTES")
    url = _url(path, OBJECT_ROUTES[path](family))
    stranger = bearer(family.stranger.user, language="en")
    response = getattr(stranger, method)(url, {}, format="json") if method != "get" else stranger.get(url)
    assert_error(response, 404, "not_found")

    # A's own request of it is not a 404: the factory named a real object of A's.
    owner = bearer(family.user)
    if "get" in ROUTES[path]:
        assert owner.get(url).status_code != 404, f"GET {url}: the factory's object is not citizen A's"


@pytest.mark.parametrize("path", [f"{API}no-such-thing/", f"{API}auth/sign-in", f"{API}requests/not-a-number/x/"])
def test_a_path_that_is_no_route_is_the_apis_404(path, api_client, bearer, user_factory):
    """Not the portal's HTML page: the error shape, in the Accept-Language, signed in or not."""
    from accounts.models import AccountState

    error = assert_error(api_client.get(path, HTTP_ACCEPT_LANGUAGE="en"), 404, "not_found")
    assert error["message"] == "Not found."
    arabic = assert_error(api_client.post(path, {}, format="json"), 404, "not_found")
    assert arabic["message"] != "Not found."
    signed_in = bearer(user_factory(state=AccountState.ACTIVE))
    assert_error(signed_in.delete(path), 404, "not_found")
