"""Fault matrix: every dependency failure answers the documented 503, fast.

One test per cell, each against a real server on 127.0.0.1: moto's S3
server, small servers of this module (a refused port, a server that accepts
and never answers, ``http.server`` answering S3 errors, listings or
relationship answers), and PostgreSQL. Each cell asserts

- ``503``, ``error.type`` ``service_unavailable``, the message names the
  dependency, and the body holds no host, port, URL, bucket or exception text;
- the wall time stays under ``configured timeout x 2 + 1.5 s`` (a generous
  bound against hangs, not a performance target);
- a log record (the access line) carries the request id and the dependency.

====================  ================================  ===========  ==============================
dependency            cell                              timeout (s)  expected
====================  ================================  ===========  ==============================
storage (list, head)  refused connection                0.5          503 storage
storage (list, head)  accepts, never answers            0.5          503 storage
storage (list, head)  500 InternalError                 0.5          503 storage
storage (list, head)  403 AccessDenied                  0.5          503 storage
storage (list)        404 NoSuchBucket (local server)   0.5          503 storage
storage (list, head)  NoSuchBucket (moto, no bucket)    0.5          503 storage
storage (list)        truncated listing, page 2 = 500   0.5          503 storage
storage (list)        truncated listing, page 2 = key   0.5          201, the key counts as stored
relationship service  refused connection                0.5          503 relationship service
relationship service  accepts, never answers            0.5          503 relationship service
relationship service  500 / 502 / 503                   0.5          503 relationship service
relationship service  400 (anything else)               0.5          503 relationship service
relationship service  200 non-JSON                      0.5          503 relationship service
relationship service  200 JSON, not the documented one  0.5          503 relationship service
relationship service  200 unknown status value          0.5          503 relationship service
relationship service  approved / 404 (controls)         0.5          201
person store          PostgreSQL port refused           0.5          503 person store
person store          PostgreSQL accepts, never answers 0.5          503 person store
person store          query fails (SQLite, PostgreSQL)  0.5          503 person store
====================  ================================  ===========  ==============================

The PostgreSQL query cell runs when ``PIS_TEST_DATABASE_URL`` is set; the
unreachable-database cells need no server (psycopg only).
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import flask_sqlalchemy
import pytest
from flask import Flask

from conftest import SECRET, bearer, person_record
from db_support import database_url, db_app  # noqa: F401  (fixtures)
from flask_pis_documents import PisDocuments, get_state
from flask_pis_documents.state import EXTENSION_KEY
from loopback_servers import (
    HOST,
    LoopbackHttpServer,
    Reply,
    Seen,
    SilentServer,
    assert_logged_failure,
    assert_unavailable,
    closed_port,
    new_request_id,
    timed_post,
)

TIMEOUT = 0.5
BOUND = TIMEOUT * 2 + 1.5
MODES = ["list", "head"]

#: Filled by the cells: (cell, status, wall seconds); printed at module end (``-s``).
RESULTS: list[tuple[str, int, float]] = []


@pytest.fixture(scope="module", autouse=True)
def _print_results() -> Iterator[None]:
    yield
    if RESULTS:
        width = max(len(cell) for cell, _, _ in RESULTS)
        print("\nfault matrix")
        for cell, status, seconds in RESULTS:
            print(f"  {cell:<{width}}  {status}  {seconds:.2f}s")


@pytest.fixture(autouse=True)
def _capture_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)


def run_cell(cell: str, app: Flask, token: str, request_id: str, *, bounded: bool = True) -> Any:
    """POST with ``request_id``; a failure cell must answer within :data:`BOUND`."""
    headers = {**bearer(token), "x-request-id": request_id}
    response, seconds = timed_post(app, headers)
    RESULTS.append((cell, response.status_code, seconds))
    if bounded:
        assert seconds < BOUND, f"{cell}: {seconds:.2f}s, bound {BOUND}s"
    assert response.headers["x-request-id"] == request_id
    return response


def offline_person(persons: dict[str, Any]) -> None:
    """person-1 with two documents asked for by rule 4 (an OFFLINE method)."""
    persons["person-1"] = person_record(
        documents=[{"type": "PASSPORT", "number": "AB123456"}, {"type": "TAX_ID", "number": "1234567890"}],
        authentication_methods=[{"type": "OFFLINE"}],
    )


# --- storage ------------------------------------------------------------------

def s3_error(status: int, code: str, message: str) -> Callable[[Seen], Reply]:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>"
        "<BucketName>persons</BucketName><RequestId>R1</RequestId><HostId>H1</HostId></Error>"
    )
    return lambda seen: Reply(status, body, {"Content-Type": "application/xml"})


def warm_storage(app: Flask) -> Flask:
    """Create ``app``'s S3 client now, outside the measured request.

    The client is made lazily on first use, which costs CPU (boto3 loads its
    service model): on a loaded machine up to a second or more. Every cell
    makes it beforehand, so the wall time measures the failing dependency,
    not client creation. A failure of this call is the cell's own fault
    under test and is ignored here.
    """
    with app.app_context():
        try:
            get_state(app).storage.exists("persons", "warm-up", "none")
        except Exception:
            pass
    return app


def storage_app(make_app: Callable[..., Flask], endpoint: str, mode: str = "list", **config: Any) -> Flask:
    """An app on the storage at ``endpoint``, its S3 client already created.

    The warm-up's own call to the server is forgotten by the caller.
    """
    app = make_app(
        {
            "PIS_DOCUMENTS_S3_ENDPOINT_URL": endpoint,
            "PIS_DOCUMENTS_STORAGE_TIMEOUT": TIMEOUT,
            "PIS_DOCUMENTS_EXISTENCE_CHECK": mode,
            **config,
        }
    )
    return warm_storage(app)


def assert_storage_failure(response: Any, caplog: Any, request_id: str, *secrets: str) -> None:
    assert_unavailable(response, "storage", secrets=secrets)
    assert_logged_failure(caplog.records, request_id, "storage")


@pytest.mark.parametrize("mode", MODES)
def test_storage_refused_connection(make_app, persons, token, caplog, mode):
    offline_person(persons)
    port = closed_port()
    app = storage_app(make_app, f"http://{HOST}:{port}", mode)
    request_id = new_request_id()
    response = run_cell(f"storage/{mode} refused", app, token(app), request_id)
    assert_storage_failure(response, caplog, request_id, f":{port}", "Could not connect", "EndpointConnection")


@pytest.mark.parametrize("mode", MODES)
def test_storage_timeout(make_app, persons, token, caplog, mode):
    offline_person(persons)
    with SilentServer() as server:
        app = storage_app(make_app, server.url, mode)
        warm_up = server.accepted
        request_id = new_request_id()
        response = run_cell(f"storage/{mode} never answers", app, token(app), request_id)
        assert server.accepted > warm_up  # the storage was really called
    assert_storage_failure(response, caplog, request_id, f":{server.port}", "ReadTimeout", "Read timeout")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "status, code, message",
    [
        (500, "InternalError", "We encountered an internal error at s3-internal.example"),
        (403, "AccessDenied", "Access Denied for arn:aws:iam::123456789012:user/uploader"),
    ],
)
def test_storage_error_answer(make_app, persons, token, caplog, mode, status, code, message):
    offline_person(persons)
    with LoopbackHttpServer(s3_error(status, code, message)) as server:
        app = storage_app(make_app, server.url, mode)
        server.requests.clear()
        request_id = new_request_id()
        response = run_cell(f"storage/{mode} {status} {code}", app, token(app), request_id)
    assert server.requests, "the storage was never called"
    # Not retried: at most one attempt per bucket (list) or per object (head).
    targets = [r.path for r in server.requests]
    assert len(targets) == len(set(targets)), targets
    assert_storage_failure(
        response, caplog, request_id, f":{server.port}", code, message, "arn:", "s3-internal"
    )


def test_storage_no_such_bucket_answer(make_app, persons, token, caplog):
    offline_person(persons)
    handler = s3_error(404, "NoSuchBucket", "The specified bucket does not exist")
    with LoopbackHttpServer(handler) as server:
        app = storage_app(make_app, server.url, "list")
        server.requests.clear()
        request_id = new_request_id()
        response = run_cell("storage/list 404 NoSuchBucket", app, token(app), request_id)
    assert server.requests
    assert_storage_failure(response, caplog, request_id, f":{server.port}", "NoSuchBucket", "does not exist")


@pytest.mark.parametrize("bucket_key", ["persons", "person_requests"])
@pytest.mark.parametrize("mode", MODES)
def test_storage_missing_bucket_on_moto(make_app, persons, token, s3, s3_endpoint, caplog, mode, bucket_key):
    """A configured bucket that does not exist is a storage failure, in both modes.

    In ``head`` mode S3 (and moto) answer a HEAD in a missing bucket with a
    bare 404, the same as for a missing key; it must not pass for "not stored".
    """
    offline_person(persons)
    missing = "missing-bucket-7f3a"
    app = storage_app(make_app, s3_endpoint, mode, PIS_DOCUMENTS_BUCKETS={bucket_key: missing})
    request_id = new_request_id()
    response = run_cell(f"storage/{mode} moto NoSuchBucket ({bucket_key})", app, token(app), request_id)
    assert_storage_failure(response, caplog, request_id, missing, "NoSuchBucket", s3_endpoint)


def list_page(bucket: str, prefix: str, keys: list[str], next_token: str | None = None) -> Reply:
    contents = "".join(
        f"<Contents><Key>{key}</Key><LastModified>2024-01-01T00:00:00.000Z</LastModified>"
        f'<ETag>"0f"</ETag><Size>4</Size><StorageClass>STANDARD</StorageClass></Contents>'
        for key in keys
    )
    truncated = (
        f"<IsTruncated>true</IsTruncated><NextContinuationToken>{next_token}</NextContinuationToken>"
        if next_token
        else "<IsTruncated>false</IsTruncated>"
    )
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        f"<Name>{bucket}</Name><Prefix>{prefix}</Prefix><KeyCount>{len(keys)}</KeyCount>"
        f"<MaxKeys>1000</MaxKeys>{truncated}{contents}</ListBucketResult>"
    )
    return Reply(200, body, {"Content-Type": "application/xml"})


def paged_listing(page_two: str) -> Callable[[Seen], Reply]:
    """list_objects_v2 in two pages; page 2 is a 500 (``"error"``) or holds PASSPORT."""

    def handle(seen: Seen) -> Reply:
        bucket = seen.path.strip("/")
        if seen.method != "GET" or seen.query.get("list-type") != ["2"]:
            return s3_error(400, "InvalidRequest", "only ListObjectsV2 here")(seen)
        prefix = seen.query.get("prefix", [""])[0]
        token = seen.query.get("continuation-token")
        if token is None:
            return list_page(bucket, prefix, [f"{prefix}unrelated.jpeg"], next_token="page-2-token")
        if token != ["page-2-token"]:
            return s3_error(400, "InvalidArgument", "bad continuation token")(seen)
        if page_two == "error":
            return s3_error(500, "InternalError", "page two broke at s3-internal.example")(seen)
        keys = [f"{prefix}person.PASSPORT.jpeg"] if bucket == "persons" else []
        return list_page(bucket, prefix, keys)

    return handle


def test_truncated_listing_with_failing_second_page(make_app, persons, token, caplog):
    offline_person(persons)
    with LoopbackHttpServer(paged_listing("error")) as server:
        app = storage_app(make_app, server.url, "list")
        server.requests.clear()
        request_id = new_request_id()
        response = run_cell("storage/list truncated, page 2 = 500", app, token(app), request_id)
    second_pages = [r for r in server.requests if "continuation-token" in r.query]
    assert second_pages, "the continuation token was never followed"
    assert_storage_failure(response, caplog, request_id, f":{server.port}", "InternalError", "s3-internal")


def test_truncated_listing_is_followed_to_the_second_page(make_app, persons, token, caplog):
    offline_person(persons)
    with LoopbackHttpServer(paged_listing("object")) as server:
        app = storage_app(make_app, server.url, "list")
        server.requests.clear()
        request_id = new_request_id()
        response = run_cell("storage/list truncated, page 2 = key", app, token(app), request_id, bounded=False)
    assert response.status_code == 201, response.get_data(as_text=True)
    # PASSPORT is listed only on page 2 of the persons bucket: it counts as stored.
    assert [item["type"] for item in response.json["data"]] == ["person.TAX_ID"]
    buckets = {r.path.strip("/") for r in server.requests if r.query.get("continuation-token") == ["page-2-token"]}
    assert buckets == {"persons", "person-requests", "authentication-method-requests"}
    assert all(r.query.get("prefix") == ["person-1/"] for r in server.requests)


# --- relationship service -------------------------------------------------------

APPLICANT = "parent-1"
CONFIDANT_DOCUMENT = f"confidant_person.{APPLICANT}.documents_relationship.BIRTH_CERTIFICATE"


def confidant_person(persons: dict[str, Any]) -> None:
    persons["person-1"] = person_record(
        birth_date="2015-03-01",
        unzr="20150301-00017",
        confidant_person=[
            {
                "person_id": APPLICANT,
                "relation_type": "PRIMARY",
                "documents_relationship": [{"type": "BIRTH_CERTIFICATE", "number": "BC-1"}],
            }
        ],
    )


def relationship_app(make_app: Callable[..., Flask], url: str) -> Flask:
    return warm_storage(
        make_app({"PIS_DOCUMENTS_RELATIONSHIP_CHECK_URL": url, "PIS_DOCUMENTS_RELATIONSHIP_TIMEOUT": TIMEOUT})
    )


def assert_relationship_failure(response: Any, caplog: Any, request_id: str, *secrets: str) -> None:
    assert_unavailable(response, "relationship service", secrets=secrets)
    assert_logged_failure(caplog.records, request_id, "relationship service")


def test_relationship_refused_connection(make_app, persons, s3, token, caplog):
    confidant_person(persons)
    port = closed_port()
    app = relationship_app(make_app, f"http://{HOST}:{port}/check")
    request_id = new_request_id()
    response = run_cell("relationship refused", app, token(app, applicant=APPLICANT), request_id)
    assert_relationship_failure(response, caplog, request_id, f":{port}", "/check", "ConnectionError")


def test_relationship_timeout(make_app, persons, s3, token, caplog):
    confidant_person(persons)
    with SilentServer() as server:
        app = relationship_app(make_app, f"{server.url}/check")
        request_id = new_request_id()
        response = run_cell("relationship never answers", app, token(app, applicant=APPLICANT), request_id)
        assert server.accepted >= 1
    assert_relationship_failure(response, caplog, request_id, f":{server.port}", "/check", "ReadTimeout")


RELATIONSHIP_FAILURES = {
    "500": Reply(500, {"error": "db down at mpi-internal.example"}),
    "502": Reply(502, "<html>Bad Gateway from mpi-internal.example</html>", {"Content-Type": "text/html"}),
    "503": Reply(503, "Service Unavailable", {"Content-Type": "text/plain"}),
    "400 (anything else)": Reply(400, {"error": "bad request"}),
    "200 non-JSON": Reply(200, "<html>mpi-internal.example login</html>", {"Content-Type": "text/html"}),
    "200 undocumented JSON": Reply(200, {"status": "approved"}),
    "200 data not an object": Reply(200, {"data": ["approved"]}),
    "200 unknown status": Reply(200, {"data": {"status": "maybe"}}),
    "200 status not a string": Reply(200, {"data": {"status": ["approved"]}}),
}


@pytest.mark.parametrize("cell", list(RELATIONSHIP_FAILURES))
def test_relationship_bad_answer(make_app, persons, s3, token, caplog, cell):
    confidant_person(persons)
    with LoopbackHttpServer(lambda seen: RELATIONSHIP_FAILURES[cell]) as server:
        app = relationship_app(make_app, f"{server.url}/check")
        request_id = new_request_id()
        response = run_cell(f"relationship {cell}", app, token(app, applicant=APPLICANT), request_id)
    assert len(server.requests) == 1  # called once, not retried
    seen = server.requests[0]
    assert seen.method == "POST" and seen.path == "/check"
    assert seen.headers["x-request-id"] == request_id
    assert_relationship_failure(
        response, caplog, request_id, f":{server.port}", "/check", "mpi-internal", "maybe", "Bad Gateway"
    )


@pytest.mark.parametrize(
    "reply, expected",
    [
        (Reply(200, {"data": {"status": "approved"}}), [CONFIDANT_DOCUMENT]),
        (Reply(200, {"data": {"status": "not_approved"}}), [CONFIDANT_DOCUMENT]),
        (Reply(404, {"error": "not found"}), []),
    ],
    ids=["approved", "not_approved", "404"],
)
def test_relationship_answers_are_not_failures(make_app, persons, s3, token, caplog, reply, expected):
    """Controls: the same server and app, answering as documented, give 201."""
    confidant_person(persons)
    with LoopbackHttpServer(lambda seen: reply) as server:
        app = relationship_app(make_app, f"{server.url}/check")
        request_id = new_request_id()
        response = run_cell(
            f"relationship control {reply.status} {json.dumps(reply.body)[:40]}", app, token(app, applicant=APPLICANT), request_id,
            bounded=False,  # a success, not a failure cell: no hang bound to check
        )
    assert response.status_code == 201, response.get_data(as_text=True)
    assert [item["type"] for item in response.json["data"]] == expected
    assert len(server.requests) == 1
    assert json.loads(server.requests[0].body) == {"person_id": "person-1", "confidant_person_id": APPLICANT}


# --- person store -----------------------------------------------------------------

@pytest.fixture
def sql_app(s3_endpoint: str) -> Iterator[Callable[..., Flask]]:
    """An app whose person loader is the default SqlPersonStore on ``uri``."""
    apps: list[Flask] = []

    def build(uri: str, engine_options: dict[str, Any] | None = None) -> Flask:
        app = Flask("fault_host")
        app.config.update(
            TESTING=True,
            JWT_SECRET_KEY=SECRET,
            PIS_DOCUMENTS_S3_ENDPOINT_URL=s3_endpoint,
            PIS_DOCUMENTS_RELATIONSHIP_CHECK_URL="http://relationships.test/check",
            PIS_DOCUMENTS_PERSON_STORE_TIMEOUT=TIMEOUT,
            SQLALCHEMY_DATABASE_URI=uri,
            SQLALCHEMY_ENGINE_OPTIONS=engine_options or {},
        )
        flask_sqlalchemy.SQLAlchemy().init_app(app)
        PisDocuments(app)
        apps.append(app)
        return warm_storage(app)

    yield build
    for app in apps:
        app.extensions[EXTENSION_KEY].shutdown()
        with app.app_context():
            for engine in app.extensions["sqlalchemy"].engines.values():
                engine.dispose()


def assert_person_store_failure(response: Any, caplog: Any, request_id: str, *secrets: str) -> None:
    assert_unavailable(
        response,
        "person store",
        secrets=(*secrets, "OperationalError", "ProgrammingError", "SELECT", "persons", "no such table"),
    )
    assert_logged_failure(caplog.records, request_id, "person store")


def test_person_store_database_refused(sql_app, s3, token, caplog):
    port = closed_port()
    app = sql_app(
        f"postgresql+psycopg://postgres@{HOST}:{port}/test",
        {"connect_args": {"connect_timeout": 1}},
    )
    request_id = new_request_id()
    response = run_cell("person store: PostgreSQL refused", app, token(app), request_id)
    assert_person_store_failure(response, caplog, request_id, f":{port}")


def test_person_store_database_never_answers(sql_app, s3, token, caplog):
    """The server accepts and stays silent: PIS_DOCUMENTS_PERSON_STORE_TIMEOUT bounds the wait."""
    with SilentServer() as server:
        app = sql_app(
            f"postgresql+psycopg://postgres@{HOST}:{server.port}/test",
            {"connect_args": {"connect_timeout": 5}},
        )
        request_id = new_request_id()
        response = run_cell("person store: PostgreSQL never answers", app, token(app), request_id)
        assert server.accepted >= 1
    assert_person_store_failure(response, caplog, request_id, f":{server.port}")


def test_person_store_query_fails(db_app, database_url, s3, token, caplog):  # noqa: F811
    """The MPI tables were never created: the query fails (SQLite, and PostgreSQL when set)."""
    app = warm_storage(db_app({"PIS_DOCUMENTS_PERSON_STORE_TIMEOUT": TIMEOUT}, init_db=False))
    request_id = new_request_id()
    response = run_cell(f"person store: query fails ({database_url.kind})", app, token(app), request_id)
    secrets = [database_url.schema] if database_url.schema else []
    assert_person_store_failure(response, caplog, request_id, *secrets, "sqlite")
