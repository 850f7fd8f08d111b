"""Real servers on 127.0.0.1 for the reliability tests (not tests).

- :func:`closed_port`: a port that refuses connections (bound, then closed).
- :class:`SilentServer`: accepts TCP connections and never answers (timeouts).
- :class:`LoopbackHttpServer`: ``http.server`` in a thread, answering through
  a handler function and recording every request it got.

Plus the checks the reliability tests share: the 503 envelope, the access
log lines, and access-token claims.
"""
from __future__ import annotations

import json
import logging
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from http_helpers import access_claims  # noqa: F401  (re-exported for the fault tests)

HOST = "127.0.0.1"
URL = "/api/pis/documents"
ACCESS_LOGGER = "flask_pis_documents.access"


def closed_port() -> int:
    """A loopback port nothing listens on: connecting to it is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class SilentServer:
    """Accepts connections on a loopback port and never sends a byte.

    Use as a context manager; on exit every accepted connection is closed,
    which also releases a client still waiting on it.
    """

    def __init__(self) -> None:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind((HOST, 0))
        self._listener.listen(64)
        self._listener.settimeout(0.05)
        self.port = int(self._listener.getsockname()[1])
        self.url = f"http://{HOST}:{self.port}"
        self.accepted = 0
        self._connections: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="silent-server", daemon=True)

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._listener.accept()
            except (socket.timeout, OSError):
                continue
            self.accepted += 1
            self._connections.append(connection)

    def __enter__(self) -> SilentServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for connection in self._connections:
            connection.close()
        self._listener.close()


@dataclass
class Reply:
    """What a :class:`LoopbackHttpServer` handler answers."""

    status: int = 200
    body: bytes | str | Mapping[str, Any] | list[Any] = b""
    headers: Mapping[str, str] = field(default_factory=dict)

    def encoded(self) -> tuple[bytes, dict[str, str]]:
        headers = dict(self.headers)
        body = self.body
        if isinstance(body, (Mapping, list)):
            body = json.dumps(body)
            headers.setdefault("Content-Type", "application/json")
        if isinstance(body, str):
            body = body.encode("utf-8")
        return body, headers


@dataclass(frozen=True)
class Seen:
    """One request a :class:`LoopbackHttpServer` received."""

    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]
    body: bytes


Handler = Callable[[Seen], Reply]


class LoopbackHttpServer:
    """An HTTP/1.0 server in a thread on a free loopback port.

    :param handler: maps each request to a :class:`Reply`.
    """

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[Seen] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def _make_server(self) -> ThreadingHTTPServer:
        outer = self

        class _Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                seen = Seen(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query, keep_blank_values=True),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                outer.requests.append(seen)
                reply = outer.handler(seen)
                payload, headers = reply.encoded()
                self.send_response(reply.status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer((HOST, 0), _Handler)
        server.daemon_threads = True
        return server

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def __enter__(self) -> LoopbackHttpServer:
        self._server = self._make_server()
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


# --- checks -----------------------------------------------------------------

def timed_post(app: Any, headers: Mapping[str, str], url: str = URL) -> tuple[Any, float]:
    """POST through the test client; return the response and the wall time in seconds."""
    client = app.test_client()
    started = time.perf_counter()
    response = client.post(url, headers=dict(headers))
    return response, time.perf_counter() - started


def new_request_id() -> str:
    """A fresh request id, free of words the body checks look for."""
    return f"rid-{uuid.uuid4().hex}"


def assert_envelope(response: Any, status: int, error_type: str, message: str | None = None) -> dict[str, Any]:
    """The ESOZ error envelope with ``status``; returns the body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"meta", "error"}, body
    assert body["meta"]["code"] == status
    assert body["meta"]["type"] == "object"
    assert body["meta"]["url"] == "http://localhost" + URL
    assert body["meta"]["request_id"] == response.headers["x-request-id"]
    assert body["error"]["type"] == error_type
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if message is not None:
        assert body["error"]["message"] == message
    return body


def assert_unavailable(
    response: Any, dependency: str, *, secrets: Iterable[str] = ()
) -> dict[str, Any]:
    """The documented 503: names ``dependency``, leaks none of ``secrets``.

    Besides ``secrets`` (hosts, ports, bucket names, server messages), the
    body must carry no exception text and the message no URL.
    """
    body = assert_envelope(response, 503, "service_unavailable")
    message = body["error"]["message"]
    assert dependency in message, message
    assert "http" not in message.lower() and "://" not in message
    text = response.get_data(as_text=True)
    for secret in (
        *secrets,
        HOST,
        "Traceback",
        "Error(",
        "Exception",
        "botocore",
        "urllib3",
        "requests.",
        "psycopg",
        "sqlalchemy",
        "timed out",
        "refused",
    ):
        assert secret not in text, (secret, text)
    return body


def access_lines(records: Iterable[logging.LogRecord]) -> list[dict[str, Any]]:
    """The parsed JSON lines of the access logger among ``records``."""
    lines = []
    for record in records:
        if record.name == ACCESS_LOGGER:
            message = record.getMessage()
            assert "\n" not in message
            lines.append(json.loads(message))
    return lines


def assert_logged_failure(records: Iterable[logging.LogRecord], request_id: str, dependency: str) -> dict[str, Any]:
    """A log record names the request id and the failed dependency: the access line."""
    lines = [line for line in access_lines(records) if line.get("request_id") == request_id]
    assert len(lines) == 1, lines
    line = lines[0]
    assert line["status"] == 503
    assert line["dependency_failed"] == dependency
    return line


