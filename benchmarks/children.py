"""Child processes that stop by themselves: on request, when the parent dies, or at a deadline.

Every service the benchmark talks to (the delay proxies, moto's S3 server,
the relationship stub) runs in a process of its own, started with the
``spawn`` method so that no lock or thread of the parent crosses over.
"""
from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

#: No child outlives this many seconds, whatever happens to the parent.
MAX_LIFETIME = 15 * 60
_CONTEXT = multiprocessing.get_context("spawn")


def context() -> Any:
    """The multiprocessing context every benchmark child uses."""
    return _CONTEXT


def watch_parent(stop: Any, lifetime: float = MAX_LIFETIME) -> None:
    """In a child: set ``stop`` when the parent is gone or ``lifetime`` has passed."""
    parent = os.getppid()
    deadline = time.monotonic() + lifetime

    def watch() -> None:
        while not stop.is_set():
            if os.getppid() != parent or time.monotonic() > deadline:
                stop.set()
                return
            time.sleep(0.5)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


class Child:
    """A child process that reports its port once ready, and stops on :meth:`stop`.

    ``target(conn, stop, *args)`` runs in the child: it sends its port on
    ``conn`` when it listens, then serves until ``stop`` (an Event) is set.
    """

    def __init__(self, name: str, target: Callable[..., None], *args: Any) -> None:
        self.name = name
        self._stop = _CONTEXT.Event()
        parent_conn, child_conn = _CONTEXT.Pipe(duplex=False)
        self._process = _CONTEXT.Process(
            target=target, args=(child_conn, self._stop, *args), name=name, daemon=True
        )
        self._process.start()
        child_conn.close()
        self.port = self._receive_port(parent_conn)

    def _receive_port(self, conn: Connection, timeout: float = 60) -> int:
        if not conn.poll(timeout):
            self.stop()
            raise RuntimeError(f"{self.name} did not start within {timeout:.0f}s")
        try:
            port = conn.recv()
        except EOFError:
            self.stop()
            raise RuntimeError(f"{self.name} exited before it listened") from None
        finally:
            conn.close()
        return int(port)

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def stop(self, timeout: float = 5) -> None:
        """Ask the child to stop; terminate it, then kill it, if it does not."""
        self._stop.set()
        self._process.join(timeout)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(timeout)
