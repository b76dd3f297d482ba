"""``GET /t/{tenant}`` (the status page) and ``GET /t/{tenant}/feed.atom`` (its feed)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from lifeline.pages import read_status, render_feed, render_status
from lifeline.server.deps import NoticeStoreDep
from lifeline.server.html import STATUS_CACHE, secure
from lifeline.web.answers import ReaderDep

router = APIRouter(tags=["public pages"])


@router.get("/t/{tenant_id}", response_class=HTMLResponse, summary="The status page")
def status_page(reader: ReaderDep, store: NoticeStoreDep) -> Response:
    """Active notices with what to do instead, their updates, the last 30 days, the hotline."""
    view = read_status(store, reader.tenant.id)
    html = render_status(reader.tenant, view, reader.language, reader.links)
    headers = {"Content-Language": reader.language, "Vary": "Accept-Language"}
    return secure(HTMLResponse(html, headers=headers), STATUS_CACHE)


@router.get(
    "/t/{tenant_id}/feed.atom",
    response_class=Response,
    summary="The notices as an Atom feed",
    responses={200: {"content": {"application/atom+xml": {}}}},
)
def feed(reader: ReaderDep, store: NoticeStoreDep) -> Response:
    """Notices, updates and all-clears of the last 30 days, newest first."""
    view = read_status(store, reader.tenant.id)
    xml = render_feed(reader.tenant, view, reader.language, reader.links)
    response = Response(xml, media_type="application/atom+xml; charset=utf-8")
    return secure(response, STATUS_CACHE)
