"""What a handler works with: the tenant's stores (``BotDeps``) and the chat it talks to.

``BotDeps`` sits in ``application.bot_data`` (one Application per tenant). ``talk()`` turns a
private chat's update into a ``Talk``: the chat, its member (if subscribed) and the language
to answer in, resolved as

    the member's language  →  the chat's earlier choice  →  the client's language_code
    (when de or en)        →  the tenant's default language
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import redis
from telegram import Bot, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from lifeline.channels import TelegramConfig
from lifeline.channels.html import MAX_MESSAGE_UNITS, split_html
from lifeline.config import TenantConfig
from lifeline.conversations import ChatState
from lifeline.core.i18n import Translate, gettext_for, ngettext_for, pick_language
from lifeline.faq import FaqStore
from lifeline.members import Member, MemberStore
from lifeline.notices import NoticeStore

Context = ContextTypes.DEFAULT_TYPE

DEPS_KEY = "lifeline"
"""Key of ``BotDeps`` in ``application.bot_data``."""


@dataclass(frozen=True, slots=True)
class BotDeps:
    """One tenant's bot: its config and the stores its handlers use."""

    tenant: TenantConfig
    telegram: TelegramConfig
    members: MemberStore
    notices: NoticeStore
    faq: FaqStore
    state: ChatState

    @classmethod
    def create(cls, tenant: TenantConfig, telegram: TelegramConfig, client: redis.Redis) -> BotDeps:
        """The deps of a tenant's bot on one store client."""
        return cls(
            tenant=tenant,
            telegram=telegram,
            members=MemberStore(client),
            notices=NoticeStore(client),
            faq=FaqStore(client),
            state=ChatState(client, tenant.id),
        )

    @property
    def staff_language(self) -> str:
        """The staff group hears the bot in the tenant's default language."""
        return self.tenant.default_language

    def is_support_chat(self, chat_id: int | None) -> bool:
        """Whether a chat is this tenant's staff group (the only place staff commands work)."""
        support = self.telegram.support_chat_id
        return support is not None and chat_id == support


@dataclass(frozen=True, slots=True)
class Talk:
    """A private chat as a handler sees it: who is there and in which language to answer."""

    deps: BotDeps
    chat_id: int
    member: Member | None
    language: str

    @property
    def gettext(self) -> Translate:
        """``_`` in the chat's language."""
        return gettext_for(self.language)

    @property
    def ngettext(self) -> Callable[[str, str, int], str]:
        """``ngettext`` in the chat's language."""
        return ngettext_for(self.language)


def deps(context: Context) -> BotDeps:
    """The tenant's deps of the application handling this update."""
    return cast(BotDeps, context.bot_data[DEPS_KEY])


def talk(update: Update, context: Context) -> Talk | None:
    """The private chat of this update, or None for groups, channels and chat-less updates."""
    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE:
        return None
    bot = deps(context)
    member = bot.members.find(bot.tenant.id, "telegram", chat.id)
    if member is not None:
        return Talk(bot, chat.id, member, member.language)
    language = bot.state.language(chat.id)
    if language is None:
        user = update.effective_user
        code = user.language_code if user is not None else None
        language = pick_language(code, bot.tenant.default_language)
    return Talk(bot, chat.id, None, language)


async def reply(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Answer in the update's chat (HTML); a text over Telegram's limit goes in parts."""
    message = update.effective_message
    if message is not None:
        await send(message.get_bot(), message.chat.id, text, markup)


async def send(
    bot: Bot, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None
) -> list[Message]:
    """Send HTML to a chat in as many parts as Telegram's limit needs; the keyboard goes last."""
    parts = split_html(text, MAX_MESSAGE_UNITS)
    sent = []
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        sent.append(await bot.send_message(chat_id, part, reply_markup=markup if last else None))
    return sent
