"""Notices of a tenant: the stored document, its status and the Idempotency-Key index.

ll:seq:notice                 notice ids (global: another tenant's id is simply not found)
ll:t:<tenant>:n:<id>          hash: doc (JSON), status, created (ms), plan, planned_at, …
ll:t:<tenant>:notices         sorted set of the tenant's notice ids by creation time
ll:t:<tenant>:n:<id>:fu       list of a notice's updates and resolve, in posting order
ll:t:<tenant>:idem:<digest>   "<id>:<fingerprint>" of an Idempotency-Key (expires)
"""

from __future__ import annotations

import builtins
import hashlib
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, cast

import redis

from lifeline.core import defaults
from lifeline.core.errors import Conflict, NotFound
from lifeline.db import keys, scripts
from lifeline.notices.model import Notice, from_document

LEGACY_NOTICE_SEQ = keys.global_key("seq:notice")
"""The counter all tenants shared before 0.2; a tenant's own counter starts where it was."""


def _counter(tenant_id: str) -> str:
    return f"{keys.tenant(tenant_id)}seq:notice"


def notice_key(tenant_id: str, notice_id: int) -> str:
    """Hash of one notice: its JSON document and status fields."""
    return f"{keys.tenant(tenant_id)}n:{notice_id}"


def notices_key(tenant_id: str) -> str:
    """Sorted set of a tenant's notice ids by creation time (ms)."""
    return f"{keys.tenant(tenant_id)}notices"


def _followups(tenant_id: str, notice_id: int) -> str:
    return f"{keys.tenant(tenant_id)}n:{notice_id}:fu"


def _idempotency(tenant_id: str, idempotency_key: str) -> str:
    return f"{keys.tenant(tenant_id)}idem:{_digest(idempotency_key)}"


