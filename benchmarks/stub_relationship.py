"""A relationship-service stub in a process of its own.

It answers every ``POST`` with ``200 {"data": {"status": "approved"}}``,
over HTTP/1.1 with keep-alive, on ``127.0.0.1`` and a free port.
"""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .children import Child, watch_parent

BODY = json.dumps({"data": {"status": "approved"}}).encode()
PATH = "/api/relationships/check"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


def _main(conn: Any, stop: Any) -> None:
    watch_parent(stop)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.request_queue_size = 512
    serve = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True
    )
    serve.start()
    conn.send(server.server_address[1])
    conn.close()
    stop.wait()
    server.shutdown()
    server.server_close()


class RelationshipStub:
    """The running stub; :attr:`port` is where it listens."""

    def __init__(self) -> None:
        self._child = Child("relationship-stub", _main)
        self.port = self._child.port

    def stop(self) -> None:
        self._child.stop()
