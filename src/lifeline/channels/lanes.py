"""An HTTP transport made of single-connection transports, one per send in flight.

httpcore's connection pool looks at every pooled connection on every request, and for an
idle one that look costs a socket readability check (a ``select`` and a ``getpeername``).
A batch's lanes alternate between a Redis round trip and an HTTP request, so while a lane
talks to Redis its connection sits idle in the shared pool and every other lane's request
pays for checking it: measured, a third of a Telegram worker's CPU per message went there.
With one transport per connection each request looks at its own connection only.

    transport = LaneTransport(8, lambda: httpx.AsyncHTTPTransport(limits=ONE_CONNECTION))

A request takes a free lane (most recently used first, so warm connections stay warm) and
gives it back when its response is closed, as httpcore gives back a pooled connection.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import httpx

ONE_CONNECTION = httpx.Limits(max_connections=1, max_keepalive_connections=1)
"""Limits of each lane's own transport."""


class LaneTransport(httpx.AsyncBaseTransport):
    """At most ``size`` requests at once, each on a transport of its own."""

    def __init__(self, size: int, make: Callable[[], httpx.AsyncBaseTransport]) -> None:
        if size < 1:
            raise ValueError("a lane transport needs at least one lane")
        self._lanes = [make() for _ in range(size)]
        self._free: asyncio.LifoQueue[httpx.AsyncBaseTransport] | None = None

    def _queue(self) -> asyncio.LifoQueue[httpx.AsyncBaseTransport]:
        # Made on first use, inside the event loop that sends.
        if self._free is None:
            self._free = asyncio.LifoQueue()
            for lane in reversed(self._lanes):
                self._free.put_nowait(lane)
        return self._free

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        free = self._queue()
        lane = await _take(free, request)
        try:
            response = await lane.handle_async_request(request)
        except BaseException:
            free.put_nowait(lane)
            raise
        if not isinstance(response.stream, httpx.AsyncByteStream):
            free.put_nowait(lane)
            raise TypeError(f"{type(lane).__name__} answered with a synchronous body")
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=_Releasing(response.stream, lambda: free.put_nowait(lane)),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        for lane in self._lanes:
            await lane.aclose()


async def _take(
    free: asyncio.LifoQueue[httpx.AsyncBaseTransport], request: httpx.Request
) -> httpx.AsyncBaseTransport:
    """A free lane, waiting at most the request's pool timeout, as httpcore would."""
    if not free.empty():
        return free.get_nowait()
    timeout = request.extensions.get("timeout", {}).get("pool")
    try:
        return await asyncio.wait_for(free.get(), timeout)
    except TimeoutError:
        raise httpx.PoolTimeout("no connection became free in time", request=request) from None


class _Releasing(httpx.AsyncByteStream):
    """A response body that gives its lane back once closed."""

    def __init__(self, stream: httpx.AsyncByteStream, release: Callable[[], None]) -> None:
        self._stream = stream
        self._release: Callable[[], None] | None = release

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            if self._release is not None:
                release, self._release = self._release, None
                release()
