"""QR codes and the poster with them.

    GET /t/{tenant}/qr/{bot|subscribe|status}.{svg|png}   one code
    GET /t/{tenant}/poster                                 A4, both languages, three codes

The bot's code links ``https://t.me/<username>``, the username asked from Telegram
(``getMe``) once per process; while Telegram cannot say, the bot's code is 503 and the
poster shows the other two.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException

from lifeline.channels.telegram import TelegramConfig, bot_username
from lifeline.config import Settings, TenantConfig
from lifeline.core.i18n import N_, gettext_for
from lifeline.pages import PageLinks
from lifeline.pages.qr import MEDIA_TYPES, QR_FORMATS, QR_TARGETS, QrTarget, qr_image
from lifeline.server.deps import SettingsDep
from lifeline.server.html import secure
from lifeline.web.answers import PublicTenant, ReaderDep

router = APIRouter(tags=["public pages"])

IMAGE_CACHE = "public, max-age=3600"
"""A code changes only with the configuration: caches may keep it for an hour."""

WHAT: dict[QrTarget, str] = {
    "bot": N_("On Telegram"),
    "subscribe": N_("By email or SMS"),
    "status": N_("Current status"),
}
HEADING = N_("Stay informed when our systems are down")
INTRO = N_("Scan a code with your phone's camera.")
ALT = N_("QR code: %(what)s")


@router.get(
    "/t/{tenant_id}/qr/{name}",
    summary="A QR code (bot.svg, subscribe.png, status.svg …)",
    responses={200: {"content": {"image/svg+xml": {}, "image/png": {}}}, 404: {}, 503: {}},
)
async def qr(request: Request, name: str, tenant: PublicTenant, settings: SettingsDep) -> Response:
    """The code of the bot's link, the sign-up page or the status page, as SVG or PNG."""
    target, _, fmt = name.partition(".")
    if target not in QR_TARGETS or fmt not in QR_FORMATS:
        raise HTTPException(404, "no such code: bot, subscribe or status, .svg or .png")
    url = await _target_url(request, settings, tenant, target)
    if url is None:
        raise HTTPException(503, "the bot's name cannot be had from Telegram now")
    image = qr_image(url, fmt)
    return secure(Response(image, media_type=MEDIA_TYPES[fmt]), IMAGE_CACHE)


@router.get("/t/{tenant_id}/poster", response_class=HTMLResponse, summary="Printable A4 poster")
async def poster(request: Request, reader: ReaderDep, settings: SettingsDep) -> HTMLResponse:
    """The three codes with short instructions in German and English, for printing."""
    de, en = gettext_for("de"), gettext_for("en")
    codes: list[dict[str, Any]] = []
    for target in QR_TARGETS:
        url = await _target_url(request, settings, reader.tenant, target)
        if url is None:
            continue
        codes.append({
            "target": target,
            "image": reader.links.qr(target, "svg"),
            "url": url,
            "de": de(WHAT[target]),
            "en": en(WHAT[target]),
            "alt": reader._(ALT) % {"what": reader._(WHAT[target])},
        })  # fmt: skip
    texts = {
        code: {"heading": t(HEADING), "intro": t(INTRO)} for code, t in (("de", de), ("en", en))
    }
    return reader.page("poster.html.j2", switch=True, codes=codes, poster=texts)


async def _target_url(
    request: Request, settings: Settings, tenant: TenantConfig, target: QrTarget
) -> str | None:
    base = settings.web.base() or str(request.base_url).rstrip("/")
    links = PageLinks(tenant.id, base)
    if target == "status":
        return str(tenant.status_url) if tenant.status_url else links.status()
    if target == "subscribe":
        return links.subscribe(tenant.default_language).split("?", 1)[0]
    telegram = tenant.channels.telegram
    if not isinstance(telegram, TelegramConfig):
        raise HTTPException(404, "this tenant has no Telegram bot")
    names: dict[str, str] | None = getattr(request.app.state, "bot_usernames", None)
    if names is None:
        names = request.app.state.bot_usernames = {}
    if tenant.id not in names:
        username = await bot_username(telegram)
        if username is None:
            return None
        names[tenant.id] = username
    return f"https://t.me/{names[tenant.id]}"
