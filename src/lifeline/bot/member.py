"""Member commands in private chats: /start, /language, /topics, /status, /faq, /help, /stop,
/delete. Every text comes from the catalogue in the chat's language (see ``context.talk``).
"""

from __future__ import annotations

import html
from datetime import UTC, datetime

from telegram import Update

from lifeline import faq, messages
from lifeline.bot import keyboards
from lifeline.bot.context import BotDeps, Context, Talk, reply, talk
from lifeline.core.defaults import BOT_STATUS_MAX_NOTICES
from lifeline.core.errors import Conflict
from lifeline.members import Member, MemberData
from lifeline.subscriptions import log_consent, withdraw

CONSENT_SOURCE = "telegram /start"
"""Recorded as the consent source of members who subscribe in the bot."""


async def start(update: Update, context: Context) -> None:
    """Subscribe the chat (default topic plus a deep-linked one) and say how to stop."""
    chat = talk(update, context)
    if chat is None:
        return
    topic = _deep_link_topic(chat.deps, context.args)
    member = _subscribe(chat, topic)
    _ = chat.gettext
    bot = chat.deps
    topics = ", ".join(keyboards.topic_label(t, _) for t in member.topics)
    lines = [
        _("Welcome to the service line of {tenant}!").format(tenant=html.escape(bot.tenant.name)),
        _(
            "When our usual channels are down, you hear from us here. You now receive: {topics}."
        ).format(topics=html.escape(topics)),
        _("/status shows what works right now and what to do instead. /help lists everything."),
    ]
    channel = bot.telegram.broadcast_chat_id
    if isinstance(channel, str) and channel.startswith("@"):
        lines.append(
            _(
                "Tip: follow our channel {channel} too. In a large outage one post there reaches "
                "everyone at once, while messages to each member one by one can take hours."
            ).format(channel=html.escape(channel))
        )
    lines.append(_("Send /stop at any time to unsubscribe."))
    await reply(update, "\n\n".join(lines))


def _deep_link_topic(bot: BotDeps, args: list[str] | None) -> str | None:
    """The topic a ``t.me/<bot>?start=<topic>`` link carries, if the tenant has it."""
    if args and args[0] in bot.tenant.topics:
        return args[0]
    return None


def _subscribe(chat: Talk, topic: str | None) -> Member:
    """Create the member, or resubscribe one who stopped; a deep-linked topic is added."""
    bot, tenant = chat.deps, chat.deps.tenant
    if chat.member is None:
        wanted = tuple(dict.fromkeys([tenant.topics[0], *([topic] if topic else [])]))
        data = MemberData(
            language=chat.language,
            topics=wanted,
            telegram_chat_id=chat.chat_id,
            consent_given_at=datetime.now(UTC),
            consent_source=CONSENT_SOURCE,
        )
        try:
            member = bot.members.create(tenant.id, data)
        except Conflict:  # the same chat pressed /start twice at once
            found = bot.members.find(tenant.id, "telegram", chat.chat_id)
            if found is None:
                raise
            member = found
        bot.state.forget(chat.chat_id)  # its language now lives on the member
        log_consent(bot.members, tenant.id, member, "telegram", "confirmed", via="bot")
        return member
    member = chat.member
    topics = member.topics or (tenant.topics[0],)
    if topic and topic not in topics:
        topics = (*topics, topic)
    changes = {"topics": topics, "paused": member.paused - {"telegram"}}
    updated = bot.members.update(tenant.id, member.id, changes)
    if "telegram" in member.paused:
        log_consent(bot.members, tenant.id, updated, "telegram", "resumed", via="bot")
    return updated


async def language(update: Update, context: Context) -> None:
    """Offer the languages as buttons (/language, /sprache)."""
    chat = talk(update, context)
    if chat is None:
        return
    _ = chat.gettext
    await reply(update, _("Choose your language:"), keyboards.language_keyboard(chat.language))


async def topics(update: Update, context: Context) -> None:
    """Offer the tenant's topics as buttons to switch on and off."""
    chat = talk(update, context)
    if chat is None:
        return
    _ = chat.gettext
    if chat.member is None:
        await reply(update, _("You are not subscribed yet. Send /start to subscribe."))
        return
    markup = keyboards.topics_keyboard(chat.deps.tenant, chat.member.topics, _)
    await reply(update, _("Which topics do you want to hear about? Tap to switch."), markup)


