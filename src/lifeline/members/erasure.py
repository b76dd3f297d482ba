"""Erasing a member: the record, its contacts and subscriptions, the consent history, and
what the bot kept about the member's chat (its relayed questions too), so that nothing
reaches an erased person.

Delivery records keep member ids (not contacts) until their retention ends
(``worker.delivery_retention_days``).
"""

from __future__ import annotations

from lifeline.consents import ConsentLog
from lifeline.conversations import ChatState
from lifeline.members.model import Member
from lifeline.members.store import MemberStore


def erase(store: MemberStore, tenant_id: str, member_id: int) -> Member:
    """Erase the member with everything tied to the person; NotFound if there is none."""
    member = store.get(tenant_id, member_id)
    store.delete(tenant_id, member_id)
    if member.telegram_chat_id is not None:
        ChatState(store.redis, tenant_id).erase(member.telegram_chat_id)
    ConsentLog(store.redis).erase(tenant_id, member_id)
    return member
