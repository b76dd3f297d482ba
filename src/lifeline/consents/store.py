"""Consent histories in Redis, one list per member, oldest first::

ll:t:<tenant>:consents:<member id>    JSON events (at most CONSENT_HISTORY_MAX)
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import cast

import redis

from lifeline.consents.model import ConsentEvent
from lifeline.core import defaults
from lifeline.db import keys


class ConsentLog:
    """Append to and read members' consent histories."""

    def __init__(self, client: redis.Redis) -> None:
        self.redis = client

    def record(self, tenant_id: str, member_id: int, *events: ConsentEvent) -> None:
        """Append events to a member's history, dropping the oldest beyond the bound."""
        if not events:
            return
        key = self._key(tenant_id, member_id)
        pipe = self.redis.pipeline()
        pipe.rpush(key, *(json.dumps(e.to_json(), ensure_ascii=False) for e in events))
        pipe.ltrim(key, -defaults.CONSENT_HISTORY_MAX, -1)
        pipe.execute()

    def record_many(self, tenant_id: str, items: Iterable[tuple[int, list[ConsentEvent]]]) -> None:
        """Append events to many members' histories, pipelined (an import's)."""
        pipe = self.redis.pipeline(transaction=False)
        for count, (member_id, events) in enumerate(items, 1):
            if not events:
                continue
            key = self._key(tenant_id, member_id)
            pipe.rpush(key, *(json.dumps(e.to_json(), ensure_ascii=False) for e in events))
            pipe.ltrim(key, -defaults.CONSENT_HISTORY_MAX, -1)
            if count % 1000 == 0:
                pipe.execute()
        pipe.execute()

    def history(self, tenant_id: str, member_id: int) -> list[ConsentEvent]:
        """A member's events, oldest first."""
        raw = cast(list[str], self.redis.lrange(self._key(tenant_id, member_id), 0, -1))
        return [ConsentEvent.from_json(json.loads(item)) for item in raw]

    def erase(self, tenant_id: str, member_id: int) -> None:
        """Forget a member's history (the member is being erased)."""
        self.redis.delete(self._key(tenant_id, member_id))

    @staticmethod
    def _key(tenant_id: str, member_id: int) -> str:
        return f"{keys.tenant(tenant_id)}consents:{member_id}"
