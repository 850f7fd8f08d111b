"""``PATCH /api/pis/documents/actions/complete`` end to end against moto's S3 server.

Every flow runs twice: with an in-memory person loader (the completion
ledger is then :class:`MemoryCompletionLedger`), and with the default
database-backed store on a SQLite file (``SqlPersonStore`` and
``SqlCompletionLedger``), loaded through ``flask pis-documents init-db`` and
``import-persons``.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import flask_sqlalchemy
import pytest
import requests
from flask import Flask
from sqlalchemy import func, select, update

from conftest import BUCKETS, SECRET, bearer, person_record
from flask_pis_documents import PisDocuments
from flask_pis_documents.adapters.completion_ledger import (
    MemoryCompletionLedger,
    SqlCompletionLedger,
)
from flask_pis_documents.adapters.models import DocumentsCompletionRow, PersonRow
from flask_pis_documents.adapters.person_store import SqlPersonStore
from flask_pis_documents.state import get_state

INITIALIZE = "/api/pis/documents"
COMPLETE = "/api/pis/documents/actions/complete"
JPEG = b"\xff\xd8\xff\xe0 a one-page document \xff\xd9"
OFFLINE_DOCUMENTS = [
    {"type": "PASSPORT", "number": "AA1"},
    {"type": "TAX_ID", "number": "1234567890"},
    {"type": "NATIONAL_ID", "number": "000111222"},
]
ALL_THREE = {"person.PASSPORT", "person.TAX_ID", "person.NATIONAL_ID"}


class HookRecorder:
    """A ``documents_completed`` hook that records each call; raises ``error`` when set."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.calls: list[tuple[str, list[str]]] = []

    def __call__(self, person_id: str, names: Collection[str]) -> None:
        self.calls.append((person_id, list(names)))
        if self.error is not None:
            raise self.error


class Backend:
    """One way of hosting the extension: builds the app and reads/writes its person data."""

    kind: str

    def app(self, config: dict[str, Any] | None = None, **hooks: Any) -> Flask:
        raise NotImplementedError

    def put_person(self, app: Flask, record: dict[str, Any]) -> None:
        """Create or replace a person record."""
        raise NotImplementedError


class MemoryBackend(Backend):
    kind = "memory"

    def __init__(self, make_app: Callable[..., Flask], persons: dict[str, Any]) -> None:
        self._make_app = make_app
        self._persons = persons

    def app(self, config: dict[str, Any] | None = None, **hooks: Any) -> Flask:
        return self._make_app(config, **hooks)

    def put_person(self, app: Flask, record: dict[str, Any]) -> None:
        self._persons[record["id"]] = record


class SqlBackend(Backend):
    kind = "sql"

    def __init__(self, tmp_path: Path, s3_endpoint: str) -> None:
        self._tmp_path = tmp_path
        self._s3_endpoint = s3_endpoint
        self._imports = 0
        self.apps: list[Flask] = []

    def app(self, config: dict[str, Any] | None = None, **hooks: Any) -> Flask:
        app = Flask("sql_host")
        app.config.update(
            TESTING=True,
            JWT_SECRET_KEY=SECRET,
            PIS_DOCUMENTS_S3_ENDPOINT_URL=self._s3_endpoint,
            PIS_DOCUMENTS_RELATIONSHIP_CHECK_URL="http://relationships.test/check",
            SQLALCHEMY_DATABASE_URI=f"sqlite:///{self._tmp_path / 'mpi.sqlite3'}",
        )
        app.config.update(config or {})
        db = flask_sqlalchemy.SQLAlchemy()
        db.init_app(app)
        self.apps.append(app)
        PisDocuments(app, person_loader=None, **hooks)
        result = app.test_cli_runner().invoke(args=["pis-documents", "init-db"])
        assert result.exit_code == 0, result.output
        return app

    def put_person(self, app: Flask, record: dict[str, Any]) -> None:
        self._imports += 1
        path = self._tmp_path / f"persons-{self._imports}.json"
        path.write_text(json.dumps([record]), encoding="utf-8")
        result = app.test_cli_runner().invoke(args=["pis-documents", "import-persons", str(path)])
        assert result.exit_code == 0, result.output
        assert "imported 1 persons" in result.output

    @staticmethod
    def _engine(app: Flask) -> Any:
        with app.app_context():
            return app.extensions["sqlalchemy"].engines[None]

    def completion_rows(self, app: Flask, person_id: str | None = None) -> int:
        query = select(func.count()).select_from(DocumentsCompletionRow)
        if person_id is not None:
            query = query.where(DocumentsCompletionRow.person_id == person_id)
        with self._engine(app).connect() as connection:
            return int(connection.execute(query).scalar_one())

    def verification_status(self, app: Flask, person_id: str) -> str | None:
        with self._engine(app).connect() as connection:
            return connection.execute(
                select(PersonRow.verification_status).where(PersonRow.id == person_id)
            ).scalar_one()

    def set_verification_status(self, app: Flask, person_id: str, value: str | None) -> None:
        with self._engine(app).begin() as connection:
            changed = connection.execute(
                update(PersonRow).where(PersonRow.id == person_id).values(verification_status=value)
            ).rowcount
        assert changed == 1

    def close(self) -> None:
        for app in self.apps:
            get_state(app).shutdown()
            with app.app_context():
                for engine in app.extensions["sqlalchemy"].engines.values():
                    engine.dispose()


