"""FAQ entries of a tenant: one Redis hash, key → JSON document.

An FAQ has tens of entries, not millions, so search reads them all (one HGETALL) and
scores them in Python (``lifeline.faq.search``).

    ll:t:<tenant>:faq    hash: key → {"q": question, "a": answer, "k": keywords, "u": updated}
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any, cast

import redis

from lifeline.core.errors import NotFound
from lifeline.db import keys
from lifeline.faq.model import FaqEntry


def _faq(tenant_id: str) -> str:
    return f"{keys.tenant(tenant_id)}faq"


class FaqStore:
    """Tenant-scoped access to FAQ entries; one instance per Redis client."""

    def __init__(self, client: redis.Redis) -> None:
        self.redis = client

    def put(self, tenant_id: str, entry: FaqEntry) -> tuple[FaqEntry, bool]:
        """Store an entry under its key, replacing one there; True if it is new."""
        stored = FaqEntry(
            entry.key,
            entry.question,
            entry.answer,
            entry.keywords,
            datetime.fromtimestamp(int(time.time()), UTC),
        )
        created = self.redis.hset(_faq(tenant_id), entry.key, _encode(stored))
        return stored, bool(created)

    def get(self, tenant_id: str, key: str) -> FaqEntry:
        """The entry with this key; NotFound otherwise."""
        raw = cast(str | None, self.redis.hget(_faq(tenant_id), key))
        if raw is None:
            raise NotFound(f"FAQ entry {key!r} not found")
        return _decode(key, raw)

    def find(self, tenant_id: str, key: str) -> FaqEntry | None:
        """The entry with this key, or None."""
        raw = cast(str | None, self.redis.hget(_faq(tenant_id), key))
        return None if raw is None else _decode(key, raw)

    def list(self, tenant_id: str) -> list[FaqEntry]:
        """All entries, ordered by key."""
        found = cast(dict[str, str], self.redis.hgetall(_faq(tenant_id)))
        return [_decode(key, found[key]) for key in sorted(found)]

    def delete(self, tenant_id: str, key: str) -> None:
        """Remove the entry; NotFound if there is none."""
        if not self.redis.hdel(_faq(tenant_id), key):
            raise NotFound(f"FAQ entry {key!r} not found")


def _encode(entry: FaqEntry) -> str:
    doc: dict[str, Any] = {
        "q": entry.question,
        "a": entry.answer,
        "k": list(entry.keywords),
        "u": int(entry.updated_at.timestamp()) if entry.updated_at else None,
    }
    return json.dumps(doc, ensure_ascii=False)


def _decode(key: str, raw: str) -> FaqEntry:
    doc = json.loads(raw)
    updated = doc.get("u")
    return FaqEntry(
        key=key,
        question=dict(doc["q"]),
        answer=dict(doc["a"]),
        keywords=tuple(doc.get("k") or ()),
        updated_at=datetime.fromtimestamp(updated, UTC) if updated else None,
    )
