"""Members' replies by SMS: ``POST /sms/{tenant}/inbound``, as the tenant's gateway calls it.

Three shapes, told apart by what arrives:

    generic JSON   {"from": "+49151…", "to": "…", "text": "STOP"}
    seven.io       {"webhook_event": "sms_mo", "data": {"sender": …, "system": …, "text": …}}
    Twilio         form fields From, To, Body; signed with X-Twilio-Signature

Authentication: ``Authorization: Bearer <inbound_token>`` or ``?token=<inbound_token>`` (the
SMS channel's ``inbound_token``; seven.io cannot set headers), or for a Twilio channel a
valid ``X-Twilio-Signature`` made with its auth token. Anything else is 401.

STOP, STOPP, ABMELDEN, ABBESTELLEN (and the usual English words) stop the member's SMS;
START, ANMELDEN resume them; OK, VERSTANDEN, GELESEN acknowledge the newest active notice
the member was sent by SMS (no SMS in answer: it would only cost). STOP and START answer
once, with a confirmation SMS, when they changed something; replies from numbers Lifeline
does not know are ignored (no SMS is sent to them, which would cost and is what SMS
pumping lives on).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
from dataclasses import dataclass
from typing import Any, Literal, NoReturn

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import SecretStr
from starlette.exceptions import HTTPException

from lifeline.access.throttle import AuthThrottle
from lifeline.channels.twilio import TwilioConfig
from lifeline.config import Settings, TenantConfig
from lifeline.core import defaults
from lifeline.core.masking import mask_phone
from lifeline.delivery import acks
from lifeline.delivery.direct import enqueue_direct
from lifeline.members import MemberStore
from lifeline.members.schemas import normalize_phone
from lifeline.server.deps import MemberStoreDep, SettingsDep
from lifeline.server.errors import NotAuthenticated, TooManyRequests
from lifeline.subscriptions import resume, withdraw
from lifeline.subscriptions.texts import started_sms, stopped_sms
from lifeline.web.answers import FORM_TYPE, PublicTenant, content_type, parse_form, read_body

log = logging.getLogger(__name__)
router = APIRouter(tags=["webhooks"])

STOP_WORDS = frozenset(
    {"STOP", "STOPP", "ABMELDEN", "ABBESTELLEN", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"}
)
START_WORDS = frozenset({"START", "ANMELDEN", "UNSTOP", "YES"})
ACK_WORDS = frozenset({"OK", "OKAY", "VERSTANDEN", "GELESEN", "UNDERSTOOD"})

Action = Literal["stopped", "started", "acknowledged", "ignored"]


@dataclass(frozen=True, slots=True)
class Inbound:
    """One SMS a member sent."""

    sender: str
    text: str
    shape: Literal["generic", "seven", "twilio"]


@router.post(
    "/sms/{tenant_id}/inbound",
    summary="A member's SMS reply (STOP, START)",
    responses={
        200: {"description": 'Handled; JSON `{"action": …}` (TwiML for Twilio)'},
        401: {"description": "No valid token or signature"},
        413: {"description": "Body too large"},
        429: {"description": "Too many failed authentications from this address"},
        422: {"description": "Not one of the shapes"},
    },
)
async def inbound(
    request: Request, tenant: PublicTenant, settings: SettingsDep, members: MemberStoreDep
) -> Response:
    """Stop or resume the sender's SMS, and confirm it once by SMS."""
    body = await read_body(request, defaults.SMS_INBOUND_MAX_BYTES)
    message = _parse(request, body)
    _authenticate(request, settings, tenant, message, body)
    action = _act(request, tenant, members, message)
    if message.shape == "twilio":
        return Response('<?xml version="1.0" encoding="UTF-8"?><Response/>',
                        media_type="text/xml")  # fmt: skip
    return JSONResponse({"action": action})


def _parse(request: Request, body: bytes) -> Inbound:
    if content_type(request) == FORM_TYPE:
        form = parse_form(body)
        sender, text = (form.get("From") or [""])[0], (form.get("Body") or [""])[0]
        if sender:
            return Inbound(sender, text, "twilio")
        raise HTTPException(422, "a form needs From and Body (Twilio's shape)")
    try:
        data: Any = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise HTTPException(422, "the body is neither JSON nor a form") from None
    if isinstance(data, dict) and data.get("webhook_event") == "sms_mo":
        inner = data.get("data")
        if isinstance(inner, dict) and isinstance(inner.get("sender"), str):
            return Inbound(inner["sender"], str(inner.get("text") or ""), "seven")
        raise HTTPException(422, "data.sender: required in seven.io's sms_mo")
    if isinstance(data, dict) and isinstance(data.get("from"), str):
        return Inbound(data["from"], str(data.get("text") or ""), "generic")
    raise HTTPException(422, 'from: required ({"from", "to", "text"})')


