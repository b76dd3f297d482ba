"""``POST /telegram/{tenant}/webhook``: Telegram delivers a tenant's bot updates here.

``lifeline bot set-webhook URL`` registers the URL with the tenant's ``webhook_secret``,
which Telegram then sends as ``X-Telegram-Bot-Api-Secret-Token``. Answers:

    404  no such tenant, or it has no bot with a webhook secret
    403  the secret is missing or wrong (nothing is read or changed)
    400  the body is not a JSON object, or not an update
    503  the bot cannot reach Telegram yet, or Redis could not be reached while handling
         the update: Telegram sends it again later, so no member's message is lost
    200  the update was handled (or deliberately ignored)

Any other failure of a handler is the bot's business (its error handler logs it): Telegram
gets 200, since re-sending the same update would fail the same way.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, Header, Request
from starlette.exceptions import HTTPException

from lifeline.bot import BotUnavailable, MalformedUpdate, WebhookBots
from lifeline.core.errors import NotFound, PermissionDenied
from lifeline.server.errors import responses

log = logging.getLogger(__name__)

router = APIRouter(tags=["telegram"])

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def get_webhook_bots(request: Request) -> WebhookBots:
    """The tenants' bots, built by ``create_app`` and initialized in its lifespan."""
    return cast(WebhookBots, request.app.state.webhook_bots)


WebhookBotsDep = Annotated[WebhookBots, Depends(get_webhook_bots)]
SecretHeader = Annotated[str | None, Header(alias=SECRET_HEADER, include_in_schema=False)]


@router.post(
    "/telegram/{tenant_id}/webhook",
    summary="Telegram webhook of a tenant's bot",
    responses=responses(400, 403, 404, 413, 503),
)
async def webhook(
    tenant_id: str, request: Request, bots: WebhookBotsDep, secret: SecretHeader = None
) -> dict[str, bool]:
    """Hand one update to the tenant's bot; only with the tenant's secret token."""
    expected = bots.secrets.get(tenant_id)
    if expected is None:
        raise NotFound(f"tenant {tenant_id!r} has no Telegram webhook")
    # Compared as bytes: compare_digest refuses non-ASCII str, and a header may hold any.
    presented = (secret or "").encode("latin-1", errors="replace")
    if not hmac.compare_digest(presented, expected):
        raise PermissionDenied(f"missing or wrong {SECRET_HEADER}")
    data = _json_object(await request.body())
    try:
        await bots.handle(tenant_id, data)
    except MalformedUpdate as exc:
        raise HTTPException(400, str(exc)) from None
    except BotUnavailable as exc:
        raise HTTPException(503, str(exc), headers={"Retry-After": "5"}) from None
    return {"ok": True}


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise HTTPException(400, "malformed JSON") from None
    if not isinstance(data, dict):
        raise HTTPException(400, "an update is a JSON object")
    return data
