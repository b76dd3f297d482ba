"""The receipt index the ledger writes with each send, and receipts applied to the ledger:
who counts as reached for follow-ups, what expires when, and what a receipt cannot touch."""

from __future__ import annotations

import time

import redis
import redis.asyncio as aioredis

from lifeline.delivery import receipts, records
from lifeline.delivery.ledger import DeliveryLedger
from lifeline.delivery.receipts import Receipt
from lifeline.delivery.records import DAY_SECONDS, receipts_key
from lifeline.members import MemberData, MemberStore

T = "a"


def today() -> int:
    return int(time.time()) // DAY_SECONDS


async def send(redis_url: str, kind: str, outcomes: dict[int, tuple[str, str]]) -> None:
    """Claim and record these members' outcomes for notice 1, as a batch run does."""
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        ledger = DeliveryLedger(client, T, 1, kind)
        async with ledger.running():
            for member_id, (outcome, detail) in outcomes.items():
                await ledger.claim(member_id)
                await ledger.record(member_id, outcome, detail)
        await ledger.retain(3 * DAY_SECONDS)
    finally:
        await client.aclose()


def apply(client: redis.Redis, kind: str, receipt: Receipt) -> str:
    return receipts.apply(client, MemberStore(client), T, kind, receipt, retention_days=3)


async def test_sends_are_indexed_by_provider_id_and_expire_with_their_records(
    redis_client: redis.Redis, redis_url: str
) -> None:
    await send(redis_url, "sms", {1: ("sent", "m-1"), 2: ("sent", ""), 3: ("failed", "bad")})
    await send(redis_url, "telegram", {1: ("sent", "17")})
    index = receipts_key(T, "sms", today())
    assert redis_client.hgetall(index) == {"m-1": "1:1"}  # no id, no failure: nothing to find
    assert not redis_client.exists(receipts_key(T, "telegram", today()))  # no receipts there
    records_ttl = redis_client.ttl(records.deliveries_key(T, 1, "sms"))
    assert 0 < records_ttl <= redis_client.ttl(index) <= records_ttl + DAY_SECONDS
    assert receipts.find(redis_client, T, "sms", "m-1", retention_days=3) == receipts.Sent(1, 1)


def test_a_receipt_is_found_on_any_day_the_records_are_kept(redis_client: redis.Redis) -> None:
    redis_client.hset(receipts_key(T, "sms", today() - 3), "old", "4:2")
    redis_client.hset(receipts_key(T, "sms", today() - 9), "older", "3:2")
    assert receipts.find(redis_client, T, "sms", "old", retention_days=3) == receipts.Sent(4, 2)
    assert receipts.find(redis_client, T, "sms", "older", retention_days=3) is None


async def test_follow_ups_go_to_the_sent_and_delivered_not_the_undeliverable(
    redis_client: redis.Redis, redis_url: str
) -> None:
    sent = {m: ("sent", f"m-{m}") for m in (1, 2, 3)}
    await send(redis_url, "sms", sent | {4: ("failed", "invalid number")})
    assert apply(redis_client, "sms", Receipt("m-1", "delivered")) == "delivered"
    assert apply(redis_client, "sms", Receipt("m-2", "undeliverable", "expired")) == "undeliverable"
    reached = dict(records.sent_to(redis_client, T, 1, "sms"))
    assert reached == {1: "m-1", 3: "m-3"}
    assert records.message_ids(redis_client, T, 1, "sms", [1, 2, 3, 4]) == {1: "m-1", 3: "m-3"}
    got = records.progress(redis_client, T, 1, ("sms",))["sms"]
    assert (got.sent, got.failed, got.delivered, got.undeliverable) == (3, 1, 1, 1)


async def test_a_receipt_changes_only_a_sent_recipient(
    redis_client: redis.Redis, redis_url: str
) -> None:
    await send(redis_url, "email", {1: ("sent", "<x@h>")})
    redis_client.hset(records.deliveries_key(T, 1, "email"), "1", "k:member deleted")
    assert apply(redis_client, "email", Receipt("<x@h>", "delivered")) == "unknown"
    assert records.state_of(redis_client, T, 1, "email", 1) == "k:member deleted"
    assert apply(redis_client, "email", Receipt("<nobody@h>", "delivered")) == "unknown"


async def test_a_hard_bounce_of_an_erased_member_pauses_nobody(
    redis_client: redis.Redis, redis_url: str
) -> None:
    store = MemberStore(redis_client)
    member = store.create(T, MemberData(language="de", topics=("outages",), email="e@x.org"))
    await send(redis_url, "email", {member.id: ("sent", "<gone@h>")})
    store.delete(T, member.id)
    bounce = Receipt("<gone@h>", "undeliverable", "550 5.1.1", hard_bounce=True)
    assert apply(redis_client, "email", bounce) == "undeliverable"
