"""The error table of ``PATCH /api/pis/documents/actions/complete``, and its OpenAPI entry."""
from __future__ import annotations

import time
from collections.abc import Collection
from datetime import timedelta
from typing import Any

import jwt
import pytest
from flask import Flask
from flask_jwt_extended import create_access_token, create_refresh_token

from conftest import SCOPE, SECRET, bearer, person_record
from http_helpers import raw_token

COMPLETE = "/api/pis/documents/actions/complete"
COMPLETE_URL = "http://localhost" + COMPLETE
NO_BEARER = "Authorization header is not set or doesn't contain Bearer token"
INVALID_TOKEN = "Invalid access token"
MISSING_SCOPE = f"Your scope does not allow to access this resource. Missing allowances: {SCOPE}"
NOT_FOUND = "Person does not exist or is not active"


class HookRecorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, list[str]]] = []

    def __call__(self, person_id: str, names: Collection[str]) -> None:
        self.calls.append((person_id, list(names)))


def patch(app: Flask, headers: dict[str, str] | None = None) -> Any:
    return app.test_client().patch(COMPLETE, headers=headers or {})


def assert_error(response: Any, status: int, error_type: str, message: str | None = None) -> str:
    """Check the ESOZ error envelope; return the message."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"meta", "error"}
    assert set(body["meta"]) == {"url", "type", "code", "request_id"}
    assert body["meta"]["code"] == status
    assert body["meta"]["type"] == "object"
    assert body["meta"]["url"] == COMPLETE_URL
    assert body["meta"]["request_id"] and body["meta"]["request_id"] == response.headers["x-request-id"]
    assert body["error"]["type"] == error_type
    if message is not None:
        assert body["error"]["message"] == message
    assert "Traceback" not in response.get_data(as_text=True)
    return str(body["error"]["message"])


@pytest.fixture
def hook() -> HookRecorder:
    return HookRecorder()


@pytest.fixture
def app(make_app: Any, persons: dict[str, Any], hook: HookRecorder, s3: Any) -> Flask:
    persons["person-1"] = person_record("person-1")
    return make_app(documents_completed=hook)


# --- 401: no bearer header ------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": ""},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "bearer lowercase"},
        {"Authorization": "Token abc"},
    ],
    ids=["absent", "empty", "basic", "lowercase-bearer", "token"],
)
def test_no_bearer_header(app: Flask, hook: HookRecorder, headers: dict[str, str]) -> None:
    assert_error(patch(app, headers), 401, "access_denied", NO_BEARER)
    assert hook.calls == []


def test_no_header_is_checked_before_the_person(make_app: Any, hook: HookRecorder, s3: Any) -> None:
    app = make_app(documents_completed=hook)  # nobody in the store
    assert_error(patch(app), 401, "access_denied", NO_BEARER)


# --- 401: invalid token ---------------------------------------------------------


def _tokens(app: Flask) -> dict[str, str]:
    with app.app_context():
        expired = create_access_token(
            "user-1",
            expires_delta=timedelta(seconds=-60),
            additional_claims={"person_id": "person-1", "scope": SCOPE},
        )
        refresh = create_refresh_token(
            "user-1", additional_claims={"person_id": "person-1", "scope": SCOPE}
        )
    now = int(time.time())
    return {
        "garbage": "not-a-jwt",
        "empty-after-bearer": "",
        "bad-signature": raw_token(key="another-secret-that-is-long-enough-for-hs256"),
        "alg-none": raw_token(key=None, algorithm="none"),
        "expired": expired,
        "not-yet-valid": raw_token({"nbf": now + 3600}),
        "refresh": refresh,
        "no-person": raw_token({"person_id": None}),
        "person-not-a-string": raw_token({"person_id": 42}),
        "applicant-not-a-string": raw_token({"applicant_person_id": ["x"]}),
    }


@pytest.mark.parametrize(
    "case",
    [
        "garbage",
        "empty-after-bearer",
        "bad-signature",
        "alg-none",
        "expired",
        "not-yet-valid",
        "refresh",
        "no-person",
        "person-not-a-string",
        "applicant-not-a-string",
    ],
)
def test_invalid_token(app: Flask, hook: HookRecorder, case: str) -> None:
    value = _tokens(app)[case]
    response = patch(app, {"Authorization": f"Bearer {value}"})
    assert_error(response, 401, "access_denied", INVALID_TOKEN)
    assert hook.calls == []


def test_invalid_token_is_checked_before_the_scope(app: Flask) -> None:
    token_value = raw_token({"scope": "other"}, key="another-secret-that-is-long-enough-for-hs256")
    assert_error(patch(app, bearer(token_value)), 401, "access_denied", INVALID_TOKEN)


# --- 403: scope -----------------------------------------------------------------


@pytest.mark.parametrize(
    "scope",
    [None, "", "person_documents:read", "person_documents:write_pis_extra", ["other", "more"]],
    ids=["absent", "empty", "other", "prefix-only", "list-without"],
)
def test_missing_scope(app: Flask, hook: HookRecorder, token: Any, scope: Any) -> None:
    response = patch(app, bearer(token(app, scope=scope)))
    assert_error(response, 403, "forbidden", MISSING_SCOPE)
    assert hook.calls == []


@pytest.mark.parametrize("scope", [f"a {SCOPE} b", ["a", SCOPE]], ids=["string", "list"])
def test_scope_found_among_others(app: Flask, hook: HookRecorder, token: Any, scope: Any) -> None:
    response = patch(app, bearer(token(app, scope=scope)))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["data"] == []


def test_scope_is_checked_before_the_person(make_app: Any, token: Any, s3: Any) -> None:
    app = make_app()  # nobody in the store
    assert_error(patch(app, bearer(token(app, scope="other"))), 403, "forbidden", MISSING_SCOPE)


def test_configured_scope_is_named(make_app: Any, persons: dict[str, Any], token: Any, s3: Any) -> None:
    persons["person-1"] = person_record()
    app = make_app({"PIS_DOCUMENTS_SCOPE": "custom:complete"})
    assert_error(
        patch(app, bearer(token(app))),
        403,
        "forbidden",
        "Your scope does not allow to access this resource. Missing allowances: custom:complete",
    )
    assert patch(app, bearer(token(app, scope="custom:complete"))).status_code == 200


# --- 404: person ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("person_id", "record"),
    [
        ("nobody", None),
        ("person-1", {"status": "inactive"}),
        ("person-1", {"is_active": False}),
        ("person-1", {"status": "DELETED", "is_active": True}),
        ("bad id!", None),
        ("../escape", None),
    ],
    ids=["unknown", "status-inactive", "is_active-false", "deleted", "malformed", "path"],
)
def test_person_not_found_or_inactive(
    make_app: Any,
    persons: dict[str, Any],
    hook: HookRecorder,
    token: Any,
    s3: Any,
    person_id: str,
    record: dict[str, Any] | None,
) -> None:
    if record is not None:
        persons[person_id] = person_record(person_id, **record)
    app = make_app(documents_completed=hook)
    assert_error(patch(app, bearer(token(app, person_id))), 404, "not_found", NOT_FOUND)
    assert hook.calls == []


def test_unknown_person_is_checked_before_a_failing_relationship_service(
    make_app: Any, hook: HookRecorder, token: Any, s3: Any
) -> None:
    def checker(person_id: str, confidant_person_id: str) -> str:
        raise ConnectionError("relationships.internal refused")

    app = make_app(documents_completed=hook, relationship_checker=checker)
    response = patch(app, bearer(token(app, "nobody", applicant="person-2")))
    assert_error(response, 404, "not_found", NOT_FOUND)


# --- 503: dependencies ------------------------------------------------------------


def test_person_loader_failing(make_app: Any, hook: HookRecorder, token: Any, s3: Any) -> None:
    def loader(person_id: str) -> Any:
        raise ConnectionError("mpi-db.internal:5432 password=secret")

    app = make_app(documents_completed=hook, person_loader=loader)
    message = assert_error(patch(app, bearer(token(app))), 503, "service_unavailable")
    assert "person store" in message
    assert "mpi-db" not in message and "secret" not in message
    assert hook.calls == []


def test_relationship_checker_failing_with_an_applicant(
    make_app: Any, persons: dict[str, Any], hook: HookRecorder, token: Any, s3: Any
) -> None:
    persons["person-1"] = person_record()
    calls: list[tuple[str, str]] = []

    def checker(person_id: str, confidant_person_id: str) -> str:
        calls.append((person_id, confidant_person_id))
        raise TimeoutError("relationships.internal:8080 timed out")

    app = make_app(documents_completed=hook, relationship_checker=checker)
    message = assert_error(
        patch(app, bearer(token(app, applicant="person-2"))), 503, "service_unavailable"
    )
    assert "relationship service" in message
    assert "relationships.internal" not in message
    assert calls == [("person-1", "person-2")]
    assert hook.calls == []


def test_relationship_checker_not_called_without_applicant(
    make_app: Any, persons: dict[str, Any], hook: HookRecorder, token: Any, s3: Any
) -> None:
    persons["person-1"] = person_record()

    def checker(person_id: str, confidant_person_id: str) -> str:
        raise AssertionError("must not be called")

    app = make_app(documents_completed=hook, relationship_checker=checker)
    for applicant in (None, "person-1"):
        response = patch(app, bearer(token(app, applicant=applicant)))
        assert response.status_code == 200, response.get_data(as_text=True)
    assert hook.calls == [("person-1", [])]


def test_storage_failing(make_app: Any, persons: dict[str, Any], hook: HookRecorder, token: Any) -> None:
    persons["person-1"] = person_record()
    # Nothing listens on port 1: every storage call is refused.
    app = make_app({"PIS_DOCUMENTS_S3_ENDPOINT_URL": "http://127.0.0.1:1"}, documents_completed=hook)
    message = assert_error(patch(app, bearer(token(app))), 503, "service_unavailable")
    assert "storage" in message
    assert "127.0.0.1" not in message and "persons" not in message
    assert hook.calls == []


# --- x-request-id -------------------------------------------------------------------


def test_request_id_echoed_on_success(app: Flask, token: Any) -> None:
    response = patch(app, {**bearer(token(app)), "x-request-id": "req-complete-1"})
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "req-complete-1"
    body = response.get_json()
    assert body["meta"] == {
        "url": COMPLETE_URL,
        "type": "list",
        "code": 200,
        "request_id": "req-complete-1",
    }


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer nope"}, 401),
    ],
    ids=["401-no-header", "401-invalid"],
)
def test_request_id_echoed_on_errors(app: Flask, headers: dict[str, str], status: int) -> None:
    response = patch(app, {**headers, "x-request-id": "req-err-1"})
    assert_error(response, status, "access_denied")
    assert response.headers["x-request-id"] == "req-err-1"


def test_request_id_echoed_on_403_404_503(
    make_app: Any, persons: dict[str, Any], token: Any, s3: Any
) -> None:
    def checker(person_id: str, confidant_person_id: str) -> str:
        raise ConnectionError("down")

    persons["person-1"] = person_record()
    app = make_app(relationship_checker=checker)
    cases = [
        (bearer(token(app, scope="other")), 403, "forbidden"),
        (bearer(token(app, "nobody")), 404, "not_found"),
        (bearer(token(app, applicant="person-2")), 503, "service_unavailable"),
    ]
    for index, (headers, status, error_type) in enumerate(cases):
        request_id = f"req-{status}-{index}"
        response = patch(app, {**headers, "x-request-id": request_id})
        assert_error(response, status, error_type)
        assert response.get_json()["meta"]["request_id"] == request_id


@pytest.mark.parametrize("value", ["x" * 201, "caf\u00e9"], ids=["too-long", "non-ascii"])
def test_unacceptable_request_id_is_replaced(app: Flask, token: Any, value: str) -> None:
    response = app.test_client().patch(
        COMPLETE, headers={**bearer(token(app)), "x-request-id": value.encode().decode("latin-1")}
    )
    assert response.status_code == 200
    generated = response.headers["x-request-id"]
    assert generated and generated != value and len(generated) <= 200
    assert response.get_json()["meta"]["request_id"] == generated


# --- routing ----------------------------------------------------------------------------


def test_other_methods_are_not_routed_to_complete(app: Flask, token: Any) -> None:
    response = app.test_client().post(COMPLETE, headers=bearer(token(app)))
    assert response.status_code == 405


# --- OpenAPI ---------------------------------------------------------------------------


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    name = ref.rsplit("/", 1)[-1]
    return spec["components"]["schemas"][name]


def test_openapi_documents_the_complete_operation(make_app: Any, s3: Any) -> None:
    app = make_app({"PIS_DOCUMENTS_OPENAPI_URL_PREFIX": "/"})
    response = app.test_client().get("/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()

    operation = spec["paths"]["/api/pis/documents/actions/complete"]["patch"]
    responses = operation["responses"]
    assert set(responses) == {"200", "401", "403", "404", "500", "503"}

    success = _resolve(spec, responses["200"]["content"]["application/json"]["schema"])
    assert {"meta", "data"} <= set(success["properties"])
    assert success["properties"]["data"]["type"] == "array"
    for status in ("401", "403", "404", "500", "503"):
        error = _resolve(spec, responses[status]["content"]["application/json"]["schema"])
        assert {"meta", "error"} <= set(error["properties"]), status

    schemes = spec["components"]["securitySchemes"]
    assert len(operation["security"]) == 1
    (scheme_name,) = operation["security"][0]
    assert schemes[scheme_name] == {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}

    # The twin is still documented, and the complete path has no other method.
    assert "201" in spec["paths"]["/api/pis/documents"]["post"]["responses"]
    assert set(spec["paths"]["/api/pis/documents/actions/complete"]) - {"parameters"} == {"patch"}


def test_openapi_not_served_without_prefix(make_app: Any, s3: Any) -> None:
    app = make_app()
    assert app.test_client().get("/openapi.json").status_code == 404
