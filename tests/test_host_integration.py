"""The extension inside a host app: the host keeps its Api, JWT manager and error pages."""
from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, jsonify
from flask_jwt_extended import JWTManager, create_access_token, decode_token, jwt_required
from flask_smorest import Api, Blueprint
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException

from conftest import SCOPE, SECRET, bearer, person_record
from flask_pis_documents import ConfigurationError, PisDocuments
from http_helpers import URL, MemoryStorage, Recorder, assert_error, raw_token

INVALID = "Invalid access token"


class Meta(Schema):
    """A host schema whose component name ("Meta") a careless extension would take."""

    name = fields.String(required=True)
    host_only = fields.Integer()


class ErrorEnvelope(Schema):
    """A host schema named like the extension's envelope, without its prefix."""

    host_code = fields.Integer()


class MediaContent(Schema):
    host_url = fields.String()


def _host_app(with_extension: bool, persons: dict[str, Any], revoked: set[str]) -> tuple[Flask, Any]:
    """A host with its own Api, blueprint, JWTManager and error handlers."""
    app = Flask("host")
    app.config.update(
        TESTING=True,
        JWT_SECRET_KEY=SECRET,
        API_TITLE="Host API",
        API_VERSION="7.0",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/docs",
        PIS_DOCUMENTS_RELATIONSHIP_CHECK_URL="http://relationships.test/check",
    )
    api = Api(app)
    jwt_manager = JWTManager(app)

    @jwt_manager.token_in_blocklist_loader
    def in_blocklist(header: dict[str, Any], payload: dict[str, Any]) -> bool:
        return payload["jti"] in revoked

    @jwt_manager.revoked_token_loader
    def revoked_response(header: dict[str, Any], payload: dict[str, Any]) -> Any:
        return jsonify(host="token revoked"), 401

    @app.errorhandler(HTTPException)
    def host_http_error(error: HTTPException) -> Any:
        return jsonify(host_error=error.code, name=error.name), error.code

    @app.errorhandler(404)
    def host_not_found(error: HTTPException) -> Any:
        return jsonify(host_error=404, page="missing"), 404

    blp = Blueprint("host_items", __name__, url_prefix="/items")

    @blp.route("/")
    @blp.response(200, Meta(many=True))
    def list_items() -> Any:
        return [{"name": "a", "host_only": 1}]

    @blp.route("/<int:item_id>")
    @blp.response(200, Meta)
    @blp.alt_response(418, schema=ErrorEnvelope)
    @blp.alt_response(409, schema=MediaContent)
    def get_item(item_id: int) -> Any:
        if item_id == 0:
            from flask_smorest import abort

            abort(404)
        return {"name": str(item_id)}

    api.register_blueprint(blp)

    @app.route("/private")
    @jwt_required()
    def private() -> Any:
        return {"ok": True}

    if with_extension:
        PisDocuments(
            app,
            api=api,
            person_loader=persons.get,
            relationship_checker=Recorder("approved"),
            storage=MemoryStorage(),
        )
    return app, (api, jwt_manager)


def _snapshot(response: Any) -> tuple[Any, ...]:
    return (response.status_code, response.mimetype, response.get_data(as_text=True),
            response.headers.get("Allow"))


HOST_REQUESTS = [
    ("get", "/items/"),
    ("get", "/items/5"),
    ("get", "/items/0"),        # smorest abort(404) on a host route
    ("get", "/nowhere"),        # unknown URL
    ("get", "/api/pis/nowhere"),  # unknown URL under our prefix
    ("delete", "/items/"),      # 405 on a host route
    ("post", "/private"),       # 405
    ("get", "/private"),        # no token: the host's JWT error
]


@pytest.fixture
def revoked() -> set[str]:
    return set()


@pytest.fixture
def host(persons, revoked):
    persons["person-1"] = person_record()
    return _host_app(True, persons, revoked)


@pytest.mark.parametrize("method, path", HOST_REQUESTS)
def test_host_responses_unchanged(persons, revoked, method, path):
    bare, _ = _host_app(False, persons, revoked)
    with_ext, _ = _host_app(True, persons, revoked)
    expected = _snapshot(getattr(bare.test_client(), method)(path))
    assert _snapshot(getattr(with_ext.test_client(), method)(path)) == expected


def test_host_handlers_answer_host_errors(host):
    app, _ = host
    client = app.test_client()
    assert client.get("/nowhere").json == {"host_error": 404, "page": "missing"}
    assert client.delete("/items/").json == {"host_error": 405, "name": "Method Not Allowed"}


