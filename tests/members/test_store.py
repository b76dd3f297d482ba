"""Members: record, contact lookups and subscriber index change together."""

from __future__ import annotations

import threading

import pytest
import redis

from lifeline.core.errors import Conflict, InvalidInput, NotFound
from lifeline.db import keys as db_keys
from lifeline.members import MemberData, MemberStore
from lifeline.members import keys as member_keys
from lifeline.members.store import Result

T = "demo-bkk"
PHONE = "+4915112345678"


@pytest.fixture
def members(redis_client: redis.Redis) -> MemberStore:
    return MemberStore(redis_client)


def subscribers(client: redis.Redis, kind: str, topic: str = "outages") -> set[str]:
    return {str(m) for m in MemberStore(client).iter_subscribers(T, kind, [topic])}


def test_create_indexes_each_channel_and_topic(
    members: MemberStore, redis_client: redis.Redis
) -> None:
    m = members.create(
        T,
        MemberData(
            language="en",
            topics=("outages", "service"),
            telegram_chat_id=-100123456789012,
            email="erika@example.org",
        ),
    )
    assert members.get(T, m.id).telegram_chat_id == -100123456789012
    assert subscribers(redis_client, "telegram") == {str(m.id)}
    assert subscribers(redis_client, "email", "service") == {str(m.id)}
    assert subscribers(redis_client, "sms") == set()
    assert members.find(T, "email", "erika@example.org") == m


def test_contact_belongs_to_one_member(members: MemberStore, redis_client: redis.Redis) -> None:
    members.create(T, MemberData(language="de", topics=("outages",), email="a@example.org"))
    before = sorted(redis_client.keys("*"))
    with pytest.raises(Conflict, match="email"):
        members.create(
            T,
            MemberData(
                language="de", topics=("outages",), email="a@example.org", phone="+4915112345678"
            ),
        )
    assert sorted(redis_client.keys("*")) == before


def test_same_contact_in_two_tenants_is_two_members(members: MemberStore) -> None:
    a = members.create(T, MemberData(language="de", topics=("outages",), email="a@example.org"))
    b = members.create(
        "other", MemberData(language="de", topics=("outages",), email="a@example.org")
    )
    assert a.id != b.id
    with pytest.raises(NotFound):
        members.get("other", a.id)


def test_update_moves_index_and_lookups(members: MemberStore, redis_client: redis.Redis) -> None:
    m = members.create(T, MemberData(language="de", topics=("outages",), email="a@example.org"))
    changed = members.update(
        T, m.id, {"email": None, "phone": "+4915112345678", "topics": ["service"]}
    )
    assert (changed.email, changed.phone) == (None, "+4915112345678")
    assert subscribers(redis_client, "email") == set()
    assert subscribers(redis_client, "sms", "service") == {str(m.id)}
    assert members.find(T, "email", "a@example.org") is None
    assert members.find(T, "sms", "+4915112345678") == changed


def test_update_refuses_to_remove_last_contact(members: MemberStore) -> None:
    m = members.create(T, MemberData(language="de", topics=("outages",), email="a@example.org"))
    with pytest.raises(InvalidInput):
        members.update(T, m.id, {"email": None})
    assert members.get(T, m.id).email == "a@example.org"


def test_pause_takes_member_off_one_channel(
    members: MemberStore, redis_client: redis.Redis
) -> None:
    m = members.create(
        T,
        MemberData(language="de", topics=("outages",), telegram_chat_id=42, email="a@example.org"),
    )
    members.pause(T, m.id, "telegram")
    assert subscribers(redis_client, "telegram") == set()
    assert subscribers(redis_client, "email") == {str(m.id)}
    assert members.get(T, m.id).address("telegram") is None


def test_reach_reads_what_a_batch_needs_as_the_whole_member_says_it(
    members: MemberStore,
) -> None:
    """``reach`` (language and the channel's address, none when paused) agrees with the
    whole record for every channel kind, and leaves out members that no longer exist."""
    both = members.create(
        T,
        MemberData(
            language="en", topics=("outages",), telegram_chat_id=-1001234, email="a@example.org"
        ),
    )
    german = members.create(T, MemberData(language="de", topics=("outages",), phone=PHONE))
    gone = members.create(T, MemberData(language="de", topics=("outages",), email="b@example.org"))
    members.delete(T, gone.id)
    members.pause(T, both.id, "email")
    ids = [both.id, german.id, gone.id]
    for kind in ("telegram", "email", "sms"):
        reach = members.reach(T, ids, kind)
        assert set(reach) == {both.id, german.id}
        for member_id, found in reach.items():
            whole = members.get(T, member_id)
            assert (found.language, found.address) == (whole.language, whole.address(kind))
    assert members.reach(T, ids, "telegram")[both.id].address == "-1001234"
    assert members.reach(T, ids, "email")[both.id].address is None  # paused
    assert members.reach(T, [], "email") == {}


