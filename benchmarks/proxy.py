"""A delay-injecting HTTP/1.1 TCP proxy, in a process of its own.

It listens on ``127.0.0.1`` (a free port), and forwards every client
connection to one upstream on ``127.0.0.1``. On the client-to-upstream
stream it finds where each HTTP request starts (the request line and headers,
then a ``Content-Length`` or chunked body), holds each request back ``D`` ms
before forwarding it, and counts it. So the delay is per request, also when
keep-alive carries many requests on one connection, and concurrent requests
on different connections are delayed concurrently, as a network would.
The upstream-to-client stream is passed through untouched.

``D`` and the count live in shared memory (:class:`multiprocessing.Value`),
so the parent changes the delay and reads the count between runs.
"""
from __future__ import annotations

import asyncio
from typing import Any

from .children import Child, context, watch_parent

_MAX_HEAD = 1 << 20
_CHUNK = 1 << 16


class ProtocolError(Exception):
    """The client stream is not HTTP/1.x as this proxy understands it."""


def _body_framing(head: bytes) -> tuple[bool, int]:
    """``(chunked, content_length)`` of a request head."""
    chunked, length = False, 0
    for line in head.split(b"\r\n")[1:]:
        name, sep, value = line.partition(b":")
        if not sep:
            continue
        name = name.strip().lower()
        if name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
        elif name == b"content-length":
            try:
                length = int(value.strip())
            except ValueError:
                raise ProtocolError("bad Content-Length") from None
    return chunked, length


async def _forward_requests(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: Any, count: Any
) -> None:
    """Forward requests one by one, each held back by the current delay."""
    while True:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return  # the client closed the connection between requests
        stripped = head.lstrip(b"\r\n")
        if not stripped:
            continue
        with count.get_lock():
            count.value += 1
        seconds = delay.value / 1000.0
        if seconds > 0:
            await asyncio.sleep(seconds)
        writer.write(head)
        chunked, length = _body_framing(stripped)
        if chunked:
            while True:
                size_line = await reader.readuntil(b"\r\n")
                writer.write(size_line)
                size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while True:  # trailers, up to the empty line
                        trailer = await reader.readuntil(b"\r\n")
                        writer.write(trailer)
                        if trailer == b"\r\n":
                            break
                    break
                writer.write(await reader.readexactly(size + 2))
        else:
            remaining = length
            while remaining > 0:
                data = await reader.read(min(_CHUNK, remaining))
                if not data:
                    return
                writer.write(data)
                remaining -= len(data)
        await writer.drain()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while True:
        data = await reader.read(_CHUNK)
        if not data:
            return
        writer.write(data)
        await writer.drain()


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    try:
        await writer.wait_closed()
    except (OSError, asyncio.CancelledError):
        pass


def _handler(upstream_port: int, delay: Any, count: Any) -> Any:
    async def handle(
        client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter
    ) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(
                "127.0.0.1", upstream_port, limit=_MAX_HEAD
            )
        except OSError:
            await _close(client_writer)
            return
        requests = asyncio.ensure_future(_forward_requests(client_reader, up_writer, delay, count))
        responses = asyncio.ensure_future(_pipe(up_reader, client_writer))
        try:
            done, _ = await asyncio.wait({requests, responses}, return_when=asyncio.FIRST_COMPLETED)
            if requests in done and not responses.done():
                # The client finished sending: let the last answers through, briefly.
                try:
                    up_writer.write_eof()
                except OSError:
                    pass
                await asyncio.wait({responses}, timeout=5)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ProtocolError):
            pass
        except asyncio.CancelledError:
            pass  # the proxy is stopping
        finally:
            for task in (requests, responses):
                task.cancel()
            await asyncio.gather(requests, responses, return_exceptions=True)
            await _close(up_writer)
            await _close(client_writer)

    return handle


async def _serve(conn: Any, stop: Any, upstream_port: int, delay: Any, count: Any) -> None:
    server = await asyncio.start_server(
        _handler(upstream_port, delay, count), "127.0.0.1", 0, limit=_MAX_HEAD, backlog=512
    )
    conn.send(server.sockets[0].getsockname()[1])
    conn.close()
    async with server:
        while not stop.is_set():
            await asyncio.sleep(0.2)
        server.close()


def _main(conn: Any, stop: Any, upstream_port: int, delay: Any, count: Any) -> None:
    watch_parent(stop)
    asyncio.run(_serve(conn, stop, upstream_port, delay, count))


class DelayProxy:
    """A running proxy in front of ``127.0.0.1:upstream_port``.

    :param delay_ms: the delay added to each request; change it with :attr:`delay_ms`.
    """

    def __init__(self, name: str, upstream_port: int, delay_ms: float = 0) -> None:
        ctx = context()
        self._delay = ctx.Value("d", float(delay_ms))
        self._count = ctx.Value("Q", 0)
        self._child = Child(name, _main, upstream_port, self._delay, self._count)
        self.port = self._child.port
        self.url = f"http://127.0.0.1:{self.port}"

    @property
    def delay_ms(self) -> float:
        return float(self._delay.value)

    @delay_ms.setter
    def delay_ms(self, value: float) -> None:
        self._delay.value = float(value)

    @property
    def count(self) -> int:
        """How many requests went through so far."""
        return int(self._count.value)

    def stop(self) -> None:
        self._child.stop()
