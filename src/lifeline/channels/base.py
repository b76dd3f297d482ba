"""The interface every provider implements, and the outcomes it reports.

A provider is one small file in this package: a pydantic config model (validated when the
config file is loaded, so a bad config fails at start, not at the first send) and a
``Channel`` subclass that sends one rendered message to one recipient and says what happened.
Batching, concurrency, retries and bookkeeping live in ``lifeline.delivery``, not here.

Outcomes are values, never exceptions:

    Outcome
    ├── Delivered(provider_id)         the provider accepted it
    ├── RetryLater(reason, after)      transient: 429, 5xx, timeout, SMTP 4xx, dropped connection
    └── Failed(reason, unsubscribe)    permanent: blocked bot, unknown chat, SMTP 5xx, bad number
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from types import TracebackType
from typing import ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field

from lifeline.core import defaults
from lifeline.core.vocabulary import ChannelKind

UNSUBSCRIBE_MARK = "https://unsubscribe.lifeline.invalid/mark"
"""Stands for the recipient's own unsubscribe link in a message rendered once for many
(``.invalid`` never resolves, should one slip through); the email channel replaces it."""

ACK_MARK = "https://ack.lifeline.invalid/mark"
"""Stands for the recipient's own "understood" link of a notice, as ``UNSUBSCRIBE_MARK``."""


@dataclass(frozen=True, slots=True)
class Recipient:
    """One member on one channel."""

    member_id: int
    address: str
    """Telegram chat id, email address or E.164 phone number."""
    language: str
    unsubscribe_url: str | None = None
    """One-click unsubscribe link for this member (email's List-Unsubscribe), if known."""
    ack_url: str | None = None
    """This member's link to acknowledge the notice (email), if it asks for one."""


@dataclass(frozen=True, slots=True)
class Button:
    """A button under a message (Telegram's inline keyboard): its words and what a press
    sends back (``callback_data``, at most 64 bytes)."""

    label: str
    data: str


@dataclass(frozen=True, slots=True)
class Message:
    """What a recipient reads, rendered for one channel and one language."""

    text: str
    """Plain text; on Telegram it is HTML in Telegram's subset (already escaped)."""
    subject: str | None = None
    html: str | None = None
    language: str = "de"
    reply_to: str | None = None
    """Provider id of an earlier message this one follows up (a Telegram reply)."""
    buttons: tuple[Button, ...] = ()
    """Buttons under the message, on channels that have them (Telegram), in one row."""


@dataclass(frozen=True, slots=True)
class Delivered:
    """The provider accepted the message."""

    provider_id: str | None = None


@dataclass(frozen=True, slots=True)
class RetryLater:
    """A transient failure: try again, not before ``after`` seconds if the provider said so."""

    reason: str
    after: float | None = None


@dataclass(frozen=True, slots=True)
class Failed:
    """A permanent failure; ``unsubscribe`` means the address is gone for good."""

    reason: str
    unsubscribe: bool = False


Outcome = Delivered | RetryLater | Failed


class BreakerConfig(BaseModel):
    """``breaker = {...}`` on a provider of a channel with several: when to stop sending
    through it and when to try it again (each key defaults to ``defaults.BREAKER_*``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    window_seconds: int = Field(default=defaults.BREAKER_WINDOW_SECONDS, ge=6, le=3600)
    min_attempts: int = Field(default=defaults.BREAKER_MIN_ATTEMPTS, ge=1, le=10_000)
    error_share: float = Field(default=defaults.BREAKER_ERROR_SHARE, gt=0, le=1)
    failure_streak: int = Field(default=defaults.BREAKER_FAILURE_STREAK, ge=1, le=10_000)
    cooldown_seconds: float = Field(default=defaults.BREAKER_COOLDOWN_SECONDS, gt=0, le=3600)


_PROVIDER_NAME = r"^[a-z0-9][a-z0-9_-]{0,31}$"


class ProviderConfig(BaseModel):
    """Settings shared by every provider; each provider's model adds its own."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rate_per_second: float = Field(
        default=defaults.PROVIDER_RATE_PER_SECOND, gt=0, le=defaults.MAX_RATE_PER_SECOND
    )
    """Messages per second this tenant may send through this provider, across all workers
    (each provider of a channel with several keeps its own)."""
    name: str | None = Field(default=None, pattern=_PROVIDER_NAME)
    """What /readyz, /metrics and the breaker call this provider; unique within a channel.
    Default: its ``provider`` (``http``), or ``http-2`` for the second of the same kind."""
    breaker: BreakerConfig = BreakerConfig()
    """When a channel with several providers moves off this one (unused with one)."""

    @abc.abstractmethod
    def create(self, *, kind: ChannelKind, tenant_id: str) -> Channel:
        """Build the channel object that sends with these settings."""


class Channel(abc.ABC):
    """Sends rendered messages to recipients of one tenant over one provider.

    Used as ``async with channel: await channel.send(...)`` inside one batch job;
    ``open`` sets up connections that the batch reuses, ``close`` releases them.
    ``send`` may be called concurrently.
    """

    provider: ClassVar[str]
    paces_at_wire: ClassVar[bool] = False
    """True if ``send`` waits for ``wire.deadline`` itself, once its connection is ready;
    otherwise the batch waits for the slot before calling ``send``."""
    max_text: ClassVar[int | None] = None
    """Longest text one provider message may carry; longer texts are split or refused."""

    def __init__(self, *, kind: ChannelKind, tenant_id: str) -> None:
        self.kind = kind
        self.tenant_id = tenant_id

    async def open(self) -> None:  # noqa: B027 - an optional hook
        """Connect; called once per batch before the first send."""

    async def close(self) -> None:  # noqa: B027 - an optional hook
        """Release connections; called once per batch."""

    @abc.abstractmethod
    async def send(self, recipient: Recipient, message: Message) -> Outcome:
        """Send one message and report what happened; never raises for provider errors."""

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
