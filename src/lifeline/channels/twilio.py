"""SMS over Twilio's Programmable Messaging API (``POST …/Accounts/{sid}/Messages.json``).

Twilio answers errors as ``{"code", "message", "more_info", "status"}``; the code decides:

    429, code 20429, 5xx  → RetryLater            (via ``SmsChannel``)
    code 21610            → Failed(unsubscribe)   the recipient replied STOP
    401, code 20003       → Failed                credentials refused
    other 4xx (21211 …)   → Failed                e.g. 21211 invalid 'To' number
"""

from __future__ import annotations

import re
from typing import Literal

import httpx
from pydantic import Field, SecretStr, field_validator

from lifeline.channels.base import (
    Channel,
    Delivered,
    Failed,
    Message,
    Outcome,
    Recipient,
    RetryLater,
)
from lifeline.channels.http_sms import (
    HttpUrl,
    SmsChannel,
    SmsProviderConfig,
    check_sender,
    json_body,
)
from lifeline.core.vocabulary import ChannelKind

_MESSAGING_SERVICE = re.compile(r"^MG[0-9a-fA-F]{32}$")

UNSUBSCRIBED = 21610
"""Twilio: "Attempt to send to unsubscribed recipient" (the member texted STOP)."""
TOO_MANY_REQUESTS = 20429
AUTHENTICATE = 20003


class TwilioConfig(SmsProviderConfig):
    """``provider = "twilio"``: account SID, auth token, and a sender or Messaging Service."""

    provider: Literal["twilio"] = "twilio"
    account_sid: str = Field(pattern=r"^AC[0-9a-fA-F]{32}$")
    auth_token: SecretStr
    api_base: HttpUrl = "https://api.twilio.com"
    """Where the API lives; tests point it at a local stand-in."""
    status_callback: HttpUrl | None = None
    """Sent as each message's ``StatusCallback``: where Twilio posts its delivery reports,
    ``<web.public_url>/receipts/<tenant>/sms`` (none: the Messaging Service's own setting)."""

    @field_validator("sender")
    @classmethod
    def _sender(cls, value: str) -> str:
        # A Messaging Service SID (MG…) is sent as MessagingServiceSid instead of From.
        if _MESSAGING_SERVICE.match(value):
            return value
        return check_sender(value)

    def create(self, *, kind: ChannelKind, tenant_id: str) -> Channel:
        return TwilioChannel(self, kind=kind, tenant_id=tenant_id)


class TwilioChannel(SmsChannel):
    """One form-encoded POST per message, basic auth with the account SID and token."""

    provider = "twilio"
    config: TwilioConfig

    async def _post(
        self, client: httpx.AsyncClient, recipient: Recipient, message: Message
    ) -> httpx.Response:
        config = self.config
        url = (
            f"{config.api_base.rstrip('/')}/2010-04-01/Accounts/{config.account_sid}/Messages.json"
        )
        sender_key = "MessagingServiceSid" if _MESSAGING_SERVICE.match(config.sender) else "From"
        form = {"To": recipient.address, sender_key: config.sender, "Body": message.text}
        if config.status_callback:
            form["StatusCallback"] = config.status_callback
        auth = (config.account_sid, config.auth_token.get_secret_value())
        return await client.post(url, data=form, auth=auth)

    def _accepted(self, response: httpx.Response, recipient: Recipient) -> Outcome:
        sid = json_body(response).get("sid")
        return Delivered(provider_id=str(sid) if sid else None)

    def _refused(self, status: int, what: str, response: httpx.Response) -> Outcome:
        code = json_body(response).get("code")
        if code == UNSUBSCRIBED:
            return Failed(what, unsubscribe=True)
        if code == TOO_MANY_REQUESTS:
            return RetryLater(what)
        if code == AUTHENTICATE:
            return Failed(f"gateway refused credentials ({what})")
        return super()._refused(status, what, response)

    def _error_text(self, response: httpx.Response) -> str:
        body = json_body(response)
        if "code" in body:
            return f"error {body['code']} {body.get('message', '')}".strip()
        return super()._error_text(response)
