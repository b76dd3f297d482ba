"""Inline keyboards, their callback data, and the bot's command lists.

Callback data is ``<kind>:<value>`` (Telegram allows 64 bytes):

    lang:<de|en>      choose a language           topic:<topic>     switch a topic on/off
    faq:<key>         show an FAQ answer          del:<nonce|no>    confirm or cancel /delete
    ack:<notice id>   "understood" under a notice (made by ``lifeline.delivery.acks``)

Buttons outlive what they point at (an old keyboard, a deleted FAQ entry, a topic the
tenant dropped); the callback handler answers those as expired, never with an error.
"""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from lifeline.config import TenantConfig
from lifeline.core.defaults import BOT_BUTTON_TEXT, BOT_FAQ_BUTTONS
from lifeline.core.i18n import N_, Translate, language_name
from lifeline.core.vocabulary import LANGUAGES
from lifeline.faq import FaqEntry

MEMBER_COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", N_("Subscribe to notices")),
    ("status", N_("What works right now, and what to do instead")),
    ("faq", N_("Answers to frequent questions")),
    ("topics", N_("Choose your topics")),
    ("language", N_("Change the language")),
    ("help", N_("All commands")),
    ("stop", N_("Unsubscribe")),
    ("delete", N_("Erase my data")),
)
"""Commands members see in the menu and in /help (``/sprache`` is an alias of /language)."""

STAFF_COMMANDS: tuple[tuple[str, str], ...] = (
    ("faq_set", N_("Add or change an answer: KEY [de|en] | question | answer | keywords")),
    ("faq_del", N_("Delete an answer: KEY")),
    ("faq_list", N_("List all answers")),
    ("help", N_("How to answer members and keep the FAQ")),
)
"""Commands of the staff group."""

TOPIC_LABELS: dict[str, str] = {
    "outages": N_("Outages and disruptions"),
    "service": N_("Service news"),
    "maintenance": N_("Planned maintenance"),
}
"""Names of common topics; a topic not listed is shown by its id."""


def parse(data: object) -> tuple[str, str] | None:
    """``(kind, value)`` of callback data, or None for data this bot never sent."""
    if not isinstance(data, str):
        return None
    kind, sep, value = data.partition(":")
    return (kind, value) if sep and value else None


def topic_label(topic: str, _: Translate) -> str:
    """A topic's name in the chat's language."""
    label = TOPIC_LABELS.get(topic)
    return _(label) if label else topic


def language_keyboard(current: str) -> InlineKeyboardMarkup:
    """One button per language, in its own name; the current one ticked."""
    buttons = [
        InlineKeyboardButton(
            ("✓ " if language == current else "") + language_name(language),
            callback_data=f"lang:{language}",
        )
        for language in LANGUAGES
    ]
    return InlineKeyboardMarkup([buttons])


def topics_keyboard(
    tenant: TenantConfig, chosen: Sequence[str], _: Translate
) -> InlineKeyboardMarkup:
    """One button per topic of the tenant, showing whether the member follows it."""
    rows = [
        [
            InlineKeyboardButton(
                ("✅ " if topic in chosen else "⬜ ") + topic_label(topic, _),
                callback_data=f"topic:{topic}",
            )
        ]
        for topic in tenant.topics
    ]
    return InlineKeyboardMarkup(rows)


def faq_keyboard(entries: Sequence[FaqEntry], language: str, default: str) -> InlineKeyboardMarkup:
    """One button per FAQ entry, labelled with its question."""
    rows = []
    for entry in entries[:BOT_FAQ_BUTTONS]:
        question = entry.question[entry.language_for(language, default)]
        short = len(question) <= BOT_BUTTON_TEXT
        label = question if short else question[: BOT_BUTTON_TEXT - 1] + "…"
        rows.append([InlineKeyboardButton(label, callback_data=f"faq:{entry.key}")])
    return InlineKeyboardMarkup(rows)


def delete_keyboard(nonce: str, _: Translate) -> InlineKeyboardMarkup:
    """Confirm or cancel erasing the member's data."""
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(_("Yes, erase my data"), callback_data=f"del:{nonce}")],
            [InlineKeyboardButton(_("No, keep it"), callback_data="del:no")],
        ]
    )
