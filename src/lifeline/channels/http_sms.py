"""A generic SMS gateway: POST JSON ``{to, from, text}`` with a bearer token.

Also the base every HTTP SMS provider builds on (Twilio, seven.io): ``SmsProviderConfig``
holds what all of them are configured with, ``SmsChannel`` keeps one ``httpx.AsyncClient``
per batch, refuses texts over ``max_segments`` before spending money, and maps what any
HTTP gateway can answer; a provider only adds its request and its reading of a 2xx/4xx.

    httpx.TimeoutException             → RetryLater
    httpx.TransportError (connect, …)  → RetryLater
    429                                → RetryLater(after=Retry-After)
    5xx                                → RetryLater
    401 / 403                          → Failed("gateway refused credentials …")
    other 4xx                          → Failed(gateway's message)
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Annotated, Any, ClassVar, Literal
from urllib.parse import urlsplit

import httpx
from pydantic import AfterValidator, ConfigDict, Field, SecretStr, field_validator

from lifeline.channels import smstext, wire
from lifeline.channels.base import (
    Channel,
    Delivered,
    Failed,
    Message,
    Outcome,
    ProviderConfig,
    Recipient,
    RetryLater,
)
from lifeline.core import defaults
from lifeline.core.masking import mask_phone
from lifeline.core.vocabulary import ChannelKind

_SENDER = re.compile(r"^(\+[1-9]\d{6,14}|\d{3,8}|[A-Za-z0-9 .&-]{1,11})$")


def http_url(value: str) -> str:
    """Validate an http(s) URL with a host (for pydantic validators)."""
    url = urlsplit(value)
    if url.scheme not in {"http", "https"} or not url.hostname:
        raise ValueError("must be an http:// or https:// URL")
    return value


def check_sender(value: str) -> str:
    """Validate an SMS sender id: E.164 number, short code or alphanumeric (≤ 11)."""
    if not _SENDER.match(value):
        raise ValueError("must be a +E.164 number, a short code or up to 11 letters/digits")
    return value


HttpUrl = Annotated[str, AfterValidator(http_url)]
"""A URL string kept as written (no trailing slash added), checked to be http(s)."""


class SmsProviderConfig(ProviderConfig):
    """Settings every SMS provider has: a sender id and a cap on message parts."""

    model_config = ConfigDict(hide_input_in_errors=True)  # tokens are in the input

    sender: str
    """E.164 number, short code, or alphanumeric sender id of at most 11 characters."""
    max_segments: int = Field(default=defaults.SMS_MAX_SEGMENTS, ge=1, le=10)
    """Longest text, in SMS parts, this tenant is willing to pay for per recipient."""
    inbound_token: SecretStr | None = Field(default=None, min_length=16)
    """What the gateway sends to ``POST /sms/<tenant>/inbound`` (as ``Authorization: Bearer``
    or ``?token=``) with members' replies (STOP, START); none: the webhook is off (Twilio's
    are checked by their signature instead)."""

    @field_validator("sender")
    @classmethod
    def _sender(cls, value: str) -> str:
        return check_sender(value)


class SmsChannel(Channel):
    """Shared by HTTP SMS providers: client lifecycle, segment cap, HTTP error mapping."""

    paces_at_wire = True
    max_connections: ClassVar[int] = defaults.SMS_CONNECTIONS
    timeout: ClassVar[float] = defaults.SMS_TIMEOUT_SECONDS

    def __init__(
        self,
        config: SmsProviderConfig,
        *,
        kind: ChannelKind,
        tenant_id: str,
        timeout: float | None = None,
    ) -> None:
        super().__init__(kind=kind, tenant_id=tenant_id)
        self.config = config
        self._timeout = timeout or self.timeout
        self._client: httpx.AsyncClient | None = None

    async def open(self) -> None:
        self._http()

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            # Waiting for a free connection is normal under load, so the pool wait is longer.
            timeout = httpx.Timeout(
                self._timeout,
                connect=min(defaults.HTTP_CONNECT_TIMEOUT_SECONDS, self._timeout),
                pool=defaults.HTTP_POOL_TIMEOUT_SECONDS,
            )
            self._client = httpx.AsyncClient(
                transport=wire.paced_transport(self.max_connections), timeout=timeout
            )
        return self._client

    async def send(self, recipient: Recipient, message: Message) -> Outcome:
        parts = smstext.segments(message.text).segments
        if parts > self.config.max_segments:
            return Failed(
                f"text needs {parts} SMS parts, max_segments is {self.config.max_segments}"
            )
        try:
            response = await self._post(self._http(), recipient, message)
        except httpx.TimeoutException:
            return RetryLater(f"{self.provider} gateway did not answer in time")
        except httpx.TransportError as exc:
            return RetryLater(f"{self.provider} gateway unreachable: {type(exc).__name__} {exc}")
        return self._outcome(response, recipient)

    def _outcome(self, response: httpx.Response, recipient: Recipient) -> Outcome:
        """The one place an HTTP answer becomes an outcome."""
        status = response.status_code
        if response.is_success:
            return self._accepted(response, recipient)
        detail = self._error_text(response).replace(
            recipient.address, mask_phone(recipient.address)
        )
        what = f"{self.provider} gateway answered HTTP {status}: {detail}"
        if status == 429:
            return RetryLater(what, after=retry_after(response))
        if status >= 500 or status == 408:
            return RetryLater(what)
        return self._refused(status, what, response)

    async def _post(
        self, client: httpx.AsyncClient, recipient: Recipient, message: Message
    ) -> httpx.Response:
        raise NotImplementedError

    def _accepted(self, response: httpx.Response, recipient: Recipient) -> Outcome:
        """A 2xx answer; the message id is read from ``id`` or ``message_id``."""
        body = json_body(response)
        found = body.get("id") or body.get("message_id")
        return Delivered(provider_id=str(found) if found is not None else None)

    def _refused(self, status: int, what: str, response: httpx.Response) -> Outcome:
        """A 4xx answer other than 408/429."""
        if status in (401, 403):
            return Failed(f"gateway refused credentials ({what})")
        return Failed(what)

    def _error_text(self, response: httpx.Response) -> str:
        """The gateway's own words for an error: ``error.message``, ``message`` or the body."""
        body = json_body(response)
        error = body.get("error")
        if isinstance(error, dict):
            error = error.get("message") or error.get("code")
        text = error or body.get("message") or body.get("detail") or response.text
        return str(text)[:300] or response.reason_phrase


def retry_after(response: httpx.Response) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), if given."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def json_body(response: httpx.Response) -> dict[str, Any]:
    """The response's JSON object, or an empty dict when it is not one."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


class HttpSmsConfig(SmsProviderConfig):
    """``provider = "http"``: the gateway's URL, token and sender id."""

    provider: Literal["http"] = "http"
    url: HttpUrl
    token: SecretStr

    def create(self, *, kind: ChannelKind, tenant_id: str) -> Channel:
        return HttpSmsChannel(self, kind=kind, tenant_id=tenant_id)


class HttpSmsChannel(SmsChannel):
    """POSTs one JSON request per message."""

    provider = "http"
    config: HttpSmsConfig

    async def _post(
        self, client: httpx.AsyncClient, recipient: Recipient, message: Message
    ) -> httpx.Response:
        payload = {"to": recipient.address, "from": self.config.sender, "text": message.text}
        headers = {"Authorization": f"Bearer {self.config.token.get_secret_value()}"}
        return await client.post(self.config.url, json=payload, headers=headers)
