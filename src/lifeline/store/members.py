"""Members of a tenant: their record, contact lookups and the subscriber index.

A member is one Redis hash with short field names (memory per member matters at millions):

    l   language            t   Telegram chat id     e   email      p   phone (E.164)
    o   topics, comma list  x   paused channels      c   consent: "<when> <source>"
    cr  created

Times are epoch seconds in base 36 (six characters): a member's hash stays in a smaller
allocation class, some 16 bytes a member.

Next to it: ``by:t|e|p:<bucket>`` hashes map a contact to its member (one member per
contact; bucketed so each stays a compact listpack), and
``sub:<kind>:<topic>`` bitmaps mark the members reachable on a channel for a topic — an
eighth of a byte per member and topic instead of some 50 bytes in a set, and what the
planner walks. Record, lookups and index change together in one Lua script, so no reader
sees them disagree.

Member ids are ``n × 1024 + tenant number`` (``keys.TENANT_SLOTS``): bit ``n`` of a bitmap
is the tenant's n-th member.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, cast

import redis

from lifeline.errors import Conflict, InvalidInput, NotFound
from lifeline.store import keys

CONTACT_FIELDS: dict[str, str] = {"telegram": "t", "email": "e", "sms": "p"}
"""Channel kind → the member field holding its address."""

_FIELD_NAMES = {"t": "telegram_chat_id", "e": "email", "p": "phone"}

_LUA_INDEX = """
local CONTACTS = {t = 'telegram', e = 'email', p = 'sms'}
-- The lookup bucket of a contact (keys.member_lookup).
local function by(pfx, f, v)
  local bucket = tonumber(string.sub(redis.sha1hex(v), 1, 4), 16) % BUCKETS
  return pfx .. 'by:' .. f .. ':' .. string.format('%d', bucket)
end
local function index_entries(pfx, rec)
  local set = {}
  if not rec or not rec.o or rec.o == '' then return set end
  local paused = ',' .. (rec.x or '') .. ','
  for f, kind in pairs(CONTACTS) do
    if rec[f] and not string.find(paused, ',' .. kind .. ',', 1, true) then
      for topic in string.gmatch(rec.o, '[^,]+') do
        set[pfx .. 'sub:' .. kind .. ':' .. topic] = true
      end
    end
  end
  return set
end
local function read(key)
  local rec, flat = {}, redis.call('HGETALL', key)
  for i = 1, #flat, 2 do rec[flat[i]] = flat[i + 1] end
  return rec, #flat > 0
end
""".replace("BUCKETS", str(keys.LOOKUP_BUCKETS))

_LUA_SAVE = (
    _LUA_INDEX
    + """
-- ARGV: tenant prefix, mode (create|upsert|update), JSON doc, tenant counter key, slots.
-- Doc values are strings (Lua numbers would mangle long chat ids); JSON null removes a field.
local pfx, mode, doc = ARGV[1], ARGV[2], cjson.decode(ARGV[3])
local tenants, slots = ARGV[4], tonumber(ARGV[5])
local id = doc.id
local owners = {}
for f in pairs(CONTACTS) do
  local v = doc[f]
  if v and v ~= cjson.null then
    local owner = redis.call('HGET', by(pfx, f, v), v)
    if owner then owners[f] = owner end
  end
end
if mode == 'update' then
  if redis.call('EXISTS', pfx .. 'm:' .. id) == 0 then return {'missing', ''} end
  for f, owner in pairs(owners) do if owner ~= id then return {'conflict', f} end end
elseif mode == 'create' then
  for f in pairs(owners) do return {'conflict', f} end
else
  for f, owner in pairs(owners) do
    if id and owner ~= id then return {'conflict', f} end
    id = owner
  end
end
local created = 0
if not id then
  local number = redis.call('GET', pfx .. 'no')
  if not number then
    number = redis.call('INCR', tenants)
    if number >= slots then return {'full', ''} end
    redis.call('SET', pfx .. 'no', number)
  end
  local n = redis.call('INCR', pfx .. 'seq:m')
  id = string.format('%.0f', n * slots + tonumber(number))
  created = 1