@pytest.fixture(params=["memory", "sql"])
def backend(
    request: pytest.FixtureRequest,
    make_app: Callable[..., Flask],
    persons: dict[str, Any],
    tmp_path: Path,
    s3_endpoint: str,
) -> Iterator[Backend]:
    if request.param == "memory":
        yield MemoryBackend(make_app, persons)
        return
    sql = SqlBackend(tmp_path, s3_endpoint)
    try:
        yield sql
    finally:
        sql.close()


@pytest.fixture
def sql_backend(tmp_path: Path, s3_endpoint: str) -> Iterator[SqlBackend]:
    sql = SqlBackend(tmp_path, s3_endpoint)
    try:
        yield sql
    finally:
        sql.close()


# --- helpers -----------------------------------------------------------------


def initialize(app: Flask, auth: str) -> Any:
    return app.test_client().post(INITIALIZE, headers=bearer(auth))


def complete(app: Flask, auth: str) -> Any:
    return app.test_client().patch(COMPLETE, headers=bearer(auth))


def assert_list_envelope(response: Any, status: int, url: str) -> list[dict[str, Any]]:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"meta", "data"}
    assert body["meta"]["type"] == "list"
    assert body["meta"]["code"] == status
    assert body["meta"]["url"] == "http://localhost" + url
    assert body["meta"]["request_id"] == response.headers["x-request-id"]
    assert isinstance(body["data"], list)
    return body["data"]


def completed(response: Any) -> list[dict[str, Any]]:
    return assert_list_envelope(response, 200, COMPLETE)


