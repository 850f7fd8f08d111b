"""The documentation's examples, run for real, so that the docs cannot rot.

Every file under ``docs/examples/`` that a page includes is imported or run
here: the apps are created, the endpoints called with real tokens through the
test client (or a real HTTP server), against moto's S3 server, and the
document names compared with what the pages say. Sample outputs shown on the
pages (error bodies, the log line, the command line session) are compared
with what the code produces now.
"""
from __future__ import annotations

import ast
import importlib.util
import io
import json
import logging
import re
import runpy
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import redirect_stdout
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, abort, request
from flask_jwt_extended import create_access_token
from sqlalchemy import create_engine, insert
from werkzeug.serving import make_server

import flask_pis_documents.service as service_module
from conftest import SCOPE, SECRET, bearer
from db_support import database_url  # noqa: F401
from flask_pis_documents.adapters.models import GlobalParameterRow
from flask_pis_documents.config import DEFAULT_BUCKETS, DEFAULTS
from loopback_servers import LoopbackHttpServer, Reply, Seen, access_claims, closed_port

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
EXAMPLES = DOCS / "examples"
RESPONSES = EXAMPLES / "responses"
INITIALIZE = "/api/pis/documents"
COMPLETE = "/api/pis/documents/actions/complete"
JPEG = b"\xff\xd8\xff\xe0 one page \xff\xd9"
PUBLIC_BASE = "https://pis.example"
SAMPLE_REQUEST_ID = "0b7e8c2a-5d1f-4c39-9a36-2f4d8e61c0aa"


def load_example(name: str, module_name: str | None = None) -> ModuleType:
    """Import ``docs/examples/<name>.py`` afresh, as ``module_name``."""
    module_name = module_name or f"docs_example_{name}_{uuid.uuid4().hex[:8]}"
    spec = importlib.util.spec_from_file_location(module_name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def names(response: Any) -> list[str]:
    assert response.status_code in (200, 201), response.get_data(as_text=True)
    return [item["type"] for item in response.get_json()["data"]]


def put(item: dict[str, Any]) -> None:
    response = requests.put(item["url"], data=JPEG, headers=item["headers"], timeout=10)
    assert response.status_code == 200, response.text


class FrozenDatetime(datetime):
    """``datetime`` whose ``now`` is the rule examples' reference day."""

    moment = datetime(2026, 12, 4, 10, 0, tzinfo=timezone.utc)

    @classmethod
    def now(cls, tz: Any = None) -> Any:
        return cls.moment if tz is None else cls.moment.astimezone(tz)


@pytest.fixture
def reference_day(monkeypatch: pytest.MonkeyPatch) -> None:
    """Requests see 4 December 2026 (Kyiv), the day the Rules page counts ages on."""
    rules = load_example("rule_examples")
    assert FrozenDatetime.moment.date() == rules.REFERENCE_DAY
    monkeypatch.setattr(service_module, "datetime", FrozenDatetime)


@pytest.fixture
def dispose_engines() -> Iterator[Callable[[Flask, Any], None]]:
    """Register ``(app, db)``: its engines are disposed after the test."""
    apps: list[tuple[Flask, Any]] = []
    yield lambda app, db: apps.append((app, db))
    for app, db in apps:
        with app.app_context():
            for engine in db.engines.values():
                engine.dispose()


@pytest.fixture
def rsa_key() -> Any:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: Any) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def public_pem(key: Any) -> str:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


# --- quickstart ------------------------------------------------------------------


