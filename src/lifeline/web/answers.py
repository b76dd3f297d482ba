"""How the public side answers a browser: pages with the headers every page needs, the
tenant a path names, the language a reader gets, and forms read within bounds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import Depends, Query, Request
from fastapi.responses import HTMLResponse
from starlette.exceptions import HTTPException

from lifeline.config import TenantConfig
from lifeline.core import defaults
from lifeline.core.errors import NotFound
from lifeline.core.vocabulary import Language
from lifeline.pages import render_page, tenant_context
from lifeline.server.deps import SettingsDep
from lifeline.server.html import NO_STORE, request_language, secure

FORM_TYPE = "application/x-www-form-urlencoded"


def page(
    name: str,
    language: str,
    tenant: TenantConfig,
    *,
    status: int = 200,
    cache: str = NO_STORE,
    switch_url: Callable[[str], str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """A rendered page of a tenant as an answer."""
    html = render_page(
        name, language, tenant=tenant_context(tenant), switch_url=switch_url, **context
    )
    response = HTMLResponse(html, status_code=status)
    response.headers["Content-Language"] = language
    secure(response, cache)
    if cache != NO_STORE:
        response.headers["Vary"] = "Accept-Language"
    return response


def same_page(request: Request) -> Callable[[str], str]:
    """The language switch of a page reached by GET: the same address in another language."""
    return lambda language: f"{request.url.path}?lang={language}"


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


def reader_language(request: Request, tenant: TenantConfig) -> Language:
    """``?lang=``, else what the browser prefers, else the tenant's default language."""
    return request_language(request, tenant.default_language)


def content_type(request: Request) -> str:
    """The media type of a request body, lower case, without parameters."""
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, read up to ``limit`` bytes; 413 beyond (declared or streamed)."""
    declared = request.headers.get("content-length", "")
    too_large = HTTPException(413, f"a body may have {limit} bytes at most")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large
    return body


def parse_form(body: bytes) -> dict[str, list[str]]:
    """Fields of a urlencoded body; 400 when it is not one."""
    try:
        return parse_qs(body.decode(), keep_blank_values=True, max_num_fields=64)
    except (UnicodeDecodeError, ValueError):
        raise HTTPException(400, "the form could not be read") from None


async def read_form(request: Request) -> dict[str, list[str]]:
    """A form post's fields, read up to ``WEB_MAX_FORM_BYTES``: 413 beyond, 415 for
    anything but an ordinary form (the pages send nothing else)."""
    if content_type(request) != FORM_TYPE:
        raise HTTPException(415, f"send the form as {FORM_TYPE}")
    return parse_form(await read_body(request, defaults.WEB_MAX_FORM_BYTES))


def first(form: dict[str, list[str]], name: str) -> str:
    """A single field of a form ("" when absent), trimmed."""
    values = form.get(name) or [""]
    return values[0].strip()
