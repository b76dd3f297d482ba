"""Telegram updates as the Bot API sends them (JSON), for the bot's tests.

member = Person(chat_id=4242, language_code="de")
member.command("/start service")          # entities as Telegram sets them
member.text("Where do I send my certificate?")
member.press("lang:en", on=keyboard_message)
STAFF.reply_to(relayed_message_id, "Please send it by post.")
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import Any

from tests.providers.botapi import BOT_USER

SUPPORT_CHAT_ID = -1001234567890
"""The tenant's staff group in the bot tests."""

_ids = itertools.count(10_000)


def _next_id() -> int:
    return next(_ids)


@dataclass(frozen=True)
class Person:
    """A Telegram user writing to the bot from their private chat (or from a group)."""

    chat_id: int
    language_code: str | None = "de"
    first_name: str = "Erika"
    username: str | None = "erika_m"
    group_id: int | None = None
    """When set, the person writes in that group instead of the private chat."""

    @property
    def user(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.chat_id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    @property
    def chat(self) -> dict[str, Any]:
        if self.group_id is not None:
            return {"id": self.group_id, "type": "supergroup", "title": "Staff"}
        return {"id": self.chat_id, "type": "private", "first_name": self.first_name}

    def message(self, **fields: Any) -> dict[str, Any]:
        """A new message from this person with these fields (text, sticker, photo, …)."""
        return {
            "message_id": _next_id(),
            "date": int(time.time()),
            "chat": self.chat,
            "from": self.user,
            **fields,
        }

    def text(self, text: str, **fields: Any) -> dict[str, Any]:
        """An update carrying a text message."""
        return {"message": self.message(text=text, **fields)}

    def command(self, text: str, **fields: Any) -> dict[str, Any]:
        """An update carrying a command (``/faq sick note``), marked as Telegram marks it."""
        length = len(text.split()[0])
        entity = {"type": "bot_command", "offset": 0, "length": length}
        return self.text(text, entities=[entity], **fields)

    def reply_to(self, message: dict[str, Any], text: str) -> dict[str, Any]:
        """An update replying to ``message`` (a Message object as JSON)."""
        return self.text(text, reply_to_message=message)

    def press(self, data: str, *, on: dict[str, Any] | None) -> dict[str, Any]:
        """An update for pressing an inline button of the bot's message ``on``."""
        query: dict[str, Any] = {
            "id": str(_next_id()),
            "from": self.user,
            "chat_instance": f"ci-{self.chat_id}",
            "data": data,
        }
        if on is not None:
            query["message"] = on
        return {"callback_query": query}


STAFF = Person(chat_id=5151, first_name="Sam", username="sam_support", group_id=SUPPORT_CHAT_ID)
"""A support agent writing in the staff group."""


def bot_message(message_id: int, chat_id: int, text: str, **fields: Any) -> dict[str, Any]:
    """A message the bot sent, as it appears inside a later update (reply or button press)."""
    chat = (
        {"id": chat_id, "type": "supergroup", "title": "Staff"}
        if chat_id < 0
        else {"id": chat_id, "type": "private", "first_name": "Erika"}
    )
    return {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": chat,
        "from": BOT_USER,
        "text": text,
        **fields,
    }
