"""SMS over seven.io (``POST {api_base}/api/sms``, JSON, ``X-Api-Key``).

seven.io answers most outcomes with HTTP 200 and a return code in ``success``:

    100                       → Delivered
    402 reload lock           → Delivered   the same text reached this number < 180 s ago
    500, 600, 700             → RetryLater  no credit left, carrier failed, unknown error
    900, 902, 903             → Failed      key refused, API disabled, IP not allowed
    other (202 bad number …)  → Failed
    HTTP 429 / 5xx / timeouts → RetryLater  (via ``SmsChannel``)
"""

from __future__ import annotations

from typing import Any, Literal

import httpx
from pydantic import SecretStr

from lifeline.channels.base import (
    Channel,
    Delivered,
    Failed,
    Message,
    Outcome,
    Recipient,
    RetryLater,
)
from lifeline.channels.http_sms import HttpUrl, SmsChannel, SmsProviderConfig, json_body
from lifeline.core.masking import mask_phone
from lifeline.core.vocabulary import ChannelKind

SENT = "100"
RELOAD_LOCK = "402"
"""seven.io refused a duplicate: the first one went out, so this one is delivered."""
TRANSIENT = frozenset({"500", "600", "700"})
CREDENTIALS = frozenset({"900", "902", "903"})
MEANING = {
    "101": "sending to some recipients failed",
    "201": "invalid country code",
    "202": "invalid recipient number",
    "301": "recipient missing",
    "305": "text missing",
    "306": "invalid sender",
    "401": "text too long",
    "500": "insufficient credit",
    "600": "carrier failed",
    "700": "unknown error",
    "900": "invalid API key",
    "902": "API disabled for this key",
    "903": "request from a disallowed IP",
}


class SevenConfig(SmsProviderConfig):
    """``provider = "seven"``: a seven.io API key and sender id."""

    provider: Literal["seven"] = "seven"
    api_key: SecretStr
    api_base: HttpUrl = "https://gateway.seven.io"
    """Where the API lives; tests point it at a local stand-in."""

    def create(self, *, kind: ChannelKind, tenant_id: str) -> Channel:
        return SevenChannel(self, kind=kind, tenant_id=tenant_id)


class SevenChannel(SmsChannel):
    """One JSON POST per message."""

    provider = "seven"
    config: SevenConfig

    async def _post(
        self, client: httpx.AsyncClient, recipient: Recipient, message: Message
    ) -> httpx.Response:
        payload = {"to": recipient.address, "from": self.config.sender, "text": message.text}
        headers = {
            "X-Api-Key": self.config.api_key.get_secret_value(),
            "Accept": "application/json",
        }
        return await client.post(
            f"{self.config.api_base.rstrip('/')}/api/sms", json=payload, headers=headers
        )

    def _accepted(self, response: httpx.Response, recipient: Recipient) -> Outcome:
        body = json_body(response)
        code = str(body.get("success", response.text.strip()))
        first: dict[str, Any] = next(iter(body.get("messages") or [{}]), {})
        if code == SENT:
            found = first.get("id")
            return Delivered(provider_id=str(found) if found is not None else None)
        if code == RELOAD_LOCK:
            return Delivered(provider_id=None)
        detail = str(first.get("error_text") or first.get("error") or MEANING.get(code, ""))
        detail = detail.replace(recipient.address, mask_phone(recipient.address))
        what = f"seven.io return code {code}: {detail}"
        if code in TRANSIENT:
            return RetryLater(what)
        if code in CREDENTIALS:
            return Failed(f"gateway refused credentials ({what})")
        return Failed(what)
