"""``python -m benchmarks``: latency, calls and CPU per scenario, then throughput.

Prints figures and PASS/FAIL against the issue's targets; asserts nothing.
See ``benchmarks/README.md`` for how to read the output.
"""
from __future__ import annotations

import argparse
import math
import os
import signal
import sys
import time
from collections.abc import Callable
from typing import Any

from .measure import Sample, Variant, measure, percentile
from .scenarios import (
    PATH,
    Scenario,
    all_scenarios,
    build_app,
    make_token,
    persons,
    seed_storage,
    use_fake_aws_credentials,
)
from .services import Route

VARIANTS = ("list", "head", "sequential")
LABELS = {"list": "extension list", "head": "extension head", "sequential": "sequential ref"}


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    add = parser.add_argument
    add("--delay-ms", type=float, default=30.0, help="delay D added to every request (30)")
    add("--requests", type=int, default=40, help="requests per scenario and variant (40)")
    add(
        "--budget-seconds", type=float, default=None,
        help="stop a variant once its requests took this long, if it has --min-requests "
        "(10; quick: 3)",
    )
    add("--min-requests", type=int, default=None, help="(3; quick: 2)")
    add("--throughput-seconds", type=float, default=None, help="per mode (8; quick: 3)")
    add("--throughput-clients", type=int, default=16, help="load generator threads (16)")
    add("--quick", action="store_true", help="fewer requests and shorter runs")
    add("--no-throughput", action="store_true", help="skip the gunicorn run")
    add("--profile", action="store_true", help="only profile 50 requests (12 documents, D = 0)")
    args = parser.parse_args(argv)
    if args.requests < 1 or args.delay_ms < 0:
        parser.error("--requests must be >= 1 and --delay-ms >= 0")
    if args.quick:
        args.requests = min(args.requests, 10)
    if args.budget_seconds is None:
        args.budget_seconds = 3.0 if args.quick else 10.0
    if args.min_requests is None:
        args.min_requests = 2 if args.quick else 3
    args.min_requests = min(args.min_requests, args.requests)
    if args.throughput_seconds is None:
        args.throughput_seconds = 3.0 if args.quick else 8.0
    return args


def _load() -> str:
    try:
        return " / ".join(f"{x:.1f}" for x in os.getloadavg()) + " (1 / 5 / 15 min)"
    except OSError:
        return "unknown"


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _fmt(value: float, digits: int = 1) -> str:
    return "-" if math.isnan(value) else f"{value:.{digits}f}"


def _beyond_base(sample: Sample, base: Sample | None, delay_ms: float) -> str:
    return _fmt((sample.p50_ms - base.p50_ms) / delay_ms, 2) if base else "-"


# --- the table ----------------------------------------------------------------

Row = tuple[str, Callable[[Sample, "Sample | None"], str]]


def _rows(delay_ms: float) -> list[Row]:
    rows: list[Row] = [
        ("requests measured", lambda s, b: str(s.n)),
        ("errors", lambda s, b: str(s.errors)),
        ("p50 latency ms", lambda s, b: _fmt(s.p50_ms)),
        ("p99 latency ms", lambda s, b: _fmt(s.p99_ms)),
    ]
    if delay_ms > 0:
        rows += [
            ("p50 / D", lambda s, b: _fmt(s.p50_ms / delay_ms, 2)),
            ("(p50 - p50 at D=0) / D", lambda s, b: _beyond_base(s, b, delay_ms)),
        ]
    rows += [
        ("storage (S3) calls / request", lambda s, b: _fmt(s.s3_per_request, 2)),
        ("relationship calls / request", lambda s, b: _fmt(s.relationship_per_request, 2)),
        ("app CPU ms / request", lambda s, b: _fmt(s.cpu_ms, 2)),
    ]
    return rows


