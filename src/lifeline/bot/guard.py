"""Whatever else Telegram (or anyone holding the webhook secret) sends.

malformed update (ids not numbers, a message without chat) dropped before PTB sees it
                                                           (``intake``)
edited message, channel post, group join, other groups     ignored (no handler matches)
unknown command in a private chat                          "I don't know that command"
sticker, photo, voice, … in a private chat                 "I can only read text"
the member blocks the bot (my_chat_member "kicked")        member's Telegram paused
a reply answered 403 Forbidden                             member's Telegram paused
Redis unreachable in a handler                             webhook answers 503: Telegram
                                                           sends the update again later
any other error in a handler                               logged; the bot carries on
"""

from __future__ import annotations

import logging
from contextvars import ContextVar

import redis
from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import Forbidden, TelegramError

from lifeline.bot.context import BotDeps, Context, deps, reply, talk
from lifeline.core.errors import StoreUnavailable

log = logging.getLogger(__name__)


async def unknown_command(update: Update, context: Context) -> None:
    """A command the bot does not have."""
    chat = talk(update, context)
    if chat is not None:
        _ = chat.gettext
        await reply(update, _("I don't know that command. /help lists what I can do."))


async def not_text(update: Update, context: Context) -> None:
    """A sticker, photo, voice message, … in a private chat."""
    chat = talk(update, context)
    if chat is not None:
        _ = chat.gettext
        await reply(update, _("I can only read text. Please write your question in words."))


async def chat_member_changed(update: Update, context: Context) -> None:
    """A member blocked the bot: stop sending to them (they come back with /start)."""
    changed = update.my_chat_member
    if changed is None or changed.chat.type != ChatType.PRIVATE:
        return
    if changed.new_chat_member.status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT):
        _pause(deps(context), changed.chat.id)


STORE_FAILURE: ContextVar[BaseException | None] = ContextVar("lifeline_store_failure", default=None)
"""Set when a handler could not reach Redis while handling the current update."""


async def on_error(update: object, context: Context) -> None:
    """Log a handler's failure; a 403 from a member's chat pauses that member; a Redis
    that cannot be reached is noted, so the webhook can ask Telegram to send it again."""
    error = context.error
    bot = deps(context)
    chat = update.effective_chat if isinstance(update, Update) else None
    if isinstance(error, redis.ConnectionError | redis.TimeoutError | StoreUnavailable):
        STORE_FAILURE.set(error)
        update_id = update.update_id if isinstance(update, Update) else "?"
        log.warning("tenant %s: Redis unreachable handling update %s: %s", bot.tenant.id,
                    update_id, error)  # fmt: skip
        return
    if isinstance(error, Forbidden) and chat is not None and chat.type == ChatType.PRIVATE:
        log.info("tenant %s: chat blocked the bot; pausing its member", bot.tenant.id)
        _pause(bot, chat.id)
    elif isinstance(error, TelegramError):
        log.warning("tenant %s: Telegram refused a reply: %s", bot.tenant.id, error)
    else:
        log.error("tenant %s: handling an update failed", bot.tenant.id, exc_info=error)


def _pause(bot: BotDeps, chat_id: int) -> None:
    member = bot.members.find(bot.tenant.id, "telegram", chat_id)
    if member is not None:
        bot.members.pause(bot.tenant.id, member.id, "telegram")
