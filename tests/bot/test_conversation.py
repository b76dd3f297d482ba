"""The scripted member conversation of issue 3, in webhook and in polling mode, in English and
in German: every reply is checked against the catalogue of the language it must be in.

/start with a deep-link topic → choose the language → /topics → /status shows an active
notice → /faq finds the sick-note answer → a question reaches the staff group → the staff
reply reaches the member → /stop.
"""

from __future__ import annotations

import html
from typing import Any, TypedDict

import pytest
import redis

from lifeline.config import Settings
from lifeline.core.i18n import gettext_for, language_name, ngettext_for
from lifeline.faq import FaqStore, make_entry
from lifeline.members import MemberStore
from lifeline.notices import NoticeStore, lifecycle
from lifeline.notices.schemas import NoticeIn
from tests.bot.conftest import Driver, button_data
from tests.bot.updates import STAFF, SUPPORT_CHAT_ID, Person, bot_message

NOTICE: dict[str, Any] = {
    "severity": "major",
    "headline": {"de": "eAU-Übermittlung gestört", "en": "Electronic sick notes down"},
    "body": {"de": "Wir arbeiten an der Behebung.", "en": "We are working on a fix."},
    "services": ["eau"],
    "topics": ["outages"],
}


class FaqFields(TypedDict):
    """What ``make_entry`` takes besides the key."""

    question: dict[str, str]
    answer: dict[str, str]
    keywords: list[str]


SICK_NOTE: FaqFields = {
    "question": {
        "de": "Wie bekomme ich eine Krankschreibung, wenn die eAU gestört ist?",
        "en": "How do I get a sick note while the eAU is down?",
    },
    "answer": {
        "de": "Bitten Sie Ihre Arztpraxis um eine Bescheinigung auf Papier (Muster 1).",
        "en": "Ask your doctor for a paper certificate (Muster 1).",
    },
    "keywords": ["sick note", "Krankschreibung", "AU"],
}
SICKNESS_BENEFIT: FaqFields = {
    "question": {"de": "Wann kommt mein Krankengeld?", "en": "When is sickness benefit paid?"},
    "answer": {"de": "Etwas später als sonst.", "en": "A little later than usual."},
    "keywords": ["Krankengeld", "sickness benefit"],
}


def seed(settings: Settings, client: redis.Redis) -> None:
    """An active notice and two FAQ entries, stored the way the API stores them."""
    tenant = settings.tenants[0]
    NoticeStore(client).create(tenant.id, lifecycle.prepare(tenant, NoticeIn(**NOTICE)))
    store = FaqStore(client)
    store.put(tenant.id, make_entry(key="sick-note", **SICK_NOTE))
    store.put(tenant.id, make_entry(key="krankengeld", **SICKNESS_BENEFIT))