def test_quickstart_app_and_token(monkeypatch, s3, s3_endpoint) -> None:
    monkeypatch.setenv("JWT_SECRET_KEY", SECRET)
    monkeypatch.setenv("S3_ENDPOINT_URL", s3_endpoint)
    quickstart = load_example("quickstart_app", "quickstart_app")
    try:
        out = io.StringIO()
        with redirect_stdout(out):
            runpy.run_path(str(EXAMPLES / "quickstart_token.py"), run_name="__main__")
        token = out.getvalue().strip()
        client = quickstart.app.test_client()

        response = client.post(INITIALIZE, headers=bearer(token))
        assert response.status_code == 201
        assert names(response) == ["person.PASSPORT"]
        item = response.get_json()["data"][0]
        assert item["headers"] == {"Content-Type": "image/jpeg"}
        put(item)
        assert s3.get_object(Bucket="persons", Key="p-1/person.PASSPORT.jpeg")["Body"].read() == JPEG

        assert names(client.post(INITIALIZE, headers=bearer(token))) == []
        assert names(client.patch(COMPLETE, headers=bearer(token))) == []
    finally:
        sys.modules.pop("quickstart_app", None)


def test_quickstart_is_about_ten_lines() -> None:
    code = [
        line for line in (EXAMPLES / "quickstart_app.py").read_text().splitlines()
        if line.strip() and not line.startswith(("import ", "from "))
    ]
    assert len(code) <= 10, code


# --- hooks -----------------------------------------------------------------------


def hooks_app(s3_endpoint: str) -> tuple[ModuleType, Flask]:
    module = load_example("custom_hooks")
    app = module.create_app({"JWT_SECRET_KEY": SECRET, "PIS_DOCUMENTS_S3_ENDPOINT_URL": s3_endpoint})
    return module, app


def hooks_token(app: Flask, sub: str = "account-42", **claims: Any) -> str:
    with app.app_context():
        return create_access_token(
            sub, additional_claims={"scope": SCOPE, "applicant_person_id": "mother-1", **claims}
        )


def test_custom_hooks_loader_checker_and_completion(s3, s3_endpoint) -> None:
    module, app = hooks_app(s3_endpoint)
    client = app.test_client()
    auth = bearer(hooks_token(app))
    expected = ["confidant_person.mother-1.documents_relationship.BIRTH_CERTIFICATE"]

    response = client.post(INITIALIZE, headers=auth)
    assert response.status_code == 201
    assert names(response) == expected
    put(response.get_json()["data"][0])

    assert module.COMPLETED == []
    assert names(client.patch(COMPLETE, headers=auth)) == []
    assert module.COMPLETED == [("child-1", expected)]
    assert names(client.patch(COMPLETE, headers=auth)) == []
    assert len(module.COMPLETED) == 1  # each state is reported once


def test_custom_hooks_person_claim_is_replaced_by_the_user_loader(s3, s3_endpoint) -> None:
    module, app = hooks_app(s3_endpoint)
    client = app.test_client()
    # A person_id claim is ignored: the user person loader decides.
    unknown = bearer(hooks_token(app, sub="account-0", person_id="child-1"))
    response = client.post(INITIALIZE, headers=unknown)
    assert response.status_code == 401
    assert response.get_json()["error"]["message"] == "Invalid access token"


def test_custom_hooks_relationship_answers(s3, s3_endpoint, monkeypatch) -> None:
    module, app = hooks_app(s3_endpoint)
    auth = bearer(hooks_token(app))
    monkeypatch.setitem(module.RELATIONSHIPS, ("child-1", "mother-1"), "NOT_VERIFIED")
    # "not_approved" is ok too (PIS_DOCUMENTS_RELATIONSHIP_OK_STATUSES).
    assert names(app.test_client().post(INITIALIZE, headers=auth)) == [
        "confidant_person.mother-1.documents_relationship.BIRTH_CERTIFICATE"
    ]
    monkeypatch.delitem(module.RELATIONSHIPS, ("child-1", "mother-1"))
    assert names(app.test_client().post(INITIALIZE, headers=auth)) == []


