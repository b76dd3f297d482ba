"""The one place where errors become HTTP answers, all in the shape

    {"error": {"code": "not_found", "message": "notice 7 not found", "details": [...]}}

``details`` appears only where there is more than the message (one entry per invalid field).

    domain error (lifeline.core.errors) HTTP
    ├── NotFound                        404 not_found
    ├── Conflict                        409 conflict
    ├── InvalidInput                    422 invalid_input   message starts with the field
    ├── PermissionDenied                403 forbidden
    └── StoreUnavailable                503 unavailable     with Retry-After
    redis Connection/Timeout/ReadOnly   503 unavailable     with Retry-After
    RequestValidationError              422 invalid_input   (400 malformed_json for bad JSON)
    NotAuthenticated                    401 unauthorized    with WWW-Authenticate: Bearer
    TooManyRequests                     429 too_many_requests with Retry-After
    HTTPException (routing, 413, 415)   its status          404 not_found, 405 …
    anything else                       500 internal_error  no traceback in the answer

On the public pages (``/t/…``) the same errors are answered as pages (``server.html``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar, cast

import redis
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.types import ExceptionHandler

from lifeline.core.defaults import ERROR_DETAILS, RETRY_AFTER_SECONDS
from lifeline.core.errors import (
    Conflict,
    InvalidInput,
    LifelineError,
    NotFound,
    PermissionDenied,
    StoreUnavailable,
)
from lifeline.core.locations import dotted, excerpt
from lifeline.server import html

log = logging.getLogger(__name__)

E = TypeVar("E", bound=Exception)

INTERNAL_MESSAGE = "internal error; it has been logged"

OTHER_METHODS = ["GET", "PUT", "PATCH", "DELETE"]
"""Methods a POST-only path beside ``/{id}`` answers 405 to, rather than reading its last
part as an id."""

_DOMAIN: dict[type[LifelineError], tuple[int, str]] = {
    NotFound: (404, "not_found"),
    Conflict: (409, "conflict"),
    InvalidInput: (422, "invalid_input"),
    PermissionDenied: (403, "forbidden"),
    StoreUnavailable: (503, "unavailable"),
}

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "too_many_requests",
    503: "unavailable",
}


class ErrorBody(BaseModel):
    """What went wrong: a stable ``code`` for programs and a ``message`` for people."""

    code: str
    message: str
    details: list[dict[str, str]] | None = None


class ErrorOut(BaseModel):
    """Every error answer of the API."""

    error: ErrorBody


class NotAuthenticated(Exception):
    """No bearer token, or one that is not a valid API key."""


class TooManyRequests(Exception):
    """The caller must wait ``retry_after`` seconds (e.g. after many failed logins)."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    details: Sequence[dict[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """A JSON answer in the error shape."""
    error: dict[str, Any] = {"code": code, "message": message}
    if details:
        error["details"] = list(details)
    return JSONResponse({"error": error}, status_code=status, headers=headers)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for these error statuses, for a route decorator."""
    described = {
        400: "Malformed JSON",
        401: "Missing or unknown API key",
        403: "The API key lacks the role (or its tenant is no longer configured)",
        404: "Not found in this tenant",
        409: "Conflicts with stored state (duplicate contact, reused Idempotency-Key)",
        413: "Request body too large",
        415: "Unsupported Content-Type",
        422: "Invalid input; the message names the field",
        429: "Too many failed authentications from this address; retry after Retry-After",
        503: "Redis unreachable; retry after the Retry-After seconds",
    }
    listed = set(statuses) | ({429} if 401 in statuses else set())  # 429 follows failed auth
    return {s: {"model": ErrorOut, "description": described[s]} for s in sorted(listed)}


def install(app: FastAPI) -> None:
    """Register every handler on the app."""
    _on(app, LifelineError, _domain)
    _on(app, redis.ConnectionError, _unavailable)
    _on(app, redis.TimeoutError, _unavailable)
    _on(app, redis.ReadOnlyError, _unavailable)  # a replica during failover: transient
    _on(app, RequestValidationError, _validation)
    _on(app, NotAuthenticated, _unauthenticated)
    _on(app, TooManyRequests, _too_many)
    _on(app, HTTPException, _http)
    # Registered for Exception, Starlette runs this in its outermost middleware: a last resort.
    _on(app, Exception, _internal)


def _on(
    app: FastAPI, cls: type[E], handler: Callable[[Request, E], Awaitable[JSONResponse]]
) -> None:
    async def answer(request: Request, exc: E) -> Response:
        response = await handler(request, exc)
        return html.error_page(request, response) if html.is_page(request) else response

    # Starlette types every handler as taking Exception; it dispatches by class, so this holds.
    app.add_exception_handler(cls, cast(ExceptionHandler, answer))


