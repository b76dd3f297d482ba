"""Delivery receipts from the providers: ``POST /receipts/{tenant}/sms`` and ``…/email``.

SMS delivery reports, told apart by what arrives (authenticated as the inbound SMS
webhook is, ``sms_inbound.gateway_authenticated``: the SMS channel's ``inbound_token`` as
bearer or ``?token=``, or Twilio's ``X-Twilio-Signature``):

    generic JSON   {"message_id": "msg-…", "status": "delivered" | "undeliverable", "reason": …}
    seven.io dlr   {"webhook_event": "dlr", "data": {"msg_id": "77…", "status": "DELIVERED"}}
    Twilio         StatusCallback form: MessageSid, MessageStatus, ErrorCode

Email bounces (the email channel's ``bounce_token`` as bearer or ``?token=``, or for
Mailgun's event webhook its signature made with ``mailgun_signing_key``):

    generic JSON   {"message_id": "<…@…>", "event": "delivered" | "hard_bounce" | "soft_bounce",
                    "reason": "550 5.1.1 user unknown"}
    Mailgun        {"signature": {"timestamp", "token", "signature"},
                    "event-data": {"event": "delivered" | "failed", "severity", "reason",
                                   "message": {"headers": {"message-id": …}}, …}}

Interim reports (queued, sent, buffered, a temporary failure the relay retries) change
nothing. Every authenticated report is answered 200 ``{"result": …}``, also for a message
Lifeline does not know (any more), so that providers do not retry it for days.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import redis
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import SecretStr
from starlette.exceptions import HTTPException

from lifeline.config import Settings
from lifeline.core import defaults
from lifeline.delivery import receipts
from lifeline.delivery.receipts import Receipt
from lifeline.members import MemberStore
from lifeline.server.deps import MemberStoreDep, RedisDep, SettingsDep
from lifeline.web.answers import FORM_TYPE, PublicTenant, content_type, parse_form, read_body
from lifeline.web.sms_inbound import gateway_authenticated, refuse, token_given

router = APIRouter(tags=["webhooks"])

RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": 'Handled: `{"result": "delivered" | "undeliverable" | "unchanged" | '
          '"unknown" | "ignored"}`'},
    401: {"description": "No valid token or signature"},
    413: {"description": "Body too large"},
    422: {"description": "Not one of the shapes (the field is named)"},
    429: {"description": "Too many failed authentications from this address"},
}  # fmt: skip

SMS_DELIVERED = frozenset({"delivered", "read"})
SMS_UNDELIVERABLE = frozenset(
    {"undeliverable", "undelivered", "failed", "expired", "rejected", "notdelivered"}
)
"""Final SMS statuses (lower case), across the generic shape, Twilio's and seven.io's."""

MAILGUN_HARD = frozenset({"bounce", "suppress-bounce"})
"""Mailgun's reasons of a permanent failure that mean the address is gone."""


@router.post("/receipts/{tenant_id}/sms", summary="An SMS delivery report", responses=RESPONSES)
async def sms_receipt(
    request: Request,
    tenant: PublicTenant,
    settings: SettingsDep,
    client: RedisDep,
    members: MemberStoreDep,
) -> JSONResponse:
    """Move the SMS's recipient to delivered or undeliverable."""
    body = await read_body(request, defaults.RECEIPT_MAX_BYTES)
    twilio = content_type(request) == FORM_TYPE
    if not gateway_authenticated(request, settings, tenant, body, twilio=twilio):
        refuse(request, settings, "a valid inbound token or Twilio signature is needed")
    receipt = _twilio(parse_form(body)) if twilio else _sms_json(_json(body))
    return _applied(client, members, settings, tenant.id, "sms", receipt)


@router.post("/receipts/{tenant_id}/email", summary="An email bounce or delivery report",
             responses=RESPONSES)  # fmt: skip
async def email_receipt(
    request: Request,
    tenant: PublicTenant,
    settings: SettingsDep,
    client: RedisDep,
    members: MemberStoreDep,
) -> JSONResponse:
    """Move the email's recipient to delivered or undeliverable; a hard bounce pauses the
    member's email."""
    body = await read_body(request, defaults.RECEIPT_MAX_BYTES)
    # Any relay of the channel (failover) may report, each with its own token or key.
    relays = [config for _, config in tenant.channels.providers("email")]
    if any(token_given(request, getattr(email, "bounce_token", None)) for email in relays):
        data = _json(body)
    else:  # Mailgun signs inside the body: read it, and tell nothing about it if it is not
        keys = [getattr(email, "mailgun_signing_key", None) for email in relays]
        signed = next((d for k in keys if (d := _signed_by_mailgun(body, k)) is not None), None)
        if signed is None:
            refuse(request, settings, "a valid bounce token or Mailgun signature is needed")
        data = signed
    event = data.get("event-data")
    receipt = _mailgun(event) if isinstance(event, dict) else _email_json(data)
    return _applied(client, members, settings, tenant.id, "email", receipt)