def test_405_on_our_url_stays_the_hosts(host):
    """Routing errors never reach the blueprint: the app's handler answers."""
    app, _ = host
    response = app.test_client().get(URL)
    assert response.status_code == 405
    assert response.json == {"host_error": 405, "name": "Method Not Allowed"}


def test_our_404_uses_the_envelope_despite_the_hosts_404_handler(host):
    app, _ = host
    response = app.test_client().post(URL, headers=bearer(raw_token({"person_id": "nobody"})))
    assert_error(response, 404, "not_found", "Person does not exist or is not active")


def test_our_endpoint_works_in_the_host(host):
    app, _ = host
    response = app.test_client().post(URL, headers=bearer(raw_token()))
    assert response.status_code == 201
    assert response.json["data"] == []


def test_host_jwt_manager_is_kept(host):
    app, (_, jwt_manager) = host
    assert app.extensions["flask-jwt-extended"] is jwt_manager


def test_host_blocklist_applies_to_our_endpoint(host, revoked):
    app, _ = host
    token = raw_token({"jti": "revoked-jti"})
    assert app.test_client().post(URL, headers=bearer(token)).status_code == 201
    revoked.add("revoked-jti")
    assert_error(app.test_client().post(URL, headers=bearer(token)), 401, "access_denied", INVALID)


def test_host_jwt_responses_stay_on_host_routes(host, revoked):
    """The host's loaders (blocklist, revoked response) still answer on its own routes."""
    app, _ = host
    with app.app_context():
        token = create_access_token(
            "user-1", additional_claims={"person_id": "person-1", "scope": SCOPE}
        )
    client = app.test_client()
    assert client.get("/private", headers=bearer(token)).json == {"ok": True}
    assert client.post(URL, headers=bearer(token)).status_code == 201
    revoked.add(_jti(app, token))
    response = client.get("/private", headers=bearer(token))
    assert response.status_code == 401
    assert response.json == {"host": "token revoked"}
    # ...and our endpoint answers the same revoked token with its own envelope.
    assert_error(client.post(URL, headers=bearer(token)), 401, "access_denied", INVALID)


def _jti(app: Flask, token: str) -> str:
    with app.app_context():
        jti: str = decode_token(token)["jti"]
    return jti


def test_host_schemas_keep_their_component_names(host):
    app, (api, _) = host
    spec = api.spec.to_dict()
    schemas = spec["components"]["schemas"]
    assert set(schemas["Meta"]["properties"]) == {"name", "host_only"}
    assert set(schemas["ErrorEnvelope"]["properties"]) == {"host_code"}
    assert set(schemas["MediaContent"]["properties"]) == {"host_url"}
    host_names = {"Meta", "ErrorEnvelope", "MediaContent", "Error", "PaginationMetadata"}
    ours = [name for name in schemas if name not in host_names]
    assert ours and all(name.startswith("PisDocuments") for name in ours)
    # The host's operations keep smorest's default error response.
    assert "default" in spec["paths"]["/items/{item_id}"]["get"]["responses"]
    assert spec["info"] == {"title": "Host API", "version": "7.0"}


def test_host_spec_is_served_with_our_path(host):
    app, _ = host
    response = app.test_client().get("/docs/openapi.json")
    assert response.status_code == 200
    assert URL in response.json["paths"]
    assert "/items/" in response.json["paths"]


def test_api_found_without_passing_it(persons, revoked):
    app = Flask("host")
    app.config.update(TESTING=True, JWT_SECRET_KEY=SECRET, API_TITLE="Host", API_VERSION="1",
                      OPENAPI_VERSION="3.0.3")
    api = Api(app)
    PisDocuments(app, person_loader=persons.get, relationship_checker=Recorder("approved"),
                 storage=MemoryStorage())
    assert URL in api.spec.to_dict()["paths"]


# A host without an Api -------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["/pis-docs", "/pis-docs/"])
def test_no_api_spec_served_at_configured_prefix(make_app, persons, prefix):
    persons["person-1"] = person_record()
    app = make_app({"PIS_DOCUMENTS_OPENAPI_URL_PREFIX": prefix},
                   relationship_checker=Recorder("approved"), storage=MemoryStorage())
    client = app.test_client()
    response = client.get("/pis-docs/openapi.json")
    assert response.status_code == 200
    assert URL in response.json["paths"]
    assert all(path.startswith("/api/pis/") for path in response.json["paths"])
    assert "post" in response.json["paths"][URL]
    assert client.get("/openapi.json").status_code == 404
    assert client.post(URL, headers=bearer(raw_token())).status_code == 201


