"""Whatever else Telegram (or anyone holding the webhook secret) sends.

malformed update (ids not numbers, text not a string, …)   dropped before PTB sees it
edited message, channel post, group join, other groups     ignored (no handler matches)
unknown command in a private chat                          "I don't know that command"
sticker, photo, voice, … in a private chat                 "I can only read text"
the member blocks the bot (my_chat_member "kicked")        member's Telegram paused
a reply answered 403 Forbidden                             member's Telegram paused
any other error in a handler                               logged; the bot carries on
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from telegram import Message, Update, User
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import Forbidden, TelegramError

from lifeline.bot.context import BotDeps, Context, deps, reply, talk

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


async def on_error(update: object, context: Context) -> None:
    """Log a handler's failure; a 403 from a member's chat pauses that member."""
    error = context.error
    bot = deps(context)
    chat = update.effective_chat if isinstance(update, Update) else None
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


def well_formed(update: Update) -> bool:
    """Whether the parts of an update the handlers read have the types Telegram documents.

    ``Update.de_json`` builds objects from whatever JSON it gets; ids that are strings or
    lists would break PTB's own bookkeeping (chat_data is keyed by chat id) before any
    handler could refuse them, so the webhook drops such updates first.
    """
    if not _is_int(update.update_id):
        return False
    chat, user = update.effective_chat, update.effective_user
    if chat is not None and not (_is_int(chat.id) and isinstance(chat.type, str)):
        return False
    if user is not None and not _user_ok(user):
        return False
    messages = [update.effective_message]
    if update.effective_message is not None:
        messages.append(update.effective_message.reply_to_message)
    if not all(_message_ok(m) for m in messages if m is not None):
        return False
    query = update.callback_query
    if query is not None and not (isinstance(query.id, str) and _optional_str(query.data)):
        return False
    changed = update.my_chat_member or update.chat_member
    return changed is None or isinstance(changed.new_chat_member.status, str)


def _message_ok(message: object) -> bool:
    if not isinstance(message, Message):
        return True  # an inaccessible message: the handlers only read its chat
    if not (_is_int(message.message_id) and _is_int(message.chat.id)):
        return False
    if not isinstance(message.chat.type, str):
        return False
    if not (_optional_str(message.text) and _optional_str(message.caption)):
        return False
    if message.from_user is not None and not _user_ok(message.from_user):
        return False
    return _entities_ok(message.entities) and _entities_ok(message.caption_entities)


def _entities_ok(entities: Iterable[object]) -> bool:
    return all(
        _is_int(getattr(e, "offset", None))
        and _is_int(getattr(e, "length", None))
        and isinstance(getattr(e, "type", None), str)
        for e in entities
    )


def _user_ok(user: User) -> bool:
    return (
        _is_int(user.id)
        and isinstance(user.first_name, str)
        and all(_optional_str(v) for v in (user.last_name, user.username, user.language_code))
    )


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _optional_str(value: object) -> bool:
    return value is None or isinstance(value, str)
