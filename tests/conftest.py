"""Shared fixtures: apps, tokens, an in-memory person store and moto's real S3 server."""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
import requests
from flask import Flask
from flask_jwt_extended import create_access_token

# Fake credentials for moto, set before any boto3 client exists.
for _name, _value in {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}.items():
    os.environ[_name] = _value
os.environ.pop("AWS_PROFILE", None)

from flask_pis_documents import PisDocuments  # noqa: E402

SECRET = "test-secret-key-that-is-long-enough-for-hs256"
SCOPE = "person_documents:write_pis"
BUCKETS = {
    "persons": "persons",
    "person_requests": "person-requests",
    "authentication_method_requests": "authentication-method-requests",
}


def person_record(person_id: str = "person-1", **fields: Any) -> dict[str, Any]:
    """An active adult with no documents, updated with ``fields``."""
    record: dict[str, Any] = {
        "id": person_id,
        "birth_date": "1990-05-01",
        "unzr": "19900501-00017",
        "status": "active",
        "is_active": True,
        "documents": [],
        "authentication_methods": [],
        "confidant_person": [],
    }
    record.update(fields)
    return record


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's real S3 HTTP server on a free loopback port."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3(s3_endpoint: str) -> Any:
    """A boto3 client on a freshly reset moto server with the three buckets."""
    requests.post(f"{s3_endpoint}/moto-api/reset", timeout=5).raise_for_status()
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    for bucket in BUCKETS.values():
        client.create_bucket(Bucket=bucket)
    return client


@pytest.fixture
def persons() -> dict[str, dict[str, Any]]:
    """The in-memory person store read by :func:`make_app`'s default loader."""
    return {}


@pytest.fixture
def make_app(persons: dict[str, dict[str, Any]], s3_endpoint: str) -> Callable[..., Flask]:
    """Build a host app with the extension.

    :param config: app config, over a test default (moto endpoint, secret).
    :param hooks: keyword arguments of :class:`PisDocuments` (defaults:
        the ``persons`` fixture as person loader, an "approved" checker).
    """

    def build(config: dict[str, Any] | None = None, **hooks: Any) -> Flask:
        app = Flask("host")
        app.config.update(
            TESTING=True,
            JWT_SECRET_KEY=SECRET,
            PIS_DOCUMENTS_S3_ENDPOINT_URL=s3_endpoint,
            PIS_DOCUMENTS_RELATIONSHIP_CHECK_URL="http://relationships.test/check",
        )
        app.config.update(config or {})
        hooks.setdefault("person_loader", persons.get)
        PisDocuments(app, **hooks)
        return app

    return build


@pytest.fixture
def token() -> Callable[..., str]:
    """Sign an access token for the app in context (or ``app=``)."""

    def sign(
        app: Flask,
        person_id: Any = "person-1",
        *,
        scope: Any = SCOPE,
        applicant: Any = None,
        **claims: Any,
    ) -> str:
        extra: dict[str, Any] = dict(claims)
        if person_id is not None:
            extra["person_id"] = person_id
        if scope is not None:
            extra["scope"] = scope
        if applicant is not None:
            extra["applicant_person_id"] = applicant
        with app.app_context():
            return create_access_token("user-1", additional_claims=extra)

    return sign


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
