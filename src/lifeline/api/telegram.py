"""``POST /telegram/{tenant}/webhook``: Telegram delivers a tenant's bot updates here.

``lifeline bot set-webhook URL`` registers the URL with the tenant's ``webhook_secret``,
which Telegram then sends as ``X-Telegram-Bot-Api-Secret-Token``. Answers:

    404  no such tenant, or it has no bot with a webhook secret
    403  the secret is missing or wrong (nothing is read or changed)
    400  the body is not a JSON object, or not an update
    503  the bot cannot reach Telegram yet (Telegram retries later)
    200  the update was handled (or deliberately ignored)

A handler's failure is the bot's business (its error handler logs it): Telegram gets 200,
since re-sending the same update would fail the same way.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, Header, Request
from starlette.exceptions import HTTPException
from telegram import Update

from lifeline.api.errors import responses
from lifeline.bot import WebhookBots, well_formed
from lifeline.core.errors import NotFound, PermissionDenied

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
    app = await bots.get(tenant_id)
    if app is None:
        raise HTTPException(503, "the bot cannot reach Telegram right now; retry later")
    try:
        update = Update.de_json(data, app.bot)
    except Exception as exc:  # de_json raises whatever the shape provokes: all mean "not an update"
        raise HTTPException(400, f"not a Telegram update: {type(exc).__name__}") from None
    if not well_formed(update):
        raise HTTPException(400, "not a Telegram update: unexpected field types")
    await app.process_update(update)
    return {"ok": True}


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise HTTPException(400, "malformed JSON") from None
    if not isinstance(data, dict):
        raise HTTPException(400, "an update is a JSON object")
    return data