def test_upsert_matches_by_any_contact_and_keeps_unmentioned_ones(members: MemberStore) -> None:
    m = members.create(
        T, MemberData(language="de", topics=("outages",), telegram_chat_id=7, email="a@example.org")
    )
    results = members.upsert_many(
        T,
        [
            MemberData(
                language="en", topics=("outages",), email="a@example.org", phone="+4915112345678"
            ),
            MemberData(language="en", topics=("outages",), email="new@example.org"),
            MemberData(
                language="en", topics=("outages",), telegram_chat_id=7, email="new@example.org"
            ),
        ],
    )
    assert results[0] == (m.id, False)
    new_id, created = results[1]  # type: ignore[misc]
    assert created
    assert members.get(T, new_id).email == "new@example.org"
    assert isinstance(results[2], Conflict)
    updated = members.get(T, m.id)
    assert (updated.language, updated.telegram_chat_id, updated.phone) == (
        "en",
        7,
        "+4915112345678",
    )


def test_delete_erases_everything(members: MemberStore, redis_client: redis.Redis) -> None:
    m = members.create(
        T,
        MemberData(
            language="de",
            topics=("outages", "service"),
            telegram_chat_id=7,
            email="a@example.org",
            phone="+4915112345678",
        ),
    )
    members.delete(T, m.id)
    left = redis_client.keys(f"{db_keys.tenant(T)}*")
    # Only the id counters and the (now empty) subscriber bitmaps stay.
    bitmaps = [k for k in left if ":sub:" in k]
    assert sorted(set(left) - set(bitmaps)) == [
        f"{db_keys.tenant(T)}no",
        f"{db_keys.tenant(T)}seq:m",
    ]
    assert len(bitmaps) == 6
    assert all(redis_client.bitcount(k) == 0 for k in bitmaps)
    with pytest.raises(NotFound):
        members.delete(T, m.id)


def test_contact_lookups_are_spread_over_small_compact_hashes(
    members: MemberStore, redis_client: redis.Redis
) -> None:
    rows = [
        MemberData(language="de", topics=("outages",), email=f"m{n}@example.org")
        for n in range(300)
    ]
    ids = [result[0] for result in members.upsert_many(T, rows)]  # type: ignore[index]
    buckets = redis_client.keys(f"{db_keys.tenant(T)}by:e:*")
    assert len(buckets) > 250  # 300 addresses over 32,768 buckets: few share one
    # Compact encodings (listpack; ziplist before Redis 7) hold an entry in ~16 bytes.
    assert {redis_client.object("encoding", b) for b in buckets} <= {"listpack", "ziplist"}
    for n in (0, 150, 299):
        bucket, field = member_keys.lookup(T, "e", f"m{n}@example.org")  # where Lua wrote
        assert redis_client.hgetall(bucket).get(field) == str(ids[n])
        assert f"m{n}@example.org" not in redis_client.hkeys(bucket)  # a digest, not the address


def test_rows_naming_the_same_new_address_make_one_member(members: MemberStore) -> None:
    rows = [
        MemberData(language="de", topics=("outages",), email="same@example.org"),
        MemberData(language="de", topics=("outages",), email="same@example.org", phone=PHONE),
    ]
    first, second = members.upsert_many(T, rows)
    assert isinstance(first, tuple)
    assert second == (first[0], False)
    assert members.get(T, first[0]).phone == PHONE


def test_concurrent_writers_leave_one_member_per_contact(redis_client: redis.Redis) -> None:
    # Two importers of the same people at once: every write is a compare-and-set, so one
    # of two racing writes reads again and joins the member the other one made.
    rows = [
        MemberData(language="de", topics=("outages",), email=f"race{i}@example.org")
        for i in range(400)
    ]
    results: list[list[Result]] = []

    def run() -> None:
        results.append(MemberStore(redis_client).upsert_many(T, rows, chunk=50))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    store = MemberStore(redis_client)
    ids = {store.find(T, "email", row.email or "") for row in rows}
    assert None not in ids
    assert len(ids) == len(rows)
    assert all(isinstance(r, tuple) for batch in results for r in batch)
    assert sum(r[1] for batch in results for r in batch if isinstance(r, tuple)) == len(rows)
    assert len(set(store.iter_subscribers(T, "email", ["outages"]))) == len(rows)