class Unreachable(dict):  # type: ignore[type-arg]
    def get(self, *args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("the host's store is down")


def test_custom_hooks_exception_answers_503(s3, s3_endpoint, monkeypatch) -> None:
    module, app = hooks_app(s3_endpoint)
    monkeypatch.setattr(module, "PATIENTS", Unreachable())
    response = app.test_client().post(INITIALIZE, headers=bearer(hooks_token(app)))
    assert response.status_code == 503
    assert response.get_json()["error"] == {
        "type": "service_unavailable",
        "message": "The person store is unavailable, try again later",
    }


def test_custom_hooks_user_loader_outage_answers_503(s3, s3_endpoint, monkeypatch) -> None:
    module, app = hooks_app(s3_endpoint)
    monkeypatch.setattr(module, "ACCOUNTS", Unreachable())
    response = app.test_client().post(INITIALIZE, headers=bearer(hooks_token(app)))
    assert response.status_code == 503
    assert response.get_json()["error"]["message"] == "The account store is unavailable, try again later"


def test_completion_hooks_write_in_the_ledger_transaction(tmp_path, s3, s3_endpoint, dispose_engines) -> None:
    module = load_example("completion_hooks")
    persons = {"p-1": {"id": "p-1", "status": "active", "is_active": True,
                       "documents": [{"type": "PASSPORT", "number": "AA1"}],
                       "authentication_methods": [{"type": "OFFLINE"}]}}
    app = module.create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'host.sqlite'}",
        "JWT_SECRET_KEY": SECRET, "PIS_DOCUMENTS_S3_ENDPOINT_URL": s3_endpoint, "PERSONS": persons,
    })
    dispose_engines(app, module.db)
    client = app.test_client()
    with app.app_context():
        auth = bearer(create_access_token("u", additional_claims={"person_id": "p-1", "scope": SCOPE}))
    response = client.post(INITIALIZE, headers=auth)
    put(response.get_json()["data"][0])
    assert names(client.patch(COMPLETE, headers=auth)) == []
    assert names(client.patch(COMPLETE, headers=auth)) == []
    with app.app_context():
        tasks = [(t.person_id, t.documents) for t in module.db.session.scalars(
            module.db.select(module.ReviewTask))]
    assert tasks == [("p-1", "person.PASSPORT")]


# --- the whole flow over HTTP -------------------------------------------------------


@pytest.fixture
def served_hooks_app(s3, s3_endpoint) -> Iterator[tuple[str, Flask]]:
    _, app = hooks_app(s3_endpoint)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_upload_client_runs_the_whole_flow(served_hooks_app) -> None:
    base_url, app = served_hooks_app
    client = load_example("upload_client")
    token = hooks_token(app)
    name = "confidant_person.mother-1.documents_relationship.BIRTH_CERTIFICATE"
    with requests.Session() as session:
        assert client.upload_documents(base_url, token, {}, session) == [name]
        assert client.upload_documents(base_url, token, {name: JPEG}, session) == []


# --- a storage of one's own -------------------------------------------------------------


def test_custom_storage_flow(tmp_path) -> None:
    module = load_example("custom_storage")
    persons = {"p-1": {"id": "p-1", "birth_date": "1990-05-01", "status": "active",
                       "is_active": True, "authentication_methods": [{"type": "OFFLINE"}],
                       "documents": [{"type": "PASSPORT", "number": "AA1"},
                                     {"type": "TAX_ID", "number": "1"}]}}
    app = module.create_app({"SECRET_KEY": SECRET, "UPLOAD_ROOT": str(tmp_path),
                             "PUBLIC_BASE_URL": "http://localhost", "PERSONS": persons})
    client = app.test_client()
    with app.app_context():
        auth = bearer(create_access_token("u", additional_claims={"person_id": "p-1", "scope": SCOPE}))

    response = client.post(INITIALIZE, headers=auth)
    assert response.status_code == 201
    assert names(response) == ["person.PASSPORT", "person.TAX_ID"]
    items = response.get_json()["data"]
    path = urlsplit(items[0]["url"]).path
    assert client.put(path + "x", data=JPEG, headers=items[0]["headers"]).status_code == 403
    assert client.put(path, data=b"not a jpeg", headers=items[0]["headers"]).status_code == 403
    for item in items:
        assert client.put(urlsplit(item["url"]).path, data=JPEG, headers=item["headers"]).status_code == 200
    assert (tmp_path / "persons" / "p-1" / "person.PASSPORT.jpeg").read_bytes() == JPEG

    # A scan already in another storage counts as present too.
    assert names(client.patch(COMPLETE, headers=auth)) == []