async def _domain(request: Request, exc: LifelineError) -> JSONResponse:
    if isinstance(exc, StoreUnavailable):
        return await _unavailable(request, exc)
    status, code = next(
        (pair for cls, pair in _DOMAIN.items() if isinstance(exc, cls)), (500, "internal_error")
    )
    if status == 500:  # e.g. ConfigError: ours, but no fault of the caller
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        return error_response(500, "internal_error", INTERNAL_MESSAGE)
    message = str(exc)
    if isinstance(exc, InvalidInput) and exc.field:
        details = [{"field": exc.field, "message": message}]
        return error_response(status, code, f"{exc.field}: {message}", details=details)
    return error_response(status, code, message)


async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.warning("%s %s: Redis unavailable: %s", request.method, request.url.path, exc)
    return error_response(
        503,
        "unavailable",
        "the data store is unreachable; retry later",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    problems = list(exc.errors())
    malformed = next((p for p in problems if p.get("type") == "json_invalid"), None)
    if malformed is not None:
        return error_response(400, "malformed_json", _malformed(malformed))
    details = [{"field": _location(p), "message": _problem(p)} for p in problems[:ERROR_DETAILS]]
    message = "; ".join(f"{d['field']}: {d['message']}" for d in details)
    if len(problems) > ERROR_DETAILS:
        message += f"; and {len(problems) - ERROR_DETAILS} more problems"
    return error_response(422, "invalid_input", message, details=details)


async def _unauthenticated(request: Request, exc: NotAuthenticated) -> JSONResponse:
    return error_response(
        401, "unauthorized", str(exc), headers={"WWW-Authenticate": 'Bearer realm="lifeline"'}
    )


async def _too_many(request: Request, exc: TooManyRequests) -> JSONResponse:
    return error_response(
        429, "too_many_requests", str(exc), headers={"Retry-After": str(exc.retry_after)}
    )


async def _http(request: Request, exc: HTTPException) -> JSONResponse:
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    if exc.status_code == 404 and message == "Not Found":
        message = f"no route {request.method} {request.url.path}"
    elif exc.status_code == 405:
        message = f"method {request.method} not allowed on {request.url.path}"
        # Starlette names the methods of the first route of the path only; Allow must
        # name every method the path has (RFC 9110, 15.5.6).
        allowed = ", ".join(_allowed_methods(request))
        return error_response(405, code, message, headers={**(exc.headers or {}), "Allow": allowed})
    return error_response(exc.status_code, code, message, headers=exc.headers)


def _allowed_methods(request: Request) -> list[str]:
    """Every method the API's own OpenAPI document declares for this request's path."""
    table: list[tuple[re.Pattern[str], bool, list[str]]] | None = getattr(
        request.app.state, "allowed_methods", None
    )
    if table is None:
        table = []
        for template, operations in request.app.openapi().get("paths", {}).items():
            pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
            literal = "{" not in template
            table.append((re.compile(f"^{pattern}$"), literal, [m.upper() for m in operations]))
        request.app.state.allowed_methods = table
    path = request.url.path
    found = [(literal, methods) for pattern, literal, methods in table if pattern.match(path)]
    # A path spelled out (/v1/notices/preview) is that resource, not an id of /{notice_id}.
    if any(literal for literal, _ in found):
        found = [(literal, methods) for literal, methods in found if literal]
    return sorted({m for _, methods in found for m in methods})


async def _internal(request: Request, exc: Exception) -> JSONResponse:
    # No traceback here: the server logs the exception, which Starlette re-raises.
    log.error("%s %s failed: %s", request.method, request.url.path, type(exc).__name__)
    return error_response(500, "internal_error", INTERNAL_MESSAGE)


def _location(problem: Any) -> str:
    """``("body", "topics", 0)`` → ``body.topics[0]``."""
    return dotted(problem.get("loc", ())) or "request"


def _problem(problem: Any) -> str:
    kind = problem.get("type", "")
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "missing":
        return "required"
    if kind in {"model_attributes_type", "dict_type"} and isinstance(problem.get("input"), bytes):
        return "expected a JSON object sent with Content-Type: application/json"
    return excerpt(str(problem.get("msg", "invalid")).removeprefix("Value error, "), 300)


def _malformed(problem: Any) -> str:
    error = str((problem.get("ctx") or {}).get("error", "not valid JSON"))
    error = error.removesuffix(" at")  # json's "Invalid control character at"
    position = problem.get("loc", ("body", 0))[-1]
    return f"malformed JSON: {error} (at character {position})"
