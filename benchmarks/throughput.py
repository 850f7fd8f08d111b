"""Throughput: the app under gunicorn (2 workers, gthread), driven by a threaded client.

gunicorn runs as a child process bound to ``127.0.0.1`` on a free port; the
load generator runs a bounded number of requests for a bounded time.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from .scenarios import PATH

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Gunicorn:
    """``gunicorn benchmarks.wsgi:app`` in its own session, stopped by its pid."""

    def __init__(
        self, env: dict[str, str], *, workers: int = 2, threads: int = 8, timeout: float = 30
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = tempfile.TemporaryFile()
        self._process = subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn",
                "--config", str(Path(__file__).with_name("gunicorn_conf.py")),
                "--chdir", str(ROOT),
                "--workers", str(workers),
                "--worker-class", "gthread",
                "--threads", str(threads),
                "--bind", f"127.0.0.1:{self.port}",
                "--backlog", "512",
                "--graceful-timeout", "5",
                "--log-level", "warning",
                "benchmarks.wsgi:app",
            ],
            env={**os.environ, **env, "PIS_BENCH_PARENT_PID": str(os.getpid())},
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self._process.returncode}):\n{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not listen within {timeout:.0f}s:\n{self.log()}")

    def log(self) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-4000:]

    def stop(self) -> None:
        if self._process.poll() is None:
            try:
                os.killpg(self._process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self._process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self._process.wait(10)
        self._log.close()


@dataclass
class LoadResult:
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)

    @property
    def requests(self) -> int:
        return len(self.latencies) + self.errors

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


def run_load(
    url: str, token: str, *, threads: int, seconds: float, max_requests: int
) -> LoadResult:
    """``threads`` keep-alive clients POSTing until ``seconds`` or ``max_requests`` run out."""
    import requests

    lock = threading.Lock()
    budget = [max_requests]
    result = LoadResult(seconds=0.0)
    start = time.perf_counter()
    deadline = start + seconds
    headers = {"Authorization": f"Bearer {token}"}

    def worker() -> None:
        session = requests.Session()
        latencies: list[float] = []
        errors: dict[str, int] = {}
        try:
            while time.perf_counter() < deadline:
                with lock:
                    if budget[0] <= 0:
                        break
                    budget[0] -= 1
                t0 = time.perf_counter()
                try:
                    response = session.post(url + PATH, headers=headers, timeout=10)
                    kind = None if response.status_code == 201 else f"HTTP {response.status_code}"
                except requests.RequestException as error:
                    kind = type(error).__name__
                if kind is None:
                    latencies.append(time.perf_counter() - t0)
                else:
                    errors[kind] = errors.get(kind, 0) + 1
        finally:
            session.close()
            with lock:
                result.latencies.extend(latencies)
                for kind, n in errors.items():
                    result.errors += n
                    result.error_kinds[kind] = result.error_kinds.get(kind, 0) + n

    pool = [threading.Thread(target=worker, name=f"load-{i}", daemon=True) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(seconds + 30)
    result.seconds = time.perf_counter() - start
    return result


def warm_up(url: str, token: str, count: int) -> None:
    """A few requests, each on a new connection, so every worker has its clients and pool."""
    import requests

    for _ in range(count):
        requests.post(url + PATH, headers={"Authorization": f"Bearer {token}"}, timeout=10)
