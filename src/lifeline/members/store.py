"""Members of a tenant in Redis: their record, contact lookups and the subscriber index
(the key layout is in ``keys``).

A write is a compare-and-set: the store reads the contacts' owners and the record, works
out the new record and every lookup and bit that changes, and ``lua/apply.lua`` writes it
all at once — unless something it read has changed meanwhile, when the store reads again.
No reader ever sees record, lookups and index disagree.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, cast

import redis

from lifeline.core import defaults
from lifeline.core.errors import Conflict, InvalidInput, NotFound
from lifeline.core.vocabulary import CONTACT_BY_CHANNEL, CONTACT_BY_SHORT
from lifeline.db import keys, scripts
from lifeline.members import batches
from lifeline.members.batches import MemberIds
from lifeline.members.change import (
    Changes,
    Read,
    SaveMode,
    addresses,
    busy,
    merged,
    target,
)
from lifeline.members.codec import decode, decode_reach, encode, reach_fields
from lifeline.members.keys import (
    EXTERNAL_ID,
    IDENTIFIERS,
    TENANT_SEQ,
    TENANT_SLOTS,
    TESTERS,
    counter_key,
    lookup,
    member_key,
    number_key,
    subscribers_key,
)
from lifeline.members.model import Member, MemberData, Reach

Result = tuple[int, bool] | Conflict | InvalidInput
"""One row of ``upsert_many``: (member id, created) or why it was refused."""


class MemberStore:
    """Tenant-scoped access to members; one instance per Redis client."""

    def __init__(self, client: redis.Redis) -> None:
        self.redis = client
        self._apply = scripts.load(client, __package__, "apply.lua")
        self._allocate = scripts.load(client, __package__, "allocate.lua")
        self._owners = scripts.load(client, __package__, "owners.lua")
        self._read = scripts.load(client, __package__, "records.lua")
        self._reach = scripts.load(client, __package__, "reach.lua")

    # --- writes ----------------------------------------------------------------------------

    def create(self, tenant_id: str, data: MemberData) -> Member:
        """Store a new member; Conflict if one of its contacts already belongs to a member."""
        member_id, _ = self._save(tenant_id, "create", encode(data))
        return self.get(tenant_id, member_id)

    def update(self, tenant_id: str, member_id: int, changes: Mapping[str, Any]) -> Member:
        """Change some fields (a value of None removes it); NotFound, Conflict, InvalidInput."""
        self._save(tenant_id, "update", encode(changes) | {"id": str(member_id)})
        return self.get(tenant_id, member_id)

    def upsert_many(
        self,
        tenant_id: str,
        rows: Sequence[MemberData],
        *,
        chunk: int = defaults.IMPORT_WRITE_CHUNK,
    ) -> list[Result]:
        """Create or update members matched by any contact, pipelined; one result per row."""
        results: list[Result] = []
        now = time.time()
        for start in range(0, len(rows), chunk):
            docs = [encode(row, now=now) for row in rows[start : start + chunk]]
            results.extend(self._upsert_chunk(tenant_id, docs))
        return results

    def delete(self, tenant_id: str, member_id: int) -> None:
        """Erase a member with its contacts and subscriptions; NotFound if absent."""
        for _ in range(defaults.MEMBER_WRITE_ATTEMPTS):
            record = self._record(tenant_id, str(member_id))
            if record is None:
                raise NotFound(f"member {member_id} not found")
            contacts = {s: record[s] for s in IDENTIFIERS if s in record}
            changes = Changes()
            changes.erase(
                tenant_id, str(member_id), record, self._owners_of(tenant_id, [contacts])[0]
            )
            if self._apply_all(changes) == ["ok"]:
                return
        raise busy(member_id)

    def pause(self, tenant_id: str, member_id: int, kind: str) -> None:
        """Stop sending to this member on one channel (e.g. the bot was blocked)."""
        member = self.get(tenant_id, member_id)
        if kind not in member.paused:
            self.update(tenant_id, member_id, {"paused": member.paused | {kind}})

    # --- reads -----------------------------------------------------------------------------

    def get(self, tenant_id: str, member_id: int) -> Member:
        """The member with this id in this tenant; NotFound otherwise."""
        fields = cast(dict[str, str], self.redis.hgetall(member_key(tenant_id, member_id)))
        if not fields:
            raise NotFound(f"member {member_id} not found")
        return decode(member_id, fields)

    def get_many(self, tenant_id: str, member_ids: Iterable[int]) -> dict[int, Member]:
        """The members that still exist among these ids, in one round trip (one script: a
        pipeline of HGETALLs cost a worker twice the CPU, in redis-py's per-command work)."""
        ids = list(member_ids)
        if not ids:
            return {}
        replies = self._read(keys=[member_key(tenant_id, m) for m in ids])
        return {
            mid: decode(mid, dict(zip(flat[::2], flat[1::2], strict=True)))
            for mid, flat in zip(ids, replies, strict=True)
            if flat
        }

    def reach(self, tenant_id: str, member_ids: Iterable[int], kind: str) -> dict[int, Reach]:
        """How the existing members among these are reached on a channel kind, in one round
        trip (decoding whole members was half a batch job's own work outside its sends)."""
        if not (ids := list(member_ids)):
            return {}
        replies = self._reach(keys=[member_key(tenant_id, m) for m in ids], args=reach_fields(kind))
        return {m: decode_reach(kind, v) for m, v in zip(ids, replies, strict=True) if v != 0}

    def find(self, tenant_id: str, kind: str, address: str | int) -> Member | None:
        """The member reachable at this address on this channel kind, if any."""
        return self._find(tenant_id, CONTACT_BY_CHANNEL[kind].short, str(address))

    def find_external(self, tenant_id: str, external_id: str) -> Member | None:
        """The member with this external id (the insurer's member number), if any."""
        return self._find(tenant_id, EXTERNAL_ID, external_id)

    def _find(self, tenant_id: str, short: str, address: str) -> Member | None:
        bucket, field = lookup(tenant_id, short, address)
        found = _owner(cast(list[str | None], self.redis.hmget(bucket, [field, address])))
        if found is None:
            return None
        member = self.get(tenant_id, found)
        # A digest names the address: check it is this one (see ``keys.lookup``).
        return member if _address(member, short) == address else None

    def find_ids(
        self,
        tenant_id: str,
        kind: str,
        addresses: Sequence[str],
        *,
        chunk: int = defaults.IMPORT_LOOKUP_CHUNK,
    ) -> list[int | None]:
        """The id of the member at each address on a channel kind (None: nobody), pipelined."""
        short = CONTACT_BY_CHANNEL[kind].short
        found: list[int | None] = []
        for start in range(0, len(addresses), chunk):
            pipe = self.redis.pipeline(transaction=False)
            for address in addresses[start : start + chunk]:
                bucket, field = lookup(tenant_id, short, address)
                pipe.hmget(bucket, [field, address])
            found.extend(_owner(reply) for reply in pipe.execute())
        return found

    def count_subscribers(self, tenant_id: str, kind: str, topic: str) -> int:
        """How many members a notice on this topic reaches on this channel."""
        return int(self.redis.bitcount(subscribers_key(tenant_id, kind, topic)))

    def count_audience(
        self,
        tenant_id: str,
        kinds: Sequence[str],
        topics: Sequence[str],
        *,
        testers_only: bool = False,
    ) -> int:
        """How many members a notice on these channels and topics reaches, each once."""
        sources = [subscribers_key(tenant_id, k, t) for k in kinds for t in topics]
        if not sources:
            return 0
        key = f"{keys.tenant(tenant_id)}tmp:{uuid.uuid4().hex}"
        pipe = self.redis.pipeline(transaction=False)
        pipe.bitop("OR", key, *sources)
        if testers_only:
            testers = [subscribers_key(tenant_id, kind, TESTERS) for kind in kinds]
            pipe.bitop("OR", f"{key}:t", *testers)
            pipe.bitop("AND", key, key, f"{key}:t")
        pipe.bitcount(key)
        pipe.delete(key, f"{key}:t")
        return int(pipe.execute()[-2])

    def iter_subscribers(
        self,
        tenant_id: str,
        kind: str,
        topics: Sequence[str],
        *,
        testers_only: bool = False,
        chunk: int = defaults.PLAN_BITMAP_CHUNK_BYTES,
    ) -> Iterator[int]:
        """Ids of the members reachable on ``kind`` who follow any of ``topics``, each once
        (with ``testers_only``, only those flagged ``tester``).

        Several topics are OR-ed into a short-lived bitmap in Redis first (and AND-ed with
        the testers'); the bitmap is then read in chunks, so a million members are about
        125 kB to walk.
        """
        with self._subscribers(tenant_id, kind, topics, testers_only) as (key, tenant_number):
            yield from batches.walk(self.redis, key, tenant_number, chunk)

    def subscriber_batches(
        self,
        tenant_id: str,
        kind: str,
        topics: Sequence[str],
        size: int,
        *,
        testers_only: bool = False,
        chunk: int = defaults.PLAN_BITMAP_CHUNK_BYTES,
    ) -> Iterator[tuple[int, MemberIds]]:
        """The members ``iter_subscribers`` finds, in batches of ``size`` in the compact
        form of ``batches``: (how many, the batch)."""
        with self._subscribers(tenant_id, kind, topics, testers_only) as (key, tenant_number):
            bitmap = b"".join(batches.read(self.redis, key, chunk))
        yield from batches.cut(bitmap, tenant_number, size)

    @contextlib.contextmanager
    def _subscribers(
        self, tenant_id: str, kind: str, topics: Sequence[str], testers_only: bool
    ) -> Iterator[tuple[str, int]]:
        """The bitmap of these subscribers (a short-lived one when topics are OR-ed) and
        the tenant's number."""
        sources = [subscribers_key(tenant_id, kind, topic) for topic in topics]
        key = sources[0]
        if len(sources) > 1 or testers_only:
            key = f"{keys.tenant(tenant_id)}tmp:{uuid.uuid4().hex}"
            self.redis.bitop("OR", key, *sources)
            if testers_only:
                self.redis.bitop("AND", key, key, subscribers_key(tenant_id, kind, TESTERS))
            self.redis.expire(key, 3600)
        tenant_number = int(cast(str, self.redis.get(number_key(tenant_id)) or 0))
        try:
            yield key, tenant_number
        finally:
            if key not in sources:
                self.redis.delete(key)

    # --- the compare-and-set ---------------------------------------------------------------

    def _save(self, tenant_id: str, mode: SaveMode, doc: dict[str, Any]) -> tuple[int, bool]:
        """One write, read and retried until it applies; (member id, created)."""
        for _ in range(defaults.MEMBER_WRITE_ATTEMPTS):
            record = self._record(tenant_id, doc["id"]) if mode == "update" else None
            if mode == "update" and record is None:
                raise NotFound("member not found")
            owners = self._owners_of(tenant_id, [addresses(doc)])[0]
            member_id = target(mode, doc, owners)
            if member_id is not None and mode != "update":
                record = self._record(tenant_id, member_id)
            read = Read(owners, record)
            new = merged(read.record or {}, doc)
            created = member_id is None
            if member_id is None:
                member_id = self._new_ids(tenant_id, 1)[0]
            changes = Changes()
            changes.save(tenant_id, member_id, read, new, doc)
            if self._apply_all(changes) == ["ok"]:
                return int(member_id), created
        raise busy(doc.get("id", "new"))

    def _upsert_chunk(self, tenant_id: str, docs: list[dict[str, Any]]) -> list[Result]:
        """Upserts of one chunk in four round trips (owners, records, new ids, the writes);
        rows that met another write on the way (two rows naming the same new address, say)
        are done again one by one."""
        owners = self._owners_of(tenant_id, [addresses(doc) for doc in docs])
        results: list[Result | None] = [None] * len(docs)
        targets: dict[int, str | None] = {}
        for i, doc in enumerate(docs):
            try:
                targets[i] = target("upsert", doc, owners[i])
            except Conflict as exc:
                results[i] = exc
        records = self._records(tenant_id, [t for t in targets.values() if t is not None])
        plans: dict[int, tuple[Read, dict[str, str]]] = {}
        for i, found in targets.items():
            read = Read(owners[i], records.get(found) if found else None)
            try:
                plans[i] = (read, merged(read.record or {}, docs[i]))
            except InvalidInput as exc:
                results[i] = exc
        new = [i for i in plans if targets[i] is None]
        try:
            fresh = iter(self._new_ids(tenant_id, len(new)) if new else [])
        except InvalidInput as exc:
            for i in new:
                results[i] = exc
                del plans[i]
            fresh = iter([])
        ids = {i: targets[i] or next(fresh) for i in plans}
        order = list(plans)
        batches: list[Changes] = []
        for start in range(0, len(order), defaults.MEMBER_APPLY_BATCH):
            batches.append(Changes())
            for i in order[start : start + defaults.MEMBER_APPLY_BATCH]:
                read, record = plans[i]
                batches[-1].save(tenant_id, ids[i], read, record, docs[i])
        pipe = self.redis.pipeline(transaction=False)
        for changes in batches:
            self._apply(keys=changes.keys, args=changes.args, client=pipe)
        replies = [reply for batch in pipe.execute() for reply in batch] if batches else []
        for i, reply in zip(order, replies, strict=True):
            if reply == "ok":
                results[i] = (int(ids[i]), targets[i] is None)
        for i, result in enumerate(results):
            if result is None:
                try:
                    results[i] = self._save(tenant_id, "upsert", docs[i])
                except (Conflict, InvalidInput) as exc:
                    results[i] = exc
        return cast(list[Result], results)

    def _apply_all(self, changes: Changes) -> list[str]:
        """Run these compare-and-sets in one call; 'ok' or 'stale' for each."""
        return cast(list[str], self._apply(keys=changes.keys, args=changes.args))

    def _owners_of(
        self, tenant_id: str, rows: Sequence[Mapping[str, str]]
    ) -> list[dict[str, str | None]]:
        """For each row of addresses (by contact short name), who each one belongs to."""
        asked = [
            (i, short, address) for i, row in enumerate(rows) for short, address in row.items()
        ]
        found: list[dict[str, str | None]] = [{} for _ in rows]
        if not asked:
            return found
        entries = [lookup(tenant_id, short, address) for _, short, address in asked]
        owners = self._owners(
            keys=[bucket for bucket, _ in entries],
            args=[
                value
                for (bucket, field), (_, _, address) in zip(entries, asked, strict=True)
                for value in (field, address)
            ],
        )
        for (i, short, _), owner in zip(asked, owners, strict=True):
            found[i][short] = owner or None
        return found

    def _record(self, tenant_id: str, member_id: str) -> dict[str, str] | None:
        return self._records(tenant_id, [member_id]).get(member_id)

    def _records(self, tenant_id: str, member_ids: Sequence[str]) -> dict[str, dict[str, str]]:
        if not member_ids:
            return {}
        replies = self._read(keys=[member_key(tenant_id, m) for m in member_ids])
        return {
            m: dict(zip(flat[::2], flat[1::2], strict=True))
            for m, flat in zip(member_ids, replies, strict=True)
            if flat
        }

    def _new_ids(self, tenant_id: str, count: int) -> list[str]:
        reply = self._allocate(
            keys=[number_key(tenant_id), counter_key(tenant_id), TENANT_SEQ],
            args=[count, TENANT_SLOTS],
        )
        if reply == "full":
            raise InvalidInput(f"no more than {TENANT_SLOTS - 1} tenants per Redis")
        return [str(i) for i in reply]


def _owner(reply: Sequence[str | None]) -> int | None:
    """The member id of a lookup read as (digest field, address field: the old format)."""
    found = next((value for value in reply if value), None)
    return int(found) if found else None


def _address(member: Member, short: str) -> str | None:
    """The member's address that lookups of ``short`` name, as they hold it."""
    if short == EXTERNAL_ID:
        return member.external_id
    value = getattr(member, CONTACT_BY_SHORT[short].field)
    return None if value is None else str(value)