def _print_block(
    title: str, samples: dict[str, Sample], delay_ms: float, base: dict[str, Sample] | None = None
) -> None:
    width = 17
    print(f"  {title}")
    print(f"    {'':30}" + "".join(f"{LABELS[v]:>{width}}" for v in VARIANTS))
    for label, cell in _rows(delay_ms):
        cells = (cell(samples[v], base[v] if base else None) for v in VARIANTS)
        print(f"    {label:30}" + "".join(f"{c:>{width}}" for c in cells))


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _targets(
    scenario: Scenario, base: dict[str, Sample], loaded: dict[str, Sample], d: float
) -> list[str]:
    lines = []
    factor = {12: 1.5, 100: 2.0}.get(scenario.documents)
    for variant in ("list", "head"):
        p50, overhead = loaded[variant].p50_ms, base[variant].p50_ms
        if factor is not None:
            limit = factor * d + overhead
            relation = "<=" if scenario.documents == 12 else "<"
            ok = p50 <= limit if scenario.documents == 12 else p50 < limit
            lines.append(
                f"[{_verdict(ok)}] {variant}: p50 {p50:.1f} ms {relation} {factor}*D "
                f"+ overhead(D=0) = {factor * d:.1f} + {overhead:.1f} = {limit:.1f} ms"
            )
        else:
            lines.append(
                f"[info] {variant}: p50 {p50:.1f} ms = {p50 / d:.2f}*D "
                f"(overhead at D=0: {overhead:.1f} ms)"
            )
    sequential = loaded["sequential"]
    expected = {12: " (the issue expects about 35*D)"}.get(scenario.documents, "")
    calls_per_request = sequential.s3_per_request + sequential.relationship_per_request
    lines.append(
        f"[info] sequential reference: p50 {sequential.p50_ms:.1f} ms "
        f"= {sequential.p50_ms / d:.1f}*D, {calls_per_request:.0f} calls/request{expected}"
    )
    calls = loaded["list"].s3_per_request
    lines.append(f"[{_verdict(calls <= 3)}] list: storage calls/request {calls:.2f} <= 3")
    for variant in ("list", "head"):
        cpu, reference = loaded[variant].cpu_ms, sequential.cpu_ms
        ratio = reference / cpu if cpu > 0 else math.inf
        tag = _verdict(ratio >= 2) if variant == "list" else "info"
        lines.append(
            f"[{tag}] {variant}: CPU/request {cpu:.2f} ms vs sequential {reference:.2f} ms "
            f"= {ratio:.1f}x lower (target >= 2x)"
        )
    return lines


# --- the runs -----------------------------------------------------------------

def _check_answer(name: str, response: Any, scenario: Scenario) -> None:
    if response.status_code != 201:
        body = response.get_data(as_text=True)[:300]
        raise RuntimeError(f"{name}: {scenario.title}: answered {response.status_code}: {body}")
    got = [item["type"] for item in response.get_json()["data"]]
    if got != list(scenario.missing):
        raise RuntimeError(
            f"{name}: {scenario.title}: listed {len(got)} documents, "
            f"expected {len(scenario.missing)}: "
            f"unexpected {sorted(set(got) - set(scenario.missing))[:5]}, "
            f"missing {sorted(set(scenario.missing) - set(got))[:5]}"
        )