def _authenticate(
    request: Request, settings: Settings, tenant: TenantConfig, message: Inbound, body: bytes
) -> None:
    if not gateway_authenticated(request, settings, tenant, body, twilio=message.shape == "twilio"):
        refuse(request, settings, "a valid inbound token or Twilio signature is needed")


def gateway_authenticated(
    request: Request, settings: Settings, tenant: TenantConfig, body: bytes, *, twilio: bool
) -> bool:
    """Whether a request comes from the tenant's SMS gateway: its ``inbound_token`` as
    bearer or ``?token=``, or (``twilio``: a form post) a valid X-Twilio-Signature.
    Also used by the delivery-report webhook (``receipts``).

    Members reply to, and gateways report from, whichever provider of the channel texted
    them: every provider (failover) may call, each with its own token or signature.
    """
    providers = [config for _, config in tenant.channels.providers("sms")]
    if any(token_given(request, getattr(sms, "inbound_token", None)) for sms in providers):
        return True
    if not twilio:
        return False
    url = f"{settings.web.base()}{request.url.path}"
    if request.url.query:
        url += f"?{request.url.query}"
    signature = request.headers.get("x-twilio-signature", "")
    form = parse_form(body)
    return any(
        isinstance(sms, TwilioConfig)
        and _twilio_valid(sms.auth_token.get_secret_value(), url, form, signature)
        for sms in providers
    )


def token_given(request: Request, token: SecretStr | None) -> bool:
    """Whether the request carries this token as ``Authorization: Bearer`` or ``?token=``
    (for providers that cannot set headers); never with no token configured."""
    given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    given = given or request.query_params.get("token", "")
    return (
        token is not None
        and bool(given)
        and hmac.compare_digest(given.encode(), token.get_secret_value().encode())
    )


def refuse(request: Request, settings: Settings, why: str) -> NoReturn:
    """401, counted with the API's failed logins: a guesser is held up the same way (429)."""
    address = request.client.host if request.client else "unknown"
    client = request.app.state.redis
    wait = AuthThrottle(client, settings.api.auth_failures_per_minute).failed(address)
    if wait is not None:
        raise TooManyRequests(f"too many failed authentications; retry in {wait} s", wait)
    raise NotAuthenticated(why)


def _twilio_valid(auth_token: str, url: str, form: dict[str, list[str]], signature: str) -> bool:
    """Twilio's request signature: HMAC-SHA1 over the URL and the sorted form fields."""
    payload = url + "".join(f"{k}{v}" for k in sorted(form) for v in form[k])
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return hmac.compare_digest(base64.b64encode(digest).decode(), signature)


def _act(request: Request, tenant: TenantConfig, members: MemberStore, message: Inbound) -> Action:
    word = re.sub(r"[^A-ZÄÖÜ]", "", (message.text.strip().split() or [""])[0].upper())
    if word not in STOP_WORDS | START_WORDS | ACK_WORDS:
        return "ignored"
    sender = message.sender.strip()
    if sender.isdigit() and not sender.startswith("0"):
        sender = f"+{sender}"  # seven.io and others send international numbers without "+"
    try:
        number = normalize_phone(sender)
    except ValueError:
        return "ignored"
    member = members.find(tenant.id, "sms", number)
    if member is None:
        log.info("%s: %s from unknown %s ignored", tenant.id, word, mask_phone(number))
        return "ignored"
    if word in ACK_WORDS:
        return _acknowledge(members, tenant.id, member.id)
    rq_redis = request.app.state.rq_redis
    if word in STOP_WORDS:
        if withdraw(members, tenant.id, member, "sms", via="sms"):
            reply = stopped_sms(tenant.name, member.language)
            enqueue_direct(rq_redis, tenant.id, "sms", number, reply)
        return "stopped"
    if resume(members, tenant.id, member, "sms", via="sms"):
        enqueue_direct(
            rq_redis, tenant.id, "sms", number, started_sms(tenant.name, member.language)
        )
    return "started"


def _acknowledge(members: MemberStore, tenant_id: str, member_id: int) -> Action:
    """ "OK" acknowledges the newest active notice the member was sent by SMS."""
    notice_id = acks.newest_sent(members.redis, tenant_id, member_id, "sms")
    if notice_id is None:
        return "ignored"
    acks.acknowledge(members.redis, tenant_id, notice_id, member_id, "sms")
    return "acknowledged"
