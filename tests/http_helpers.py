"""Helpers for the HTTP-level tests: an in-memory storage, raw tokens, envelope checks."""
from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from typing import Any

import jwt

from conftest import SCOPE, SECRET
from flask_pis_documents import SignedUpload

URL = "/api/pis/documents"
STORAGE_NAMES = ("persons", "person_requests", "authentication_method_requests")


class MemoryStorage:
    """A :class:`~flask_pis_documents.DocumentStorage` kept in memory.

    :param objects: ``(storage, person_id, name)`` triples that exist.
    """

    storage_names = STORAGE_NAMES

    def __init__(self, objects: Iterable[tuple[str, str, str]] = ()) -> None:
        self.objects = set(objects)
        self.signed: list[tuple[str, str]] = []

    def snapshot(self, storage: str, person_id: str) -> set[str]:
        return {n for s, p, n in self.objects if s == storage and p == person_id}

    def exists(self, storage: str, person_id: str, name: str) -> bool:
        return (storage, person_id, name) in self.objects

    def sign_upload(self, person_id: str, name: str) -> SignedUpload:
        self.signed.append((person_id, name))
        return SignedUpload(
            url=f"https://uploads.example/persons/{person_id}/{name}.jpeg?signature=x",
            headers={"Content-Type": "image/jpeg"},
        )


class FailingStorage(MemoryStorage):
    """A storage whose listings fail with a message full of secrets."""

    SECRET_TEXT = "https://secret-s3.internal:9000/persons-bucket AccessDenied"

    def snapshot(self, storage: str, person_id: str) -> set[str]:
        raise ConnectionError(self.SECRET_TEXT)

    def exists(self, storage: str, person_id: str, name: str) -> bool:
        raise ConnectionError(self.SECRET_TEXT)


class Recorder:
    """A hook that records its calls and answers ``result`` (or raises it)."""

    def __init__(self, result: Any) -> None:
        self.result = result
        self.calls: list[tuple[Any, ...]] = []

    def __call__(self, *args: Any) -> Any:
        self.calls.append(args)
        if isinstance(self.result, BaseException):
            raise self.result
        if callable(self.result):
            return self.result(*args)
        return self.result


def access_claims(**claims: Any) -> dict[str, Any]:
    """The claims of a valid access token for ``person-1``, updated with ``claims``."""
    now = int(time.time())
    payload: dict[str, Any] = {
        "sub": "user-1",
        "iat": now,
        "nbf": now - 10,
        "exp": now + 900,
        "jti": str(uuid.uuid4()),
        "type": "access",
        "fresh": False,
        "person_id": "person-1",
        "scope": SCOPE,
    }
    payload.update(claims)
    return payload


def raw_token(
    claims: dict[str, Any] | None = None,
    *,
    key: Any = SECRET,
    algorithm: str = "HS256",
    drop: Iterable[str] = (),
    headers: dict[str, Any] | None = None,
) -> str:
    """An access token built with PyJWT directly: valid unless ``claims`` say otherwise.

    :param claims: claims over the defaults (``sub``, ``person_id``, ``scope``, ``exp``...).
    :param drop: default claims to leave out.
    """
    payload = access_claims(**(claims or {}))
    for name in drop:
        payload.pop(name, None)
    return jwt.encode(payload, key, algorithm=algorithm, headers=headers)


def post(app: Any, headers: dict[str, str] | None = None, url: str = URL) -> Any:
    return app.test_client().post(url, headers=headers or {})


def assert_error(
    response: Any,
    status: int,
    error_type: str,
    message: str | None = None,
    *,
    url: str = "http://localhost" + URL,
) -> dict[str, Any]:
    """Check the ESOZ error envelope and return the body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"meta", "error"}
    assert body["error"]["type"] == error_type
    if message is not None:
        assert body["error"]["message"] == message
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    meta = body["meta"]
    assert meta["url"] == url
    assert meta["type"] == "object"
    assert meta["code"] == status
    assert isinstance(meta["request_id"], str) and meta["request_id"]
    assert response.headers["x-request-id"] == meta["request_id"]
    return body


class BrokenStorage(MemoryStorage):
    """A backend with a bug: once broken, reading its storage names raises."""

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error
        self.broken = False

    @property
    def storage_names(self):  # type: ignore[override]
        if self.broken:
            raise self.error
        return MemoryStorage.storage_names
