"""``python -m benchmarks.soak`` (``make soak``): the example app under a long load.

The example host app (``example_app:create_app()``) runs under gunicorn (2
workers, ``gthread``, 8 threads each) against moto's S3 server, both on
``127.0.0.1``. A separate process sends ``--warmup`` requests, then
``--requests`` more, from ``--concurrency`` threads, each with its own
keep-alive ``requests.Session``. It prints the errors, p50 and p99, and each
worker's RSS after the warm-up and at the end; PASS when there was no error
and no worker grew by 20 MB or more. Figures, not a test: see
``benchmarks/SOAK.md``.
"""
from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .measure import percentile

ROOT = Path(__file__).resolve().parent.parent
PATH = "/api/pis/documents"
WORKERS = 2
THREADS = 8
#: The issue's target: every worker's RSS grows by less than this, warm-up to end.
GROWTH_LIMIT_MB = 20.0
MB = 1_000_000  # /proc's "kB" are KiB; figures are printed in MB (10**6 bytes)
#: The whole run stops after this many seconds, whatever happens (--max-seconds).
MAX_SECONDS = 15 * 60
REQUEST_TIMEOUT = 30.0  # a guard against a hung server, not a performance assertion
READY_TIMEOUT = 120.0

_SPAWN = multiprocessing.get_context("spawn")
FAKE_AWS_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}
_PROXY_VARIABLES = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}


@dataclass(frozen=True)
class Case:
    """One kind of request of the mix: a demo person (and applicant) and the expected answer."""

    label: str
    person_id: str
    applicant: str | None
    status: int
    documents: tuple[str, ...] = ()  # the names a 201 lists, sorted


#: The mix, sent round robin. Answers as in example_app/README.md's table,
#: except that PRESENT below is already stored, so it is left out.
CASES = (
    Case("2 documents (rule 4)", "demo-offline-adult", None, 201,
         ("person.PASSPORT", "person.TAX_ID")),
    Case("1 of 3 already stored", "demo-teen-several-rules", None, 201,
         ("person.COURT_DECISION_LEGAL_CAPACITY", "person.PERMANENT_RESIDENCE_PERMIT")),
    Case("third person", "demo-third-person-ward", None, 201,
         ("third_person.NATIONAL_ID", "third_person.TAX_ID")),
    Case("applicant, relationship check", "demo-child-with-confidants", "demo-confidant-verified",
         201,
         ("confidant_person.demo-confidant-verified.documents_relationship."
          "BIRTH_CERTIFICATE_FOREIGN",)),
    Case("nothing to upload", "demo-nothing-to-upload", None, 201, ()),
    Case("inactive: 404 expected", "demo-inactive", None, 404),
)
#: (storage, person, document) stored before the run, in the person-requests bucket.
PRESENT = ("person_requests", "demo-teen-several-rules", "person.unzr")


class SoakError(Exception):
    """The run could not be carried out (a process failed, the hard timeout passed)."""


# --- environment and /proc --------------------------------------------------------

