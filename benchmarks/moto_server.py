"""moto's S3 server in a process of its own, on ``127.0.0.1`` and a free port."""
from __future__ import annotations

import logging
from typing import Any

from .children import Child, watch_parent


def _main(conn: Any, stop: Any) -> None:
    watch_parent(stop)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    conn.send(server.get_host_and_port()[1])
    conn.close()
    stop.wait()
    server.stop()


class MotoServer:
    """The running server; :attr:`url` is its endpoint (not proxied)."""

    def __init__(self) -> None:
        self._child = Child("moto-s3", _main)
        self.port = self._child.port
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self._child.stop()
