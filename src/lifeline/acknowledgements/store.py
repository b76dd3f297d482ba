"""Who acknowledged a notice, on which channel, when; and how many did per channel.

Keys, per tenant and notice (beside the notice's delivery records):

    n:<id>:ack    hash member id → ``<channel>:<unix seconds>`` (names members: it expires
                  with the notice's delivery records, whose keys the caller passes)
    n:<id>:ackc   hash ``total`` and channel → count (names nobody: kept)

A member acknowledges a notice once; a second press, link or reply changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

import redis

from lifeline.core import defaults
from lifeline.core.vocabulary import CHANNEL_KINDS, ChannelKind
from lifeline.db import keys, scripts


def acks_key(tenant_id: str, notice_id: int) -> str:
    """Hash member id → how and when they acknowledged the notice."""
    return f"{keys.tenant(tenant_id)}n:{notice_id}:ack"


def counts_key(tenant_id: str, notice_id: int) -> str:
    """Hash ``total`` and channel → how many acknowledged the notice."""
    return f"{keys.tenant(tenant_id)}n:{notice_id}:ackc"


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    """One member's acknowledgement of a notice."""

    member_id: int
    channel: ChannelKind
    at: datetime


class AckStore:
    """Tenant-scoped acknowledgements; one instance per Redis client."""

    def __init__(self, client: redis.Redis) -> None:
        self.redis = client
        self._record = scripts.load(client, __package__, "acknowledge.lua")

    def record(
        self,
        tenant_id: str,
        notice_id: int,
        member_id: int,
        channel: ChannelKind,
        *,
        lives_with: Sequence[str] = (),
    ) -> bool:
        """Record that a member acknowledged; False when they had already.

        The record goes when the last of the ``lives_with`` keys (the notice's delivery
        records) does, else after ``DELIVERY_RETENTION_DAYS``.
        """
        now = int(datetime.now(UTC).timestamp())
        keep = defaults.DELIVERY_RETENTION_DAYS * 86400
        return bool(
            self._record(
                keys=[
                    acks_key(tenant_id, notice_id),
                    counts_key(tenant_id, notice_id),
                    *lives_with,
                ],
                args=[member_id, channel, now, keep],
            )
        )

    def counts(self, tenant_id: str, notice_id: int) -> dict[str, int]:
        """``total`` and every channel kind → how many acknowledged (0 when none)."""
        raw = cast(dict[str, str], self.redis.hgetall(counts_key(tenant_id, notice_id)))
        return {name: int(raw.get(name, 0)) for name in ("total", *CHANNEL_KINDS)}

    def get(self, tenant_id: str, notice_id: int, member_id: int) -> Acknowledgement | None:
        """A member's acknowledgement of a notice, if any."""
        raw = cast(str | None, self.redis.hget(acks_key(tenant_id, notice_id), str(member_id)))
        return None if raw is None else _decode(member_id, raw)

    def acknowledged(self, tenant_id: str, notice_id: int, member_ids: Sequence[int]) -> set[int]:
        """Those of these members who acknowledged the notice (one round trip)."""
        if not member_ids:
            return set()
        found = self.redis.hmget(acks_key(tenant_id, notice_id), [str(m) for m in member_ids])
        return {m for m, raw in zip(member_ids, found, strict=True) if raw is not None}


def _decode(member_id: int, raw: str) -> Acknowledgement:
    channel, _, seconds = raw.partition(":")
    at = datetime.fromtimestamp(int(seconds or 0), UTC)
    return Acknowledgement(member_id, cast(ChannelKind, channel), at)
