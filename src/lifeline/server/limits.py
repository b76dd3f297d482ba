"""A cap on request bodies, as pure ASGI middleware, so no route ever reads an oversized one.

A body announced as too large (``Content-Length``) is refused before the app runs. A body
without a length (chunked) is counted as it streams in; the first chunk past the cap raises
``BodyTooLarge`` out of ``receive``. Routes read their whole body before they act (FastAPI
parses JSON first; the import route reads it in a dependency), so a refused request has
written nothing.
"""

from __future__ import annotations

from collections.abc import Collection

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lifeline.server.errors import error_response


class BodyTooLarge(HTTPException):
    """The request body is over the cap; answered with 413 in the error shape."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body is larger than {limit} bytes")


class BodySizeLimit:
    """Refuse bodies over ``max_bytes`` (over ``large_max_bytes`` on ``large_paths``)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        large_max_bytes: int,
        large_paths: Collection[str] = (),
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.large_max_bytes = large_max_bytes
        self.large_paths = frozenset(large_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the announced length, then count what actually arrives."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.large_max_bytes if scope["path"] in self.large_paths else self.max_bytes
        announced = _content_length(scope)
        if announced is not None and announced > limit:
            await _refuse(limit, scope, receive, send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge:
            # Normally the app's HTTPException handler answers; this covers reads outside it.
            if started:
                raise
            await _refuse(limit, scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    value = Headers(scope=scope).get("content-length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


async def _refuse(limit: int, scope: Scope, receive: Receive, send: Send) -> None:
    exc = BodyTooLarge(limit)
    response = error_response(413, "payload_too_large", exc.detail)
    await response(scope, receive, send)