@pytest.mark.parametrize(("language", "client_language"), [("en", "de"), ("de", "en")])
def test_member_conversation(
    driver: Driver,
    bot_settings: Settings,
    redis_client: redis.Redis,
    language: str,
    client_language: str,
) -> None:
    seed(bot_settings, redis_client)
    members = MemberStore(redis_client)
    member = Person(chat_id=424242, language_code=client_language)
    first, _ = gettext_for(client_language), gettext_for(language)
    staff = gettext_for("de")  # the tenant's default language

    # /start from the deep link t.me/<bot>?start=service, in the client's language.
    [welcome] = driver.send(member.command("/start service"))
    assert welcome.params["chat_id"] == str(member.chat_id)
    greeting = welcome.params["text"]
    assert first("Welcome to the service line of {tenant}!").format(tenant="Demo BKK") in greeting
    assert first("Send /stop at any time to unsubscribe.") in greeting
    assert "@demo_bkk_status" in greeting  # the broadcast channel tip
    stored = members.find("demo-bkk", "telegram", member.chat_id)
    assert stored is not None
    assert stored.topics == ("outages", "service")
    assert stored.language == client_language

    # /language, then the button of the language to switch to.
    [choose] = driver.send(member.command("/language"))
    assert choose.params["text"] == first("Choose your language:")
    assert f"lang:{language}" in button_data(choose)
    keyboard = bot_message(9001, member.chat_id, choose.params["text"])
    answered, edited = driver.send(member.press(f"lang:{language}", on=keyboard), actions=2)
    assert answered.route == "answerCallbackQuery"
    assert edited.params["text"] == _("Done: I will write to you in English from now on.")
    assert language_name(language) in {"English", "Deutsch"}

    # /topics: both on (default + deep link); switch "service" off.
    [topics] = driver.send(member.command("/topics"))
    assert topics.params["text"] == _("Which topics do you want to hear about? Tap to switch.")
    assert button_data(topics) == ["topic:outages", "topic:service"]
    keyboard = bot_message(9002, member.chat_id, topics.params["text"])
    toggled, _markup = driver.send(member.press("topic:service", on=keyboard), actions=2)
    assert toggled.params["text"] == _("Now off: {topic}").format(topic=_("Service news"))
    stored = members.find("demo-bkk", "telegram", member.chat_id)
    assert stored is not None
    assert stored.topics == ("outages",)

    # /status: the active notice, with what to do instead of the eAU.
    header, notice = driver.send(member.command("/status"), actions=2)
    count = ngettext_for(language)(
        "There is {count} current notice:", "There are {count} current notices:", 1
    )
    assert header.params["text"] == count.format(count=1)
    assert NOTICE["headline"][language] in notice.params["text"]
    instead = {"en": "Ask your doctor for a paper certificate", "de": "Bescheinigung auf Papier"}
    assert instead[language] in notice.params["text"]

    # /faq with a few words finds the matching answer, in the member's language.
    words = {"en": "sick note", "de": "Krankschreibung"}[language]
    [answer] = driver.send(member.command(f"/faq {words}"))
    assert SICK_NOTE["answer"][language] in answer.params["text"]
    assert html.escape(SICK_NOTE["question"][language]) in answer.params["text"]

    # Free text is a question for support: to the staff group, with who asked and how.
    question = {"en": "Where do I send my certificate?", "de": "Wohin schicke ich den Schein?"}
    relayed, thanks = driver.send(member.text(question[language]), actions=2)
    assert relayed.params["chat_id"] == str(SUPPORT_CHAT_ID)
    copy = relayed.params["text"]
    assert question[language] in copy
    assert language_name(language, "de") in copy
    assert (
        staff("Reply to this message to answer; the bot sends your answer to the member.") in copy
    )
    assert thanks.params["text"] == _(
        "Thank you. Your question has been passed on to our support team; they will answer here."
    )

    # The staff reply goes back to the member, introduced in the member's language.
    relayed_id = driver.api.messages_to(SUPPORT_CHAT_ID)[-1].message_id
    original = bot_message(relayed_id, SUPPORT_CHAT_ID, relayed.params["text"])
    to_member, confirmed = driver.send(
        STAFF.reply_to(original, "Bitte per Post an die Geschäftsstelle."), actions=2
    )
    assert to_member.params["chat_id"] == str(member.chat_id)
    answer_text = to_member.params["text"]
    assert _("Answer from the support team of {tenant}:").format(tenant="Demo BKK") in answer_text
    assert "Bitte per Post an die Geschäftsstelle." in answer_text
    assert confirmed.params["chat_id"] == str(SUPPORT_CHAT_ID)
    assert confirmed.params["text"] == staff("Sent to the member.")

    # /stop: no more notices on Telegram; the member record stays for /start.
    [bye] = driver.send(member.command("/stop"))
    assert bye.params["text"] == _(
        "You will no longer receive notices here. Send /start to subscribe again, "
        "or /delete to erase your data."
    )
    stopped = members.find("demo-bkk", "telegram", member.chat_id)
    assert stopped is not None
    assert "telegram" in stopped.paused
    assert members.count_subscribers("demo-bkk", "telegram", "outages") == 0
