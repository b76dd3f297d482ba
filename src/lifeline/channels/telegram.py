"""Telegram via python-telegram-bot's ``Bot`` (HTML parse mode).

PTB errors map onto outcomes in ``outcome_of`` and nowhere else:

    TelegramError
    ├── RetryAfter             → RetryLater(after=retry_after)    flood control (429)
    ├── Forbidden              → Failed(unsubscribe=True)         bot blocked, user deactivated
    ├── InvalidToken           → Failed                           401/404: the token is wrong
    ├── ChatMigrated           → Failed                           group became a supergroup
    └── NetworkError
        ├── BadRequest         → Failed; unsubscribe if "chat not found"
        ├── TimedOut           → RetryLater
        └── (5xx, 502, …)      → RetryLater
"""

from __future__ import annotations

import asyncio
import datetime as dt
import warnings
from typing import ClassVar, Literal, Self
from urllib.parse import urlsplit

from pydantic import ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    ReplyParameters,
)
from telegram import Message as TelegramMessage
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from lifeline.channels import wire
from lifeline.channels.base import (
    Button,
    Channel,
    Delivered,
    Failed,
    Message,
    Outcome,
    ProviderConfig,
    Recipient,
    RetryLater,
)
from lifeline.channels.html import MAX_MESSAGE_UNITS, split_html
from lifeline.core import defaults
from lifeline.core.vocabulary import ChannelKind


