"""gunicorn settings for the throughput run: the master stops by itself.

It stops (SIGTERM to itself, a graceful shutdown) when the benchmark that
started it is gone, or after ``PIS_BENCH_MAX_SECONDS`` (default 600).
"""
from __future__ import annotations

import os
import signal
import threading
import time
from typing import Any


def when_ready(server: Any) -> None:
    parent = int(os.environ.get("PIS_BENCH_PARENT_PID", "0"))
    deadline = time.monotonic() + float(os.environ.get("PIS_BENCH_MAX_SECONDS", "600"))

    def watch() -> None:
        while True:
            if (parent and os.getppid() != parent) or time.monotonic() > deadline:
                os.kill(os.getpid(), signal.SIGTERM)
                return
            time.sleep(0.5)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
