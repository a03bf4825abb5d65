"""Contract tests: schemathesis sends generated requests (valid and invalid) to every operation of
the API's OpenAPI schema, in-process through the WSGI application, as an active citizen with a
family and data, and checks each answer:

- never a server error (5xx);
- a status the operation documents, with the documented content type and headers;
- a body that matches the documented schema (the `Error` component for every 4xx).

The schema is generated from the code (as /api/v1/schema/ serves it), so every route that merges
is fuzzed without a change here. Derandomized: the same cases on every run. A failure prints the
case as a curl command; replay one operation with
    .venv/bin/pytest tests/api/test_contract.py -k 'POST and sign-in/code' -p no:randomly
More examples locally: API_CONTRACT_EXAMPLES=200 .venv/bin/pytest tests/api/test_contract.py
"""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from .conftest import bearer_client, generated_schema

pytestmark = [pytest.mark.contract, pytest.mark.django_db]

#: Generated cases per operation (fuzzing phase; the examples and coverage phases add their own).
MAX_EXAMPLES = int(os.environ.get("API_CONTRACT_EXAMPLES", "25"))



@schemathesis.check
def error_shape(ctx, response, case):
    """Every 4xx, documented or not (405, 415, a path no route matches), is the one error shape."""
    if not 400 <= response.status_code < 500:
        return None
    body = response.json() if "json" in (response.headers.get("content-type") or [""])[0] else None
    error = body.get("error") if isinstance(body, dict) else None
    if not (
        isinstance(error, dict) and set(body) == {"error"}
        and isinstance(error.get("code"), str) and error["code"]
        and isinstance(error.get("message"), str) and error["message"]
    ):
        raise AssertionError(f"{response.status_code} is not the API's error shape: {response.text[:300]!r}")
    return True


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    error_shape,
]


def _load():
    from django.core.wsgi import get_wsgi_application

    loaded = schemathesis.openapi.from_dict(generated_schema())
    loaded.app = get_wsgi_application()  # in-process: no server, the test's database transaction
    return loaded


schema = _load()
#: "METHOD path" -> the statuses of its cases (printed at the end with -s: what the fuzzer reached).
STATS: dict[str, list[int]] = {}


def teardown_module():
    for name, codes in sorted(STATS.items()):
        print(f"contract: {name}: {len(codes)} cases, statuses {sorted(set(codes))}")
    print(f"contract: {sum(map(len, STATS.values()))} cases in all")


@pytest.fixture
def wsgi_in_test_transaction():
    """Django's handler closes "old" connections when a request starts, which would end the test's
    transaction; its test client disconnects that signal, and so do we while the cases run."""
    from django.core.signals import request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)


@pytest.fixture
def contract_citizen(household_factory):
    """An active citizen's household with a family and data (and another citizen's beside it)."""
    household_factory("Otaibi")
    return household_factory("Harbi")


@pytest.fixture
def real_objects():
    """Per operation: {"params": {path: the factory's parameters}, "seen": {operation: cases}}."""
    return {"params": {}, "seen": {}}


def _fresh_start(user) -> str:
    """Before each case: no sign-in throttle counts or cached caps carried over from the last case
    (a lockout is documented, 429, but would hide the rest of the sign-in from the fuzzer), and a
    live access token on a live device (a case may have signed the last one out)."""
    from django.core.cache import cache

    from accounts.models import LoginThrottle

    LoginThrottle.objects.all().delete()
    cache.clear()
    return bearer_client(user).pair.access_token


def _sign_in(case, token: str) -> None:
    """A secured operation's case gets the citizen's live token, unless the case is about the
    Authorization header itself (a negative case that removed or broke it: it must get a 401)."""
    if not case.operation.definition.raw.get("security"):
        return
    meta = case.meta
    header_case = (
        meta is not None and meta.generation.mode.is_negative
        and getattr(meta.phase.data, "parameter_location", None) == ParameterLocation.HEADER
    )
    if header_case:
        return
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}


def _sent_without_content_type(case) -> bool:
    """schemathesis's in-process (WSGI) transport sends a multipart body it holds as raw bytes or
    text with no Content-Type (it has no boundary to declare): the API rightly answers 415, which
    is not the operation's business to document."""
    media_type = case.media_type or ""
    return media_type.startswith("multipart/") and not isinstance(case.body, dict)


def _real_object(case, household, real_objects) -> None:
    """Every other valid case of a route that names an object names one of the citizen's own
    (tests/api/test_object_access.py's factories), so that the fuzzer reaches the 200 answers
    and checks their bodies too; the other cases keep their generated parameters (404s, 400s)."""
    from .test_object_access import OBJECT_ROUTES

    factory = OBJECT_ROUTES.get(case.operation.path)
    meta = case.meta
    if factory is None or not case.path_parameters or (meta is not None and meta.generation.mode.is_negative):
        return
    seen = real_objects["seen"]
    count = seen[case.operation.label] = seen.get(case.operation.label, 0) + 1
    if count % 2:
        params = real_objects["params"]
        if case.operation.path not in params:
            params[case.operation.path] = factory(household)
        case.path_parameters = {**case.path_parameters, **params[case.operation.path]}


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_keeps_its_contract(case, contract_citizen, real_objects, wsgi_in_test_transaction, sms_outbox):
    _sign_in(case, _fresh_start(contract_citizen.user))
    _real_object(case, contract_citizen, real_objects)
    sms_outbox.clear()
    response = case.call()
    checks = CHECKS
    if response.status_code == 415 and _sent_without_content_type(case):
        checks = [check for check in CHECKS if check is not status_code_conformance]
    case.validate_response(response, checks=checks)
    STATS.setdefault(f"{case.method} {case.path}", []).append(response.status_code)


def test_the_sign_in_keeps_the_contract_when_it_succeeds(
    contract_citizen, wsgi_in_test_transaction, sms_outbox, last_code, committed
):
    """The fuzzer cannot guess a password or an SMS code: the successful answers (the challenge,
    the tokens, the refreshed tokens, the sign-out) are checked against the schema here."""
    from .conftest import API

    def call(path, body=None, token=None):
        operation = schema[f"{API}{path}"]["POST"]
        if body is None:
            case = operation.Case(headers={"Authorization": f"Bearer {token}"})
        else:
            case = operation.Case(body=body, media_type="application/json")
        with committed():  # the SMS code goes at the commit
            return case.call_and_validate(checks=CHECKS)

    response = call("auth/sign-in/", {"username": contract_citizen.user.username, "password": "GoodPass2026"})
    assert response.status_code == 200
    challenge = response.json()["challenge"]
    assert call("auth/sign-in/resend/", {"challenge": challenge}).status_code == 429  # a minute between codes
    response = call("auth/sign-in/code/", {"challenge": challenge, "code": last_code(), "device_id": "d" * 32})
    assert response.status_code == 200
    tokens = response.json()
    response = call("auth/token/refresh/", {"refresh_token": tokens["refresh_token"]})
    assert response.status_code == 200
    assert call("auth/sign-out/", token=response.json()["access_token"]).status_code == 204
