"""Staff keep the FAQ from their Telegram group (wrapped by ``support.staff_only``):

    /faq_set KEY [de|en] | question | answer [| keyword, keyword, …]
    /faq_del KEY
    /faq_list

``/faq_set`` sets one language of an entry (the group's language when none is named) and
keeps the others; keywords, when given, replace the entry's keywords. The same rules as
``PUT /v1/faq/{key}`` apply (``lifeline.faq.make_entry``).
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from telegram import Update

from lifeline import faq
from lifeline.bot.context import BotDeps, Context, deps, reply
from lifeline.core import defaults
from lifeline.core.errors import InvalidInput
from lifeline.core.i18n import Translate, gettext_for
from lifeline.core.vocabulary import LANGUAGES


@dataclass(frozen=True, slots=True)
class FaqSet:
    """A parsed ``/faq_set``."""

    key: str
    language: str
    question: str
    answer: str
    keywords: tuple[str, ...] | None


def parse_faq_set(text: str, default_language: str) -> FaqSet | None:
    """The parts of ``KEY [lang] | question | answer [| keywords]``, or None if malformed."""
    parts = [part.strip() for part in text.split("|")]
    if len(parts) not in (3, 4) or not all(parts[:3]):
        return None
    head = parts[0].split()
    if len(head) == 1:
        key, language = head[0], default_language
    elif len(head) == 2 and head[1].lower() in LANGUAGES:
        key, language = head[0], head[1].lower()
    else:
        return None
    keywords = None
    if len(parts) == 4:
        keywords = tuple(k.strip() for k in parts[3].split(",") if k.strip())
    return FaqSet(key.lower(), language, parts[1], parts[2], keywords)


def _argument(update: Update) -> str:
    """What follows the command (newlines in an answer are kept)."""
    message = update.effective_message
    text = message.text if message is not None and message.text else ""
    parts = text.split(maxsplit=1)
    return parts[1] if len(parts) == 2 else ""


async def faq_set(update: Update, context: Context) -> None:
    """Add or change one language of an FAQ entry."""
    bot = deps(context)
    _ = gettext_for(bot.staff_language)
    wanted = parse_faq_set(_argument(update), bot.staff_language)
    if wanted is None:
        await reply(
            update,
            _(
                "Usage: /faq_set KEY [de|en] | question | answer | keywords "
                "(keywords optional, separated by commas)"
            ),
        )
        return
    existing = bot.faq.find(bot.tenant.id, wanted.key)
    try:
        entry = faq.make_entry(
            key=wanted.key,
            question={**(existing.question if existing else {}), wanted.language: wanted.question},
            answer={**(existing.answer if existing else {}), wanted.language: wanted.answer},
            keywords=wanted.keywords
            if wanted.keywords is not None
            else (existing.keywords if existing else ()),
        )
    except InvalidInput as exc:
        await reply(update, _problem(exc, _))
        return
    bot.faq.put(bot.tenant.id, entry)
    languages = ", ".join(sorted(entry.question))
    await reply(
        update,
        _("Saved {key} (languages: {languages}).").format(
            key=f"<code>{html.escape(entry.key)}</code>", languages=languages
        ),
    )


def _problem(exc: InvalidInput, _: Translate) -> str:
    """Why an entry was refused, in the staff's language (the field says which rule)."""
    field = (exc.field or "").split(".", 1)[0]
    if field == "key":
        return _("Not saved: a key has up to 40 characters a-z, 0-9, _ and -.")
    if field == "question":
        return _("Not saved: a question has at most {limit} characters.").format(
            limit=defaults.FAQ_MAX_QUESTION
        )
    if field == "answer":
        return _("Not saved: an answer has at most {limit} characters.").format(
            limit=defaults.FAQ_MAX_ANSWER
        )
    return _("Not saved: at most {count} keywords of at most {limit} characters each.").format(
        count=defaults.FAQ_MAX_KEYWORDS, limit=defaults.FAQ_MAX_KEYWORD
    )


async def faq_del(update: Update, context: Context) -> None:
    """Delete an FAQ entry."""
    bot = deps(context)
    _ = gettext_for(bot.staff_language)
    key = _argument(update).strip().lower()
    if not key or not faq.KEY_PATTERN.match(key):
        await reply(update, _("Usage: /faq_del KEY"))
        return
    shown = f"<code>{html.escape(key)}</code>"
    if bot.faq.find(bot.tenant.id, key) is None:
        await reply(update, _("There is no answer {key}.").format(key=shown))
        return
    bot.faq.delete(bot.tenant.id, key)
    await reply(update, _("Deleted {key}.").format(key=shown))


async def faq_list(update: Update, context: Context) -> None:
    """List the FAQ entries with their questions."""
    bot = deps(context)
    _ = gettext_for(bot.staff_language)
    await reply(update, faq_overview(bot, _))


def faq_overview(bot: BotDeps, _: Translate) -> str:
    """Every entry as ``key – question (languages)``, in the staff's language where it exists."""
    entries = bot.faq.list(bot.tenant.id)
    if not entries:
        return _("There are no answers yet. Add one with /faq_set.")
    lines = []
    for entry in entries:
        shown = entry.language_for(bot.staff_language, bot.tenant.default_language)
        languages = ", ".join(sorted(entry.question))
        question = html.escape(entry.question[shown])
        lines.append(f"<code>{html.escape(entry.key)}</code> – {question} ({languages})")
    return "\n".join(lines)