def test_no_api_spec_served_nowhere_when_unset(make_app):
    app = make_app(relationship_checker=Recorder("approved"), storage=MemoryStorage())
    client = app.test_client()
    for path in ("/openapi.json", "/pis-docs/openapi.json", "/api/pis/openapi.json",
                 "/docs/openapi.json"):
        assert client.get(path).status_code == 404
    assert not any("openapi" in rule.rule for rule in app.url_map.iter_rules())


def test_no_api_host_errors_stay_flask_html(make_app):
    app = make_app({"PIS_DOCUMENTS_OPENAPI_URL_PREFIX": "/pis-docs"},
                   relationship_checker=Recorder("approved"), storage=MemoryStorage())

    @app.route("/hello")
    def hello() -> str:
        return "hi"

    bare = Flask("host")

    @bare.route("/hello")
    def bare_hello() -> str:
        return "hi"

    for method, path in (("get", "/nowhere"), ("delete", "/hello"), ("get", URL),
                         ("get", "/api/pis/nowhere")):
        response = getattr(app.test_client(), method)(path)
        expected = getattr(bare.test_client(), method)(path)
        assert response.mimetype == "text/html"
        if path == URL:  # a known URL: Flask's own HTML 405, with its Allow header
            assert response.status_code == 405
            assert "POST" in response.headers["Allow"]
            assert b"Method Not Allowed" in response.get_data()
        else:
            assert response.status_code == expected.status_code
            assert response.get_data() == expected.get_data()


def test_no_api_host_error_handlers_registered_before_are_kept(persons):
    app = Flask("host")
    app.config.update(TESTING=True, JWT_SECRET_KEY=SECRET,
                      PIS_DOCUMENTS_RELATIONSHIP_CHECK_URL="http://relationships.test/check")

    @app.errorhandler(HTTPException)
    def host_http_error(error: HTTPException) -> Any:
        return {"host_error": error.code}, error.code

    PisDocuments(app, person_loader=persons.get, storage=MemoryStorage())
    assert app.test_client().get("/nowhere").json == {"host_error": 404}
    assert app.test_client().get(URL).json == {"host_error": 405}


def test_openapi_prefix_ignored_when_the_host_has_an_api(persons, revoked):
    persons["person-1"] = person_record()
    app = Flask("host")
    app.config.update(TESTING=True, JWT_SECRET_KEY=SECRET, API_TITLE="Host", API_VERSION="1",
                      OPENAPI_VERSION="3.0.3", OPENAPI_URL_PREFIX="/docs",
                      PIS_DOCUMENTS_OPENAPI_URL_PREFIX="/pis-docs")
    api = Api(app)
    PisDocuments(app, api=api, person_loader=persons.get,
                 relationship_checker=Recorder("approved"), storage=MemoryStorage())
    client = app.test_client()
    assert client.get("/pis-docs/openapi.json").status_code == 404
    assert URL in client.get("/docs/openapi.json").json["paths"]
    assert len(app.extensions["flask-smorest"]["apis"]) == 1


# init_app rules --------------------------------------------------------------------


def _bare_app(**config: Any) -> Flask:
    app = Flask("host")
    app.config.update(TESTING=True, JWT_SECRET_KEY=SECRET,
                      PIS_DOCUMENTS_RELATIONSHIP_CHECK_URL="http://relationships.test/check")
    app.config.update(config)
    return app


def test_init_app_twice_raises(persons):
    app = _bare_app()
    pis = PisDocuments(person_loader=persons.get, storage=MemoryStorage())
    pis.init_app(app)
    with pytest.raises(RuntimeError, match="already registered") as raised:
        pis.init_app(app)
    assert "instance" in str(raised.value)
    with pytest.raises(RuntimeError, match="already registered"):
        PisDocuments(app, person_loader=persons.get, storage=MemoryStorage())


def test_one_instance_on_two_apps(persons):
    persons["person-1"] = person_record(
        documents=[{"type": "PASSPORT", "number": "1"}],
        authentication_methods=[{"type": "OFFLINE"}],
    )
    pis = PisDocuments(person_loader=persons.get, relationship_checker=Recorder("approved"))
    first = _bare_app(PIS_DOCUMENTS_URL_PREFIX="/one", PIS_DOCUMENTS_SCOPE="scope:one")
    second = _bare_app(PIS_DOCUMENTS_URL_PREFIX="/two", PIS_DOCUMENTS_SCOPE="scope:two")
    first_storage, second_storage = MemoryStorage(), MemoryStorage(
        [("persons", "person-1", "person.PASSPORT")]
    )
    pis.init_app(first, storage=first_storage)
    pis.init_app(second, storage=second_storage)

    one = first.test_client().post("/one/documents", headers=bearer(raw_token({"scope": "scope:one"})))
    assert one.status_code == 201
    assert [d["type"] for d in one.json["data"]] == ["person.PASSPORT"]
    assert one.json["meta"]["url"] == "http://localhost/one/documents"
    two = second.test_client().post("/two/documents", headers=bearer(raw_token({"scope": "scope:two"})))
    assert two.status_code == 201
    assert two.json["data"] == []

    assert first.test_client().post("/two/documents").status_code == 404
    assert second.test_client().post("/one/documents").status_code == 404
    wrong = second.test_client().post("/two/documents",
                                      headers=bearer(raw_token({"scope": "scope:one"})))
    assert_error(wrong, 403, "forbidden",
                 "Your scope does not allow to access this resource. Missing allowances: scope:two",
                 url="http://localhost/two/documents")


