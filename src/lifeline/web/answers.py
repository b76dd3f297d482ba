"""How the public side answers a browser: pages with the headers every page needs, the
tenant a path names, the language a reader gets, and forms read within bounds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import Depends, Query, Request
from fastapi.responses import HTMLResponse
from starlette.exceptions import HTTPException

from lifeline.config import TenantConfig
from lifeline.core import defaults
from lifeline.core.errors import NotFound
from lifeline.core.i18n import gettext_for
from lifeline.core.vocabulary import Language
from lifeline.pages import PageLinks, render_page, tenant_context
from lifeline.server.deps import SettingsDep
from lifeline.server.html import NO_STORE, request_language, secure

FORM_TYPE = "application/x-www-form-urlencoded"


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


@dataclass(frozen=True, slots=True)
class Reader:
    """Who a page is for: the tenant, the reader's language, where links point, and the
    address of the page (for the language switch of pages reached by GET)."""

    tenant: TenantConfig
    language: Language
    links: PageLinks
    path: str

    def page(
        self, name: str, *, status: int = 200, switch: bool = False, **context: Any
    ) -> HTMLResponse:
        """A page of this tenant in the reader's language."""
        switch_url = (lambda other: f"{self.path}?lang={other}") if switch else None
        html = render_page(name, self.language, tenant=tenant_context(self.tenant),
                           switch_url=switch_url, links=self.links, **context)  # fmt: skip
        response = HTMLResponse(html, status_code=status)
        response.headers["Content-Language"] = self.language
        secure(response, NO_STORE)
        return response

    def message(
        self,
        title: str,
        *paragraphs: str,
        form: dict[str, Any] | None = None,
        status: int = 200,
        switch: bool = False,
    ) -> HTMLResponse:
        """A page that says one thing, with at most one button."""
        return self.page("message.html.j2", status=status, switch=switch, title=title,
                         paragraphs=list(paragraphs), form=form)  # fmt: skip

    def invalid_link(self) -> HTMLResponse:
        """400: the page for a signed link that was changed or belongs elsewhere."""
        _ = self._
        return self.message(
            _("This link is not valid"),
            _("Please use the link from the message exactly as it was sent, or call the "
              "hotline."),
            status=400,
        )  # fmt: skip

    @property
    def _(self) -> Callable[[str], str]:
        """gettext in the reader's language."""
        return gettext_for(self.language)


def get_reader(
    request: Request, tenant: PublicTenant, settings: SettingsDep, lang: LangQuery = None
) -> Reader:
    """The reader of a public page (``?lang=`` is documented here for every page)."""
    return Reader(
        tenant=tenant,
        language=reader_language(request, tenant),
        links=PageLinks(tenant.id, settings.web.base()),
        path=request.url.path,
    )


ReaderDep = Annotated[Reader, Depends(get_reader)]


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