# --- the rules ------------------------------------------------------------------------

RULES = load_example("rule_examples", "docs_rule_examples")


@pytest.mark.parametrize("example_name", sorted(RULES.ALL))
def test_rule_example(example_name, make_app, persons, s3, token, reference_day) -> None:
    example = RULES.ALL[example_name]
    for record in [example.person, *example.third_persons]:
        persons[record["id"]] = record
    checked: list[tuple[str, str]] = []

    def checker(person_id: str, confidant_person_id: str) -> str:
        checked.append((person_id, confidant_person_id))
        return str(example.relationship)

    app = make_app(relationship_checker=checker)
    auth = bearer(token(app, example.person["id"], applicant=example.applicant))
    response = app.test_client().post(INITIALIZE, headers=auth)
    assert response.status_code == 201
    assert names(response) == example.expected
    if example.applicant is None:
        assert checked == []  # no applicant: the checker is not called
    else:
        assert checked == [(example.person["id"], example.applicant)]


def test_rule_examples_are_all_there() -> None:
    assert {"RULE_1", "RULE_2", "RULE_3", "RULE_4", "RULE_5", "RULE_6", "COMBINED"} <= set(RULES.ALL)


def test_rule_example_logs_what_it_skips(make_app, persons, s3, token, reference_day, caplog) -> None:
    for example in (RULES.MISSING_THIRD_PERSON, RULES.UNSAFE_TYPE):
        persons[example.person["id"]] = example.person
    app = make_app()
    with caplog.at_level(logging.WARNING, logger="flask_pis_documents.rules"):
        for example in (RULES.MISSING_THIRD_PERSON, RULES.UNSAFE_TYPE):
            app.test_client().post(INITIALIZE, headers=bearer(token(app, example.person["id"])))
    messages = [r.getMessage() for r in caplog.records if r.name == "flask_pis_documents.rules"]
    assert any("third person gone-11" in m for m in messages), messages
    assert any("skipped a document type" in m for m in messages), messages
    assert not any("../../etc" in m for m in messages)


# --- the command line ----------------------------------------------------------------------


def test_cli_session(tmp_path, monkeypatch, s3, s3_endpoint, reference_day, dispose_engines) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'mpi.sqlite'}")
    monkeypatch.setenv("JWT_SECRET_KEY", SECRET)
    monkeypatch.setenv("S3_ENDPOINT_URL", s3_endpoint)
    monkeypatch.chdir(EXAMPLES)
    module = load_example("cli_app")
    dispose_engines(module.app, module.db)
    runner = module.app.test_cli_runner()
    session = (EXAMPLES / "cli-session.txt").read_text()
    commands = re.findall(r"^\$ flask --app cli_app (.+)$", session, re.MULTILINE)
    outputs = re.split(r"^\$ .*\n", session, flags=re.MULTILINE)[1:]
    assert len(commands) == 3
    for command, expected in zip(commands, outputs):
        result = runner.invoke(args=command.split())
        assert result.exit_code == 0, result.output
        assert result.output.strip() == expected.strip()


def test_import_persons_is_all_or_nothing(tmp_path, monkeypatch, s3, s3_endpoint, dispose_engines) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'mpi.sqlite'}")
    monkeypatch.setenv("JWT_SECRET_KEY", SECRET)
    monkeypatch.setenv("S3_ENDPOINT_URL", s3_endpoint)
    module = load_example("cli_app")
    dispose_engines(module.app, module.db)
    runner = module.app.test_cli_runner()
    assert runner.invoke(args=["pis-documents", "init-db"]).exit_code == 0
    records = json.loads((EXAMPLES / "persons.json").read_text())
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([*records, {"id": "../x"}]))
    result = runner.invoke(args=["pis-documents", "import-persons", str(bad)])
    assert result.exit_code != 0
    assert "nothing imported: record 2:" in result.output
    result = runner.invoke(args=["pis-documents", "explain", "teen-7"])
    assert result.exit_code != 0
    assert "Person does not exist or is not active" in result.output


# --- deployment -----------------------------------------------------------------------------


