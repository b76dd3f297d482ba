"""Button presses (callback queries): language, topics, FAQ answers, /delete confirmation,
and "understood" under a notice.

Every query is answered (Telegram shows a spinner until then). Data from an old keyboard,
or data this bot never sent, gets "this button has expired" rather than an error.
"""

from __future__ import annotations

import contextlib

from telegram import CallbackQuery, Message, Update

from lifeline.bot import keyboards
from lifeline.bot.context import Context, Talk, send, talk
from lifeline.bot.member import format_answer
from lifeline.core.errors import NotFound
from lifeline.core.i18n import gettext_for
from lifeline.core.vocabulary import LANGUAGES
from lifeline.delivery import acks
from lifeline.members import erasure


async def on_button(update: Update, context: Context) -> None:
    """Dispatch a button press by the kind of its callback data."""
    query = update.callback_query
    chat = talk(update, context)
    if query is None:
        return
    parsed = keyboards.parse(query.data)
    if chat is None or parsed is None:
        await query.answer()
        return
    kind, value = parsed
    handler = {
        "lang": _language,
        "topic": _topic,
        "faq": _faq,
        "del": _delete,
        acks.CALLBACK_PREFIX: _acknowledge,
    }.get(kind)
    if handler is None:
        await _expired(query, chat)
        return
    await handler(query, chat, value)


async def _expired(query: CallbackQuery, chat: Talk) -> None:
    _ = chat.gettext
    await query.answer(_("This button has expired. Please send the command again."))


def _message(query: CallbackQuery) -> Message | None:
    """The keyboard's message, if the bot can still edit it (Telegram: within 48 hours)."""
    message = query.message
    return message if isinstance(message, Message) and message.is_accessible else None


async def _language(query: CallbackQuery, chat: Talk, value: str) -> None:
    if value not in LANGUAGES:
        await _expired(query, chat)
        return
    bot = chat.deps
    if chat.member is not None:
        bot.members.update(bot.tenant.id, chat.member.id, {"language": value})
    else:
        bot.state.set_language(chat.chat_id, value)
    _ = gettext_for(value)
    await query.answer()
    # Translators: said in the language just chosen, so name your own language here.
    text = _("Done: I will write to you in English from now on.")
    message = _message(query)
    if message is not None:
        await message.edit_text(text)
    else:
        await send(query.get_bot(), chat.chat_id, text)


async def _topic(query: CallbackQuery, chat: Talk, value: str) -> None:
    bot, member, _ = chat.deps, chat.member, chat.gettext
    if member is None:
        await query.answer(_("You are not subscribed yet. Send /start to subscribe."))
        return
    if value not in bot.tenant.topics:
        await _expired(query, chat)
        return
    if value in member.topics:
        if len(member.topics) == 1:
            await query.answer(
                _("You need at least one topic. To stop all notices, send /stop."),
                show_alert=True,
            )
            return
        chosen = tuple(t for t in member.topics if t != value)
    else:
        chosen = (*member.topics, value)
    bot.members.update(bot.tenant.id, member.id, {"topics": chosen})
    label = keyboards.topic_label(value, _)
    notice = _("Now on: {topic}") if value in chosen else _("Now off: {topic}")
    await query.answer(notice.format(topic=label))
    message = _message(query)
    if message is not None:
        markup = keyboards.topics_keyboard(bot.tenant, chosen, _)
        await message.edit_reply_markup(reply_markup=markup)


async def _faq(query: CallbackQuery, chat: Talk, value: str) -> None:
    bot = chat.deps
    entry = bot.faq.find(bot.tenant.id, value)
    if entry is None:
        await _expired(query, chat)
        return
    await query.answer()
    text = format_answer(entry, chat.language, bot.tenant.default_language)
    await send(query.get_bot(), chat.chat_id, text)


async def _delete(query: CallbackQuery, chat: Talk, value: str) -> None:
    bot, _ = chat.deps, chat.gettext
    message = _message(query)
    if value == "no":
        bot.state.cancel_confirmation(chat.chat_id)
        await query.answer()
        if message is not None:
            await message.edit_text(_("Nothing was erased."))
        return
    if not bot.state.take_confirmation(chat.chat_id, value):
        await _expired(query, chat)
        return
    if chat.member is not None:
        # Erased meanwhile (e.g. through the admin API) fulfils the wish just as well.
        with contextlib.suppress(NotFound):
            erasure.erase(bot.members, bot.tenant.id, chat.member.id)
    bot.state.erase(chat.chat_id)
    await query.answer()
    text = _("Your data has been erased. Goodbye! Send /start if you ever want to come back.")
    if message is not None:
        await message.edit_text(text)
    else:
        await send(query.get_bot(), chat.chat_id, text)


async def _acknowledge(query: CallbackQuery, chat: Talk, value: str) -> None:
    """The member pressed "understood" under a notice: recorded once, answered each time."""
    bot, _ = chat.deps, chat.gettext
    if chat.member is None:
        await query.answer(_("You are not subscribed yet. Send /start to subscribe."))
        return
    notice_id = int(value) if value.isdigit() and len(value) <= 18 else None
    client = bot.members.redis
    if notice_id is None or acks.lookup_notice(client, bot.tenant.id, notice_id) is None:
        await _expired(query, chat)
        return
    done = acks.acknowledge(client, bot.tenant.id, notice_id, chat.member.id, "telegram")
    if done == "not sent":
        await _expired(query, chat)
        return
    await query.answer(_("Thank you: we know you have read it."))
