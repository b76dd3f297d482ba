"""How the public side answers a browser: HTML pages with the headers every such page needs,
and the language a reader gets."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from lifeline.config import TenantConfig
from lifeline.core.errors import NotFound
from lifeline.core.i18n import negotiate
from lifeline.core.vocabulary import LANGUAGES, Language
from lifeline.pages import render_page
from lifeline.server.deps import SettingsDep

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
"""No scripts, no third parties: the pages need nothing but their own inline style sheet."""

NO_STORE = "no-store"
"""Pages with a form or a token: no cache may keep them."""

STATUS_CACHE = "public, max-age=30"
"""The status page and the feed: a CDN in front may serve them for half a minute."""


def secure(response: Response, cache: str) -> Response:
    """Add the headers of every public answer."""
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Links with tokens must not leak to other sites through Referer.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = cache
    return response


def page(
    name: str, language: str, *, status: int = 200, cache: str = NO_STORE, **context: Any
) -> HTMLResponse:
    """A rendered page as an answer."""
    html = render_page(name, language, **context)
    response = HTMLResponse(html, status_code=status)
    response.headers["Content-Language"] = language
    secure(response, cache)
    if cache != NO_STORE:
        response.headers["Vary"] = "Accept-Language"
    return response


def get_tenant(tenant_id: str, settings: SettingsDep) -> TenantConfig:
    """The tenant a public path names; NotFound when no such tenant is configured."""
    tenant = settings.tenant(tenant_id)
    if tenant is None:
        raise NotFound(f"no tenant {tenant_id!r}")
    return tenant


PublicTenant = Annotated[TenantConfig, Depends(get_tenant)]
LangQuery = Annotated[
    str | None,
    Query(max_length=8, description="de or en; else the browser's Accept-Language decides."),
]


def reader_language(request: Request, tenant: TenantConfig, lang: str | None) -> Language:
    """``?lang=`` when it names a supported language, else what the browser prefers, else
    the tenant's default."""
    for language in LANGUAGES:
        if lang == language:
            return language
    return negotiate(request.headers.get("accept-language"), tenant.default_language)