async def status(update: Update, context: Context) -> None:
    """The tenant's active notices, newest first, each with what to do instead."""
    chat = talk(update, context)
    if chat is None:
        return
    _, bot = chat.gettext, chat.deps
    active = [n for n in bot.notices.list(bot.tenant.id) if n.status == "active" and n.public]
    if not active:
        text = _("No outages are known at {tenant} right now. All services should work.")
        await reply(update, text.format(tenant=html.escape(bot.tenant.name)))
        return
    count = len(active)
    header = chat.ngettext(
        "There is {count} current notice:", "There are {count} current notices:", count
    )
    await reply(update, header.format(count=count))
    for notice in active[:BOT_STATUS_MAX_NOTICES]:
        message = messages.render(bot.tenant, notice, "telegram", chat.language)
        await reply(update, message.text)


async def faq_command(update: Update, context: Context) -> None:
    """/faq: the questions as buttons; /faq WORDS: the best-matching answers."""
    chat = talk(update, context)
    if chat is None:
        return
    words = " ".join(context.args or ())
    entries = chat.deps.faq.list(chat.deps.tenant.id)
    if words:
        await _faq_search(update, chat, entries, words)
    else:
        await _faq_menu(update, chat, entries)


async def _faq_menu(update: Update, chat: Talk, entries: list[faq.FaqEntry]) -> None:
    _ = chat.gettext
    if not entries:
        text = _(
            "There are no answers here yet. Write your question as a message and our "
            "support team will answer."
        )
        await reply(update, text)
        return
    default = chat.deps.tenant.default_language
    markup = keyboards.faq_keyboard(entries, chat.language, default)
    await reply(update, _("Frequent questions. Tap one, or search: /faq and a few words."), markup)


async def _faq_search(update: Update, chat: Talk, entries: list[faq.FaqEntry], words: str) -> None:
    _, default = chat.gettext, chat.deps.tenant.default_language
    found = faq.search(entries, words, chat.language, default_language=default)
    if not found:
        text = _(
            "I found no answer to that. Write your question as a message and our support "
            "team will answer."
        )
        await reply(update, text)
        return
    for entry in found:
        await reply(update, format_answer(entry, chat.language, default))


def format_answer(entry: faq.FaqEntry, language: str, default: str) -> str:
    """An FAQ entry as one message: the question in bold, then the answer."""
    shown = entry.language_for(language, default)
    question, answer = html.escape(entry.question[shown]), html.escape(entry.answer[shown])
    return f"<b>{question}</b>\n\n{answer}"


async def help_command(update: Update, context: Context) -> None:
    """What the bot does and its commands."""
    chat = talk(update, context)
    if chat is None:
        return
    _ = chat.gettext
    intro = _(
        "This is the service line of {tenant}. When our usual channels are down, you "
        "hear from us here."
    ).format(tenant=html.escape(chat.deps.tenant.name))
    commands = "\n".join(f"/{name} – {_(text)}" for name, text in keyboards.MEMBER_COMMANDS)
    outro = _("Anything else you write here goes to our support team, who answer here.")
    await reply(update, f"{intro}\n\n{commands}\n\n{outro}")


async def stop(update: Update, context: Context) -> None:
    """Stop notices to this chat; the member stays, so /start brings them back."""
    chat = talk(update, context)
    if chat is None:
        return
    _ = chat.gettext
    if chat.member is None or "telegram" in chat.member.paused:
        await reply(update, _("You are not subscribed. Send /start to subscribe."))
        return
    withdraw(chat.deps.members, chat.deps.tenant.id, chat.member, "telegram", via="bot")
    await reply(
        update,
        _(
            "You will no longer receive notices here. Send /start to subscribe "
            "again, or /delete to erase your data."
        ),
    )


async def delete(update: Update, context: Context) -> None:
    """Ask before erasing the member's data."""
    chat = talk(update, context)
    if chat is None:
        return
    _ = chat.gettext
    if chat.member is None:
        chat.deps.state.erase(chat.chat_id)
        await reply(update, _("There is no data about you to erase."))
        return
    nonce = chat.deps.state.new_confirmation(chat.chat_id)
    await reply(
        update,
        _("Erase all your data (language, topics, this chat) for good?"),
        keyboards.delete_keyboard(nonce, _),
    )
