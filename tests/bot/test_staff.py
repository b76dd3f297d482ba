"""The staff group keeps the FAQ with /faq_set, /faq_del, /faq_list; members may not."""

from __future__ import annotations

import pytest
import redis

from lifeline.bot.faq_staff import FaqSet, parse_faq_set
from lifeline.core.i18n import gettext_for
from lifeline.faq import FaqStore
from lifeline.members import MemberStore
from tests.bot.conftest import WebhookDriver
from tests.bot.updates import STAFF, SUPPORT_CHAT_ID, Person, bot_message

de, en = gettext_for("de"), gettext_for("en")


def test_staff_set_list_and_delete_entries(
    webhook: WebhookDriver, redis_client: redis.Redis
) -> None:
    store = FaqStore(redis_client)
    [saved] = webhook.send(
        STAFF.command("/faq_set paper | Wie schicke ich Unterlagen? | Per Post. | Post, Brief")
    )
    assert saved.params["text"] == de("Saved {key} (languages: {languages}).").format(
        key="<code>paper</code>", languages="de"
    )
    webhook.send(STAFF.command("/faq_set@lifeline_bot paper en | How do I send papers? | By post."))
    entry = store.get("demo-bkk", "paper")
    assert entry.question == {"de": "Wie schicke ich Unterlagen?", "en": "How do I send papers?"}
    assert entry.keywords == ("Post", "Brief")  # kept: the second /faq_set named none

    [listing] = webhook.send(STAFF.command("/faq_list"))
    assert "<code>paper</code> – Wie schicke ich Unterlagen? (de, en)" in listing.params["text"]

    [deleted] = webhook.send(STAFF.command("/faq_del paper"))
    assert deleted.params["text"] == de("Deleted {key}.").format(key="<code>paper</code>")
    assert store.find("demo-bkk", "paper") is None
    [missing] = webhook.send(STAFF.command("/faq_del paper"))
    assert missing.params["text"] == de("There is no answer {key}.").format(
        key="<code>paper</code>"
    )


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (
            "/faq_set only-a-key",
            "Usage: /faq_set KEY [de|en] | question | answer | keywords "
            "(keywords optional, separated by commas)",
        ),
        ("/faq_set Bad/Key | q | a", "Not saved: a key has up to 40 characters a-z, 0-9, _ and -."),
        (
            "/faq_set k | " + "q" * 301 + " | a",
            "Not saved: a question has at most {limit} characters.",
        ),
        ("/faq_del", "Usage: /faq_del KEY"),
    ],
)
def test_staff_mistakes_are_explained(webhook: WebhookDriver, command: str, expected: str) -> None:
    [answer] = webhook.send(STAFF.command(command))
    assert answer.params["text"] == de(expected).format(limit=300)


def test_staff_help_in_the_group(webhook: WebhookDriver) -> None:
    [answer] = webhook.send(STAFF.command("/help"))
    assert "/faq_set" in answer.params["text"]
    assert de("List all answers") in answer.params["text"]


@pytest.mark.parametrize("command", ["/faq_set x | y | z", "/faq_del x", "/faq_list"])
def test_a_member_trying_staff_commands_is_refused_politely(
    webhook: WebhookDriver, redis_client: redis.Redis, command: str
) -> None:
    [refusal] = webhook.send(Person(61, language_code="en").command(command))
    assert refusal.params["text"] == en(
        "Sorry, that command is only for our support team. /help shows what I can do for you."
    )
    assert FaqStore(redis_client).list("demo-bkk") == []


def test_staff_commands_in_another_group_are_ignored(webhook: WebhookDriver) -> None:
    webhook.send(Person(62, group_id=-100777).command("/faq_set x | y | z"), actions=0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("k | q | a", FaqSet("k", "de", "q", "a", None)),
        ("K EN | q | a | one, two ,", FaqSet("k", "en", "q", "a", ("one", "two"))),
        ("k fr | q | a", None),
        ("k | q |", None),
        ("k | q | a | b | c", None),
    ],
)
def test_parse_faq_set(text: str, expected: FaqSet | None) -> None:
    assert parse_faq_set(text, "de") == expected


def test_answer_to_a_member_who_blocked_the_bot(
    webhook: WebhookDriver, redis_client: redis.Redis
) -> None:
    member = Person(63, language_code="en")
    webhook.send(member.command("/start"))
    webhook.send(member.text("Anyone there?"), actions=2)
    relayed = webhook.api.messages_to(SUPPORT_CHAT_ID)[-1]
    webhook.api.blocked_chats.add(member.chat_id)
    original = bot_message(relayed.message_id, SUPPORT_CHAT_ID, relayed.text)
    refused, told = webhook.send(STAFF.reply_to(original, "Yes."), actions=2)
    assert refused.status == 403
    assert told.params["text"] == de("Not delivered: the member has blocked the bot.")
    found = MemberStore(redis_client).find("demo-bkk", "telegram", member.chat_id)
    assert found is not None
    assert "telegram" in found.paused
