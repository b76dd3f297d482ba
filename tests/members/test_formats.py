"""Issue 14.6: the smaller stored formats, and data written in the formats before them."""

from __future__ import annotations

import pytest
import redis

from lifeline.core.errors import Conflict
from lifeline.members import MemberData, MemberStore
from lifeline.members import keys as member_keys
from lifeline.members.codec import decode

T = "demo-bkk"
EMAIL = "erika@example.org"
PHONE = "+4915112345678"


@pytest.fixture
def members(redis_client: redis.Redis) -> MemberStore:
    return MemberStore(redis_client)


def _as_before_issue_14(client: redis.Redis, member_id: int, short: str, address: str) -> None:
    """Rewrite one lookup entry, and the record's language and creation time, as Lifeline
    wrote them before issue 14: the address as field, "l": "de", "cr" in base 36."""
    bucket, field = member_keys.lookup(T, short, address)
    client.hdel(bucket, field)
    client.hset(bucket, address, str(member_id))
    client.hdel(member_keys.member_key(T, member_id), "a")
    client.hset(member_keys.member_key(T, member_id), mapping={"l": "de", "cr": "tkz0s0"})


def test_german_is_implied_and_other_languages_stored(
    members: MemberStore, redis_client: redis.Redis
) -> None:
    m = members.create(T, MemberData(language="de", topics=("outages",), email=EMAIL))
    key = member_keys.member_key(T, m.id)
    assert "l" not in redis_client.hgetall(key)
    assert m.language == "de"
    assert members.update(T, m.id, {"language": "en"}).language == "en"
    assert redis_client.hget(key, "l") == "en"
    assert members.update(T, m.id, {"language": "de"}).language == "de"
    assert "l" not in redis_client.hgetall(key)


def test_created_is_stored_as_a_decimal_and_read_in_base_36_too(
    members: MemberStore, redis_client: redis.Redis
) -> None:
    m = members.create(T, MemberData(language="en", topics=("outages",), email=EMAIL))
    stored = redis_client.hget(member_keys.member_key(T, m.id), "a")
    assert stored is not None
    assert stored.isdigit()
    assert len(stored) == 10
    assert m.created_at is not None
    assert int(m.created_at.timestamp()) == int(stored)
    old = decode(m.id, {"e": EMAIL, "cr": "tkz0s0"})
    assert old.created_at is not None
    assert int(old.created_at.timestamp()) == int("tkz0s0", 36)


def test_a_lookup_holds_a_digest_as_an_integer_not_the_address(
    members: MemberStore, redis_client: redis.Redis
) -> None:
    m = members.create(T, MemberData(language="de", topics=("outages",), email=EMAIL))
    bucket, field = member_keys.lookup(T, "e", EMAIL)
    assert redis_client.hgetall(bucket) == {field: str(m.id)}
    assert 0 <= int(field) < 2**63  # a listpack holds it as an 8-byte integer


def test_lookups_written_before_issue_14_are_found_and_rewritten(
    members: MemberStore, redis_client: redis.Redis
) -> None:
    m = members.create(
        T, MemberData(language="de", topics=("outages",), email=EMAIL, external_id="A123")
    )
    _as_before_issue_14(redis_client, m.id, "e", EMAIL)
    _as_before_issue_14(redis_client, m.id, "i", "A123")
    found = members.find(T, "email", EMAIL)
    assert found is not None
    assert found.id == m.id
    assert found.created_at is not None
    assert found.language == "de"
    assert members.find_external(T, "A123") == found
    assert members.find_ids(T, "email", [EMAIL, "nobody@example.org"]) == [m.id, None]
    with pytest.raises(Conflict):
        members.create(T, MemberData(language="de", topics=("outages",), email=EMAIL))
    [(same, created)] = members.upsert_many(  # type: ignore[misc]
        T, [MemberData(language="de", topics=("service",), email=EMAIL, phone=PHONE)]
    )
    assert (same, created) == (m.id, False)
    bucket, field = member_keys.lookup(T, "e", EMAIL)
    assert redis_client.hgetall(bucket) == {field: str(m.id)}  # the write rewrote it
    bucket, field = member_keys.lookup(T, "i", "A123")
    assert redis_client.hgetall(bucket) == {field: str(m.id)}
    record = redis_client.hgetall(member_keys.member_key(T, m.id))
    assert "l" not in record
    assert "cr" not in record
    assert record["a"] == "tkz0s0"  # renamed; the creation time stays what it was
    assert members.get(T, m.id).created_at == found.created_at


def test_an_old_lookup_goes_with_its_member(
    members: MemberStore, redis_client: redis.Redis
) -> None:
    m = members.create(T, MemberData(language="de", topics=("outages",), email=EMAIL))
    _as_before_issue_14(redis_client, m.id, "e", EMAIL)
    members.delete(T, m.id)
    assert redis_client.hgetall(member_keys.lookup_key(T, "e", EMAIL)) == {}
    assert members.create(T, MemberData(language="de", topics=("outages",), email=EMAIL))


def test_a_lookup_that_names_another_address_finds_nobody(
    members: MemberStore, redis_client: redis.Redis
) -> None:
    # Two addresses with one digest (some 10⁻¹¹ at 3 million members): the record decides.
    other = members.create(T, MemberData(language="de", topics=("outages",), email=EMAIL))
    bucket, field = member_keys.lookup(T, "e", "max@example.org")
    redis_client.hset(bucket, field, str(other.id))
    assert members.find(T, "email", "max@example.org") is None
    assert members.find(T, "email", EMAIL) == other
