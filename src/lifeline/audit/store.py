"""The audit log in Redis, a stream per tenant (entries can be added, never changed)::

    ll:t:<tenant>:audit    XADD entries: action, key_id, key_label, address, target, details

Entries older than the retention are trimmed as new ones come (``MINID ~``). Reading walks
the stream newest first from a cursor, at most ``AUDIT_PAGE_SIZE`` entries a page and ten
pages' worth of entries scanned per call when filtering by action, so no filter can make a
request run long; the cursor goes on from where the scan stopped.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import redis

from lifeline.audit.model import Actor, AuditEntry
from lifeline.core import defaults
from lifeline.core.vocabulary import AuditAction
from lifeline.db import keys


@dataclass(frozen=True, slots=True)
class AuditPage:
    """Entries newest first, and the cursor of the next (older) page, if there may be one."""

    entries: list[AuditEntry]
    next_cursor: str | None


class AuditLog:
    """A tenant's audit log."""

    def __init__(self, client: redis.Redis, tenant_id: str, *, retention_days: int) -> None:
        self.redis = client
        self.key = f"{keys.tenant(tenant_id)}audit"
        self.retention_ms = retention_days * 86_400_000

    def record(self, action: AuditAction, actor: Actor, target: str = "", **details: Any) -> str:
        """Append an entry; its id."""
        fields = {
            "action": action,
            "key_id": actor.key_id,
            "key_label": actor.label,
            "address": actor.address,
            "target": target,
            "details": json.dumps({k: str(v) for k, v in details.items()}, ensure_ascii=False),
        }
        oldest = int(time.time() * 1000) - self.retention_ms
        return cast(
            str,
            self.redis.xadd(self.key, cast(Any, fields), minid=oldest, approximate=True),
        )

    def page(
        self,
        *,
        cursor: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        actions: Iterable[str] = (),
        limit: int = defaults.AUDIT_PAGE_SIZE,
    ) -> AuditPage:
        """Entries newest first, older than ``cursor``, within ``since``..``until``."""
        wanted = set(actions)
        if cursor is not None and not any(int(part) for part in cursor.split("-")):
            return AuditPage([], None)  # nothing is older than the first possible id
        newest = f"({cursor}" if cursor else (_ms(until) if until else "+")
        oldest = _ms(since) if since else "-"
        found: list[AuditEntry] = []
        budget = limit * 10
        last: str | None = None
        while budget > 0 and len(found) < limit:
            chunk = min(budget, limit)
            raw = cast(
                list[tuple[str, dict[str, str]]],
                self.redis.xrevrange(self.key, max=newest, min=oldest, count=chunk),
            )
            budget -= chunk
            for entry_id, fields in raw:
                last = entry_id
                if not wanted or fields.get("action") in wanted:
                    found.append(_entry(entry_id, fields))
                    if len(found) == limit:
                        break
            if len(raw) < chunk:
                return AuditPage(found, None)
            newest = f"({last}"
        return AuditPage(found, last)


def _ms(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1000))


def _entry(entry_id: str, fields: dict[str, str]) -> AuditEntry:
    return AuditEntry(
        id=entry_id,
        at=datetime.fromtimestamp(int(entry_id.split("-", 1)[0]) / 1000, UTC),
        action=cast(AuditAction, fields.get("action", "")),
        actor=Actor(
            fields.get("key_id", ""), fields.get("key_label", ""), fields.get("address", "")
        ),
        target=fields.get("target", ""),
        details=json.loads(fields.get("details") or "{}"),
    )
