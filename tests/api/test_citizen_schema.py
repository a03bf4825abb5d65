"""The citizen's routes in the OpenAPI schema: every one typed, with its operation id and errors."""

import pytest
import yaml
from django.core.management import call_command

OPERATIONS = {
    ("/api/v1/profile/", "get"): "profile_retrieve",
    ("/api/v1/profile/language/", "patch"): "profile_language_update",
    ("/api/v1/notices/", "get"): "notices_list",
    ("/api/v1/notices/read/", "post"): "notices_mark_read",
    ("/api/v1/dependents/", "get"): "dependents_list",
    ("/api/v1/dependents/", "post"): "dependents_add",
    ("/api/v1/request-types/", "get"): "request_types_list",
    ("/api/v1/requests/", "get"): "requests_list",
    ("/api/v1/requests/", "post"): "requests_create",
    ("/api/v1/requests/{reference}/", "get"): "requests_retrieve",
    ("/api/v1/requests/{reference}/reply/", "post"): "requests_reply",
    ("/api/v1/requests/{reference}/withdraw/", "post"): "requests_withdraw",
    ("/api/v1/requests/{reference}/attachments/{attachment_id}/", "get"): "requests_attachment_download",
}


@pytest.fixture(scope="module")
def schema(tmp_path_factory):
    target = tmp_path_factory.mktemp("schema") / "schema.yaml"
    # --fail-on-warn: any untyped field, unknown path parameter or enum collision fails here.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    return yaml.safe_load(target.read_text())


def test_every_citizen_route_is_documented(schema):
    for (path, method), operation_id in OPERATIONS.items():
        operation = schema["paths"][path][method]
        assert operation["operationId"] == operation_id
        assert operation["tags"][0] in {"profile", "notices", "dependents", "requests"}
        assert "401" in operation["responses"], (path, method)
        if "{reference}" in path:
            assert "404" in operation["responses"], (path, method)


def test_statuses_are_enums(schema):
    components = schema["components"]["schemas"]
    for component, field in [("RequestDetail", "status"), ("RequestListRow", "status"), ("Profile", "state")]:
        ref = components[component]["properties"][field]
        ref = ref.get("$ref") or ref["allOf"][0]["$ref"]
        assert components[ref.rsplit("/", 1)[-1]]["enum"], (component, field)
    status = components["RequestDetail"]["properties"]["status"]["$ref"].rsplit("/", 1)[-1]
    assert components[status]["enum"] == [
        "submitted", "in_review", "waiting_citizen", "approved", "rejected", "closed", "withdrawn",
    ]
