"""The OpenAPI document of ``POST {prefix}/documents``."""
from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask_smorest import Api, Blueprint
from marshmallow import Schema, fields
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate as validate_spec

from conftest import SECRET, bearer, person_record
from flask_pis_documents import PisDocuments
from http_helpers import BrokenStorage, URL, FailingStorage, MemoryStorage, Recorder, raw_token

ERROR_STATUSES = ("401", "403", "404", "500", "503")
BEARER = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}


def _host(persons: dict[str, Any], **config: Any) -> tuple[Flask, Api]:
    app = Flask("host")
    app.config.update(
        TESTING=True,
        JWT_SECRET_KEY=SECRET,
        API_TITLE="Host",
        API_VERSION="1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        PIS_DOCUMENTS_RELATIONSHIP_CHECK_URL="http://relationships.test/check",
    )
    app.config.update(config)
    return app, Api(app)


def _init(app: Flask, persons: dict[str, Any], api: Api | None = None, **hooks: Any) -> None:
    hooks.setdefault("storage", MemoryStorage())
    PisDocuments(app, api=api, person_loader=persons.get,
                 relationship_checker=Recorder("approved"), **hooks)


def _resolve(spec: dict[str, Any], node: Any) -> Any:
    """``node`` with every local ``$ref`` replaced by its target (the spec has no cycles)."""
    if isinstance(node, dict):
        if "$ref" in node:
            path = node["$ref"].removeprefix("#/").split("/")
            target: Any = spec
            for part in path:
                target = target[part]
            return _resolve(spec, target)
        return {key: _resolve(spec, value) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolve(spec, item) for item in node]
    return node


def _ref_name(schema: dict[str, Any]) -> str:
    ref = schema["$ref"]
    assert ref.startswith("#/components/schemas/")
    return ref.rsplit("/", 1)[1]


@pytest.fixture
def spec(persons) -> dict[str, Any]:
    app, api = _host(persons)
    _init(app, persons, api)
    served = app.test_client().get("/openapi.json")
    assert served.status_code == 200
    return served.json


@pytest.fixture
def operation(spec) -> dict[str, Any]:
    return spec["paths"][URL]["post"]


def test_spec_is_valid_openapi(spec):
    validate_spec(spec)


def test_operation_documents_201_and_every_error_status(operation):
    assert set(operation["responses"]) == {"201", *ERROR_STATUSES}


def test_no_smorest_default_error_on_our_operation(spec, operation):
    assert "default" not in operation["responses"]
    for response in operation["responses"].values():
        assert _ref_name(response["content"]["application/json"]["schema"]) != "Error"


@pytest.mark.parametrize("status", ["201", *ERROR_STATUSES])
def test_responses_reference_prefixed_envelopes(spec, operation, status):
    schema = operation["responses"][status]["content"]["application/json"]["schema"]
    name = _ref_name(schema)
    assert name.startswith("PisDocuments")
    assert name in spec["components"]["schemas"]
    assert operation["responses"][status]["description"]


def test_every_component_the_operation_uses_is_prefixed(spec, operation):
    names: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "$ref" in node and node["$ref"].startswith("#/components/schemas/"):
                name = _ref_name(node)
                if name not in names:
                    names.add(name)
                    walk(spec["components"]["schemas"][name])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(operation)
    assert len(names) >= 4
    assert all(name.startswith("PisDocuments") for name in names), names


def test_error_envelope_schema(spec, operation):
    schema = _resolve(spec, operation["responses"]["401"]["content"]["application/json"]["schema"])
    assert set(schema["properties"]) == {"meta", "error"}
    assert set(schema["required"]) == {"meta", "error"}
    meta = schema["properties"]["meta"]
    assert set(meta["properties"]) >= {"url", "type", "code", "request_id"}
    assert set(schema["properties"]["error"]["properties"]) >= {"type", "message"}
    assert set(schema["properties"]["error"]["required"]) >= {"type", "message"}


def test_201_data_items_have_type_and_url(spec, operation):
    schema = _resolve(spec, operation["responses"]["201"]["content"]["application/json"]["schema"])
    assert set(schema["required"]) >= {"meta", "data"}
    data = schema["properties"]["data"]
    assert data["type"] == "array"
    item = data["items"]
    assert item["properties"]["type"]["type"] == "string"
    assert item["properties"]["url"]["type"] == "string"
    assert set(item["required"]) >= {"type", "url"}


def test_bearer_security_scheme_and_operation_security(spec, operation):
    security = operation["security"]
    assert len(security) == 1
    (name,) = security[0]
    assert security[0][name] == []
    assert spec["components"]["securitySchemes"][name] == BEARER


