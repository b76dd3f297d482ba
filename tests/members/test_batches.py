"""Issue 14.6: subscribers cut into batches from their bitmap, dense ones as bitmap slices."""

from __future__ import annotations

import random

import pytest
import redis

from lifeline.members import MemberData, MemberStore, batches
from lifeline.members.keys import TENANT_SLOTS

T = "demo-bkk"


def _ids(bitmap: bytes, tenant_number: int) -> list[int]:
    """The ids a bitmap holds, bit by bit: what every batch form must come back to."""
    return [
        (index * 8 + bit) * TENANT_SLOTS + tenant_number
        for index, byte in enumerate(bitmap)
        for bit in range(8)
        if byte & (0x80 >> bit)
    ]


@pytest.mark.parametrize("density", [0.0, 0.002, 0.05, 0.5, 0.93, 1.0])
@pytest.mark.parametrize("size", [1, 7, 500])
def test_batches_hold_every_member_once_in_order(density: float, size: int) -> None:
    rng = random.Random(f"{density}-{size}")
    bitmap = bytes(sum(0x80 >> b for b in range(8) if rng.random() < density) for _ in range(2_000))
    cut = list(batches.cut(bitmap, 5, size))
    found = [batches.member_ids(batch) for _, batch in cut]
    assert [n for n, _ in cut] == [len(ids) for ids in found]
    assert all(n == size for n, _ in cut[:-1])
    assert [i for ids in found for i in ids] == _ids(bitmap, 5)


def test_dense_batches_are_slices_and_sparse_ones_lists() -> None:
    dense = list(batches.cut(b"\xff" * 125, 3, 500))
    assert [type(batch) for _, batch in dense] == [bytes, bytes]
    assert len(dense[0][1]) < 80  # 500 members: a 63-byte slice and its header
    sparse = list(batches.cut(b"\x01" + b"\x00" * 99 + b"\x80", 3, 500))
    assert sparse == [(2, [7 * TENANT_SLOTS + 3, 800 * TENANT_SLOTS + 3])]


def test_a_slice_of_an_unknown_form_is_refused() -> None:
    with pytest.raises(ValueError, match="form"):
        batches.member_ids(b"\x09" + b"\x00" * 6 + b"\xff")


def test_the_store_cuts_what_it_walks(redis_client: redis.Redis) -> None:
    members = MemberStore(redis_client)
    rows = [
        MemberData(
            language="de",
            topics=("outages",) if n % 3 else ("service",),
            email=f"m{n}@example.org",
            tester=n % 10 == 0,
        )
        for n in range(1_300)
    ]
    members.upsert_many(T, rows)
    for topics, testers in (
        (["outages"], False),
        (["outages", "service"], False),
        (["outages"], True),
    ):
        walked = list(members.iter_subscribers(T, "email", topics, testers_only=testers))
        cut = list(members.subscriber_batches(T, "email", topics, 500, testers_only=testers))
        assert [i for _, batch in cut for i in batches.member_ids(batch)] == walked
        assert sum(n for n, _ in cut) == len(walked) > 0