def test_one_instance_on_two_apps_with_default_s3_storage(persons, s3, s3_endpoint):
    """Each app builds its default storage from its own config."""
    persons["person-1"] = person_record(
        documents=[{"type": "PASSPORT", "number": "1"}],
        authentication_methods=[{"type": "OFFLINE"}],
    )
    s3.create_bucket(Bucket="persons-two")
    pis = PisDocuments(person_loader=persons.get, relationship_checker=Recorder("approved"))
    first = _bare_app(PIS_DOCUMENTS_S3_ENDPOINT_URL=s3_endpoint)
    second = _bare_app(PIS_DOCUMENTS_S3_ENDPOINT_URL=s3_endpoint,
                       PIS_DOCUMENTS_BUCKETS={"persons": "persons-two"},
                       PIS_DOCUMENTS_URL_EXPIRES_IN=60)
    pis.init_app(first)
    pis.init_app(second)
    urls = []
    for app in (first, second):
        response = app.test_client().post(URL, headers=bearer(raw_token()))
        assert response.status_code == 201
        (item,) = response.json["data"]
        urls.append(item["url"])
    assert "/persons/person-1/person.PASSPORT.jpeg?" in urls[0] and "X-Amz-Expires=600" in urls[0]
    assert "/persons-two/person-1/person.PASSPORT.jpeg?" in urls[1]
    assert "X-Amz-Expires=60&" in urls[1] or urls[1].endswith("X-Amz-Expires=60")


@pytest.mark.parametrize(
    "hook",
    ["person_loader", "relationship_checker", "global_parameters_loader", "user_person_loader",
     "documents_completed"],
)
def test_hook_after_init_app_raises(persons, hook):
    pis = PisDocuments(person_loader=persons.get, storage=MemoryStorage())
    pis.init_app(_bare_app())
    with pytest.raises(RuntimeError, match="init_app"):
        getattr(pis, hook)(lambda *args: None)


def test_hook_before_init_app_is_used(persons):
    persons["person-1"] = person_record()
    pis = PisDocuments(storage=MemoryStorage())
    pis.relationship_checker(Recorder("approved"))

    @pis.person_loader
    def load(person_id: str) -> Any:
        return persons.get(person_id)

    app = _bare_app()
    pis.init_app(app)
    assert app.test_client().post(URL, headers=bearer(raw_token())).status_code == 201
    assert_error(app.test_client().post(URL, headers=bearer(raw_token({"person_id": "nobody"}))),
                 404, "not_found")


def test_no_jwt_manager_and_no_key_fails(make_app):
    with pytest.raises(ConfigurationError, match="JWT_SECRET_KEY"):
        make_app({"JWT_SECRET_KEY": None}, storage=MemoryStorage(),
                 relationship_checker=Recorder("approved"))


def test_no_jwt_manager_with_key_gets_one(make_app, persons):
    persons["person-1"] = person_record()
    app = make_app(storage=MemoryStorage(), relationship_checker=Recorder("approved"))
    assert isinstance(app.extensions["flask-jwt-extended"], JWTManager)
    assert app.test_client().post(URL, headers=bearer(raw_token())).status_code == 201


def test_url_prefix_moves_the_route(make_app, persons):
    persons["person-1"] = person_record()
    app = make_app({"PIS_DOCUMENTS_URL_PREFIX": "/v2/pis"}, storage=MemoryStorage(),
                   relationship_checker=Recorder("approved"))
    client = app.test_client()
    response = client.post("/v2/pis/documents", headers=bearer(raw_token()))
    assert response.status_code == 201
    assert response.json["meta"]["url"] == "http://localhost/v2/pis/documents"
    assert client.post(URL, headers=bearer(raw_token())).status_code == 404
    assert_error(client.post("/v2/pis/documents"), 401, "access_denied",
                 url="http://localhost/v2/pis/documents")

