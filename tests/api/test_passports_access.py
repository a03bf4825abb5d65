"""Every passports route of the API: the owner gets it, another citizen's object does not exist
(404, never 403), no token is a 401 and an account not activated a 403, all in the one error shape."""

import pytest
from django.urls import reverse

from accounts.models import AccountState

from .fixtures_passports import *  # noqa: F403  (the fixtures)

pytestmark = pytest.mark.django_db

LISTS = ["api:passports-people", "api:bills-list", "api:receipts-list"]
#: route name -> (method, what the owner's object is, what another citizen's is)
OBJECTS = {
    "api:passports-person": ("get", lambda w, r: w.son.national_id, lambda w, r: w.stranger_child.national_id),
    "api:passports-person-travel": ("get", lambda w, r: w.worker.national_id, lambda w, r: w.stranger_worker.national_id),
    "api:passports-passport-apply": ("post", lambda w, r: w.father.person.national_id, None),
    "api:bills-detail": ("get", lambda w, r: r.bill.number, None),
    "api:bills-pay": ("post", lambda w, r: r.bill.number, None),
    "api:receipts-detail": ("get", lambda w, r: r.reference, None),
    "api:receipts-pdf": ("get", lambda w, r: r.reference, None),
}


def _call(client, method, url):
    # A passport for the father himself (no passport recorded: a first issue), the answers complete.
    answers = {"years": 10, "delivery": "post", "submission_key": "9b1f2a52-95d4-4a52-9ae2-0a8d0e0f4c11"}
    return getattr(client, method)(url, answers if url.endswith("/passport/") else None, format="json")


@pytest.fixture
def unpaid(world, passport_receipt):
    """A receipt (its bill used) and, for the pay route's owner, a second bill still unpaid."""
    import uuid

    from passports import services
    from passports.models import Service, Visa

    return services.service_order(service=Service.EXIT_REENTRY, actor=world.father, holder=world.worker,
                                  params={"kind": Visa.Kind.SINGLE, "months": 2}, submission_key=uuid.uuid4())


@pytest.mark.parametrize("name", list(OBJECTS))
def test_an_object_route_is_the_owners_only(api_as, world, passport_receipt, unpaid, name, user_factory):
    method, own, _other = OBJECTS[name]
    value = unpaid.number if name == "api:bills-pay" else own(world, passport_receipt)
    url = reverse(name, args=[value])
    assert _call(api_as(world.father), method, url).status_code == (201 if name.endswith("apply") else 200)
    # Another citizen: their own people and bills, never the father's (404, in the one shape).
    for stranger in (world.stranger, world.resident):
        response = _call(api_as(stranger), method, url)
        assert response.status_code == 404, (name, stranger)
        assert response.json()["error"]["code"] == "not_found"
    # No token, or a token that is not one: 401 with the challenge.
    for client in (api_as(None), api_as(None)):
        response = _call(client, method, url)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_authenticated"
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    bad = api_as(None)
    bad.credentials(HTTP_AUTHORIZATION="Bearer aat_not-a-token")
    assert _call(bad, method, url).json()["error"]["code"] == "token_invalid"
    # Signed in but not activated at a kiosk: 403 account_not_activated (as the pages refuse e-services).
    world.father.state = AccountState.REGISTERED
    world.father.save(update_fields=["state"])
    response = _call(api_as(world.father, "en"), method, url)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "account_not_activated"
    assert response.json()["error"]["message"].startswith("Your account is not activated yet")


@pytest.mark.parametrize("name", ["api:passports-person", "api:passports-person-travel"])
def test_another_citizens_people_do_not_exist(api_as, world, name):
    father = api_as(world.father)
    for person in (world.stranger_child, world.stranger_worker, world.adult_son, world.resident.person,
                   world.mother_person):
        response = father.get(reverse(name, args=[person.national_id]))
        assert response.status_code == 404, person
        assert response.json() == {"error": {"code": "not_found", "message": response.json()["error"]["message"]}}
    # An ID number of nobody at all answers the same.
    assert father.get(reverse(name, args=["1999999999"])).status_code == 404


@pytest.mark.parametrize("name", LISTS)
def test_a_list_needs_an_activated_account(api_as, world, name):
    url = reverse(name)
    assert api_as(world.father).get(url).status_code == 200
    assert api_as(None).get(url).status_code == 401
    world.father.state = AccountState.REGISTERED
    world.father.save(update_fields=["state"])
    response = api_as(world.father).get(url)
    assert response.status_code == 403 and response.json()["error"]["code"] == "account_not_activated"
