"""The bot's memory of a chat, and its erasure (issue 10.6)."""

from __future__ import annotations

import redis

from lifeline.conversations import ChatState, RelayTarget

T = "demo-bkk"


def test_erase_forgets_a_chats_relayed_questions(redis_client: redis.Redis) -> None:
    state = ChatState(redis_client, T)
    state.set_language(501, "en")
    state.remember_relay(-100, 7, RelayTarget(chat_id=501, member_id=None, language="en"))
    state.remember_relay(-100, 8, RelayTarget(chat_id=501, member_id=None, language="en"))
    state.remember_relay(-100, 9, RelayTarget(chat_id=502, member_id=None, language="de"))
    state.allow_question(501)

    state.erase(501)

    assert state.relay_target(-100, 7) is None
    assert state.relay_target(-100, 8) is None
    assert state.language(501) is None
    assert state.relay_target(-100, 9) is not None  # another person's question stays
    assert not [k for k in redis_client.scan_iter("*") if "501" in k]


def test_forget_after_subscribing_keeps_the_relays(redis_client: redis.Redis) -> None:
    # /start moves the language onto the member; an open question must still be answerable.
    state = ChatState(redis_client, T)
    state.set_language(503, "en")
    state.remember_relay(-100, 10, RelayTarget(chat_id=503, member_id=None, language="en"))
    state.forget(503)
    assert state.language(503) is None
    assert state.relay_target(-100, 10) is not None
