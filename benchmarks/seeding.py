"""Seed the synthetic tenant through Lifeline's own ``MemberStore``, so the keys are exactly
the ones the API and imports write, and measure what they cost in Redis memory."""

from __future__ import annotations

import itertools
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import redis

from lifeline.members import MemberData, MemberStore
from lifeline.members import keys as member_keys
from measure import used_memory
from population import TENANT, TOPICS, chat_id, email, language, phone

CHUNK = 5_000
"""Rows per ``upsert_many`` call (it pipelines 1,000 scripts per round trip)."""

CONSENT_AT = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)

Row = Callable[[int], MemberData]


def email_only(index: int) -> MemberData:
    """Member ``index`` reachable by email only: one channel, two topics."""
    return MemberData(
        language=language(index),
        topics=TOPICS,
        email=email(index),
        consent_given_at=CONSENT_AT,
        consent_source="benchmark",
    )


def all_channels(index: int) -> MemberData:
    """Member ``index`` with Telegram, email and phone (matched to the email-only one)."""
    return MemberData(
        language=language(index),
        topics=TOPICS,
        telegram_chat_id=chat_id(index),
        email=email(index),
        phone=phone(index),
        consent_given_at=CONSENT_AT,
        consent_source="benchmark",
    )


def upsert(client: redis.Redis, members: int, row: Row, label: str) -> float:
    """Upsert rows 0..members-1; seconds it took. Stops on the first refused row."""
    store = MemberStore(client)
    started = time.perf_counter()
    for done, chunk in enumerate(_chunks(members, row)):
        for result in store.upsert_many(TENANT, chunk):
            if isinstance(result, Exception):
                raise SystemExit(f"seeding refused a member: {result}")
        _progress(label, (done + 1) * CHUNK, members, started)
    print(file=sys.stderr)
    return time.perf_counter() - started


def _chunks(members: int, row: Row) -> Iterator[list[MemberData]]:
    for start in range(0, members, CHUNK):
        yield [row(i) for i in range(start, min(members, start + CHUNK))]


def _progress(label: str, done: int, total: int, started: float) -> None:
    done = min(done, total)
    rate = done / max(time.perf_counter() - started, 1e-9)
    print(f"\r{label}: {done:,}/{total:,} ({rate:,.0f}/s)", end="", file=sys.stderr, flush=True)


def seed(client: redis.Redis, members: int) -> dict[str, Any]:
    """Seed in two passes and measure each: email only (the issue's memory target of one
    channel and two topics), then Telegram and phone added to the same members."""
    before = used_memory(client)
    one_seconds = upsert(client, members, email_only, "seeding, email only")
    one_channel = used_memory(client)
    breakdown = key_breakdown(client, members)
    three_seconds = upsert(client, members, all_channels, "adding Telegram and phone")
    three_channels = used_memory(client)
    return {
        "members": members,
        "bytes_per_member_one_channel_two_topics": round((one_channel - before) / members, 1),
        "bytes_per_member_three_channels_two_topics": round((three_channels - before) / members, 1),
        "one_channel_breakdown_bytes_per_member": breakdown,
        "seeding_rows_per_second": round(members / one_seconds),
        "adding_channels_rows_per_second": round(members / three_seconds),
    }


def key_breakdown(client: redis.Redis, members: int) -> dict[str, float]:
    """Where a member's bytes go, by MEMORY USAGE (sampled member hashes; whole indexes)."""
    pattern = member_keys.member_key(TENANT, 0).removesuffix("0") + "*"
    sample = list(itertools.islice(client.scan_iter(match=pattern, count=1000), 200))
    hashes = sum(int(client.memory_usage(k) or 0) for k in sample) / max(len(sample), 1)
    buckets = member_keys.lookup_key(TENANT, "e", "").rsplit(":", 1)[0] + ":*"
    lookups = sum(_usage(client, k) for k in client.scan_iter(match=buckets, count=1000))
    subscribers = sum(
        _usage(client, member_keys.subscribers_key(TENANT, "email", t)) for t in TOPICS
    )
    return {
        "member_hash": round(hashes, 1),
        "email_lookup": round(lookups / members, 1),
        "subscriber_index": round(subscribers / members, 1),
    }


def _usage(client: redis.Redis, key: str) -> int:
    # SAMPLES 0 reads every element: exact, and a few hundred ms on a million.
    # redis-py leaves Redis.execute_command unannotated
    return int(client.execute_command("MEMORY", "USAGE", key, "SAMPLES", "0") or 0)  # type: ignore[no-untyped-call]
