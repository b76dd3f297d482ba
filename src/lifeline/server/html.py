"""What every HTML answer carries, and errors on the public pages as pages, not JSON.

A person who follows a stale link or posts a form twice must read what happened in their
language, on a page like the others; programs keep the JSON shape everywhere else.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from lifeline.core.i18n import negotiate
from lifeline.core.vocabulary import LANGUAGES, Language
from lifeline.pages import render_page

PAGE_PREFIX = "/t/"
"""Paths under this are pages for people: their errors are answered as HTML."""

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
"""No scripts, no third parties: the pages need nothing but their own inline style sheet
(and their own QR images)."""

NO_STORE = "no-store"
"""Pages with a form or a token: no cache may keep them."""

STATUS_CACHE = "public, max-age=30"
"""The status page and the feed: a CDN in front may serve them for half a minute."""


def secure(response: Response, cache: str = NO_STORE) -> Response:
    """Add the headers of every public answer."""
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Links with tokens must not leak to other sites through Referer.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = cache
    return response


def request_language(request: Request, default: Language = "de") -> Language:
    """``?lang=`` when it names a supported language, else what the browser prefers."""
    wanted = request.query_params.get("lang")
    for language in LANGUAGES:
        if wanted == language:
            return language
    return negotiate(request.headers.get("accept-language"), default)


def is_page(request: Request) -> bool:
    """Whether the request is for a page read by a person."""
    return request.url.path.startswith(PAGE_PREFIX)


def error_page(request: Request, response: Response) -> Response:
    """The page for an error answer of a page path, keeping its status and Retry-After."""
    settings = getattr(request.app.state, "settings", None)
    tenant_id = request.url.path[len(PAGE_PREFIX) :].split("/", 1)[0]
    tenant = settings.tenant(tenant_id) if settings is not None else None
    language = request_language(request, tenant.default_language if tenant else "de")
    html = render_page(
        "error.html.j2",
        language,
        tenant={"name": tenant.name if tenant else "Lifeline", "id": tenant_id},
        status=response.status_code,
        switch_url=None,
    )
    page = HTMLResponse(html, status_code=response.status_code)
    page.headers["Content-Language"] = language
    if "retry-after" in response.headers:
        page.headers["Retry-After"] = response.headers["retry-after"]
    if "allow" in response.headers:
        page.headers["Allow"] = response.headers["allow"]
    return secure(page)