def _latency_runs(services: Any, args: argparse.Namespace) -> None:
    from .reference import REFERENCE_PATH, build_reference_app

    store = persons()
    scenarios = all_scenarios()
    clients: dict[tuple[float, str], tuple[Any, str, Route]] = {}
    for delay, route in services.routes.items():
        for mode in ("list", "head"):
            app = build_app(mode, route.s3_url, route.relationship_url, store)
            clients[delay, mode] = (app.test_client(), PATH, route)
        reference = build_reference_app(route.s3_url, route.relationship_url, store)
        clients[delay, "sequential"] = (reference.test_client(), REFERENCE_PATH, route)
    headers = {
        s.documents: {"Authorization": f"Bearer {make_token(s.person_id)}"} for s in scenarios
    }

    # Warm-up (clients, pools, imports): two cheap requests per client; then one
    # request per scenario at D = 0 to check that every variant lists the right documents.
    for (delay, variant), (client, path, route) in clients.items():
        for _ in range(2):
            response = client.post(path, headers=headers[scenarios[0].documents])
        _check_answer(variant, response, scenarios[0])
        if delay == 0:
            for scenario in scenarios[1:]:
                response = client.post(path, headers=headers[scenario.documents])
                _check_answer(variant, response, scenario)

    results: dict[tuple[float, int, str], Sample] = {}
    for scenario in scenarios:
        started = time.perf_counter()
        variants = {
            key: Variant(client, path, headers[scenario.documents], route)
            for key, (client, path, route) in clients.items()
        }
        samples = measure(
            variants, requests=args.requests,
            budget_seconds=args.budget_seconds, min_requests=args.min_requests,
        )
        for (delay, variant), sample in samples.items():
            results[delay, scenario.documents, variant] = sample
        _progress(
            f"  {scenario.documents:>3} documents: "
            + ", ".join(f"{v}@{d:g}ms n={s.n} p50 {s.p50_ms:.0f}" for (d, v), s in samples.items())
            + f" ({time.perf_counter() - started:.1f} s)"
        )

    d = args.delay_ms
    print()
    print(f"Latency, calls and CPU per request (Flask test client, in-process), D = {d:g} ms")
    print(f"Machine: {os.cpu_count()} CPUs; load average at the end of the latency runs {_load()}")
    print(
        "Every variant at both delays measured in this run, taking turns request by request;\n"
        "each delay has its own pair of proxies. CPU is this process's (all threads)."
    )
    for scenario in scenarios:
        print()
        print(f"== {scenario.title} ==")
        base = {v: results[0.0, scenario.documents, v] for v in VARIANTS}
        _print_block("D = 0 ms (the overhead baseline)", base, 0)
        if d > 0:
            loaded = {v: results[d, scenario.documents, v] for v in VARIANTS}
            _print_block(f"D = {d:g} ms", loaded, d, base)
            print(f"  Targets at D = {d:g} ms:")
            for line in _targets(scenario, base, loaded, d):
                print(f"    {line}")


def _throughput_run(services: Any, args: argparse.Namespace) -> None:
    from .scenarios import make_scenario
    from .throughput import Gunicorn, run_load, warm_up

    scenario = make_scenario(12)
    token = make_token(scenario.person_id)
    route = services.routes[float(args.delay_ms)]
    print()
    print(
        f"Throughput under gunicorn (2 workers, gthread, 8 threads each), "
        f"{scenario.documents} documents, D = {args.delay_ms:g} ms, "
        f"{args.throughput_clients} client threads, "
        f"{args.throughput_seconds:g} s or 5000 requests per mode"
    )
    print(
        f"    {'mode':8}{'requests':>10}{'errors':>8}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'S3 calls/req':>14}"
    )
    for mode in ("list", "head"):
        server = Gunicorn(
            {
                "PIS_BENCH_S3_ENDPOINT_URL": route.s3_url,
                "PIS_BENCH_RELATIONSHIP_CHECK_URL": route.relationship_url,
                "PIS_BENCH_EXISTENCE_CHECK": mode,
            }
        )
        try:
            warm_up(server.url, token, 8)
            s3_before, _ = route.counts()
            result = run_load(
                server.url, token, threads=args.throughput_clients,
                seconds=args.throughput_seconds, max_requests=5000,
            )
            s3_calls = route.counts()[0] - s3_before
        finally:
            server.stop()
        ok = len(result.latencies)
        kinds = ", ".join(f"{k}: {n}" for k, n in sorted(result.error_kinds.items()))
        p50 = 1000 * percentile(result.latencies, 0.5)
        p99 = 1000 * percentile(result.latencies, 0.99)
        per_request = s3_calls / ok if ok else math.nan
        print(
            f"    {mode:8}{result.requests:>10}{result.errors:>8}{result.rate:>9.1f}"
            f"{p50:>9.1f}{p99:>9.1f}{per_request:>14.2f}" + (f"   ({kinds})" if kinds else "")
        )


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    use_fake_aws_credentials()

    def stop(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    from .services import Services

    started = time.perf_counter()
    _progress("starting moto, the relationship stub and the delay proxies ...")
    delays = (0.0,) if args.profile else (0.0, args.delay_ms)
    with Services(delays) as services:
        seed_storage(services.s3_direct_url, all_scenarios())
        if args.profile:
            from .profiling import run_profile

            run_profile(services)
            return 0
        _latency_runs(services, args)
        if not args.no_throughput:
            _throughput_run(services, args)
    print(f"\n(benchmark took {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