def loopback_environment(extra: dict[str, str]) -> dict[str, str]:
    """The children's environment: no proxy, fake AWS credentials, no inherited PIS_/EXAMPLE_."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PIS_", "EXAMPLE_", "AWS_")) and key.lower() not in _PROXY_VARIABLES
    }
    env.update(FAKE_AWS_ENVIRONMENT)
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def children_of(pid: int) -> list[int]:
    """The pids whose parent is ``pid`` (from ``/proc/*/stat``)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == pid:
            found.append(int(entry))
    return sorted(found)


@dataclass(frozen=True)
class Memory:
    rss: int  # bytes, VmRSS
    peak: int  # bytes, VmHWM
    cpu: float  # seconds, user + system


def memory_of(pid: int) -> Memory:
    """VmRSS and VmHWM from ``/proc/<pid>/status``, and CPU time from ``/proc/<pid>/stat``."""
    values: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0]) * 1024
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return Memory(values["VmRSS"], values["VmHWM"], (int(fields[11]) + int(fields[12])) / ticks)


# --- child processes ---------------------------------------------------------------

def _watch_parent(parent: int, wall_deadline: float) -> None:
    """In a child: exit when the soak's main process is gone or the deadline passed."""

    def watch() -> None:
        while os.getppid() == parent and time.time() < wall_deadline:
            time.sleep(0.5)
        os._exit(3)

    threading.Thread(target=watch, name="soak-parent-watch", daemon=True).start()


def _child_entry(target: Callable[..., Any], conn: Any, parent: int, wall_deadline: float,
                 args: tuple[Any, ...]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C: the parent stops its children
    _watch_parent(parent, wall_deadline)
    try:
        target(conn, *args)
    except BaseException:
        try:
            conn.send(("error", traceback.format_exc()))
        except OSError:
            pass
        raise


class Child:
    """A ``spawn`` child talking over a duplex pipe; it exits if this process goes away."""

    def __init__(self, name: str, target: Callable[..., Any], wall_deadline: float,
                 *args: Any) -> None:
        self.name = name
        self.conn, child_conn = _SPAWN.Pipe()
        self.process = _SPAWN.Process(
            target=_child_entry,
            args=(target, child_conn, os.getpid(), wall_deadline, args),
            name=f"soak-{name}",
            daemon=True,
        )
        self.process.start()
        child_conn.close()

    def receive(self, deadline: float, tick: Callable[[], None] | None = None) -> Any:
        """The next message, by ``deadline`` (monotonic); ``tick`` runs about every second."""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise SoakError(f"{self.name}: no answer before the hard timeout")
            if self.conn.poll(min(remaining, 1.0)):
                try:
                    kind, payload = self.conn.recv()
                except EOFError:
                    self.process.join(5)
                    raise SoakError(f"{self.name} exited ({self.process.exitcode})") from None
                if kind == "error":
                    raise SoakError(f"{self.name} failed:\n{payload}")
                return payload
            if tick is not None:
                tick()

    def send(self, message: Any) -> None:
        self.conn.send(message)

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)
        self.conn.close()


def _moto_main(conn: Any) -> None:
    """moto's S3 server on 127.0.0.1 and a free port, until terminated."""
    import logging

    os.environ.update(FAKE_AWS_ENVIRONMENT)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    conn.send(("ok", server.get_host_and_port()[1]))
    threading.Event().wait()


def _prepare_main(conn: Any, env: dict[str, str]) -> None:
    """Seed the database once (create_app), create the buckets, store PRESENT, sign the tokens.

    Each gunicorn worker's create_app seeds again; with the tables made here
    first, the workers only rewrite the same rows and never race on
    ``CREATE TABLE``.
    """
    os.environ.clear()
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import boto3

    from example_app import create_app
    from example_app.embedded_s3 import create_buckets
    from example_app.tokens import demo_token
    from flask_pis_documents import get_state

    app = create_app()
    config = get_state(app).config
    endpoint = env["PIS_DOCUMENTS_S3_ENDPOINT_URL"]
    create_buckets(endpoint, config.s3_region, config.buckets.values())
    storage, person_id, name = PRESENT
    client = boto3.session.Session().client(
        "s3", endpoint_url=endpoint, region_name=config.s3_region
    )
    try:
        client.put_object(
            Bucket=config.buckets[storage],
            Key=config.object_keys[storage].format(person_id=person_id, name=name),
            Body=b"soak",
            ContentType=config.upload_content_type,
        )
    finally:
        client.close()
    with app.app_context():
        tokens = [demo_token(case.person_id, case.applicant) for case in CASES]
    conn.send(("ok", tokens))


# --- the load generator (a child process) ------------------------------------------

@dataclass
class Phase:
    """What one phase of the load generator saw."""

    requests: int = 0
    seconds: float = 0.0
    latencies: list[list[float]] = field(default_factory=lambda: [[] for _ in CASES])
    errors: dict[str, int] = field(default_factory=dict)
    stopped_early: bool = False

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def all_latencies(self) -> list[float]:
        return [value for values in self.latencies for value in values]


def _problem(case: Case, response: Any) -> str | None:
    """Why ``response`` is not the expected answer to ``case``, or ``None``."""
    if response.status_code != case.status:
        return f"HTTP {response.status_code}"
    try:
        body = response.json()
        if case.status == 201:
            names = tuple(sorted(item["type"] for item in body["data"]))
            return None if names == case.documents else "unexpected documents"
        return None if body["error"]["type"] == "not_found" else "unexpected error body"
    except (ValueError, KeyError, TypeError):
        return "unexpected body"


def _run_phase(url: str, sessions: list[Any], headers: list[dict[str, str]], count: int,
               deadline: float) -> Phase:
    """``count`` requests, round robin over CASES, from one thread per session."""
    import requests

    lock = threading.Lock()
    issued = [0]
    phase = Phase()

    def worker(session: Any) -> None:
        latencies: list[list[float]] = [[] for _ in CASES]
        errors: dict[str, int] = {}
        try:
            while time.monotonic() < deadline:
                with lock:
                    index = issued[0]
                    if index >= count:
                        break
                    issued[0] += 1
                which = index % len(CASES)
                case = CASES[which]
                started = time.perf_counter()
                try:
                    response = session.post(url, headers=headers[which], timeout=REQUEST_TIMEOUT)
                    elapsed = time.perf_counter() - started
                    problem = _problem(case, response)
                except requests.RequestException as error:
                    elapsed, problem = 0.0, type(error).__name__
                if problem is None:
                    latencies[which].append(elapsed)
                else:
                    kind = f"{case.label}: {problem}"
                    errors[kind] = errors.get(kind, 0) + 1
        finally:
            with lock:
                for mine, theirs in zip(latencies, phase.latencies):
                    theirs.extend(mine)
                for kind, n in errors.items():
                    phase.errors[kind] = phase.errors.get(kind, 0) + n

    threads = [
        threading.Thread(target=worker, args=(session,), name=f"soak-client-{i}", daemon=True)
        for i, session in enumerate(sessions)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()) + REQUEST_TIMEOUT + 5)
    phase.seconds = time.perf_counter() - started
    with lock:
        phase.requests = issued[0]
        phase.stopped_early = issued[0] < count
        if any(thread.is_alive() for thread in threads):
            phase.stopped_early = True
    return phase


def _load_main(conn: Any, url: str, tokens: list[str], warmup: int, count: int,
               concurrency: int, seconds: float) -> None:
    """The warm-up, a pause while the parent reads the RSS, then the measured run."""
    import requests

    deadline = time.monotonic() + seconds
    headers = [{"Authorization": f"Bearer {token}"} for token in tokens]
    sessions = []
    for _ in range(concurrency):
        session = requests.Session()
        session.trust_env = False  # no proxy, no netrc: straight to 127.0.0.1
        sessions.append(session)
    try:
        conn.send(("ok", _run_phase(url, sessions, headers, warmup, deadline)))
        conn.recv()  # go
        conn.send(("ok", _run_phase(url, sessions, headers, count, deadline)))
    finally:
        for session in sessions:
            session.close()


# --- gunicorn ----------------------------------------------------------------------

_GUNICORN_CONFIG = '''\
"""gunicorn settings of one soak run: the master stops itself when the soak is gone."""
import os
import signal
import threading
import time

_PARENT = int(os.environ["SOAK_PARENT_PID"])
_DEADLINE = float(os.environ["SOAK_WALL_DEADLINE"])
_READY_DIR = os.environ["SOAK_READY_DIR"]


def when_ready(server):
    def watch():
        while os.getppid() == _PARENT and time.time() < _DEADLINE:
            time.sleep(0.5)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="soak-parent-watch", daemon=True).start()


def post_worker_init(worker):
    # The app is loaded in this worker: tell the soak.
    with open(os.path.join(_READY_DIR, str(os.getpid())), "w"):
        pass
'''


class Gunicorn:
    """``gunicorn 'example_app:create_app()'`` in a session of its own, stopped by its pid."""

    def __init__(self, folder: Path, port: int, env: dict[str, str], wall_deadline: float) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self._ready = folder / "ready"
        self._ready.mkdir()
        config = folder / "gunicorn_soak_conf.py"
        config.write_text(_GUNICORN_CONFIG)
        self._log_path = folder / "gunicorn.log"
        self._log = self._log_path.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn",
                "--config", str(config),
                "--chdir", str(ROOT),
                "--workers", str(WORKERS),
                "--worker-class", "gthread",
                "--threads", str(THREADS),
                "--bind", f"127.0.0.1:{port}",
                "--graceful-timeout", "5",
                "--log-level", "warning",
                "example_app:create_app()",
            ],
            env={
                **env,
                "SOAK_PARENT_PID": str(os.getpid()),
                "SOAK_WALL_DEADLINE": repr(wall_deadline),
                "SOAK_READY_DIR": str(self._ready),
            },
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def workers(self) -> list[int]:
        return children_of(self.process.pid)

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise SoakError(f"gunicorn exited ({self.process.returncode}):\n{self.log()}")

    def wait_ready(self, deadline: float) -> list[int]:
        """Wait until both workers have loaded the app and the app answers; their pids."""
        import urllib.request

        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        while time.monotonic() < deadline:
            self.check_alive()
            workers = self.workers()
            ready = {int(p.name) for p in self._ready.iterdir()}
            if len(workers) == WORKERS and ready.issuperset(workers):
                try:
                    with opener.open(self.url + "/openapi.json", timeout=5) as response:
                        if response.status == 200:
                            return workers
                except OSError:
                    pass
            time.sleep(0.2)
        raise SoakError(f"gunicorn was not ready in time:\n{self.log()}")

    def log(self, limit: int = 4000) -> str:
        self._log.flush()
        text = self._log_path.read_bytes().decode(errors="replace")
        return text[-limit:]

    def stop(self) -> None:
        if self.process.poll() is None:
            for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 10)):
                try:
                    os.killpg(self.process.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.process.wait(wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        self._log.close()


# --- the run -----------------------------------------------------------------------

@dataclass
class Result:
    warmup: Phase
    measured: Phase
    workers: list[int]
    workers_at_end: list[int]
    after_warmup: dict[int, Memory]
    at_end: dict[int, Memory]
    trend: list[tuple[float, dict[int, int]]]  # (seconds into the run, RSS per worker)
    #: CPU seconds of moto and of the load generator during the measured run.
    others_cpu: dict[str, float]
    load_before: str
    load_after: str
    setup_seconds: float
    gunicorn_log: str


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _load_average() -> str:
    try:
        return " / ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def _run(args: argparse.Namespace, deadline: float, wall_deadline: float) -> Result:
    load_before = _load_average()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="pis-soak-") as tmp, ExitStack() as stack:
        folder = Path(tmp)
        _progress("soak: starting moto's S3 server ...")
        moto = Child("moto", _moto_main, wall_deadline)
        stack.callback(moto.stop)
        s3_url = f"http://127.0.0.1:{moto.receive(deadline)}"

        port = free_port()
        env = loopback_environment({
            "PIS_DOCUMENTS_S3_ENDPOINT_URL": s3_url,
            "EXAMPLE_BASE_URL": f"http://127.0.0.1:{port}",
            "EXAMPLE_DATABASE_URL": f"sqlite:///{folder / 'soak.sqlite'}",
        })
        _progress("soak: seeding the database and the buckets, signing the tokens ...")
        prepare = Child("prepare", _prepare_main, wall_deadline, env)
        stack.callback(prepare.stop)
        tokens = prepare.receive(deadline)
        prepare.stop()

        _progress(f"soak: starting gunicorn ({WORKERS} workers, gthread, {THREADS} threads) ...")
        gunicorn = Gunicorn(folder, port, env, wall_deadline)
        stack.callback(gunicorn.stop)
        workers = gunicorn.wait_ready(min(deadline, time.monotonic() + READY_TIMEOUT))
        setup_seconds = time.monotonic() - started

        _progress(f"soak: warm-up, {args.warmup} requests ...")
        load = Child(
            "load generator", _load_main, wall_deadline,
            gunicorn.url + PATH, tokens, args.warmup, args.requests, args.concurrency,
            max(1.0, deadline - time.monotonic() - REQUEST_TIMEOUT - 10),
        )
        stack.callback(load.stop)
        warmup: Phase = load.receive(deadline, gunicorn.check_alive)
        workers = gunicorn.workers()
        if len(workers) != WORKERS:
            raise SoakError(f"expected {WORKERS} gunicorn workers, found {workers}")
        after_warmup = {pid: memory_of(pid) for pid in workers}
        others = {
            name: pid
            for name, pid in (("moto", moto.process.pid), ("load generator", load.process.pid))
            if pid is not None
        }
        others_before = {name: memory_of(pid).cpu for name, pid in others.items()}
        trend: list[tuple[float, dict[int, int]]] = [
            (0.0, {pid: m.rss for pid, m in after_warmup.items()})
        ]

        _progress(
            f"soak: measured run, {args.requests} requests at concurrency {args.concurrency} ..."
        )
        run_started = time.monotonic()
        last = [run_started]

        def tick() -> None:
            gunicorn.check_alive()
            now = time.monotonic()
            if now - last[0] >= 2.0:
                last[0] = now
                sample = {}
                for pid in workers:
                    try:
                        sample[pid] = memory_of(pid).rss
                    except (OSError, KeyError):
                        pass
                trend.append((now - run_started, sample))

        load.send("go")
        measured: Phase = load.receive(deadline, tick)
        others_cpu = {
            name: memory_of(others[name]).cpu - cpu for name, cpu in others_before.items()
        }
        workers_at_end = gunicorn.workers()
        at_end = {}
        for pid in workers:
            try:
                at_end[pid] = memory_of(pid)
            except (OSError, KeyError):
                pass  # the worker is gone: reported as replaced
        trend.append((time.monotonic() - run_started, {p: m.rss for p, m in at_end.items()}))
        log = gunicorn.log()
    return Result(
        warmup, measured, workers, workers_at_end, after_warmup, at_end, trend, others_cpu,
        load_before, _load_average(), setup_seconds, log,
    )


# --- the report --------------------------------------------------------------------

def _mb(value: int) -> float:
    return value / MB


def _ms(seconds: float) -> str:
    return "-" if math.isnan(seconds) else f"{1000 * seconds:.1f}"


def _trend_line(trend: list[tuple[float, dict[int, int]]], pid: int) -> str:
    duration = trend[-1][0]
    cells = []
    for fraction in (0.0, 0.25, 0.5, 0.75, 1.0):
        target = fraction * duration
        _, sample = min(trend, key=lambda point: abs(point[0] - target))
        cells.append(f"{_mb(sample[pid]):8.1f}" if pid in sample else f"{'-':>8}")
    return "".join(cells)


def report(result: Result, args: argparse.Namespace) -> bool:
    """Print the figures; return whether the run passes."""
    measured, warmup = result.measured, result.warmup
    latencies = measured.all_latencies
    answered = len(latencies)
    rate = answered / measured.seconds if measured.seconds else math.nan
    print()
    print("Soak: example_app under gunicorn, moto S3, loopback only")
    print(
        f"  gunicorn: {WORKERS} workers, gthread, {THREADS} threads each; client: a separate "
        f"process, {args.concurrency} threads, one keep-alive session each"
    )
    print(f"  machine: {os.cpu_count()} CPUs; load average (1/5/15 min) at start "
          f"{result.load_before}, at end {result.load_after}")
    print(f"  mix, round robin over {len(CASES)} kinds:")
    for case in CASES:
        who = case.person_id + (f" (applicant {case.applicant})" if case.applicant else "")
        answer = str(case.status)
        if case.status == 201:
            answer += f", {len(case.documents)} document(s)"
        print(f"    {case.label:32} {who}: {answer}")
    print()
    print(f"  setup (moto, seeding, gunicorn ready)   {result.setup_seconds:8.1f} s")
    print(f"  warm-up requests                        {warmup.requests:8d}   "
          f"errors {warmup.error_count}   {warmup.seconds:.1f} s")
    print(f"  measured requests                       {measured.requests:8d}   "
          f"in {measured.seconds:.1f} s")
    print(f"  errors                                  {measured.error_count:8d}")
    print(f"  requests/s                              {rate:8.1f}")
    print(f"  p50 latency ms                          {_ms(percentile(latencies, 0.50)):>8}")
    print(f"  p99 latency ms                          {_ms(percentile(latencies, 0.99)):>8}")
    print(f"  max latency ms                          {_ms(max(latencies, default=math.nan)):>8}")
    print()
    print(f"    {'kind':32}{'answered':>10}{'p50 ms':>9}{'p99 ms':>9}")
    for case, values in zip(CASES, measured.latencies):
        print(f"    {case.label:32}{len(values):>10}{_ms(percentile(values, 0.5)):>9}"
              f"{_ms(percentile(values, 0.99)):>9}")
    errors = {**{f"warm-up: {k}": n for k, n in warmup.errors.items()}, **measured.errors}
    if errors:
        print()
        print("  errors by kind:")
        for kind, n in sorted(errors.items(), key=lambda item: -item[1]):
            print(f"    {n:8d}  {kind}")

    print()
    print(f"  worker RSS, MB          {'after warm-up':>14}{'at end':>10}{'growth':>10}"
          f"{'peak (HWM)':>12}{'CPU s in run':>14}")
    growths = []
    for pid in result.workers:
        before = result.after_warmup[pid]
        after = result.at_end.get(pid)
        if after is None:
            print(f"    worker pid {pid:<10}{_mb(before.rss):>14.1f}{'gone':>10}")
            continue
        growth = _mb(after.rss - before.rss)
        growths.append(growth)
        print(f"    worker pid {pid:<10}{_mb(before.rss):>14.1f}{_mb(after.rss):>10.1f}"
              f"{growth:>+10.1f}{_mb(after.peak):>12.1f}{after.cpu - before.cpu:>14.1f}")
    worker_cpu = sum(
        result.at_end[pid].cpu - result.after_warmup[pid].cpu
        for pid in result.workers if pid in result.at_end
    )
    if measured.requests:
        per_request = 1000 * worker_cpu / measured.requests
        print(f"  workers' CPU per measured request       {per_request:8.1f} ms"
              "   (their relationship checks included)")
    for name, cpu in result.others_cpu.items():
        print(f"  {name + ' CPU in the run':40}{cpu:8.1f} s")
    print(f"  RSS during the run, MB, at {'0%':>6}{'25%':>8}{'50%':>8}{'75%':>8}{'100%':>8}")
    for pid in result.workers:
        print(f"    worker pid {pid:<15}{_trend_line(result.trend, pid)}")

    replaced = sorted(set(result.workers) ^ set(result.workers_at_end))
    total_errors = measured.error_count + warmup.error_count
    checks = [
        (total_errors == 0,
         f"errors: {total_errors} (warm-up {warmup.error_count}, measured "
         f"{measured.error_count}); target 0"),
        (bool(growths) and not replaced and max(growths) < GROWTH_LIMIT_MB,
         f"RSS growth after warm-up: largest "
         + (f"{max(growths):+.1f} MB" if growths else "-")
         + f"; target < {GROWTH_LIMIT_MB:g} MB per worker"
         + (f" (workers replaced: {replaced})" if replaced else "")),
        (not measured.stopped_early and not warmup.stopped_early,
         f"all requests sent before the hard timeout ({args.max_seconds:g} s)"),
    ]
    print()
    for ok, text in checks:
        print(f"  [{'PASS' if ok else 'FAIL'}] {text}")
    passed = all(ok for ok, _ in checks)
    if not passed and result.gunicorn_log.strip():
        print()
        print("  gunicorn log (end):")
        for line in result.gunicorn_log.splitlines()[-40:]:
            print(f"    {line}")
    print()
    print(f"SOAK {'PASS' if passed else 'FAIL'}")
    return passed


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add = parser.add_argument
    add("--requests", type=int, default=20_000, help="measured requests (20000; quick: 2000)")
    add("--concurrency", type=int, default=16, help="client threads (16)")
    add("--warmup", type=int, default=1_000, help="requests before the first RSS reading "
        "(1000; quick: 200)")
    add("--quick", action="store_true", help="a short run: at most 2000 + 200 requests")
    add("--max-seconds", type=float, default=MAX_SECONDS,
        help=f"hard timeout of the whole run ({MAX_SECONDS})")
    args = parser.parse_args(argv)
    if args.quick:
        args.requests = min(args.requests, 2_000)
        args.warmup = min(args.warmup, 200)
    if args.requests < 1 or args.warmup < 0 or not 1 <= args.concurrency <= 256:
        parser.error("--requests must be >= 1, --warmup >= 0, --concurrency in 1..256")
    if not 60 <= args.max_seconds <= 3600:
        parser.error("--max-seconds must be in 60..3600")
    return args


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if not Path("/proc/self/status").exists():
        print("soak: needs Linux's /proc to read the workers' RSS", file=sys.stderr)
        return 2

    def on_term(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    deadline = time.monotonic() + args.max_seconds
    # Children stop themselves a little later, if this process could not stop them.
    wall_deadline = time.time() + args.max_seconds + 30
    try:
        result = _run(args, deadline, wall_deadline)
    except SoakError as error:
        print(f"\nSOAK FAIL: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nsoak: interrupted; child processes stopped", file=sys.stderr)
        return 130
    return 0 if report(result, args) else 1


if __name__ == "__main__":
    sys.exit(main())