def test_production_app(database_url, monkeypatch, tmp_path, s3, s3_endpoint, rsa_key, reference_day) -> None:  # noqa: F811
    key_file = tmp_path / "token-key.pub"
    key_file.write_text(public_pem(rsa_key))
    answer = {"reply": Reply(200, {"data": {"status": "approved"}})}
    with LoopbackHttpServer(lambda seen: answer["reply"]) as mpi:
        monkeypatch.setenv("MPI_DATABASE_URL", database_url.url)
        monkeypatch.setenv("PRM_DATABASE_URL", database_url.url)
        monkeypatch.setenv("JWT_PUBLIC_KEY_FILE", str(key_file))
        monkeypatch.setenv("JWT_AUDIENCE", "pis")
        monkeypatch.setenv("JWT_ISSUER", "https://auth.example")
        monkeypatch.setenv("RELATIONSHIP_CHECK_URL", mpi.url + "/check")
        monkeypatch.setenv("S3_ENDPOINT_URL", s3_endpoint)
        module = load_example("production_app")
        bind = database_url.bind_config()
        app = module.create_app({"SQLALCHEMY_BINDS": {"mpi": bind, "prm": bind}})
        try:
            check_production_app(app, module, rsa_key)
            assert [seen.path for seen in mpi.requests] == ["/check", "/check"]

            answer["reply"] = Reply(502, "bad gateway")  # the relationship service fails now
            health = app.test_client().get("/healthz")
            assert health.status_code == 503
            assert health.get_json()["checks"] == {"mpi_database": "ok", "storage": "ok",
                                                   "relationship_service": "failed: DependencyUnavailable"}
        finally:
            with app.app_context():
                for engine in module.db.engines.values():
                    engine.dispose()


def check_production_app(app: Flask, module: ModuleType, rsa_key: Any) -> None:
    runner = app.test_cli_runner()
    assert runner.invoke(args=["pis-documents", "init-db"]).exit_code == 0
    result = runner.invoke(args=["pis-documents", "import-persons", str(EXAMPLES / "persons.json")])
    assert result.output.strip() == "imported 2 persons"
    with app.app_context():
        engine = module.db.engines["prm"]
    with engine.begin() as connection:
        connection.execute(insert(GlobalParameterRow), [
            {"parameter": "no_self_auth_age", "value": "14"},
            {"parameter": "no_self_registration_age", "value": "14"},
            {"parameter": "person_full_legal_capacity_age", "value": "18"},
        ])

    claims = access_claims(person_id="teen-7", applicant_person_id="mother-7",
                           aud="pis", iss="https://auth.example")
    token = jwt.encode(claims, private_pem(rsa_key), algorithm="RS256")
    client = app.test_client()
    response = client.post(INITIALIZE, headers=bearer(token))
    assert response.status_code == 201
    assert names(response) == [
        "confidant_person.mother-7.documents_relationship.BIRTH_CERTIFICATE",
        "person.PASSPORT",
        "person.MARRIAGE_CERTIFICATE",
    ]

    hs256 = jwt.encode(claims, SECRET, algorithm="HS256")
    assert client.post(INITIALIZE, headers=bearer(hs256)).status_code == 401
    wrong_audience = jwt.encode({**claims, "aud": "other"}, private_pem(rsa_key), algorithm="RS256")
    assert client.post(INITIALIZE, headers=bearer(wrong_audience)).status_code == 401

    health = client.get("/healthz")
    assert health.status_code == 200, health.get_json()
    assert health.get_json() == {"status": "ok", "checks": {
        "mpi_database": "ok", "storage": "ok", "relationship_service": "ok"}}
    assert "/api/pis/documents" in client.get("/openapi.json").get_json()["paths"]


def test_production_database_bind_is_accepted_by_sqlalchemy() -> None:
    module = load_example("production_app")
    options = module.database_bind("postgresql+psycopg://pis@mpi-db/mpi")
    engine = create_engine(options.pop("url"), **options)  # connects lazily: no server needed
    assert engine.pool.size() == 8
    engine.dispose()


