"""Keeping a send's rate-limit slot where its bytes leave, not before its connection exists.

The limiter hands a send a slot; a provider counts the arrival. Setting up a connection
(the first request of a batch: a new client, DNS, TCP, TLS) can take tens of milliseconds,
so a send that waited for its slot *before* connecting arrives late and bunches up with the
sends after it — more than ``rate`` arrivals in one second. Channels that can, therefore
wait for the slot at the last moment: the batch sets the deadline, the channel's transport
waits for it right before the request (or mail) goes out.

    with wire.deadline(time.monotonic() + wait):
        await channel.send(...)            # connects, then ``await wire.reached()``, then sends

The deadline is a context variable, so each concurrent send (one asyncio task each) keeps
its own. ``reached()`` clears it: a retry or a second part does not wait again.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import httpx

from lifeline.channels import lanes

_deadline: ContextVar[float | None] = ContextVar("lifeline_send_deadline", default=None)

_HEADERS_STARTED = frozenset(
    {"http11.send_request_headers.started", "http2.send_request_headers.started"}
)


@contextmanager
def deadline(at: float | None) -> Iterator[None]:
    """Within the block, the next send waits until ``time.monotonic() >= at``."""
    token = _deadline.set(at)
    try:
        yield
    finally:
        _deadline.reset(token)


def renew(at: float | None) -> None:
    """Replace the deadline of the current send (a retry takes a new slot)."""
    _deadline.set(at)


async def reached() -> None:
    """Wait for the current send's deadline, if any, and use it up."""
    at = _deadline.get()
    if at is None:
        return
    _deadline.set(None)
    wait = at - time.monotonic()
    if wait > 0:
        await asyncio.sleep(wait)


def _tracer(extensions: dict[str, Any]) -> Callable[[str, dict[str, Any]], Awaitable[None]]:
    """The trace hook of one request: waits for the deadline once connected, then takes
    itself out of the request, so the request's later steps run untraced."""

    async def trace(event: str, info: dict[str, Any]) -> None:
        if event in _HEADERS_STARTED:
            extensions.pop("trace", None)
            await reached()

    return trace


class PacedTransport(httpx.AsyncBaseTransport):
    """An httpx transport whose requests wait for their deadline once connected."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if _deadline.get() is not None:
            # Only then: httpcore awaits a trace hook as each step of a request starts and
            # ends, and looks the hook up in the request's extensions at every step.
            extensions = {**request.extensions}
            extensions["trace"] = _tracer(extensions)
            request.extensions = extensions
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def paced_transport(connections: int, **kwargs: Any) -> PacedTransport:
    """Up to ``connections`` requests at once over httpx's own transport, pacing at the wire.

    Each connection is a transport of its own (``lanes``); ``kwargs`` go to each.
    """
    kwargs.setdefault("verify", tls_context())

    def lane() -> httpx.AsyncBaseTransport:
        return httpx.AsyncHTTPTransport(limits=lanes.ONE_CONNECTION, **kwargs)

    return PacedTransport(lanes.LaneTransport(connections, lane))


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One verifying TLS context per process, shared by every batch's HTTP clients.

    Building one loads the CA bundle (milliseconds of CPU); per batch client that was
    ~4% of a worker's CPU. An ``SSLContext`` may be shared across connections and loops.
    """
    return httpx.create_ssl_context()
