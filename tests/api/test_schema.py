"""The API's OpenAPI schema: committed, up to date, and complete enough for the app's developers
and for the contract and object-access tests that are generated from it."""

from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.utils import translation

COMMITTED = Path(settings.BASE_DIR) / "docs" / "api" / "openapi.yaml"
METHODS = {"get", "put", "patch", "post", "delete", "head", "options", "trace"}
ERROR_REF = "#/components/schemas/Error"


def generated_yaml() -> str:
    """What `bash scripts/api_schema.sh` writes (manage.py spectacular --lang en)."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiYamlRenderer

    with translation.override("en"):
        document = SchemaGenerator().get_schema(request=None, public=True)
        return OpenApiYamlRenderer().render(document, renderer_context={}).decode()


@pytest.fixture(scope="module")
def document():
    return yaml.safe_load(generated_yaml())


def operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", path, operation


def test_the_committed_schema_is_the_codes():
    assert COMMITTED.read_text() == generated_yaml(), (
        "docs/api/openapi.yaml is not what the code describes: run `bash scripts/api_schema.sh`, "
        "review `git diff docs/api/openapi.yaml` and commit it"
    )


def test_the_schema_is_valid_openapi_3(document):
    from drf_spectacular.validation import validate_schema

    validate_schema(document)
    assert document["openapi"].startswith("3.")
    assert all(path.startswith("/api/v1/") for path in document["paths"])


@pytest.mark.django_db
def test_the_schema_is_served_without_signing_in(client):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    served = yaml.safe_load(response.content)
    assert set(served["paths"]) == set(yaml.safe_load(generated_yaml())["paths"])


def test_every_operation_has_an_id_a_tag_and_a_summary(document):
    ids = []
    for name, _path, operation in operations(document):
        assert operation.get("operationId"), f"{name}: no operationId (extend_schema(operation_id=...))"
        assert operation.get("tags"), f"{name}: no tags"
        assert operation.get("summary") or operation.get("description"), f"{name}: says nothing of what it does"
        ids.append(operation["operationId"])
    assert len(ids) == len(set(ids)), "two operations share an operationId"


def _secured(document, operation) -> bool:
    requirements = operation.get("security", document.get("security", []))
    return any(requirement for requirement in requirements)  # `{}` is "no authentication needed"


def test_operations_that_need_a_token_document_401(document):
    for name, _path, operation in operations(document):
        if _secured(document, operation):
            assert "401" in operation["responses"], f"{name} needs a token but does not document 401"


def test_only_the_sign_in_routes_are_open(document):
    """A resource route open to anyone (authentication_classes=[] / AllowAny) is a mistake."""
    for name, path, operation in operations(document):
        if not _secured(document, operation):
            assert path.startswith("/api/v1/auth/"), f"{name} takes no token"


def test_routes_of_an_object_document_404(document):
    for name, path, operation in operations(document):
        if "{" in path:
            assert "404" in operation["responses"], f"{name} names an object but does not document 404"


def test_every_4xx_is_the_error_shape(document):
    for name, _path, operation in operations(document):
        for status, response in operation["responses"].items():
            if status.startswith("4"):
                content = response.get("content", {})
                assert content, f"{name} {status}: no body documented"
                for media_type, body in content.items():
                    assert body["schema"].get("$ref") == ERROR_REF, f"{name} {status} {media_type}: not the Error component"


def test_the_error_component_is_the_one_shape(document):
    error = document["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    detail = document["components"]["schemas"]["ErrorDetail"]
    assert set(detail["properties"]) == {"code", "message", "fields"}
    assert set(detail["required"]) == {"code", "message"}


def test_the_bearer_scheme_is_documented(document):
    scheme = document["components"]["securitySchemes"]["deviceToken"]
    assert scheme == {**scheme, "type": "http", "scheme": "bearer"}