def test_gunicorn_settings() -> None:
    settings = runpy.run_path(str(EXAMPLES / "gunicorn.conf.py"))
    assert settings["workers"] >= 1
    assert settings["worker_class"] == "gthread"
    storage_wait = 2 * DEFAULTS["PIS_DOCUMENTS_STORAGE_TIMEOUT"] + 0.5
    assert settings["timeout"] > storage_wait


# --- security ----------------------------------------------------------------------------


def test_rs256_public_key_settings(make_app, persons, s3, rsa_key) -> None:
    settings = load_example("token_settings")
    persons["person-1"] = {"id": "person-1", "status": "active", "is_active": True}
    app = make_app(settings.rs256_public_key(public_pem(rsa_key), "pis", "https://auth.example"))
    claims = access_claims(aud="pis", iss="https://auth.example")
    client = app.test_client()
    good = jwt.encode(claims, private_pem(rsa_key), algorithm="RS256")
    assert client.post(INITIALIZE, headers=bearer(good)).status_code == 201
    for bad in (
        jwt.encode(claims, SECRET, algorithm="HS256"),
        jwt.encode({**claims, "iss": "https://elsewhere.example"}, private_pem(rsa_key), algorithm="RS256"),
        jwt.encode(claims, None, algorithm="none"),
    ):
        response = client.post(INITIALIZE, headers=bearer(bad))
        assert response.status_code == 401
        assert response.get_json()["error"]["message"] == "Invalid access token"


def test_rs256_key_set_settings(make_app, persons, s3, rsa_key) -> None:
    settings = load_example("token_settings")
    persons["person-1"] = {"id": "person-1", "status": "active", "is_active": True}
    entry = jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key.public_key(), as_dict=True)
    key_set = {"keys": [{**entry, "kid": "key-1", "use": "sig", "alg": "RS256"}]}

    def serve(seen: Seen) -> Reply:
        return Reply(200, key_set)

    claims = access_claims(aud="pis", iss="https://auth.example")
    with LoopbackHttpServer(serve) as idp:
        config = settings.rs256_key_set(idp.url + "/jwks.json", "pis", "https://auth.example")
        config["JWT_SECRET_KEY"] = None
        app = make_app(config)
        client = app.test_client()
        good = jwt.encode(claims, private_pem(rsa_key), algorithm="RS256", headers={"kid": "key-1"})
        assert client.post(INITIALIZE, headers=bearer(good)).status_code == 201
        unknown = jwt.encode(claims, private_pem(rsa_key), algorithm="RS256", headers={"kid": "key-2"})
        assert client.post(INITIALIZE, headers=bearer(unknown)).status_code == 401

    config["PIS_DOCUMENTS_JWKS_URL"] = f"http://127.0.0.1:{closed_port()}/jwks.json"
    response = make_app(config).test_client().post(INITIALIZE, headers=bearer(good))
    assert response.status_code == 503
    assert response.get_json()["error"]["message"] == "The token key set is unavailable, try again later"


def test_custom_claim_settings(make_app, persons, s3) -> None:
    settings = load_example("token_settings")
    persons["p-9"] = {"id": "p-9", "status": "active", "is_active": True}
    app = make_app(dict(settings.CUSTOM_CLAIMS))
    with app.app_context():
        listed = create_access_token("u", additional_claims={"mpi_person_id": "p-9", "scp": [SCOPE]})
        spaced = create_access_token("u", additional_claims={"mpi_person_id": "p-9",
                                                             "scp": f"openid {SCOPE}"})
        missing = create_access_token("u", additional_claims={"mpi_person_id": "p-9", "scp": "openid"})
    client = app.test_client()
    assert client.post(INITIALIZE, headers=bearer(listed)).status_code == 201
    assert client.post(INITIALIZE, headers=bearer(spaced)).status_code == 201
    assert client.post(INITIALIZE, headers=bearer(missing)).status_code == 403


# --- sample responses shown on the Errors page -----------------------------------------------


def sample(name: str) -> Any:
    return json.loads((RESPONSES / f"{name}.json").read_text())


