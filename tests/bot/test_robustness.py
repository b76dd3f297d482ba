"""Whatever else Telegram sends gets a sensible answer or is ignored (webhook mode: a post
returns once the update is handled, so "nothing was sent" can be checked right after)."""

from __future__ import annotations

import logging

import pytest
import redis

from lifeline.core.i18n import gettext_for
from lifeline.members import MemberStore
from tests.bot.conftest import PollingDriver, WebhookDriver, actions
from tests.bot.updates import STAFF, SUPPORT_CHAT_ID, Person, bot_message

de, en = gettext_for("de"), gettext_for("en")
EXPIRED = "This button has expired. Please send the command again."


@pytest.fixture(autouse=True)
def _no_errors_logged(caplog: pytest.LogCaptureFixture) -> object:
    """No test here may leave an error (or a traceback) in the log."""
    caplog.set_level(logging.INFO)
    yield
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not bad, [r.getMessage() for r in bad]


def subscribe(webhook: WebhookDriver, person: Person) -> None:
    webhook.send(person.command("/start"))


@pytest.mark.parametrize(
    "update",
    [
        pytest.param({"edited_message": Person(1).message(text="typo fixed")}, id="edited"),
        pytest.param(
            {
                "channel_post": {
                    "message_id": 1,
                    "date": 0,
                    "chat": {"id": -100, "type": "channel"},
                    "text": "/start",
                }
            },
            id="channel-post",
        ),
        pytest.param(
            {"message": STAFF.message(new_chat_members=[Person(77).user])}, id="group-join"
        ),
        pytest.param({"message": STAFF.message(text="coffee, anyone?")}, id="staff-chatter"),
        pytest.param(
            {"message": Person(1, group_id=-100999).message(text="/status")}, id="other-group"
        ),
        pytest.param(
            {"inline_query": {"id": "1", "from": Person(1).user, "query": "x", "offset": ""}},
            id="inline-query",
        ),
    ],
)
def test_ignored_updates_get_no_answer(webhook: WebhookDriver, update: dict[str, object]) -> None:
    webhook.send(update, actions=0)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            {
                "sticker": {
                    "file_id": "s",
                    "file_unique_id": "u",
                    "width": 1,
                    "height": 1,
                    "is_animated": False,
                    "is_video": False,
                    "type": "regular",
                }
            },
            "I can only read text. Please write your question in words.",
        ),
        (
            {"photo": [{"file_id": "p", "file_unique_id": "u", "width": 1, "height": 1}]},
            "I can only read text. Please write your question in words.",
        ),
        (
            {"text": "/nonsense", "entities": [{"type": "bot_command", "offset": 0, "length": 9}]},
            "I don't know that command. /help lists what I can do.",
        ),
    ],
)
def test_private_odds_get_a_sensible_answer(
    webhook: WebhookDriver, content: dict[str, object], expected: str
) -> None:
    [answer] = webhook.send({"message": Person(31, language_code="en").message(**content)})
    assert answer.params["text"] == en(expected)


def test_without_language_code_the_tenant_default_is_used(webhook: WebhookDriver) -> None:
    [welcome] = webhook.send(Person(32, language_code=None).command("/start"))
    assert de("Send /stop at any time to unsubscribe.") in welcome.params["text"]


def test_unsupported_client_language_falls_back_to_tenant_default(webhook: WebhookDriver) -> None:
    [answer] = webhook.send(Person(33, language_code="fr").command("/help"))
    assert de("All commands") in answer.params["text"]


@pytest.mark.parametrize(
    "data", ["lang:fr", "topic:gone", "faq:gone", "del:deadbeef", "zzz:1", "nonsense"]
)
def test_stale_or_foreign_callback_data_is_answered_as_expired(
    webhook: WebhookDriver, data: str
) -> None:
    member = Person(34, language_code="en")
    subscribe(webhook, member)
    keyboard = bot_message(5, member.chat_id, "old keyboard")
    [answer] = webhook.send(member.press(data, on=keyboard))
    assert answer.route == "answerCallbackQuery"
    if data != "nonsense":  # data this bot never sends is just acknowledged
        assert answer.params.get("text") == en(EXPIRED)


def test_button_under_an_inaccessible_message_answers_anew(webhook: WebhookDriver) -> None:
    member = Person(35, language_code="de")
    subscribe(webhook, member)
    too_old = {"chat": member.chat, "message_id": 5, "date": 0}  # older than 48 h
    answered, sent = webhook.send(member.press("lang:en", on=too_old), actions=2)
    assert answered.route == "answerCallbackQuery"
    assert sent.route == "sendMessage"
    assert sent.params["text"] == en("Done: I will write to you in English from now on.")


def test_button_without_a_message_is_acknowledged(webhook: WebhookDriver) -> None:
    [answered] = webhook.send(Person(35).press("lang:en", on=None))
    assert answered.route == "answerCallbackQuery"


def test_last_topic_cannot_be_switched_off(webhook: WebhookDriver) -> None:
    member = Person(36, language_code="en")
    subscribe(webhook, member)
    keyboard = bot_message(5, member.chat_id, "topics")
    [alert] = webhook.send(member.press("topic:outages", on=keyboard))
    assert alert.params["text"] == en(
        "You need at least one topic. To stop all notices, send /stop."
    )


