"""Conversation state lives in Redis: a restarted bot carries on where the last one stopped."""

from __future__ import annotations

import redis

from lifeline.config import Settings
from lifeline.core.i18n import gettext_for
from lifeline.members import MemberStore
from tests.bot.conftest import WebhookDriver, button_data, serve_webhook
from tests.bot.updates import STAFF, SUPPORT_CHAT_ID, Person, bot_message
from tests.providers.botapi import BotApiServer

en = gettext_for("en")


def test_delete_confirmed_after_a_restart_erases_everything(
    bot_settings: Settings, bot_api: BotApiServer, redis_client: redis.Redis
) -> None:
    member = Person(71, language_code="en")
    with serve_webhook(bot_settings, bot_api) as first:
        first.send(member.command("/start"))
        [ask] = first.send(member.command("/delete"))
    assert ask.params["text"] == en("Erase all your data (language, topics, this chat) for good?")
    confirm, cancel = button_data(ask)
    assert cancel == "del:no"
    keyboard = bot_message(11, member.chat_id, ask.params["text"])

    with serve_webhook(bot_settings, bot_api) as second:
        _, done = second.send(member.press(confirm, on=keyboard), actions=2)
        assert done.params["text"] == en(
            "Your data has been erased. Goodbye! Send /start if you ever want to come back."
        )
        [again] = second.send(member.press(confirm, on=keyboard))
    assert again.params["text"] == en("This button has expired. Please send the command again.")
    assert MemberStore(redis_client).find("demo-bkk", "telegram", member.chat_id) is None
    assert not [k for k in redis_client.scan_iter("*") if k.endswith(f":{member.chat_id}")]


def test_delete_cancelled_keeps_the_member(
    webhook: WebhookDriver, redis_client: redis.Redis
) -> None:
    member = Person(72, language_code="en")
    webhook.send(member.command("/start"))
    [ask] = webhook.send(member.command("/delete"))
    keyboard = bot_message(12, member.chat_id, ask.params["text"])
    _, kept = webhook.send(member.press("del:no", on=keyboard), actions=2)
    assert kept.params["text"] == en("Nothing was erased.")
    assert MemberStore(redis_client).find("demo-bkk", "telegram", member.chat_id) is not None


def test_staff_can_answer_after_a_restart(
    bot_settings: Settings, bot_api: BotApiServer, redis_client: redis.Redis
) -> None:
    member = Person(73, language_code="en")
    with serve_webhook(bot_settings, bot_api) as first:
        first.send(member.text("Is the app down?"), actions=2)
    relayed = bot_api.messages_to(SUPPORT_CHAT_ID)[-1]
    original = bot_message(relayed.message_id, SUPPORT_CHAT_ID, relayed.text)
    with serve_webhook(bot_settings, bot_api) as second:
        to_member, _ = second.send(STAFF.reply_to(original, "Yes, since 9:00."), actions=2)
    assert to_member.params["chat_id"] == str(member.chat_id)
    assert "Yes, since 9:00." in to_member.params["text"]


def test_a_language_chosen_before_subscribing_is_kept(
    bot_settings: Settings, bot_api: BotApiServer, redis_client: redis.Redis
) -> None:
    visitor = Person(74, language_code="de")
    with serve_webhook(bot_settings, bot_api) as first:
        first.send(visitor.command("/language"))
        keyboard = bot_message(13, visitor.chat_id, "choose")
        first.send(visitor.press("lang:en", on=keyboard), actions=2)
    with serve_webhook(bot_settings, bot_api) as second:
        [welcome] = second.send(visitor.command("/start"))
    assert en("Send /stop at any time to unsubscribe.") in welcome.params["text"]
    member = MemberStore(redis_client).find("demo-bkk", "telegram", visitor.chat_id)
    assert member is not None
    assert member.language == "en"