@pytest.fixture
def sample_app(make_app, persons, s3) -> Flask:
    persons["p-1"] = {"id": "p-1", "birth_date": "1990-05-01", "status": "active",
                      "is_active": True, "documents": [{"type": "PASSPORT", "number": "AA1"}],
                      "authentication_methods": [{"type": "OFFLINE"}]}
    persons["p-2"] = {"id": "p-2", "status": "inactive", "is_active": True}
    app = make_app()

    @app.before_request
    def host_hooks() -> None:  # a host's own before_request, run for every route
        if request.headers.get("x-test") == "rate-limited":
            abort(429)
        if request.headers.get("x-test") == "crash":
            raise RuntimeError("a bug in the host")

    return app


def sample_request(app: Flask, method: str = "POST", path: str = INITIALIZE,
                   headers: dict[str, str] | None = None) -> Any:
    return app.test_client().open(
        path, method=method, base_url=PUBLIC_BASE,
        headers={"x-request-id": SAMPLE_REQUEST_ID, **(headers or {})},
    )


def sample_token(app: Flask, **claims: Any) -> dict[str, str]:
    with app.app_context():
        return bearer(create_access_token("user-1", additional_claims={
            "person_id": "p-1", "scope": SCOPE, **claims}))


SAMPLES: dict[str, Callable[[Flask], dict[str, str]]] = {
    "401-no-header": lambda app: {},
    "401-invalid-token": lambda app: {"Authorization": "Bearer not-a-token"},
    "403-scope": lambda app: sample_token(app, scope="openid"),
    "404-person": lambda app: sample_token(app, person_id="p-2"),
    "429-host-abort": lambda app: {**sample_token(app), "x-test": "rate-limited"},
    "500-unexpected": lambda app: {**sample_token(app), "x-test": "crash"},
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_error_sample(name, sample_app, caplog) -> None:
    response = sample_request(sample_app, headers=SAMPLES[name](sample_app))
    assert response.status_code == int(name[:3])
    assert response.headers["x-request-id"] == SAMPLE_REQUEST_ID
    assert response.get_json() == sample(name)
    assert "Traceback" not in response.get_data(as_text=True)


def test_error_sample_503(sample_app, monkeypatch) -> None:
    from flask_pis_documents import get_state

    storage = get_state(sample_app).storage

    def fail(*args: Any) -> Any:
        raise OSError("connection refused by s3.internal:9000")

    monkeypatch.setattr(storage, "snapshot", fail)
    response = sample_request(sample_app, headers=sample_token(sample_app))
    assert response.get_json() == sample("503-storage")
    assert "s3.internal" not in response.get_data(as_text=True)


def test_routing_errors_stay_flasks(sample_app) -> None:
    response = sample_request(sample_app, method="GET")
    assert response.status_code == 405
    assert response.mimetype == "text/html"


def test_success_sample(sample_app) -> None:
    response = sample_request(sample_app, headers=sample_token(sample_app))
    body, documented = response.get_json(), sample("201-initialize")
    assert response.status_code == 201
    assert body["meta"] == documented["meta"]
    assert [(i["type"], i["headers"]) for i in body["data"]] == [
        (i["type"], i["headers"]) for i in documented["data"]
    ]
    for item, shown in zip(body["data"], documented["data"]):
        query, shown_query = parse_qs(urlsplit(item["url"]).query), parse_qs(urlsplit(shown["url"]).query)
        assert set(query) == set(shown_query)
        for key in ("X-Amz-Algorithm", "X-Amz-Expires", "X-Amz-SignedHeaders"):
            assert query[key] == shown_query[key]
        assert urlsplit(item["url"]).path.endswith(urlsplit(shown["url"]).path)


def test_access_log_sample(sample_app, caplog) -> None:
    with caplog.at_level(logging.INFO, logger="flask_pis_documents.access"):
        sample_request(sample_app, headers=sample_token(sample_app))
    lines = [json.loads(r.getMessage()) for r in caplog.records
             if r.name == "flask_pis_documents.access"]
    assert len(lines) == 1
    documented = sample("access-log")
    assert list(lines[0]) == list(documented)
    for key, value in documented.items():
        if key != "duration_ms":
            assert lines[0][key] == value, key


# --- reference pages and files -------------------------------------------------------------


def test_configuration_reference_lists_every_key_with_its_default() -> None:
    page = (DOCS / "configuration.rst").read_text()
    documented: dict[str, str] = {}
    for match in re.finditer(
        r"^\.\. confval:: (\S+)\n((?:(?:   .*)?\n)+)", page, re.MULTILINE
    ):
        assert "Example" in match.group(2), f"{match.group(1)} has no example"
        default = re.search(r"^   :default: ``(.*)``$", match.group(2), re.MULTILINE)
        assert default, match.group(1)
        assert re.search(r"^   :type: ", match.group(2), re.MULTILINE), match.group(1)
        documented[match.group(1)] = default.group(1)
    assert set(documented) == set(DEFAULTS)
    for key, text in documented.items():
        value = DEFAULTS[key]
        shown = ast.literal_eval(text)
        if isinstance(value, tuple):
            value = list(value)
        assert shown == value, key


def test_iam_policy_names_every_default_bucket() -> None:
    for name in ("iam-policy", "iam-policy-head"):
        policy = json.loads((EXAMPLES / f"{name}.json").read_text())
        actions = {tuple(s["Action"]): s["Resource"] for s in policy["Statement"]}
        assert sorted(actions[("s3:ListBucket",)]) == sorted(
            f"arn:aws:s3:::{bucket}" for bucket in DEFAULT_BUCKETS.values()
        )
        assert actions[("s3:PutObject",)] == [f"arn:aws:s3:::{DEFAULT_BUCKETS['persons']}/*"]


def test_cors_allows_the_signed_headers() -> None:
    from flask_pis_documents import PisDocumentsConfig, S3DocumentStorage

    config = PisDocumentsConfig.from_mapping({"PIS_DOCUMENTS_UPLOAD_IF_NONE_MATCH": True})
    headers = set(S3DocumentStorage(config).sign_upload("p-1", "person.PASSPORT").headers)
    s3_rules = json.loads((EXAMPLES / "cors-s3.json").read_text())["CORSRules"][0]
    assert headers <= set(s3_rules["AllowedHeaders"]) and s3_rules["AllowedMethods"] == ["PUT"]
    gcs_rules = json.loads((EXAMPLES / "cors-gcs.json").read_text())[0]
    assert headers <= set(gcs_rules["responseHeader"]) and gcs_rules["method"] == ["PUT"]


@pytest.mark.parametrize(
    ("name", "url_start"),
    [
        ("AWS_S3", "https://pis-prod-persons.s3.amazonaws.com/p-1/person.PASSPORT.jpeg?"),
        ("MINIO", "https://files.pis.example/persons/p-1/person.PASSPORT.jpeg?"),
        ("GCS", "https://storage.googleapis.com/persons/p-1/person.PASSPORT.jpeg?"),
    ],
)
def test_storage_settings(name, url_start, monkeypatch) -> None:
    from flask_pis_documents import PisDocumentsConfig, S3DocumentStorage

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "example-secret")
    settings = load_example("storage_settings")
    config = PisDocumentsConfig.from_mapping(getattr(settings, name))
    upload = S3DocumentStorage(config).sign_upload("p-1", "person.PASSPORT")
    assert upload.url.startswith(url_start), upload.url
    query = parse_qs(urlsplit(upload.url).query)
    assert query["X-Amz-SignedHeaders"] == ["content-type;host"]
    assert query["X-Amz-Expires"] == ["600"]
    assert f"/{config.s3_region}/s3/aws4_request" in query["X-Amz-Credential"][0]


def test_sequence_diagrams_are_current() -> None:
    diagrams = runpy.run_path(str(DOCS / "diagrams" / "sequence.py"))
    for name, svg in diagrams["render_all"]().items():
        assert (DOCS / "_static" / name).read_text() == svg, f"run python docs/diagrams/sequence.py ({name})"
