"""The Telegram channel against the Bot API stand-in."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator

import pytest

from lifeline.channels import Delivered, Failed, Message, Recipient, RetryLater
from lifeline.channels.telegram import TelegramChannel, TelegramConfig
from lifeline.config import settings_from_dict
from lifeline.core.errors import ConfigError
from tests.providers.botapi import BotApiServer
from tests.providers.fixtures import BOT_TOKEN

CHAT = 4242


def telegram_config(api_base: str, token: str = BOT_TOKEN) -> TelegramConfig:
    return TelegramConfig(token=token, api_base=api_base)


def member(chat_id: int | str = CHAT) -> Recipient:
    return Recipient(member_id=1, address=str(chat_id), language="de")


def units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def paragraphs(count: int, size: int) -> str:
    """``count`` paragraphs of about ``size`` characters, each numbered."""
    words = " ".join(f"<b>Störung</b> &amp; Wort{i}" for i in range(size // 25))
    return "\n\n".join(f"Absatz {n}: {words}" for n in range(count))


@pytest.fixture
async def channel(bot_api: BotApiServer) -> AsyncIterator[TelegramChannel]:
    config = telegram_config(bot_api.api_base)
    channel = config.create(kind="telegram", tenant_id="demo-bkk")
    assert isinstance(channel, TelegramChannel)
    async with channel:
        yield channel


# --- sending ----------------------------------------------------------------------------


async def test_sends_html_without_link_preview(
    channel: TelegramChannel, bot_api: BotApiServer
) -> None:
    outcome = await channel.send(member(), Message(text="<b>Störung</b> der App &amp; Website"))
    [sent] = bot_api.delivered
    assert outcome == Delivered(provider_id=str(sent.message_id))
    assert sent.chat_id == CHAT
    assert sent.text == "<b>Störung</b> der App &amp; Website"
    assert sent.params["parse_mode"] == "HTML"
    assert json.loads(sent.params["link_preview_options"]) == {"is_disabled": True}
    assert "reply_parameters" not in sent.params


async def test_initializes_once_per_batch(channel: TelegramChannel, bot_api: BotApiServer) -> None:
    for _ in range(3):
        await channel.send(member(), Message(text="Update"))
    assert len(bot_api.calls_to("getMe")) == 1
    assert len(bot_api.calls_to("sendMessage")) == 3


async def test_follow_up_replies_to_the_earlier_message(
    channel: TelegramChannel, bot_api: BotApiServer
) -> None:
    await channel.send(member(), Message(text="Behoben.", reply_to="17"))
    [sent] = bot_api.delivered
    reply = json.loads(sent.params["reply_parameters"])
    assert reply == {"message_id": 17, "allow_sending_without_reply": True}


async def test_long_text_arrives_as_ordered_parts(
    channel: TelegramChannel, bot_api: BotApiServer
) -> None:
    text = paragraphs(30, 900)
    outcome = await channel.send(member(), Message(text=text))
    sent = bot_api.messages_to(CHAT)
    assert len(sent) >= 6
    assert all(units(m.text) <= 4096 for m in sent)
    assert [m.message_id for m in sent] == sorted(m.message_id for m in sent)
    assert "\n\n".join(m.text for m in sent) == text
    assert outcome == Delivered(provider_id=str(sent[0].message_id))


async def test_a_retry_sends_only_the_parts_not_yet_sent(
    channel: TelegramChannel, bot_api: BotApiServer
) -> None:
    text = paragraphs(12, 900)
    bot_api.fail_next(1, "ok")
    bot_api.fail_next(1, "500")
    first = await channel.send(member(), Message(text=text))
    assert isinstance(first, RetryLater)
    assert len(bot_api.delivered) == 1
    second = await channel.send(member(), Message(text=text))
    sent = bot_api.messages_to(CHAT)
    assert "\n\n".join(m.text for m in sent) == text  # each part exactly once
    assert second == Delivered(provider_id=str(sent[0].message_id))


async def test_flood_control_is_retried_after_telegrams_wait(
    channel: TelegramChannel, bot_api: BotApiServer
) -> None:
    bot_api.retry_after = 7
    bot_api.fail_next(1, "retry_after")
    outcome = await channel.send(member(), Message(text="Hallo"))
    assert isinstance(outcome, RetryLater)
    assert outcome.after == 7
    assert "retry" in outcome.reason.lower()
    assert bot_api.delivered == []


async def test_server_error_is_retried(channel: TelegramChannel, bot_api: BotApiServer) -> None:
    bot_api.fail_next(1, "500")
    outcome = await channel.send(member(), Message(text="Hallo"))
    assert isinstance(outcome, RetryLater)
    assert "Internal Server Error" in outcome.reason
    assert await channel.send(member(), Message(text="Hallo")) == Delivered(
        provider_id=str(bot_api.delivered[0].message_id)
    )


@pytest.mark.parametrize(
    ("fault", "description"),
    [
        ("blocked", "forbidden: bot was blocked by the user"),
        ("deactivated", "forbidden: user is deactivated"),
        ("chat_not_found", "chat not found"),
    ],
)
async def test_gone_chats_unsubscribe(
    channel: TelegramChannel, bot_api: BotApiServer, fault: str, description: str
) -> None:
    bot_api.fail_next(1, fault)
    outcome = await channel.send(member(), Message(text="Hallo"))
    assert isinstance(outcome, Failed)
    assert outcome.unsubscribe
    assert description in outcome.reason.lower()
    assert bot_api.delivered == []


async def test_blocked_chat_fails_while_others_are_delivered(
    channel: TelegramChannel, bot_api: BotApiServer
) -> None:
    bot_api.blocked_chats.add(666)
    bot_api.missing_chats.add(777)
    outcomes = [await channel.send(member(chat), Message(text="Hi")) for chat in (666, 777, 1)]
    assert [type(o) for o in outcomes] == [Failed, Failed, Delivered]
    assert all(isinstance(o, Failed) and o.unsubscribe for o in outcomes[:2])
    assert [m.chat_id for m in bot_api.delivered] == [1]


async def test_other_bad_requests_fail_without_unsubscribing(
    channel: TelegramChannel, bot_api: BotApiServer
) -> None:
    outcome = await channel.send(member(), Message(text="<div>kein Telegram-HTML</div>"))
    assert isinstance(outcome, Failed)
    assert not outcome.unsubscribe
    assert "can't parse entities" in outcome.reason.lower()


async def test_rejected_token_fails_every_send_without_leaking_it(bot_api: BotApiServer) -> None:
    wrong = "999999:wrong-token-value"
    async with telegram_config(bot_api.api_base, token=wrong).create(
        kind="telegram", tenant_id="demo-bkk"
    ) as channel:
        outcomes = [await channel.send(member(), Message(text="Hallo")) for _ in range(2)]
    for outcome in outcomes:
        assert isinstance(outcome, Failed)
        assert not outcome.unsubscribe
        assert "Unauthorized" in outcome.reason
        assert wrong not in outcome.reason
    assert len(bot_api.calls_to("getMe")) == 1
    assert bot_api.calls_to("sendMessage") == []


async def test_a_slow_bot_api_times_out_and_the_channel_recovers(bot_api: BotApiServer) -> None:
    bot_api.slow_seconds = 3.0
    bot_api.fail_next(1, "slow")
    config = telegram_config(bot_api.api_base)
    async with TelegramChannel(config, kind="telegram", tenant_id="t", timeout=0.5) as channel:
        slow = await channel.send(member(), Message(text="Hallo"))
        fine = await channel.send(member(), Message(text="Hallo"))
    assert isinstance(slow, RetryLater)
    assert isinstance(fine, Delivered)
    assert len(bot_api.delivered) == 1


async def test_unreachable_bot_api_is_retried_later() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = telegram_config(f"http://127.0.0.1:{port}/bot")
    async with config.create(kind="telegram", tenant_id="demo-bkk") as channel:
        outcome = await channel.send(member(), Message(text="Hallo"))
    assert isinstance(outcome, RetryLater)
    assert BOT_TOKEN not in outcome.reason


async def test_many_concurrent_sends_share_one_bot(
    channel: TelegramChannel, bot_api: BotApiServer
) -> None:
    chats = range(1, 41)
    outcomes = await asyncio.gather(
        *(channel.send(member(chat), Message(text=f"Nachricht an {chat}")) for chat in chats)
    )
    assert all(isinstance(o, Delivered) for o in outcomes)
    assert len({o.provider_id for o in outcomes if isinstance(o, Delivered)}) == 40
    assert sorted(m.chat_id for m in bot_api.delivered) == list(chats)


async def test_random_failures_are_never_counted_as_delivered(
    channel: TelegramChannel, bot_api: BotApiServer
) -> None:
    bot_api.failure_rate = 0.4
    outcomes = await asyncio.gather(
        *(channel.send(member(chat), Message(text="Hallo")) for chat in range(1, 61))
    )
    delivered_chats = {int(m.chat_id) for m in bot_api.delivered}
    ok_chats = {
        chat for chat, o in zip(range(1, 61), outcomes, strict=True) if isinstance(o, Delivered)
    }
    assert 0 < len(ok_chats) < 60
    assert delivered_chats == ok_chats


# --- config -----------------------------------------------------------------------------


def test_api_base_must_be_http() -> None:
    raw = {
        "tenants": [
            {
                "id": "demo-bkk",
                "name": "Demo BKK",
                "channels": {
                    "telegram": {
                        "provider": "telegram",
                        "token": "1:x",
                        "api_base": "ftp://example.org/bot",
                    }
                },
            }
        ]
    }
    with pytest.raises(ConfigError, match=r"tenants\[0\]\.channels\.telegram\.api_base: .*http"):
        settings_from_dict(raw, env={})


def test_token_is_masked_in_repr_and_str() -> None:
    config = telegram_config("http://127.0.0.1:1/bot", token="123:very-secret")
    channel = config.create(kind="telegram", tenant_id="demo-bkk")
    for shown in (repr(config), str(config), repr(channel)):
        assert "very-secret" not in shown
