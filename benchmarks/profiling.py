"""cProfile of the 12-document scenario, list mode, at D = 0.

cProfile sees one thread. The request runs on the caller's thread and hands
the person load, the relationship call and the listings to the extension's
pool, so the pool's tasks are profiled too: the state's ``submit`` is wrapped
(on this benchmark's app only) so that each task runs under a profiler of its
own thread. The two views are printed apart by cumulative time: the
request thread (which includes waiting for the pool) and the pool tasks;
then both together by own time, which is where the CPU goes.
"""
from __future__ import annotations

import cProfile
import io
import pstats
import threading
from collections.abc import Callable
from typing import Any

from .scenarios import PATH, build_app, make_scenario, make_token
from .services import Services


class _PoolProfiler:
    """One enabled-per-task profiler per pool thread."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._lock = threading.Lock()
        self.profiles: list[cProfile.Profile] = []
        self.active = False

    def wrap(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        def profiled(*args: Any) -> Any:
            if not self.active:
                return fn(*args)
            profile = getattr(self._local, "profile", None)
            if profile is None:
                profile = self._local.profile = cProfile.Profile()
                with self._lock:
                    self.profiles.append(profile)
            profile.enable()
            try:
                return fn(*args)
            finally:
                profile.disable()

        return profiled


def _print_top(
    title: str, profiles: list[cProfile.Profile], top: int, order: str = "cumulative"
) -> None:
    if not profiles:
        print(f"{title}: nothing recorded")
        return
    out = io.StringIO()
    stats = pstats.Stats(profiles[0], stream=out)
    for profile in profiles[1:]:
        stats.add(profile)
    stats.strip_dirs().sort_stats(order).print_stats(top)
    what = "cumulative time" if order == "cumulative" else "own time (tottime)"
    print(f"--- {title}: top {top} by {what} ---")
    lines = out.getvalue().splitlines()
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    print("\n".join(line for line in lines[start:] if line.strip()))


def run_profile(services: Services, *, requests: int = 50, top: int = 15) -> None:
    from flask_pis_documents import get_state

    route = services.routes[0.0]
    scenario = make_scenario(12)
    app = build_app("list", route.s3_url, route.relationship_url)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {make_token(scenario.person_id)}"}
    for _ in range(5):  # clients, pool threads and imports before profiling
        client.post(PATH, headers=headers)

    pool = _PoolProfiler()
    state = get_state(app)
    original_submit = state.submit

    def submit(fn: Callable[..., Any], *args: Any) -> Any:
        return original_submit(pool.wrap(fn), *args)

    state.submit = submit  # type: ignore[method-assign]  # this benchmark app only

    main = cProfile.Profile()
    pool.active = True
    main.enable()
    for _ in range(requests):
        response = client.post(PATH, headers=headers)
        if response.status_code != 201:
            raise RuntimeError(f"profiled request answered {response.status_code}")
    main.disable()
    pool.active = False

    print(f"\nProfile: {requests} requests, {scenario.title}, list mode, D = 0 ms")
    _print_top("request thread (Flask test client, whole request)", [main], top)
    print()
    _print_top(f"pool tasks ({len(pool.profiles)} threads)", pool.profiles, top)
    print()
    # Where the CPU goes: own time, request thread and pool tasks together. Lock
    # acquisition here is waiting (for the pool's futures, or a connection), not CPU.
    _print_top("all threads", [main, *pool.profiles], top, order="tottime")
