"""A member: how to reach them, in which language, about which topics, and their consent."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from lifeline.core.vocabulary import CONTACT_BY_CHANNEL


@dataclass(frozen=True, slots=True)
class MemberData:
    """A member's fields as validated at the edge (API, import, bot)."""

    language: str
    topics: tuple[str, ...]
    telegram_chat_id: int | None = None
    email: str | None = None
    phone: str | None = None
    external_id: str | None = None
    """The insurer's own member number: unique in the tenant, how its staff find a member."""
    tester: bool | None = None
    """Gets exercise and test notices (CAP status exercise/test); None: not given (a stored
    member reads False)."""
    consent_given_at: datetime | None = None
    consent_source: str | None = None
    paused: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class Member(MemberData):
    """A stored member."""

    id: int = 0
    created_at: datetime | None = None

    def address(self, kind: str) -> str | None:
        """The member's address on a channel kind, unless that channel is paused."""
        if kind in self.paused:
            return None
        value = getattr(self, CONTACT_BY_CHANNEL[kind].field)
        return None if value is None else str(value)


@dataclass(frozen=True, slots=True)
class Reach:
    """How a member is reached on one channel kind: all a batch job reads of them."""

    language: str
    address: str | None
    """None: no address on that channel, or the member paused it."""
