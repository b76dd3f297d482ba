"""Each request's id in its log lines and its answer (``X-Request-ID``), as pure ASGI
middleware: a proxy's id is kept when it sends a sane one, else a new one is made. The
tenant a public path names goes into the log context too."""

from __future__ import annotations

import re
import uuid

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lifeline.core.logs import log_context

HEADER = "x-request-id"
_SANE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_TENANT_PATH = re.compile(r"^/(?:t|sms|telegram)/([a-z0-9-]{2,32})(?:/|$)")


class RequestIds:
    """Give every request an id, in the log context and in ``X-Request-ID``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = Headers(scope=scope).get(HEADER, "")
        request_id = given if _SANE.match(given) else uuid.uuid4().hex
        found = _TENANT_PATH.match(scope.get("path", ""))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[HEADER] = request_id
            await send(message)

        with log_context(request_id=request_id, tenant=found.group(1) if found else None):
            await self.app(scope, receive, send_with_id)