def by_type(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    names = [item["type"] for item in items]
    assert len(names) == len(set(names)), names
    return {item["type"]: item for item in items}


def object_key(person_id: str, name: str) -> str:
    return f"{person_id}/{name}.jpeg"


def upload(s3: Any, item: dict[str, Any], person_id: str, body: bytes = JPEG) -> None:
    """PUT ``body`` through the item's URL with its headers; check it landed under its key."""
    name = item["type"]
    assert urlsplit(item["url"]).path.endswith(f"/{BUCKETS['persons']}/{object_key(person_id, name)}")
    put = requests.put(item["url"], data=body, headers=item["headers"], timeout=10)
    assert put.status_code == 200, put.text
    stored = s3.get_object(Bucket=BUCKETS["persons"], Key=object_key(person_id, name))
    assert stored["Body"].read() == body
    assert stored["ContentType"] == "image/jpeg"


def assert_called_once_with(hook: HookRecorder, person_id: str, names: set[str]) -> None:
    assert len(hook.calls) == 1, hook.calls
    called_id, called_names = hook.calls[0]
    assert called_id == person_id
    assert len(called_names) == len(set(called_names)), called_names  # each name once
    assert set(called_names) == names


def offline_person(person_id: str = "person-1", **fields: Any) -> dict[str, Any]:
    return person_record(
        person_id,
        documents=[dict(d) for d in OFFLINE_DOCUMENTS],
        authentication_methods=[{"type": "OFFLINE"}],
        **fields,
    )


# --- the flow ------------------------------------------------------------------


def test_default_ledger_matches_the_backend(backend: Backend) -> None:
    app = backend.app()
    state = get_state(app)
    if backend.kind == "memory":
        assert isinstance(state.completion_ledger, MemoryCompletionLedger)
    else:
        assert isinstance(state.person_store, SqlPersonStore)
        assert isinstance(state.completion_ledger, SqlCompletionLedger)


def test_complete_returns_the_rest_then_reports_once(backend: Backend, s3: Any, token: Any) -> None:
    hook = HookRecorder()
    app = backend.app(documents_completed=hook)
    backend.put_person(app, offline_person())
    auth = token(app)

    initialized = by_type(assert_list_envelope(initialize(app, auth), 201, INITIALIZE))
    assert set(initialized) == ALL_THREE
    upload(s3, initialized["person.PASSPORT"], "person-1")

    rest = by_type(completed(complete(app, auth)))
    assert set(rest) == {"person.TAX_ID", "person.NATIONAL_ID"}
    assert hook.calls == []
    for item in rest.values():
        assert item["headers"]["Content-Type"] == "image/jpeg"
        upload(s3, item, "person-1")  # the fresh URLs work

    assert completed(complete(app, auth)) == []
    assert_called_once_with(hook, "person-1", ALL_THREE)

    assert completed(complete(app, auth)) == []
    assert len(hook.calls) == 1  # the same state is not reported twice
    if isinstance(backend, SqlBackend):
        assert backend.completion_rows(app, "person-1") == 1


def test_complete_without_uploads_returns_everything_with_upload_urls(
    backend: Backend, s3: Any, token: Any
) -> None:
    hook = HookRecorder()
    app = backend.app(documents_completed=hook)
    backend.put_person(app, offline_person())
    auth = token(app)

    missing = by_type(completed(complete(app, auth)))
    assert set(missing) == ALL_THREE
    assert hook.calls == []
    for item in missing.values():
        upload(s3, item, "person-1")
    assert completed(complete(app, auth)) == []
    assert_called_once_with(hook, "person-1", ALL_THREE)


def test_a_document_in_another_storage_counts_as_present(
    backend: Backend, s3: Any, token: Any
) -> None:
    hook = HookRecorder()
    app = backend.app(documents_completed=hook)
    backend.put_person(app, offline_person())
    auth = token(app)
    s3.put_object(
        Bucket=BUCKETS["person_requests"], Key=object_key("person-1", "person.TAX_ID"), Body=JPEG
    )
    s3.put_object(
        Bucket=BUCKETS["authentication_method_requests"],
        Key=object_key("person-1", "person.NATIONAL_ID"),
        Body=JPEG,
    )

    missing = by_type(completed(complete(app, auth)))
    assert set(missing) == {"person.PASSPORT"}
    assert hook.calls == []
    upload(s3, missing["person.PASSPORT"], "person-1")

    assert completed(complete(app, auth)) == []
    assert_called_once_with(hook, "person-1", ALL_THREE)


def test_a_new_required_document_is_reported_again_once_uploaded(
    backend: Backend, s3: Any, token: Any
) -> None:
    hook = HookRecorder()
    app = backend.app(documents_completed=hook)
    backend.put_person(app, offline_person())
    auth = token(app)
    for item in completed(complete(app, auth)):
        upload(s3, item, "person-1")
    assert completed(complete(app, auth)) == []
    assert len(hook.calls) == 1

    # The state changes: the person gets one more document.
    grown = offline_person()
    grown["documents"].append({"type": "DRIVER_LICENSE", "number": "DL1"})
    backend.put_person(app, grown)

    missing = completed(complete(app, auth))
    assert [item["type"] for item in missing] == ["person.DRIVER_LICENSE"]
    assert len(hook.calls) == 1  # still one document missing: nothing reported
    upload(s3, missing[0], "person-1")

    assert completed(complete(app, auth)) == []
    assert len(hook.calls) == 2
    assert hook.calls[1][0] == "person-1"
    assert sorted(hook.calls[1][1]) == sorted(ALL_THREE | {"person.DRIVER_LICENSE"})

    assert completed(complete(app, auth)) == []
    assert len(hook.calls) == 2
    if isinstance(backend, SqlBackend):
        assert backend.completion_rows(app, "person-1") == 2


def test_nothing_required_reports_an_empty_set_once(backend: Backend, s3: Any, token: Any) -> None:
    hook = HookRecorder()
    app = backend.app(documents_completed=hook)
    backend.put_person(app, person_record("person-7"))
    auth = token(app, "person-7")

    assert assert_list_envelope(initialize(app, auth), 201, INITIALIZE) == []
    assert hook.calls == []  # initialize never reports

    assert completed(complete(app, auth)) == []
    assert hook.calls == [("person-7", [])]

    assert completed(complete(app, auth)) == []
    assert hook.calls == [("person-7", [])]


def test_completions_are_per_person(backend: Backend, s3: Any, token: Any) -> None:
    hook = HookRecorder()
    app = backend.app(documents_completed=hook)
    backend.put_person(app, person_record("person-1"))
    backend.put_person(app, person_record("person-2"))

    assert completed(complete(app, token(app, "person-1"))) == []
    assert completed(complete(app, token(app, "person-2"))) == []
    assert completed(complete(app, token(app, "person-1"))) == []
    assert hook.calls == [("person-1", []), ("person-2", [])]


def test_default_hook_does_nothing_and_complete_succeeds(backend: Backend, s3: Any, token: Any) -> None:
    app = backend.app()
    backend.put_person(app, person_record("person-1", verification_status="NOT_VERIFIED"))
    auth = token(app)
    assert completed(complete(app, auth)) == []
    assert completed(complete(app, auth)) == []
    if isinstance(backend, SqlBackend):
        # No verification status configured: the record is left alone, the state still recorded.
        assert backend.verification_status(app, "person-1") == "NOT_VERIFIED"
        assert backend.completion_rows(app, "person-1") == 1


# --- the SQLAlchemy ready callback: persons.verification_status ----------------


def test_verification_status_is_set_once_on_completion(
    sql_backend: SqlBackend, s3: Any, token: Any
) -> None:
    hook = HookRecorder()
    app = sql_backend.app(
        {"PIS_DOCUMENTS_COMPLETED_VERIFICATION_STATUS": "VERIFIED"}, documents_completed=hook
    )
    sql_backend.put_person(app, offline_person(verification_status="NOT_VERIFIED"))
    auth = token(app)

    initialized = by_type(assert_list_envelope(initialize(app, auth), 201, INITIALIZE))
    upload(s3, initialized["person.TAX_ID"], "person-1")
    rest = by_type(completed(complete(app, auth)))
    assert set(rest) == {"person.PASSPORT", "person.NATIONAL_ID"}
    assert sql_backend.verification_status(app, "person-1") == "NOT_VERIFIED"
    assert sql_backend.completion_rows(app) == 0

    for item in rest.values():
        upload(s3, item, "person-1")
    assert completed(complete(app, auth)) == []
    assert sql_backend.verification_status(app, "person-1") == "VERIFIED"
    assert sql_backend.completion_rows(app, "person-1") == 1
    assert_called_once_with(hook, "person-1", ALL_THREE)

    # Someone changes the status afterwards; completing the same state again leaves it.
    sql_backend.set_verification_status(app, "person-1", "CHANGED_BY_HAND")
    assert completed(complete(app, auth)) == []
    assert sql_backend.verification_status(app, "person-1") == "CHANGED_BY_HAND"
    assert sql_backend.completion_rows(app, "person-1") == 1
    assert len(hook.calls) == 1


def test_verification_status_is_set_again_for_a_new_state(
    sql_backend: SqlBackend, s3: Any, token: Any
) -> None:
    app = sql_backend.app({"PIS_DOCUMENTS_COMPLETED_VERIFICATION_STATUS": "VERIFIED"})
    sql_backend.put_person(app, person_record("person-1", verification_status="NOT_VERIFIED"))
    auth = token(app)
    assert completed(complete(app, auth)) == []
    assert sql_backend.verification_status(app, "person-1") == "VERIFIED"

    sql_backend.set_verification_status(app, "person-1", "CHANGED_BY_HAND")
    changed = person_record(
        "person-1",
        verification_status="CHANGED_BY_HAND",
        documents=[{"type": "PASSPORT", "number": "AA1"}],
        authentication_methods=[{"type": "OFFLINE"}],
    )
    sql_backend.put_person(app, changed)
    missing = completed(complete(app, auth))
    assert [item["type"] for item in missing] == ["person.PASSPORT"]
    assert sql_backend.verification_status(app, "person-1") == "CHANGED_BY_HAND"

    upload(s3, missing[0], "person-1")
    assert completed(complete(app, auth)) == []
    assert sql_backend.verification_status(app, "person-1") == "VERIFIED"
    assert sql_backend.completion_rows(app, "person-1") == 2


def test_verification_status_touches_only_the_completed_person(
    sql_backend: SqlBackend, s3: Any, token: Any
) -> None:
    app = sql_backend.app({"PIS_DOCUMENTS_COMPLETED_VERIFICATION_STATUS": "VERIFIED"})
    sql_backend.put_person(app, person_record("person-1", verification_status="NOT_VERIFIED"))
    sql_backend.put_person(app, offline_person("person-2", verification_status="NOT_VERIFIED"))

    assert completed(complete(app, token(app, "person-1"))) == []
    assert len(completed(complete(app, token(app, "person-2")))) == 3
    assert sql_backend.verification_status(app, "person-1") == "VERIFIED"
    assert sql_backend.verification_status(app, "person-2") == "NOT_VERIFIED"


# --- a failing hook ------------------------------------------------------------


def assert_hook_unavailable(response: Any) -> None:
    assert response.status_code == 503, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"meta", "error"}
    assert body["meta"]["code"] == 503
    assert body["meta"]["type"] == "object"
    assert body["meta"]["url"] == "http://localhost" + COMPLETE
    assert body["meta"]["request_id"] == response.headers["x-request-id"]
    assert body["error"]["type"] == "service_unavailable"
    message = body["error"]["message"]
    assert "documents completed hook" in message
    assert "hook exploded" not in message  # no exception text
    assert "Traceback" not in response.get_data(as_text=True)


