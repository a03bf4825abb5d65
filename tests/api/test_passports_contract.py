"""The passports routes' answers hold to the OpenAPI schema (drf-spectacular): every route as its
owner sees it with real records, and a short fuzz of each (schemathesis; no server error, no
answer outside the schema). The full contract test of the API is tests/api/test_contract.py."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings

from passports import services
from passports.models import TravelRecord, Visa

from .fixtures_passports import *  # noqa: F403  (the fixtures)
from .fixtures_passports import token_for

pytestmark = pytest.mark.django_db

PASSPORTS_ROUTES = ("/api/v1/passports/", "/api/v1/bills/", "/api/v1/receipts/")


@pytest.fixture
def schema():
    """The schema, and the project's WSGI application in this test's transaction (as Django's test
    client does: no connection is closed between requests)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _operations(schema):
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path.startswith(PASSPORTS_ROUTES):
            yield operation


def test_the_owners_answers_hold_to_the_schema(schema, world, passport_receipt, staff, today):
    unpaid = services.service_order(service="exit_reentry", actor=world.father, holder=world.worker,
                                    params={"kind": Visa.Kind.SINGLE, "months": 2}, submission_key=uuid.uuid4())
    services.visa_record(holder=world.worker, kind=Visa.Kind.SINGLE, issued_on=today, months=2, actor=staff)
    services.fine_record(person=world.worker, amount=Decimal("100"), reason_ar="م", reason_en="f", issued_on=today,
                         actor=staff)
    services.crossing_record(holder=world.son, direction=TravelRecord.Direction.EXIT, port="RUH",
                             on=today - timedelta(days=3), actor=staff)
    path_values = {
        "national_id": [world.worker.national_id, world.son.national_id, world.father.person.national_id],
        "number": [passport_receipt.bill.number, unpaid.number],
        "reference": [passport_receipt.reference],
    }
    headers = {"Authorization": "Bearer " + token_for(world.father)}
    body = {"years": 10, "delivery": "post", "submission_key": str(uuid.uuid4())}
    seen = set()
    for operation in _operations(schema):
        names = [p.name for p in operation.path_parameters]
        values = path_values[names[0]] if names else [None]
        for value in values:
            extra = {"body": body, "media_type": "application/json"} if operation.path.endswith("/passport/") else {}
            case = operation.Case(path_parameters={names[0]: value} if names else {}, **extra)
            response = case.call(headers=headers)
            assert response.status_code < 500, (operation.path, value)
            case.validate_response(response, headers=headers)
            seen.add((operation.method.upper(), operation.path, response.status_code))
    assert ("GET", "/api/v1/passports/people/{national_id}/", 200) in seen
    assert ("POST", "/api/v1/bills/{number}/pay/", 200) in seen
    assert ("POST", "/api/v1/bills/{number}/pay/", 409) in seen
    assert ("POST", "/api/v1/passports/people/{national_id}/passport/", 201) in seen
    assert ("GET", "/api/v1/receipts/{reference}/pdf/", 200) in seen


def test_fuzzed_requests_never_break_the_schema(schema, world, passport_receipt):
    headers = {"Authorization": "Bearer " + token_for(world.father)}
    for operation in _operations(schema):

        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case):
            response = case.call(headers=headers)
            assert response.status_code < 500, (case.method, case.formatted_path)
            case.validate_response(response, headers=headers)

        check()
