"""Latency, CPU and call counts of one variant, in this process, with Flask's test client.

Latency: ``time.perf_counter`` around each request. CPU: the
``time.process_time`` delta of this process (all its threads: the request
thread, the extension's pool, boto3 and requests) around each request.
Calls: the route's proxy counters before and after each request.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

from .services import Route


def percentile(values: list[float], fraction: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass
class Sample:
    """One variant of one scenario at one delay."""

    latencies: list[float] = field(default_factory=list)
    cpu_seconds: float = 0.0
    s3_calls: int = 0
    relationship_calls: int = 0
    errors: int = 0

    @property
    def n(self) -> int:
        return len(self.latencies)

    @property
    def p50_ms(self) -> float:
        return 1000 * percentile(self.latencies, 0.50)

    @property
    def p99_ms(self) -> float:
        return 1000 * percentile(self.latencies, 0.99)

    def _per_request(self, total: float) -> float:
        return total / self.n if self.n else math.nan

    @property
    def cpu_ms(self) -> float:
        return 1000 * self._per_request(self.cpu_seconds)

    @property
    def s3_per_request(self) -> float:
        return self._per_request(self.s3_calls)

    @property
    def relationship_per_request(self) -> float:
        return self._per_request(self.relationship_calls)


@dataclass(frozen=True)
class Variant:
    """What to send: a test client, its path and headers, and the route it uses."""

    client: Any
    path: str
    headers: dict[str, str]
    route: Route


def measure(
    variants: dict[Any, Variant],
    *,
    requests: int,
    budget_seconds: float,
    min_requests: int,
) -> dict[Any, Sample]:
    """Measure the variants interleaved: one request of each in turn.

    A variant stops after ``requests`` requests, or once its requests took
    more than ``budget_seconds`` in all and it has at least ``min_requests``.
    Taking turns means a change in the machine's background load hits every
    variant alike. Every figure is taken per request (latency, this
    process's CPU, the route's counts), so the turns do not mix them up.
    """
    samples = {key: Sample() for key in variants}
    spent = dict.fromkeys(variants, 0.0)
    active = list(variants)
    while active:
        for key in list(active):
            variant = variants[key]
            sample = samples[key]
            s3_before, relationship_before = variant.route.counts()
            cpu_before = time.process_time()
            t0 = time.perf_counter()
            response = variant.client.post(variant.path, headers=variant.headers)
            elapsed = time.perf_counter() - t0
            sample.cpu_seconds += time.process_time() - cpu_before
            s3_after, relationship_after = variant.route.counts()
            sample.s3_calls += s3_after - s3_before
            sample.relationship_calls += relationship_after - relationship_before
            spent[key] += elapsed
            if response.status_code == 201:
                sample.latencies.append(elapsed)
            else:
                sample.errors += 1
            done = sample.n + sample.errors
            if done >= requests or (done >= min_requests and spent[key] > budget_seconds):
                active.remove(key)
    return samples