def test_failing_hook_answers_503_and_keeps_nothing(backend: Backend, s3: Any, token: Any) -> None:
    hook = HookRecorder(RuntimeError("hook exploded at db.internal:5432"))
    config = (
        {"PIS_DOCUMENTS_COMPLETED_VERIFICATION_STATUS": "VERIFIED"}
        if isinstance(backend, SqlBackend)
        else {}
    )
    app = backend.app(config, documents_completed=hook)
    backend.put_person(app, offline_person(verification_status="NOT_VERIFIED"))
    auth = token(app)
    for item in completed(complete(app, auth)):
        upload(s3, item, "person-1")

    assert_hook_unavailable(complete(app, auth))
    assert len(hook.calls) == 1
    if isinstance(backend, SqlBackend):
        assert backend.completion_rows(app) == 0
        assert backend.verification_status(app, "person-1") == "NOT_VERIFIED"

    # Still failing: tried again, since nothing was recorded.
    assert_hook_unavailable(complete(app, auth))
    assert len(hook.calls) == 2

    hook.error = None  # the hook is fixed
    assert completed(complete(app, auth)) == []
    assert len(hook.calls) == 3
    assert hook.calls[2][0] == "person-1"
    assert set(hook.calls[2][1]) == ALL_THREE
    if isinstance(backend, SqlBackend):
        assert backend.completion_rows(app, "person-1") == 1
        assert backend.verification_status(app, "person-1") == "VERIFIED"

    assert completed(complete(app, auth)) == []
    assert len(hook.calls) == 3


def test_failing_hook_for_an_empty_set(backend: Backend, s3: Any, token: Any) -> None:
    hook = HookRecorder(ValueError("hook exploded"))
    app = backend.app(documents_completed=hook)
    backend.put_person(app, person_record("person-1"))
    auth = token(app)

    assert_hook_unavailable(complete(app, auth))
    hook.error = None
    assert completed(complete(app, auth)) == []
    assert hook.calls == [("person-1", []), ("person-1", [])]
    if isinstance(backend, SqlBackend):
        assert backend.completion_rows(app, "person-1") == 1
