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
import re
import warnings
from typing import ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import ConfigDict, Field, SecretStr, field_validator
from telegram import Bot, LinkPreviewOptions, ReplyParameters
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
    Channel,
    Delivered,
    Failed,
    Kind,
    Message,
    Outcome,
    ProviderConfig,
    Recipient,
    RetryLater,
)


class TelegramConfig(ProviderConfig):
    """``provider = "telegram"``: a bot token and where the Bot API lives."""

    model_config = ConfigDict(hide_input_in_errors=True)  # the token is in the input

    provider: Literal["telegram"] = "telegram"
    token: SecretStr
    api_base: str = "https://api.telegram.org/bot"
    rate_per_second: float = Field(default=30.0, gt=0, le=10_000)
    """Telegram allows a bot about 30 messages a second, 1,000 with paid broadcasts. Not
    capped at that: a Bot API stand-in may take more, and Telegram's own flood control
    (429 with retry_after) pauses every sender of the tenant's channel anyway."""
    support_chat_id: int | None = None
    broadcast_chat_id: int | str | None = None
    webhook_secret: SecretStr | None = None

    @field_validator("api_base")
    @classmethod
    def _http_url(cls, value: str) -> str:
        url = urlsplit(value)
        if url.scheme not in {"http", "https"} or not url.hostname:
            raise ValueError(
                "must be an http:// or https:// URL, e.g. https://api.telegram.org/bot"
            )
        return value

    def create(self, *, kind: Kind, tenant_id: str) -> Channel:
        return TelegramChannel(self, kind=kind, tenant_id=tenant_id)


class TelegramChannel(Channel):
    """Sends with ``Bot.send_message``; texts over 4096 characters are split."""

    provider = "telegram"
    paces_at_wire = True
    max_text = 4096
    connection_pool: ClassVar[int] = 16
    """HTTP connections to the Bot API; a batch sends about 8 messages at once."""
    timeout: ClassVar[float] = 10.0
    """Seconds to wait for the Bot API to read and answer one request."""

    def __init__(
        self, config: TelegramConfig, *, kind: Kind, tenant_id: str, timeout: float | None = None
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
            try:
                result = await self._send_part(bot, recipient.address, part, reply_to)
            except TelegramError as exc:
                if sent:
                    self._progress[key] = sent
                return outcome_of(exc, token=self.config.token.get_secret_value())
            sent.append(str(result.message_id))
        return Delivered(provider_id=sent[0])

    async def _send_part(
        self, bot: Bot, chat_id: str, text: str, reply_to: int | None
    ) -> TelegramMessage:
        reply = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
        return await bot.send_message(
            chat_id=_chat_id(chat_id),
            text=text,
            parse_mode=ParseMode.HTML,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
            reply_parameters=reply,
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
                        connect_timeout=min(5.0, self._timeout),
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


def _chat_id(address: str) -> int | str:
    """Numeric chat ids as int; ``@channel`` names as they are."""
    return address if address.startswith("@") else int(address)


def _message_id(reply_to: str | None) -> int | None:
    # Only a Telegram message id can be replied to; any other id just starts a new thread.
    return int(reply_to) if reply_to and reply_to.isdigit() else None


_ATOM = re.compile(
    r"(?P<tag><[^>]*>)|(?P<entity>&#?[0-9A-Za-z]+;)"
    r"|(?P<para>[ \t]*\n(?:[ \t]*\n)+[ \t]*)|(?P<line>[ \t]*\n[ \t]*)|(?P<word>[ \t]+)|(?P<char>.)",
    re.DOTALL,
)
_BREAK = {"para": 3, "line": 2, "word": 1}
_TAG = re.compile(r"<\s*(/?)\s*([A-Za-z][\w-]*)")
_EMPTY = re.compile(r"<([A-Za-z][\w-]*)(?:\s[^>]*)?></\1\s*>")


def split_html(text: str, limit: int) -> list[str]:
    """Cut Telegram HTML into parts of at most ``limit`` UTF-16 units, each well-formed.

    Cuts at a paragraph break if one lies in the second half of a part, else at a line
    break, else between words, else between characters; never inside a tag or an entity.
    Tags open at a cut are closed at the end of the part and reopened in the next one.
    Raises ValueError when a single tag (with its enclosing tags) cannot fit.
    """
    if _units(text) <= limit:
        return [text]
    while (shorter := _EMPTY.sub("", text)) != text:
        text = shorter  # empty elements show nothing, but would cost room in every part
    atoms = [(m.group(), m.lastgroup or "char") for m in _ATOM.finditer(text)]
    # After the last visible character only tags and spaces remain; once a cut lies past it,
    # the rest shows nothing (the previous part already closed the open tags).
    last = max((i for i, (_, kind) in enumerate(atoms) if kind in ("char", "entity")), default=-1)
    parts: list[str] = []
    stack: list[tuple[str, str]] = []  # open tags: (name, opening tag as written)
    start = 0
    while start <= last:
        end, resume, stack_at_end = _fill(atoms, start, stack, limit)
        body = "".join(atom for atom, _ in atoms[start:end])
        opened = "".join(tag for _, tag in stack)
        closed = "".join(f"</{name}>" for name, _ in reversed(stack_at_end))
        parts.append(opened + body + closed)
        start, stack = resume, stack_at_end
        while start <= last and stack and _apply(stack, atoms[start][0]) == stack[:-1]:
            start, stack = start + 1, stack[:-1]  # closed at the end of the part just made
    return parts


def _fill(
    atoms: list[tuple[str, str]], start: int, stack: list[tuple[str, str]], limit: int
) -> tuple[int, int, list[tuple[str, str]]]:
    """Where the part from ``start`` ends: (end, where the next part starts, open tags)."""
    used = sum(_units(tag) for _, tag in stack)
    current = list(stack)
    best: tuple[tuple[int, int], int, list[tuple[str, str]]] | None = None
    content = False
    index = start
    while index < len(atoms):
        atom, kind = atoms[index]
        after = _apply(current, atom) if kind == "tag" else current
        closing = sum(len(name) + 3 for name, _ in after)
        if used + _units(atom) + closing > limit:
            break
        if kind in _BREAK and content:
            rank = (_BREAK[kind] if 2 * used >= limit else 0, index)
            if best is None or rank >= best[0]:
                best = (rank, index, list(current))
        used += _units(atom)
        current = after
        content = content or kind != "tag"
        index += 1
    if index == len(atoms):
        return index, index, current
    if best is not None:
        return best[1], best[1] + 1, best[2]  # the whitespace at the cut is dropped
    if not content:
        raise ValueError(f"an HTML tag does not fit into {limit} characters with its text")
    return index, index, current


def _apply(stack: list[tuple[str, str]], tag: str) -> list[tuple[str, str]]:
    """The open tags after ``tag``."""
    match = _TAG.match(tag)
    if match is None:
        return stack
    closing, name = match.group(1) == "/", match.group(2).lower()
    if not closing:
        return [*stack, (name, tag)]
    for depth in range(len(stack) - 1, -1, -1):
        if stack[depth][0] == name:
            return stack[:depth] + stack[depth + 1 :]
    return stack


def _units(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    if text.isascii():
        return len(text)
    # The codec counts in C: a Python loop over a 1,000-character message cost 0.1 ms.
    return len(text.encode("utf-16-le", "surrogatepass")) // 2