def _documented_schema(spec: dict[str, Any], status: int) -> dict[str, Any]:
    response = spec["paths"][URL]["post"]["responses"][str(status)]
    return _resolve(spec, response["content"]["application/json"]["schema"])


def test_real_responses_match_the_documented_schemas(persons):
    """Each status the endpoint answers validates against the schema documented for it."""
    persons["person-1"] = person_record(
        documents=[{"type": "PASSPORT", "number": "1"}],
        authentication_methods=[{"type": "OFFLINE"}],
    )
    app, api = _host(persons)
    _init(app, persons, api)
    failing, failing_api = _host(persons)
    _init(failing, persons, failing_api, storage=FailingStorage())
    broken, broken_api = _host(persons)
    broken_storage = BrokenStorage(RuntimeError("boom"))
    _init(broken, persons, broken_api, storage=broken_storage)
    broken_storage.broken = True
    spec = app.test_client().get("/openapi.json").json
    cases = [
        (app, bearer(raw_token()), 201),
        (app, {}, 401),
        (app, bearer(raw_token({"scope": "x"})), 403),
        (app, bearer(raw_token({"person_id": "nobody"})), 404),
        (broken, bearer(raw_token()), 500),
        (failing, bearer(raw_token()), 503),
    ]
    for target, headers, status in cases:
        response = target.test_client().post(URL, headers=headers)
        assert response.status_code == status
        OAS30Validator(_documented_schema(spec, status)).validate(response.json)
    assert response.json["error"]["type"] == "service_unavailable"


# Coexistence with a host's components ----------------------------------------------


class PisDocumentsLookalike(Schema):
    value = fields.String()


def test_host_components_and_bearer_scheme_coexist(persons):
    app, api = _host(persons)
    api.spec.components.security_scheme("bearerAuth", dict(BEARER))
    api.spec.components.security_scheme("apiKey", {"type": "apiKey", "in": "header", "name": "X"})
    api.spec.components.schema("Meta", {"type": "object", "properties": {"x": {"type": "string"}}})
    blp = Blueprint("host", __name__, url_prefix="/host")

    @blp.route("/")
    @blp.response(200, PisDocumentsLookalike)
    def index() -> Any:
        return {"value": "v"}

    api.register_blueprint(blp)
    _init(app, persons, api)
    spec = app.test_client().get("/openapi.json").json
    validate_spec(spec)
    schemes = spec["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == BEARER
    assert schemes["apiKey"]["type"] == "apiKey"
    assert spec["components"]["schemas"]["Meta"] == {
        "type": "object", "properties": {"x": {"type": "string"}}
    }
    (name,) = spec["paths"][URL]["post"]["security"][0]
    assert schemes[name] == BEARER
    assert "default" in spec["paths"]["/host/"]["get"]["responses"]  # the host's ops unchanged


def test_host_already_has_our_scheme_name(persons):
    """A host that registered the extension's scheme itself (say, for its own routes)."""
    app, api = _host(persons)
    probe, probe_api = _host(persons)
    _init(probe, persons, probe_api)
    (name,) = probe_api.spec.to_dict()["paths"][URL]["post"]["security"][0]
    api.spec.components.security_scheme(name, dict(BEARER))
    _init(app, persons, api)
    assert api.spec.to_dict()["components"]["securitySchemes"][name] == BEARER


def test_two_apps_two_apis_in_one_process(persons):
    specs = []
    for prefix in ("/a", "/b"):
        app, api = _host(persons, PIS_DOCUMENTS_URL_PREFIX=prefix)
        _init(app, persons, api)
        specs.append(app.test_client().get("/openapi.json").json)
    assert "/a/documents" in specs[0]["paths"] and "/b/documents" not in specs[0]["paths"]
    assert "/b/documents" in specs[1]["paths"] and "/a/documents" not in specs[1]["paths"]
    assert specs[0]["components"] == specs[1]["components"]


def test_spec_of_the_extensions_own_api(make_app):
    app = make_app({"PIS_DOCUMENTS_OPENAPI_URL_PREFIX": "/pis-docs",
                    "PIS_DOCUMENTS_URL_PREFIX": "/esoz"},
                   storage=MemoryStorage(), relationship_checker=Recorder("approved"))
    response = app.test_client().get("/pis-docs/openapi.json")
    assert response.status_code == 200
    spec = response.json
    validate_spec(spec)
    operation = spec["paths"]["/esoz/documents"]["post"]
    assert set(operation["responses"]) == {"201", *ERROR_STATUSES}
    (name,) = operation["security"][0]
    assert spec["components"]["securitySchemes"][name] == BEARER
