"""How many requests one call makes to S3, counted at the S3 server itself.

This module runs its own moto S3 server (the same app ``ThreadedMotoServer``
serves) behind a WSGI middleware that records every request it receives, so
the count covers exactly what reached the store, whatever the client did.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import boto3
import pytest
import requests

from conftest import BUCKETS, bearer, person_record

SIZES = [1, 12, 100]


class CountingMiddleware:
    """Record ``(method, path, query)`` of every request, then pass it on."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.requests: list[tuple[str, str, str]] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        with self.lock:
            self.requests.append(
                (environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""))
            )
        return self.app(environ, start_response)

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()

    def taken(self) -> list[tuple[str, str, str]]:
        with self.lock:
            return list(self.requests)


@pytest.fixture(scope="module")
def counting_server() -> Iterator[tuple[str, CountingMiddleware]]:
    from moto.server import DomainDispatcherApplication, create_backend_app
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server

    counter = CountingMiddleware(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", 0, counter, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield f"http://{host}:{port}", counter
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


@pytest.fixture
def counted_s3(counting_server) -> tuple[str, CountingMiddleware, Any]:
    """A reset store with the three buckets, reached through the counting server."""
    endpoint, counter = counting_server
    requests.post(f"{endpoint}/moto-api/reset", timeout=5).raise_for_status()
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    for bucket in BUCKETS.values():
        client.create_bucket(Bucket=bucket)
    counter.reset()
    return endpoint, counter, client


def offline_person(persons: dict[str, Any], n: int) -> list[str]:
    """A person with an OFFLINE method and ``n`` documents; return the names asked."""
    types = [f"DOC_{i:03d}" for i in range(n)]
    persons["person-1"] = person_record(
        documents=[{"type": t, "number": str(i)} for i, t in enumerate(types)],
        authentication_methods=[{"type": "OFFLINE"}],
    )
    return [f"person.{t}" for t in types]


def call(app, token) -> list[str]:
    response = app.test_client().post("/api/pis/documents", headers=bearer(token(app)))
    assert response.status_code == 201, response.get_data(as_text=True)
    return [item["type"] for item in response.json["data"]]


def test_the_counter_sees_each_request():
    """Guard the guard: the middleware counts what a client sends it."""
    seen: list[Any] = []
    counter = CountingMiddleware(lambda environ, start: seen.append(environ) or [b""])
    counter({"REQUEST_METHOD": "GET", "PATH_INFO": "/b", "QUERY_STRING": "list-type=2"}, None)
    counter({"REQUEST_METHOD": "HEAD", "PATH_INFO": "/b/k"}, None)
    assert counter.taken() == [("GET", "/b", "list-type=2"), ("HEAD", "/b/k", "")]
    assert len(seen) == 2


@pytest.mark.parametrize("n", SIZES)
def test_list_mode_makes_at_most_three_requests(make_app, persons, token, counted_s3, n):
    endpoint, counter, client = counted_s3
    names = offline_person(persons, n)
    app = make_app({"PIS_DOCUMENTS_S3_ENDPOINT_URL": endpoint, "PIS_DOCUMENTS_EXISTENCE_CHECK": "list"})

    assert call(app, token) == names
    taken = counter.taken()
    assert len(taken) <= 3, taken
    # Nothing was found, so every storage had to be asked: one listing each.
    assert sorted(path for _, path, _ in taken) == sorted(f"/{b}" for b in BUCKETS.values())
    for method, _, query in taken:
        assert method == "GET"
        params = parse_qs(query)
        assert params["list-type"] == ["2"]
        assert params["prefix"] == ["person-1/"]


@pytest.mark.parametrize("n", SIZES)
def test_list_mode_stays_at_three_when_documents_exist(make_app, persons, token, counted_s3, n):
    endpoint, counter, client = counted_s3
    names = offline_person(persons, n)
    stored = names[::2]
    for i, name in enumerate(stored):
        bucket = list(BUCKETS.values())[i % 3]
        client.put_object(Bucket=bucket, Key=f"person-1/{name}.jpeg", Body=b"x")
    counter.reset()
    app = make_app({"PIS_DOCUMENTS_S3_ENDPOINT_URL": endpoint, "PIS_DOCUMENTS_EXISTENCE_CHECK": "list"})

    assert call(app, token) == [name for name in names if name not in stored]
    taken = counter.taken()
    assert len(taken) <= 3, taken
    assert all(method == "GET" for method, _, _ in taken)


@pytest.mark.parametrize("n", SIZES)
def test_head_mode_makes_one_head_per_document_and_storage(make_app, persons, token, counted_s3, n):
    endpoint, counter, client = counted_s3
    names = offline_person(persons, n)
    app = make_app({"PIS_DOCUMENTS_S3_ENDPOINT_URL": endpoint, "PIS_DOCUMENTS_EXISTENCE_CHECK": "head"})

    # The first 404 of a process checks each bucket once (a HEAD on a missing
    # bucket is a bare 404 too); every later request is one HEAD per document.
    assert call(app, token) == names
    first = counter.taken()
    bucket_checks = sorted(path for _, path, _ in first if path.count("/") == 1)
    assert bucket_checks == sorted(f"/{bucket}" for bucket in BUCKETS.values())
    assert len(first) == 3 * n + 3

    counter.reset()
    assert call(app, token) == names
    taken = counter.taken()
    assert len(taken) == 3 * n
    assert all(method == "HEAD" for method, _, _ in taken), {m for m, _, _ in taken}
    assert not any("list-type" in query for _, _, query in taken)
    expected = sorted(f"/{bucket}/person-1/{name}.jpeg" for bucket in BUCKETS.values() for name in names)
    assert sorted(path for _, path, _ in taken) == expected