def _applied(
    client: redis.Redis,
    members: MemberStore,
    settings: Settings,
    tenant_id: str,
    kind: str,
    receipt: Receipt | None,
) -> JSONResponse:
    if receipt is None:
        return JSONResponse({"result": "ignored"})
    retention = settings.worker.delivery_retention_days
    result = receipts.apply(client, members, tenant_id, kind, receipt, retention_days=retention)
    return JSONResponse({"result": result})


def _json(body: bytes) -> dict[str, Any]:
    try:
        data: Any = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise HTTPException(422, "the body is neither JSON nor a form") from None
    if not isinstance(data, dict):
        raise HTTPException(422, "the body must be a JSON object")
    return data


def _text(data: dict[str, Any], field: str, *, required: bool = True) -> str:
    """A string (or number) field, trimmed and bounded; 422 naming it when required and absent."""
    value = data.get(field)
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        if required:
            raise HTTPException(422, f"{field}: required, a string")
        return ""
    if len(value) > defaults.RECEIPT_MAX_FIELD_CHARS:
        raise HTTPException(422, f"{field}: at most {defaults.RECEIPT_MAX_FIELD_CHARS} characters")
    return value.strip()


def _sms_verdict(provider_id: str, status: str, reason: str) -> Receipt | None:
    status = status.lower()
    if status in SMS_DELIVERED:
        return Receipt(provider_id, "delivered")
    if status in SMS_UNDELIVERABLE:
        return Receipt(provider_id, "undeliverable", reason or status)
    return None  # queued, sent, buffered, transmitted …: not final yet


def _sms_json(data: dict[str, Any]) -> Receipt | None:
    if data.get("webhook_event") == "dlr":
        inner = data.get("data")
        if not isinstance(inner, dict):
            raise HTTPException(422, "data: required in seven.io's dlr, an object")
        status = _text(inner, "status")
        return _sms_verdict(_text(inner, "msg_id"), status, f"seven.io {status}")
    provider_id = _text(data, "message_id", required=False) or _text(data, "id", required=False)
    if not provider_id:
        raise HTTPException(422, "message_id: required, the id the gateway answered the send with")
    return _sms_verdict(provider_id, _text(data, "status"), _text(data, "reason", required=False))


def _twilio(form: dict[str, list[str]]) -> Receipt | None:
    sid = (form.get("MessageSid") or form.get("SmsSid") or [""])[0]
    status = (form.get("MessageStatus") or form.get("SmsStatus") or [""])[0]
    if not sid or not status:
        raise HTTPException(422, "MessageSid and MessageStatus: required (Twilio's shape)")
    code = (form.get("ErrorCode") or [""])[0]
    return _sms_verdict(sid, status, f"twilio {status} {code}".strip())


def _message_id(value: str) -> str:
    """A Message-ID as the email channel recorded it: in angle brackets."""
    return f"<{value.strip().strip('<>')}>"


def _email_json(data: dict[str, Any]) -> Receipt | None:
    provider_id = _message_id(_text(data, "message_id"))
    event = _text(data, "event")
    reason = _text(data, "reason", required=False)
    if event == "delivered":
        return Receipt(provider_id, "delivered")
    if event in ("hard_bounce", "soft_bounce"):
        hard = event == "hard_bounce"
        return Receipt(provider_id, "undeliverable", reason or event, hard_bounce=hard)
    raise HTTPException(422, "event: one of delivered, hard_bounce, soft_bounce")


def _mailgun(event: dict[str, Any]) -> Receipt | None:
    message = event.get("message")
    headers = message.get("headers") if isinstance(message, dict) else None
    if not isinstance(headers, dict):
        raise HTTPException(422, "event-data.message.headers.message-id: required")
    provider_id = _message_id(_text(headers, "message-id"))
    kind = _text(event, "event")
    if kind == "delivered":
        return Receipt(provider_id, "delivered")
    if kind != "failed" or event.get("severity") != "permanent":
        return None  # opened, clicked, a temporary failure Mailgun retries …
    status = event.get("delivery-status")
    said = _text(status, "message", required=False) if isinstance(status, dict) else ""
    reason = _text(event, "reason", required=False)
    hard = reason in MAILGUN_HARD
    return Receipt(provider_id, "undeliverable", f"mailgun {reason}: {said}", hard_bounce=hard)


def _signed_by_mailgun(body: bytes, key: SecretStr | None) -> dict[str, Any] | None:
    """The body if it is a Mailgun event with a valid signature (None otherwise)."""
    if key is None:
        return None
    try:
        data: Any = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        return None
    return data if isinstance(data, dict) and _mailgun_valid(key, data) else None


def _mailgun_valid(key: SecretStr, data: dict[str, Any]) -> bool:
    """Mailgun's webhook signature: hex HMAC-SHA256 of timestamp + token with the signing
    key. A replayed event changes nothing a second time (receipts count once)."""
    signature = data.get("signature")
    if not isinstance(signature, dict):
        return False
    parts = [signature.get(k) for k in ("timestamp", "token", "signature")]
    if not all(isinstance(p, str | int) and not isinstance(p, bool) for p in parts):
        return False
    timestamp, token, given = (str(p) for p in parts)
    secret = key.get_secret_value().encode()
    digest = hmac.new(secret, f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(digest, given)