end
local key = pfx .. 'm:' .. id
local old = read(key)
local new = {}
for k, v in pairs(old) do new[k] = v end
for k, v in pairs(doc) do
  if k ~= 'id' then
    if v == cjson.null then new[k] = nil else new[k] = v end
  end
end
if not new.cr then new.cr = doc.now or '0' end
new.now = nil
if not (new.t or new.e or new.p) then return {'nocontact', ''} end
local bit = math.floor(tonumber(id) / slots)
local before, after = index_entries(pfx, old), index_entries(pfx, new)
for k in pairs(before) do if not after[k] then redis.call('SETBIT', k, bit, 0) end end
for k in pairs(after) do if not before[k] then redis.call('SETBIT', k, bit, 1) end end
for f in pairs(CONTACTS) do
  if old[f] and old[f] ~= new[f] then redis.call('HDEL', by(pfx, f, old[f]), old[f]) end
  if new[f] and new[f] ~= old[f] then redis.call('HSET', by(pfx, f, new[f]), new[f], id) end
end
redis.call('DEL', key)
local args = {}
for k, v in pairs(new) do args[#args + 1] = k; args[#args + 1] = v end
redis.call('HSET', key, unpack(args))
return {'ok', id, tostring(created)}
"""
)

_LUA_DELETE = (
    _LUA_INDEX
    + """
local pfx, id, slots = ARGV[1], ARGV[2], tonumber(ARGV[3])
local key = pfx .. 'm:' .. id
local old, found = read(key)
if not found then return 0 end
local bit = math.floor(tonumber(id) / slots)
for k in pairs(index_entries(pfx, old)) do redis.call('SETBIT', k, bit, 0) end
for f in pairs(CONTACTS) do
  if old[f] and redis.call('HGET', by(pfx, f, old[f]), old[f]) == id then
    redis.call('HDEL', by(pfx, f, old[f]), old[f])
  end
end
redis.call('DEL', key)
return 1
"""
)


@dataclass(frozen=True, slots=True)
class MemberData:
    """A member's fields as validated at the edge (API, import, bot)."""

    language: str
    topics: tuple[str, ...]
    telegram_chat_id: int | None = None
    email: str | None = None
    phone: str | None = None
    consent_given_at: datetime | None = None
    consent_source: str | None = None
    paused: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class Member(MemberData):
    """A stored member."""

    id: int = 0
    created_at: datetime | None = None

    def address(self, kind: str) -> str | None:
        """The member's address on a channel kind, unless that channel is paused."""
        if kind in self.paused:
            return None
        value = {"telegram": self.telegram_chat_id, "email": self.email, "sms": self.phone}[kind]
        return None if value is None else str(value)


SaveMode = Literal["create", "upsert", "update"]


def encode(data: MemberData | Mapping[str, Any], *, now: float | None = None) -> dict[str, Any]:
    """The compact hash fields of a member, or of a partial update (a mapping of field names).

    For a whole ``MemberData`` a None means "not given" and is left out, so an import row
    never erases a contact; in a partial update a None removes the field.
    """
    values = _as_mapping(data)
    doc: dict[str, Any] = {}
    simple = {"language": "l", "telegram_chat_id": "t", "email": "e", "phone": "p"}
    for name, short in simple.items():
        if name in values:
            doc[short] = None if values[name] is None else str(values[name])
    if "consent_given_at" in values or "consent_source" in values:
        at, source = values.get("consent_given_at"), values.get("consent_source") or ""
        doc["c"] = None if at is None else f"{_b36(int(at.timestamp()))} {source}".rstrip()
    if "topics" in values:
        doc["o"] = ",".join(values["topics"]) if values["topics"] else None
    if "paused" in values:
        doc["x"] = ",".join(sorted(values["paused"])) if values["paused"] else None
    doc["now"] = _b36(int(now if now is not None else time.time()))
    return doc


def _b36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if number == 0:
            return out


def decode(member_id: int, fields: Mapping[str, str]) -> Member:
    """A ``Member`` from its stored hash."""

    def when(value: str | None) -> datetime | None:
        return datetime.fromtimestamp(int(value, 36), UTC) if value else None

    consent_at, _, consent_source = fields.get("c", "").partition(" ")
    return Member(
        id=member_id,
        language=fields.get("l", "de"),
        topics=tuple(t for t in fields.get("o", "").split(",") if t),
        telegram_chat_id=int(fields["t"]) if "t" in fields else None,
        email=fields.get("e"),
        phone=fields.get("p"),
        consent_given_at=when(consent_at),
        consent_source=consent_source or None,
        paused=frozenset(c for c in fields.get("x", "").split(",") if c),
        created_at=when(fields.get("cr")),
    )


class MemberStore:
    """Tenant-scoped access to members; one instance per Redis client."""

    def __init__(self, client: redis.Redis) -> None:
        self.redis = client
        self._save = client.register_script(_LUA_SAVE)
        self._delete = client.register_script(_LUA_DELETE)
        self._bytes_client: redis.Redis | None = None

    def create(self, tenant_id: str, data: MemberData) -> Member:
        """Store a new member; Conflict if one of its contacts already belongs to a member."""
        member_id, _ = self._run_save(tenant_id, "create", encode(data))
        return self.get(tenant_id, member_id)

    def update(self, tenant_id: str, member_id: int, changes: Mapping[str, Any]) -> Member:
        """Change some fields (a value of None removes it); NotFound, Conflict, InvalidInput."""
        doc = encode(changes) | {"id": str(member_id)}
        self._run_save(tenant_id, "update", doc)
        return self.get(tenant_id, member_id)

    def upsert_many(
        self, tenant_id: str, rows: Sequence[MemberData], *, chunk: int = 1000
    ) -> list[tuple[int, bool] | Conflict | InvalidInput]:
        """Create or update members matched by any contact, pipelined; one result per row."""
        results: list[tuple[int, bool] | Conflict | InvalidInput] = []
        now = time.time()
        for start in range(0, len(rows), chunk):
            pipe = self.redis.pipeline(transaction=False)
            for row in rows[start : start + chunk]:
                self._save(args=self._args(tenant_id, "upsert", encode(row, now=now)), client=pipe)
            for reply in pipe.execute(raise_on_error=False):
                try:
                    results.append(_check(reply))
                except (Conflict, InvalidInput) as exc:
                    results.append(exc)
        return results

    def get(self, tenant_id: str, member_id: int) -> Member:
        """The member with this id in this tenant; NotFound otherwise."""
        fields = cast(dict[str, str], self.redis.hgetall(keys.member(tenant_id, member_id)))
        if not fields:
            raise NotFound(f"member {member_id} not found")
        return decode(member_id, fields)

    def get_many(self, tenant_id: str, member_ids: Iterable[int]) -> dict[int, Member]:
        """The members that still exist among these ids, in one round trip."""
        ids = list(member_ids)
        pipe = self.redis.pipeline(transaction=False)
        for member_id in ids:
            pipe.hgetall(keys.member(tenant_id, member_id))
        return {mid: decode(mid, f) for mid, f in zip(ids, pipe.execute(), strict=True) if f}

    def find(self, tenant_id: str, kind: str, address: str | int) -> Member | None:
        """The member reachable at this address on this channel kind, if any."""
        lookup = keys.member_lookup(tenant_id, CONTACT_FIELDS[kind], str(address))
        found = self.redis.hget(lookup, str(address))
        return self.get(tenant_id, int(cast(str, found))) if found else None

    def delete(self, tenant_id: str, member_id: int) -> None:
        """Erase a member with its contacts and subscriptions; NotFound if absent."""
        if not self._delete(args=[keys.tenant(tenant_id), str(member_id), keys.TENANT_SLOTS]):
            raise NotFound(f"member {member_id} not found")

    def pause(self, tenant_id: str, member_id: int, kind: str) -> None:
        """Stop sending to this member on one channel (e.g. the bot was blocked)."""
        member = self.get(tenant_id, member_id)
        if kind not in member.paused:
            self.update(tenant_id, member_id, {"paused": member.paused | {kind}})

    def count_subscribers(self, tenant_id: str, kind: str, topic: str) -> int:
        """How many members a notice on this topic reaches on this channel."""
        return int(self.redis.bitcount(keys.subscribers(tenant_id, kind, topic)))

    def iter_subscribers(
        self, tenant_id: str, kind: str, topics: Sequence[str], *, chunk: int = 65536
    ) -> Iterator[int]:
        """Ids of the members reachable on ``kind`` who follow any of ``topics``, each once.

        Several topics are OR-ed into a short-lived bitmap in Redis first; the bitmap is
        then read in chunks, so a million members are about 125 kB to walk.
        """
        sources = [keys.subscribers(tenant_id, kind, topic) for topic in topics]
        key = sources[0]
        if len(sources) > 1:
            key = f"{keys.tenant(tenant_id)}tmp:{uuid.uuid4().hex}"
            self.redis.bitop("OR", key, *sources)
            self.redis.expire(key, 3600)
        tenant_number = self._tenant_number(tenant_id)
        try:
            yield from _walk_bitmap(self._raw(), key, tenant_number, chunk)
        finally:
            if key not in sources:
                self.redis.delete(key)

    def _raw(self) -> redis.Redis:
        """A client on the same server that returns bytes (bitmaps are not UTF-8)."""
        if self._bytes_client is None:
            kwargs = dict(self.redis.connection_pool.connection_kwargs)
            kwargs["decode_responses"] = False
            pool = redis.ConnectionPool(
                connection_class=self.redis.connection_pool.connection_class, **kwargs
            )
            self._bytes_client = redis.Redis(connection_pool=pool)
        return self._bytes_client

    def _tenant_number(self, tenant_id: str) -> int:
        return int(cast(str, self.redis.get(f"{keys.tenant(tenant_id)}no") or 0))

    def _run_save(self, tenant_id: str, mode: SaveMode, doc: dict[str, Any]) -> tuple[int, bool]:
        return _check(self._save(args=self._args(tenant_id, mode, doc)))

    @staticmethod
    def _args(tenant_id: str, mode: SaveMode, doc: dict[str, Any]) -> list[str]:
        return [
            keys.tenant(tenant_id),
            mode,
            json.dumps(doc),
            keys.TENANT_SEQ,
            str(keys.TENANT_SLOTS),
        ]


def _walk_bitmap(client: redis.Redis, key: str, tenant_number: int, chunk: int) -> Iterator[int]:
    start = 0
    while True:
        data = client.getrange(key, start, start + chunk - 1)
        if not data:
            return
        for index, byte in enumerate(cast(bytes, data)):
            if byte:
                for bit in range(8):
                    if byte & (0x80 >> bit):
                        yield ((start + index) * 8 + bit) * keys.TENANT_SLOTS + tenant_number
        start += chunk


def _as_mapping(data: MemberData | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(data, MemberData):
        values = {name: getattr(data, name) for name in MemberData.__dataclass_fields__}
        return {name: value for name, value in values.items() if value is not None}
    return data


def _check(reply: Any) -> tuple[int, bool]:
    if isinstance(reply, Exception):
        raise reply
    status, detail, *rest = reply
    if status == "ok":
        return int(detail), rest[0] == "1"
    if status == "conflict":
        name = _FIELD_NAMES.get(detail, detail)
        raise Conflict(f"{name} already belongs to another member")
    if status == "missing":
        raise NotFound("member not found")
    if status == "full":
        raise InvalidInput(f"no more than {keys.TENANT_SLOTS - 1} tenants per Redis")
    raise InvalidInput(
        "a member needs at least one of telegram_chat_id, email, phone", field="email"
    )