def test_blocked_chat_pauses_the_member(webhook: WebhookDriver, redis_client: redis.Redis) -> None:
    member = Person(37, language_code="en")
    subscribe(webhook, member)
    webhook.api.blocked_chats.add(member.chat_id)
    webhook.send(member.command("/help"))  # Telegram answers 403: nothing delivered
    found = MemberStore(redis_client).find("demo-bkk", "telegram", member.chat_id)
    assert found is not None
    assert "telegram" in found.paused
    assert webhook.api.messages_to(member.chat_id)[-1].text != en("All commands")


def test_member_blocking_the_bot_pauses_them(
    webhook: WebhookDriver, redis_client: redis.Redis
) -> None:
    member = Person(38)
    subscribe(webhook, member)
    change = {
        "chat": member.chat,
        "from": member.user,
        "date": 0,
        "old_chat_member": {
            "status": "member",
            "user": {"id": 1, "is_bot": True, "first_name": "Lifeline"},
        },
        "new_chat_member": {
            "status": "kicked",
            "until_date": 0,
            "user": {"id": 1, "is_bot": True, "first_name": "Lifeline"},
        },
    }
    webhook.send({"my_chat_member": change}, actions=0)
    found = MemberStore(redis_client).find("demo-bkk", "telegram", member.chat_id)
    assert found is not None
    assert "telegram" in found.paused


def test_start_again_resubscribes_a_stopped_member(
    webhook: WebhookDriver, redis_client: redis.Redis
) -> None:
    member = Person(39)
    subscribe(webhook, member)
    webhook.send(member.command("/stop"))
    webhook.send(member.command("/start"))
    found = MemberStore(redis_client).find("demo-bkk", "telegram", member.chat_id)
    assert found is not None
    assert not found.paused
    assert MemberStore(redis_client).count_subscribers("demo-bkk", "telegram", "outages") == 1


def test_questions_are_throttled_per_chat(webhook: WebhookDriver) -> None:
    member = Person(40, language_code="en")
    for n in range(5):
        webhook.send(member.text(f"question {n}"), actions=2)
    [wait] = webhook.send(member.text("one more"))
    assert wait.params["chat_id"] == str(member.chat_id)
    assert len(webhook.api.messages_to(SUPPORT_CHAT_ID)) == 5


def test_staff_reply_to_a_message_the_bot_did_not_relay(webhook: WebhookDriver) -> None:
    own = bot_message(999_999, SUPPORT_CHAT_ID, "an old question")
    [answer] = webhook.send(STAFF.reply_to(own, "hello?"))
    assert answer.params["text"] == de(
        "I cannot tell whom this answers: the question is older than 30 days, "
        "or it was not passed on by me."
    )
    human = bot_message(999_998, SUPPORT_CHAT_ID, "hi") | {"from": STAFF.user}
    webhook.send(STAFF.reply_to(human, "hi back"), actions=0)
    assert len(actions(webhook.api)) == 1


def test_a_long_question_is_relayed_in_parts_and_any_part_can_be_answered(
    webhook: WebhookDriver,
) -> None:
    member = Person(41, language_code="en")
    sent = webhook.send(member.text("& " * 900), actions=3)  # escaped, it is over 4096
    parts = [c for c in sent if c.params["chat_id"] == str(SUPPORT_CHAT_ID)]
    assert len(parts) == 2
    first = webhook.api.messages_to(SUPPORT_CHAT_ID)[0]
    original = bot_message(first.message_id, SUPPORT_CHAT_ID, "part one")
    to_member, _ = webhook.send(STAFF.reply_to(original, "Got it."), actions=2)
    assert to_member.params["chat_id"] == str(member.chat_id)


def test_a_nameless_sender_is_relayed(webhook: WebhookDriver) -> None:
    nameless = Person(42, first_name="", username=None)
    relayed, _ = webhook.send(nameless.text("Hallo?"), actions=2)
    header = de("Question from {who}, {about}, writes in {language}:")
    expected = header.format(who="?", about=de("not subscribed"), language="Deutsch")
    assert relayed.params["text"].startswith(expected)


MALFORMED: list[dict[str, object]] = [
    {"message": {"message_id": 1, "date": 0}},  # no chat
    {"message": {"message_id": 1, "date": 0, "chat": None}},
    {"message": {"message_id": "1", "date": 0, "chat": {"id": 5, "type": 3}}},
    {"callback_query": {"id": 7, "data": ["x"]}},
]


def test_polling_skips_malformed_updates_with_one_warning_each(
    polling: PollingDriver, caplog: pytest.LogCaptureFixture
) -> None:
    # Issue 10.2, polling mode: a malformed update neither stops polling nor reaches a handler.
    caplog.set_level(logging.WARNING, logger="lifeline.bot.intake")
    ids = [polling.api.push_update(update) for update in MALFORMED]
    [welcome] = polling.send(Person(4711, language_code="en").command("/start"))
    assert str(welcome.params["chat_id"]) == "4711"
    warnings = [r.getMessage() for r in caplog.records if r.name == "lifeline.bot.intake"]
    for update_id in ids:
        assert sum(f"update {update_id} " in w for w in warnings) == 1, warnings
