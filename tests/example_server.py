"""The example app on a real threaded werkzeug server, for the tests that drive it over HTTP."""
from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # example_app lives at the top of the repository
    sys.path.insert(0, str(REPO))

from example_app import create_app  # noqa: E402
from example_app.embedded_s3 import FAKE_AWS_ENVIRONMENT  # noqa: E402

HOST = "127.0.0.1"
AWS_CREDENTIAL_SOURCES = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


class Recorder:
    """The WSGI app the server runs: the example app once built; notes each request.

    :param header: the WSGI environ key recorded with each request's method and path.
    """

    def __init__(self, header: str) -> None:
        self.header = header
        self.app: Flask | None = None
        self.seen: list[tuple[str, str, str | None]] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        self.seen.append((environ["REQUEST_METHOD"], environ["PATH_INFO"], environ.get(self.header)))
        assert self.app is not None
        return self.app(environ, start_response)


@contextmanager
def serve_example_app(database_url: str, header: str) -> Iterator[tuple[Flask, str, Recorder]]:
    """Run create_app on a free loopback port; yield the app, its base URL and the recorder."""
    recorder = Recorder(header)
    server = make_server(HOST, 0, recorder, threaded=True)
    base_url = f"http://{HOST}:{server.server_port}"
    with pytest.MonkeyPatch.context() as env:
        # The embedded S3 writes fake AWS credentials into os.environ; restore them afterwards.
        for name in (*FAKE_AWS_ENVIRONMENT, *AWS_CREDENTIAL_SOURCES):
            if name in os.environ:
                env.setenv(name, os.environ[name])
            else:
                env.delenv(name, raising=False)
        with pytest.MonkeyPatch.context() as app_env:
            # The real port, so the relationship checker reaches this very server.
            app_env.setenv("EXAMPLE_BASE_URL", base_url)
            app_env.setenv("EXAMPLE_DATABASE_URL", database_url)
            app_env.delenv("PIS_DOCUMENTS_S3_ENDPOINT_URL", raising=False)
            recorder.app = create_app({"TESTING": True})
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield recorder.app, base_url, recorder
        finally:
            server.shutdown()
            thread.join()
            server.server_close()