class NoticeStore:
    """Tenant-scoped access to notices; one instance per Redis client."""

    def __init__(self, client: redis.Redis) -> None:
        self.redis = client
        self._create = scripts.load(client, __package__, "create.lua")
        self._next_id = scripts.load(client, __package__, "next_id.lua")

    def create(
        self,
        tenant_id: str,
        doc: dict[str, Any],
        *,
        idempotency_key: str | None = None,
        fingerprint: str = "",
        parent_id: int | None = None,
        fields: Mapping[str, str] | None = None,
    ) -> tuple[Notice, bool]:
        """Store a notice; with a known Idempotency-Key return the first one instead.

        ``fields`` are stored with it in the same step (a pending approval must never be
        seen without its mark). ``created`` is False for a replay; a replay whose request
        differs raises Conflict.
        """
        idem = _idempotency(tenant_id, idempotency_key) if idempotency_key else None
        if idem is not None:
            known = cast(str | None, self.redis.get(idem))
            if known is not None:
                return self._replay(tenant_id, known, fingerprint), False
        notice_id = int(self._next_id(keys=[_counter(tenant_id), LEGACY_NOTICE_SEQ]))
        index = notices_key(tenant_id) if parent_id is None else _followups(tenant_id, parent_id)
        status, value = self._create(
            keys=[notice_key(tenant_id, notice_id), index, *([idem] if idem else [])],
            args=[
                notice_id,
                json.dumps(doc, ensure_ascii=False),
                fingerprint,
                defaults.IDEMPOTENCY_TTL_SECONDS,
                int(time.time() * 1000),
                "notices" if parent_id is None else "followups",
                *(item for pair in (fields or {}).items() for item in pair),
            ],
        )
        if status == "created":
            return self.get(tenant_id, int(value)), True
        return self._replay(tenant_id, value, fingerprint), False

    def replayed(self, tenant_id: str, idempotency_key: str, fingerprint: str) -> Notice | None:
        """The notice an earlier request with this key created, if any; Conflict if the
        earlier request was a different one."""
        value = cast(str | None, self.redis.get(_idempotency(tenant_id, idempotency_key)))
        return None if value is None else self._replay(tenant_id, value, fingerprint)

    def _replay(self, tenant_id: str, recorded: str, fingerprint: str) -> Notice:
        """The notice an Idempotency-Key recorded; Conflict if it was another request's."""
        notice_id, _, first_fingerprint = recorded.partition(":")
        if first_fingerprint != fingerprint:
            raise Conflict("Idempotency-Key was already used with a different request body")
        return self.get(tenant_id, int(notice_id))

    def get(self, tenant_id: str, notice_id: int) -> Notice:
        """The notice with this id in this tenant; NotFound otherwise (also for other tenants')."""
        fields = cast(dict[str, str], self.redis.hgetall(notice_key(tenant_id, notice_id)))
        if not fields:
            raise NotFound(f"notice {notice_id} not found")
        return _decode(tenant_id, notice_id, fields)

    def list(self, tenant_id: str, *, limit: int = 50) -> list[Notice]:
        """The newest notices, active ones first."""
        raw = cast(list[str], self.redis.zrevrange(notices_key(tenant_id), 0, limit - 1))
        ids = [int(i) for i in raw]
        pipe = self.redis.pipeline(transaction=False)
        for notice_id in ids:
            pipe.hgetall(notice_key(tenant_id, notice_id))
        found = [
            _decode(tenant_id, nid, fields)
            for nid, fields in zip(ids, pipe.execute(), strict=True)
            if fields
        ]
        return sorted(found, key=lambda n: n.status != "active")  # stable: newest first within

    def followups(self, tenant_id: str, notice_id: int) -> builtins.list[Notice]:
        """A notice's updates and resolve, oldest first."""
        return self.followups_of(tenant_id, [notice_id])[notice_id]

    def followups_of(
        self, tenant_id: str, notice_ids: Sequence[int]
    ) -> dict[int, builtins.list[Notice]]:
        """The follow-ups of each of these notices, oldest first, in two round trips."""
        pipe = self.redis.pipeline(transaction=False)
        for notice_id in notice_ids:
            pipe.lrange(_followups(tenant_id, notice_id), 0, -1)
        lists = cast(builtins.list[builtins.list[str]], pipe.execute())
        for raw in lists:
            for followup_id in raw:
                pipe.hgetall(notice_key(tenant_id, int(followup_id)))
        records = iter(pipe.execute())
        found: dict[int, builtins.list[Notice]] = {}
        for notice_id, raw in zip(notice_ids, lists, strict=True):
            decoded = [(int(fid), next(records)) for fid in raw]
            found[notice_id] = [_decode(tenant_id, fid, f) for fid, f in decoded if f]
        return found

    def resolve(self, tenant_id: str, notice_id: int) -> bool:
        """Mark a notice resolved; False if it already was (its unsent messages stop)."""
        key = notice_key(tenant_id, notice_id)
        with self.redis.pipeline() as pipe:
            pipe.hget(key, "status")
            pipe.hset(key, mapping={"status": "resolved", "resolved_at": str(time.time())})
            previous, _ = pipe.execute()
        return bool(previous != "resolved")

    def created_between(self, tenant_id: str, start_ms: float, end_ms: float) -> builtins.list[int]:
        """Ids of notices (with their follow-ups) created in this span, oldest first."""
        found = self.redis.zrangebyscore(notices_key(tenant_id), start_ms, end_ms)
        ids = [int(i) for i in cast(builtins.list[str], found)]
        pipe = self.redis.pipeline(transaction=False)
        for notice_id in ids:
            pipe.lrange(_followups(tenant_id, notice_id), 0, -1)
        followups = [int(f) for found in pipe.execute() for f in found]
        return ids + followups

    def unplanned(self, tenant_id: str, notice_ids: builtins.list[int]) -> builtins.list[Notice]:
        """Those of these notices whose planning job was never queued."""
        pipe = self.redis.pipeline(transaction=False)
        for notice_id in notice_ids:
            pipe.hget(notice_key(tenant_id, notice_id), "plan")
        marks = pipe.execute()
        return [
            self.get(tenant_id, notice_id)
            for notice_id, mark in zip(notice_ids, marks, strict=True)
            if mark is None
        ]

    def mark(self, tenant_id: str, notice_id: int, **fields: str) -> None:
        """Record progress fields of a notice (plan state, resolved time, …)."""
        # redis-py types mapping keys invariantly; a dict[str, str] is what it takes.
        self.redis.hset(notice_key(tenant_id, notice_id), mapping=cast(Any, fields))

    def mark_once(self, tenant_id: str, notice_id: int, name: str, value: str) -> bool:
        """Set a field only if it is not set yet; True if this call set it."""
        return bool(self.redis.hsetnx(notice_key(tenant_id, notice_id), name, value))

    def fields(self, tenant_id: str, notice_id: int, *names: str) -> dict[str, str]:
        """Those of these stored fields that are set."""
        values = self.redis.hmget(notice_key(tenant_id, notice_id), list(names))
        return {n: v for n, v in zip(names, cast(list[str | None], values), strict=True) if v}

    def field(self, tenant_id: str, notice_id: int, name: str) -> str | None:
        """One stored field of a notice (e.g. ``planned``)."""
        return cast(str | None, self.redis.hget(notice_key(tenant_id, notice_id), name))


def _digest(idempotency_key: str) -> str:
    return hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]


def _decode(tenant_id: str, notice_id: int, fields: dict[str, str]) -> Notice:
    created = datetime.fromtimestamp(int(fields["created"]) / 1000, UTC)
    notice = from_document(notice_id, tenant_id, json.loads(fields["doc"]), created_at=created)
    status = fields.get("status", "active")
    approval = fields.get("approval")
    now = datetime.now(UTC)
    if approval == "pending":
        lapsed = int(fields.get("approval_until", 0)) <= now.timestamp() * 1000
        status = "expired" if lapsed else "pending_approval"
    elif approval == "rejected":
        status = "rejected"
    if status == "active" and notice.expires_at and notice.expires_at <= now:
        status = "expired"
    return replace(notice, status=cast(Any, status), approval=cast(Any, approval))