class TelegramConfig(ProviderConfig):
    """``provider = "telegram"``: a bot token and where the Bot API lives."""

    model_config = ConfigDict(hide_input_in_errors=True)  # the token is in the input

    provider: Literal["telegram"] = "telegram"
    token: SecretStr
    api_base: str = "https://api.telegram.org/bot"
    allow_paid_broadcast: bool = False
    """Send with the Bot API's ``allow_paid_broadcast``: up to 1,000 messages/s, 0.1 Stars
    per message above the free limit, from the bot's balance. It also lifts the bound of
    ``rate_per_second`` from 30 to 1,000."""
    rate_per_second: float = Field(
        default=defaults.TELEGRAM_RATE_PER_SECOND, gt=0, le=defaults.TELEGRAM_PAID_RATE_PER_SECOND
    )
    support_chat_id: int | None = None
    broadcast_chat_id: int | str | None = None
    webhook_secret: SecretStr | None = None

    @model_validator(mode="after")
    def _within_free_limit(self) -> Self:
        # Past ~30/s Telegram answers 429 unless the bot pays; a rate it would refuse is a
        # config mistake, better named at load than found in a crisis. An after-validator:
        # the inherited rate field is validated before the opt-in, whatever the file's order.
        free = defaults.TELEGRAM_FREE_RATE_PER_SECOND
        if self.rate_per_second <= free or self.allow_paid_broadcast:
            return self
        message = (
            f"Value error, may be at most {free:g} (Telegram's free broadcast limit) unless "
            f"allow_paid_broadcast = true (up to {defaults.TELEGRAM_PAID_RATE_PER_SECOND:g}, "
            f"{defaults.TELEGRAM_PAID_STARS_PER_MESSAGE:g} Telegram Stars per message)"
        )
        error = InitErrorDetails(
            type=PydanticCustomError("value_error", message),
            loc=("rate_per_second",),  # so the loader names the key, not the table
            input=self.rate_per_second,
        )
        raise ValidationError.from_exception_data(type(self).__name__, [error])

    @field_validator("webhook_secret")
    @classmethod
    def _long_secret(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram allows 1-256 of A-Z a-z 0-9 _ -; it alone authenticates each update.
        if value is None:
            return value
        secret = value.get_secret_value()
        if len(secret) < defaults.WEBHOOK_SECRET_MIN_LENGTH:
            raise ValueError(
                f"must be at least {defaults.WEBHOOK_SECRET_MIN_LENGTH} characters (it has "
                f"{len(secret)}); make one with: openssl rand -hex 24"
            )
        if len(secret) > 256 or not all(c.isascii() and (c.isalnum() or c in "_-") for c in secret):
            raise ValueError("may hold only A-Z, a-z, 0-9, _ and - (at most 256), as Telegram asks")
        return value

    @field_validator("api_base")
    @classmethod
    def _http_url(cls, value: str) -> str:
        url = urlsplit(value)
        if url.scheme not in {"http", "https"} or not url.hostname:
            raise ValueError(
                "must be an http:// or https:// URL, e.g. https://api.telegram.org/bot"
            )
        return value

    def create(self, *, kind: ChannelKind, tenant_id: str) -> Channel:
        return TelegramChannel(self, kind=kind, tenant_id=tenant_id)


class TelegramChannel(Channel):
    """Sends with ``Bot.send_message``; texts over 4096 characters are split."""

    provider = "telegram"
    paces_at_wire = True
    max_text = MAX_MESSAGE_UNITS
    connection_pool: ClassVar[int] = defaults.TELEGRAM_CONNECTIONS
    timeout: ClassVar[float] = defaults.TELEGRAM_TIMEOUT_SECONDS

    def __init__(
        self,
        config: TelegramConfig,
        *,
        kind: ChannelKind,
        tenant_id: str,
        timeout: float | None = None,
    ) -> None:
        super().__init__(kind=kind, tenant_id=tenant_id)
        self.config = config
        self._timeout = timeout or self.timeout
        self._bot: Bot | None = None
        self._ready = asyncio.Lock()
        self._unready: Outcome | None = None
        # Parts already sent of a split text, so a retry in this batch sends only the rest.
        self._progress: dict[tuple[str, str], list[str]] = {}

    def __repr__(self) -> str:
        return f"TelegramChannel({self.config.api_base}<token>, tenant={self.tenant_id})"

    async def open(self) -> None:
        """Initialize the bot (PTB calls getMe); a failure is reported by each send."""
        await self._bot_or_outcome()

    async def close(self) -> None:
        if self._bot is not None:
            await self._bot.shutdown()
            self._bot = None

    async def send(self, recipient: Recipient, message: Message) -> Outcome:
        bot = await self._bot_or_outcome()
        if not isinstance(bot, Bot):
            return bot
        try:
            parts = split_html(message.text, self.max_text)
        except ValueError as exc:
            return Failed(f"message cannot be split for Telegram: {exc}")
        key = (recipient.address, message.text)
        sent = self._progress.pop(key, [])
        for part in parts[len(sent) :]:
            reply_to = _message_id(message.reply_to) if not sent else None
            # The buttons go under the last part, where the reader ends.
            last = len(sent) == len(parts) - 1
            markup = _keyboard(message.buttons) if last else None
            try:
                result = await self._send_part(bot, recipient.address, part, reply_to, markup)
            except TelegramError as exc:
                if sent:
                    self._progress[key] = sent
                return outcome_of(exc, token=self.config.token.get_secret_value())
            sent.append(str(result.message_id))
        return Delivered(provider_id=sent[0])

    async def _send_part(
        self,
        bot: Bot,
        chat_id: str,
        text: str,
        reply_to: int | None,
        markup: InlineKeyboardMarkup | None = None,
    ) -> TelegramMessage:
        reply = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
        return await bot.send_message(
            chat_id=_chat_id(chat_id),
            text=text,
            parse_mode=ParseMode.HTML,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
            reply_parameters=reply,
            reply_markup=markup,
            # None leaves the parameter out: only an opted-in tenant's bot is billed.
            allow_paid_broadcast=True if self.config.allow_paid_broadcast else None,
        )

    async def _bot_or_outcome(self) -> Bot | Outcome:
        """The initialized bot, or the outcome every send reports while it cannot be had."""
        async with self._ready:
            if isinstance(self._unready, Failed):
                return self._unready  # a rejected token stays rejected for this batch
            if self._bot is None:
                self._bot = Bot(
                    self.config.token.get_secret_value(),
                    base_url=self.config.api_base,
                    request=HTTPXRequest(
                        connection_pool_size=self.connection_pool,
                        httpx_kwargs={"transport": wire.paced_transport(self.connection_pool)},
                        connect_timeout=min(defaults.HTTP_CONNECT_TIMEOUT_SECONDS, self._timeout),
                        read_timeout=self._timeout,
                        write_timeout=self._timeout,
                        pool_timeout=3 * self._timeout,  # waiting for a free connection is normal
                    ),
                    # Never used for sending, but PTB builds a client for it otherwise.
                    get_updates_request=HTTPXRequest(
                        connection_pool_size=1, httpx_kwargs={"verify": wire.tls_context()}
                    ),
                )
            try:
                await self._bot.initialize()
            except TelegramError as exc:
                self._unready = outcome_of(exc, token=self.config.token.get_secret_value())
                return self._unready
            self._unready = None
            return self._bot


def outcome_of(exc: TelegramError, *, token: str) -> Outcome:
    """What a python-telegram-bot error means for this recipient; ``token`` is masked."""
    description = exc.message
    if isinstance(exc.__cause__, TelegramError):  # PTB re-raises some errors in its own words
        description += f" ({exc.__cause__.message})"
    description = description.replace(token, "<token>")  # InvalidToken quotes it
    if isinstance(exc, RetryAfter):
        return RetryLater(f"Telegram flood control: {description}", after=_seconds(exc))
    if isinstance(exc, Forbidden):
        return Failed(f"Telegram refused the chat: {description}", unsubscribe=True)
    if isinstance(exc, InvalidToken):
        return Failed(f"Telegram rejected the bot token: {description}")
    if isinstance(exc, ChatMigrated):
        return Failed(f"chat moved to {exc.new_chat_id}: {description}")
    if isinstance(exc, BadRequest):
        gone = "chat not found" in description.lower()
        return Failed(f"Telegram rejected the message: {description}", unsubscribe=gone)
    if isinstance(exc, TimedOut):
        return RetryLater(f"Telegram did not answer in time: {description}")
    if isinstance(exc, NetworkError):
        return RetryLater(f"Telegram unreachable or failing: {description}")
    return RetryLater(f"unexpected Telegram error: {description}")


def _seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        # PTB 22 warns that retry_after will become a timedelta; both forms are handled here.
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def _keyboard(buttons: tuple[Button, ...]) -> InlineKeyboardMarkup | None:
    """One row of inline buttons, or None for a message without buttons."""
    if not buttons:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(b.label, callback_data=b.data)
                                  for b in buttons]])  # fmt: skip


def _chat_id(address: str) -> int | str:
    """Numeric chat ids as int; ``@channel`` names as they are."""
    return address if address.startswith("@") else int(address)


def _message_id(reply_to: str | None) -> int | None:
    # Only a Telegram message id can be replied to; any other id just starts a new thread.
    return int(reply_to) if reply_to and reply_to.isdigit() else None


async def bot_username(config: TelegramConfig) -> str | None:
    """The bot's username from ``getMe`` (for its ``t.me`` link); None when Telegram cannot
    say now (unreachable, token refused)."""

    def request() -> HTTPXRequest:
        return HTTPXRequest(
            connection_pool_size=1,
            httpx_kwargs={"verify": wire.tls_context()},
            connect_timeout=defaults.HTTP_CONNECT_TIMEOUT_SECONDS,
            read_timeout=defaults.HTTP_CONNECT_TIMEOUT_SECONDS,
        )

    bot = Bot(
        config.token.get_secret_value(),
        base_url=config.api_base,
        request=request(),
        get_updates_request=request(),
    )
    try:
        async with bot:  # initialize() asks getMe
            return bot.username
    except TelegramError:
        return None
