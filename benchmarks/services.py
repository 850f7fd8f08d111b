"""The services the app talks to, each in its own process, and the delay proxies.

moto's S3 server and the relationship stub listen on ``127.0.0.1``. A
*route* is a pair of delay proxies with the same delay, one in front of each;
there is one route per delay measured (``D = 0`` and ``D``), so both delays
are measured side by side, taking turns, in the same run. Only a route's
addresses go into an app's config, so every storage and relationship call
pays the route's delay and is counted by it.
"""
from __future__ import annotations

from collections.abc import Iterable
from contextlib import ExitStack
from types import TracebackType
from typing import Any

from .moto_server import MotoServer
from .proxy import DelayProxy
from .stub_relationship import PATH, RelationshipStub


class Route:
    """A delay proxy in front of S3 and one in front of the relationship stub."""

    def __init__(self, s3_proxy: DelayProxy, relationship_proxy: DelayProxy) -> None:
        self.s3_proxy = s3_proxy
        self.relationship_proxy = relationship_proxy
        self.s3_url = s3_proxy.url
        self.relationship_url = relationship_proxy.url + PATH

    @property
    def delay_ms(self) -> float:
        return self.s3_proxy.delay_ms

    def counts(self) -> tuple[int, int]:
        """Requests so far through the S3 proxy and the relationship proxy."""
        return self.s3_proxy.count, self.relationship_proxy.count


class Services:
    """moto, the relationship stub and one route per delay; a context manager."""

    def __init__(self, delays_ms: Iterable[float] = (0.0,)) -> None:
        self._stack = ExitStack()
        try:
            self.moto = self._start(MotoServer())
            self.stub = self._start(RelationshipStub())
            self.routes: dict[float, Route] = {}
            for delay in dict.fromkeys(float(d) for d in delays_ms):
                s3 = self._start(DelayProxy(f"s3-proxy-{delay:g}ms", self.moto.port, delay))
                relationship = self._start(
                    DelayProxy(f"relationship-proxy-{delay:g}ms", self.stub.port, delay)
                )
                self.routes[delay] = Route(s3, relationship)
        except BaseException:
            self._stack.close()
            raise
        #: moto itself, for seeding the buckets without counting.
        self.s3_direct_url = self.moto.url

    def _start(self, child: Any) -> Any:
        self._stack.callback(child.stop)
        return child

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> Services:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
