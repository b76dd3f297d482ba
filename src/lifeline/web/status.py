"""``GET /t/{tenant}`` (the status page) and ``GET /t/{tenant}/feed.atom`` (its feed)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from lifeline.pages import PageLinks, read_status, render_feed, render_status
from lifeline.server.deps import NoticeStoreDep, SettingsDep
from lifeline.server.html import STATUS_CACHE, secure
from lifeline.web.answers import LangQuery, PublicTenant, reader_language

router = APIRouter(tags=["public pages"])


@router.get("/t/{tenant_id}", response_class=HTMLResponse, summary="The status page")
def status_page(
    request: Request,
    tenant: PublicTenant,
    store: NoticeStoreDep,
    settings: SettingsDep,
    lang: LangQuery = None,
) -> Response:
    """Active notices with what to do instead, their updates, the last 30 days, the hotline."""
    language = reader_language(request, tenant)
    view = read_status(store, tenant.id)
    links = PageLinks(tenant.id, settings.web.base())
    html = render_status(tenant, view, language, links)
    response = HTMLResponse(html, headers={"Content-Language": language, "Vary": "Accept-Language"})
    return secure(response, STATUS_CACHE)


@router.get(
    "/t/{tenant_id}/feed.atom",
    response_class=Response,
    summary="The notices as an Atom feed",
    responses={200: {"content": {"application/atom+xml": {}}}},
)
def feed(
    request: Request,
    tenant: PublicTenant,
    store: NoticeStoreDep,
    settings: SettingsDep,
    lang: LangQuery = None,
) -> Response:
    """Notices, updates and all-clears of the last 30 days, newest first."""
    language = reader_language(request, tenant)
    links = PageLinks(tenant.id, settings.web.base())
    xml = render_feed(tenant, read_status(store, tenant.id), language, links)
    response = Response(xml, media_type="application/atom+xml; charset=utf-8")
    return secure(response, STATUS_CACHE)
