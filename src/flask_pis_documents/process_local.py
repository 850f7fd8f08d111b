"""Objects created lazily, once per process.

Clients, sessions and pools must not cross a ``fork`` (gunicorn workers), and
boto3 fixes credentials when a client is created, so each is built on first
use in the process that uses it.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class ProcessLocal(Generic[T]):
    """Hold one ``factory()`` result per process, created on first :meth:`get`."""

    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._value: T | None = None

    def get(self) -> T:
        """Return this process's object, creating it on first use."""
        pid = os.getpid()
        if self._pid != pid:
            with self._lock:
                if self._pid != pid:
                    self._value = self._factory()
                    self._pid = pid
        return self._value  # type: ignore[return-value]

    def peek(self) -> T | None:
        """Return this process's object if it was created, else ``None``."""
        return self._value if self._pid == os.getpid() else None
