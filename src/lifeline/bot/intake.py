"""Updates from outside — a webhook post, a getUpdates answer — checked before PTB sees them.

``Update.de_json`` builds objects from whatever JSON it gets, and handlers, filters and
PTB's own bookkeeping then trip over a message without a chat or an id that is a list.
So every update is first checked against the shape of what the handlers read (the models
below: strict types, unknown fields allowed, as Telegram adds fields over time), then
parsed once on trial. One that fails either is malformed: it is logged once, at warning
level, with its ``update_id``, and never reaches a handler.

    webhook   malformed → 400 (``MalformedUpdate``)
    polling   malformed → replaced by an empty update of the same id, so the offset moves
              on past it and no handler sees it (``SanitizingBot``)
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from telegram import Update
from telegram.ext import ExtBot

from lifeline.core.errors import LifelineError
from lifeline.core.locations import dotted

log = logging.getLogger(__name__)


class MalformedUpdate(LifelineError):
    """An update that is not shaped as Telegram sends them; the message says where."""


class _Shape(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True, populate_by_name=True)


class UserShape(_Shape):
    id: int
    is_bot: bool
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None


class ChatShape(_Shape):
    id: int
    type: str
    title: str | None = None
    username: str | None = None


class EntityShape(_Shape):
    type: str
    offset: int
    length: int


class MessageShape(_Shape):
    message_id: int
    date: int
    chat: ChatShape
    from_: UserShape | None = Field(default=None, alias="from")
    sender_chat: ChatShape | None = None
    text: str | None = None
    caption: str | None = None
    entities: list[EntityShape] | None = None
    caption_entities: list[EntityShape] | None = None
    new_chat_members: list[UserShape] | None = None
    left_chat_member: UserShape | None = None
    reply_to_message: MessageShape | None = None


MessageShape.model_rebuild()  # it refers to itself (reply_to_message)


class CallbackQueryShape(_Shape):
    id: str
    from_: UserShape = Field(alias="from")
    chat_instance: str
    data: str | None = None
    message: MessageShape | None = None
    """An inaccessible message (date 0) has the same three fields a message must have."""


class MemberStatusShape(_Shape):
    status: str
    user: UserShape


class MemberChangeShape(_Shape):
    chat: ChatShape
    from_: UserShape = Field(alias="from")
    date: int
    old_chat_member: MemberStatusShape
    new_chat_member: MemberStatusShape


class UpdateShape(_Shape):
    update_id: int
    message: MessageShape | None = None
    edited_message: MessageShape | None = None
    channel_post: MessageShape | None = None
    edited_channel_post: MessageShape | None = None
    callback_query: CallbackQueryShape | None = None
    my_chat_member: MemberChangeShape | None = None
    chat_member: MemberChangeShape | None = None


def parse(data: dict[str, Any], bot: ExtBot[Any], tenant_id: str) -> Update:
    """The update in ``data``; MalformedUpdate (logged once) when it is not one."""
    try:
        UpdateShape.model_validate(data)
        update = Update.de_json(data, bot)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = dotted(first["loc"]) or "update"
        raise _malformed(data, tenant_id, f"{where}: {first['msg']}") from None
    except Exception as exc:  # de_json raises whatever the shape provokes: all mean malformed
        raise _malformed(data, tenant_id, type(exc).__name__) from None
    if update is None:
        raise _malformed(data, tenant_id, "empty")
    return update


def _malformed(data: dict[str, Any], tenant_id: str, why: str) -> MalformedUpdate:
    update_id = data.get("update_id")
    named = update_id if isinstance(update_id, int) and not isinstance(update_id, bool) else "?"
    log.warning("tenant %s: malformed update %s ignored: %s", tenant_id, named, why)
    return MalformedUpdate(f"not a Telegram update: {why}")


class SanitizingBot(ExtBot[Any]):
    """PTB's bot, except that a malformed update in a getUpdates answer is logged and
    replaced by an empty one, instead of breaking the polling loop or a handler."""

    def __init__(self, *args: Any, tenant_id: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        with self._unfrozen():  # PTB objects refuse new attributes once built
            self.tenant_id = tenant_id

    async def _post(self, endpoint: str, data: Any = None, *args: Any, **kwargs: Any) -> Any:
        # PTB's one way to every Bot API call (pinned to PTB 22 in pyproject).
        result = await super()._post(endpoint, data, *args, **kwargs)
        if endpoint != "getUpdates" or not isinstance(result, list):
            return result
        return [clean for raw in result if (clean := self._checked(raw)) is not None]

    def _checked(self, raw: Any) -> dict[str, Any] | None:
        if not isinstance(raw, dict):
            log.warning("tenant %s: a getUpdates entry that is no object dropped", self.tenant_id)
            return None
        try:
            parse(raw, self, self.tenant_id)
        except MalformedUpdate:
            update_id = raw.get("update_id")
            if isinstance(update_id, int) and not isinstance(update_id, bool):
                return {"update_id": update_id}  # the offset moves past it; nobody handles it
            return None
        return raw
