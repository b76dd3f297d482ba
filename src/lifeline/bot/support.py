"""The human answer: member questions go to the staff group, staff replies come back.

    member's text ──► staff group: "Question from … (member 12, writes in English)"
                      state: relay[staff chat, message id] = (member chat, member, language)
    staff reply to that message ──► member, as the bot, in the member's language

Telegram hides ``forward_from`` for users with forwarding privacy, so the bot keeps its own
map instead of forwarding. Staff commands (``/faq_set``, ``/faq_del``, ``/faq_list``) work in
the tenant's ``support_chat_id`` group only; a member trying one is politely refused.
The staff group hears the bot in the tenant's default language.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.error import Forbidden, TelegramError

from lifeline.bot import keyboards
from lifeline.bot.context import BotDeps, Context, Talk, deps, reply, send, talk
from lifeline.conversations import RelayTarget
from lifeline.core.defaults import BOT_MAX_RELAYED
from lifeline.core.i18n import Translate, gettext_for, language_name

log = logging.getLogger(__name__)

Handler = Callable[[Update, Context], Coroutine[Any, Any, None]]


async def relay_question(update: Update, context: Context) -> None:
    """Pass a member's text to the staff group and remember who asked."""
    chat, message = talk(update, context), update.effective_message
    if chat is None or message is None or not message.text:
        return
    bot, _ = chat.deps, chat.gettext
    support = bot.telegram.support_chat_id
    if support is None:
        await reply(
            update,
            _("Questions cannot be answered here at the moment. /status and /faq may help you."),
        )
        return
    if not bot.state.allow_question(chat.chat_id):
        await reply(
            update,
            _(
                "You have sent several questions in a short time. Our team will "
                "answer them; please wait a little before writing again."
            ),
        )
        return
    try:
        sent = await send(context.bot, support, _relayed(update, chat, message.text))
    except TelegramError as exc:  # the bot was removed from the group, or Telegram is down
        log.warning("tenant %s: cannot relay a question to the staff group: %s", bot.tenant.id, exc)
        await reply(
            update,
            _("Sorry, your question could not be passed on right now. Please try again later."),
        )
        return
    target = RelayTarget(chat.chat_id, chat.member.id if chat.member else None, chat.language)
    for part in sent:  # a long question comes in parts: a reply to any of them answers it
        bot.state.remember_relay(support, part.message_id, target)
    await reply(
        update,
        _(
            "Thank you. Your question has been passed on to our support team; "
            "they will answer here."
        ),
    )


def _relayed(update: Update, chat: Talk, question: str) -> str:
    """The staff group's copy of a question: who asked, in which language, what."""
    _ = gettext_for(chat.deps.staff_language)
    user = update.effective_user
    # PTB's full_name is None when first_name is empty (Telegram never sends that; others may).
    who = html.escape((user.full_name if user else None) or "?")
    if user is not None and user.username:
        who += f" (@{html.escape(user.username)})"
    if chat.member is not None:
        about = _("member {id}").format(id=chat.member.id)
    else:
        about = _("not subscribed")
    header = _("Question from {who}, {about}, writes in {language}:").format(
        who=who, about=about, language=language_name(chat.language, chat.deps.staff_language)
    )
    footer = _("Reply to this message to answer; the bot sends your answer to the member.")
    body = html.escape(question[:BOT_MAX_RELAYED])
    return f"{header}\n\n{body}\n\n<i>{footer}</i>"


async def relay_answer(update: Update, context: Context) -> None:
    """Send a staff member's reply to the member whose question it answers."""
    bot, message = deps(context), update.effective_message
    if message is None or message.reply_to_message is None:
        return
    if not bot.is_support_chat(message.chat.id):
        return
    _ = gettext_for(bot.staff_language)
    original = message.reply_to_message
    target = bot.state.relay_target(message.chat.id, original.message_id)
    if target is None:
        if original.from_user is not None and original.from_user.id == context.bot.id:
            await reply(
                update,
                _(
                    "I cannot tell whom this answers: the question is older "
                    "than 30 days, or it was not passed on by me."
                ),
            )
        return  # staff talking among themselves
    if not message.text:
        await reply(update, _("Only text answers can be passed on."))
        return
    await reply(update, await _deliver(context, bot, target, message.text))


async def _deliver(context: Context, bot: BotDeps, target: RelayTarget, answer: str) -> str:
    """Send a staff answer to the member; what to tell the staff group about it."""
    _ = gettext_for(bot.staff_language)
    try:
        await send(context.bot, target.chat_id, _answer_text(bot, target, answer))
    except Forbidden:
        member = bot.members.find(bot.tenant.id, "telegram", target.chat_id)
        if member is not None:
            bot.members.pause(bot.tenant.id, member.id, "telegram")
        return _("Not delivered: the member has blocked the bot.")
    except TelegramError as exc:
        log.warning("tenant %s: cannot deliver a staff answer: %s", bot.tenant.id, exc)
        reason = html.escape(exc.message)
        return _("Not delivered: Telegram refused the message ({reason}).").format(reason=reason)
    return _("Sent to the member.")


def _answer_text(bot: BotDeps, target: RelayTarget, answer: str) -> str:
    """A staff answer as the member receives it, introduced in the member's language."""
    _ = gettext_for(target.language)
    header = _("Answer from the support team of {tenant}:").format(
        tenant=html.escape(bot.tenant.name)
    )
    return f"<b>{header}</b>\n\n{html.escape(answer)}"


def staff_only(handler: Handler) -> Handler:
    """Run ``handler`` in the staff group; refuse politely in private chats, ignore elsewhere."""

    async def guarded(update: Update, context: Context) -> None:
        chat = update.effective_chat
        if chat is None:
            return
        if deps(context).is_support_chat(chat.id):
            await handler(update, context)
        elif chat.type == ChatType.PRIVATE:
            member_chat = talk(update, context)
            if member_chat is not None:
                _ = member_chat.gettext
                await reply(
                    update,
                    _(
                        "Sorry, that command is only for our support team. "
                        "/help shows what I can do for you."
                    ),
                )

    guarded.__doc__ = handler.__doc__
    return guarded


def staff_help_text(_: Translate) -> str:
    """What the staff group can do with the bot."""
    intro = _(
        "Members' questions appear here. Reply to one to answer the member; "
        "the bot sends your answer in its own name."
    )
    commands = "\n".join(f"/{name} – {_(text)}" for name, text in keyboards.STAFF_COMMANDS)
    return f"{intro}\n\n{commands}"


async def staff_help(update: Update, context: Context) -> None:
    """/help in the staff group."""
    await reply(update, staff_help_text(gettext_for(deps(context).staff_language)))
