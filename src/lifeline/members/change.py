"""Member writes worked out before they are made: the compare-and-sets ``lua/apply.lua`` runs.

The store reads the contacts' owners and the record; the functions here decide which
member the write goes to, what the record becomes, and which lookups and subscriber bits
change with it. The script then writes it all at once, unless something read has changed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from lifeline.core.errors import Conflict, InvalidInput
from lifeline.core.vocabulary import CONTACT_BY_SHORT, CONTACTS
from lifeline.members.codec import CREATED, OLD_CREATED
from lifeline.members.keys import (
    IDENTIFIERS,
    TENANT_SLOTS,
    TESTERS,
    member_key,
    subscribers_key,
)
from lifeline.members.keys import lookup as lookup_entry

SaveMode = Literal["create", "upsert", "update"]


@dataclass(frozen=True, slots=True)
class Read:
    """What a write found: the owners of the contacts it names, and the record it changes."""

    owners: dict[str, str | None]
    """Contact short name → id of the member that address belongs to (None: free)."""
    record: dict[str, str] | None = None


class Changes:
    """Compare-and-sets that go to ``lua/apply.lua`` in one call, their keys in one list."""

    def __init__(self) -> None:
        self.keys: list[str] = []
        self.args: list[str] = []
        self._at: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self.args)

    def save(
        self,
        tenant_id: str,
        member_id: str,
        read: Read,
        new: Mapping[str, str],
        doc: Mapping[str, Any],
    ) -> None:
        """Write ``new`` over the record read; its old addresses go, its new ones come."""
        old = read.record or {}
        unlink = {s: old[s] for s in IDENTIFIERS if s in old and old[s] != new.get(s)}
        # Every address is linked again, not only new ones: that rewrites an entry still in
        # the format before issue 14 (its address as field) into a digest (``keys.lookup``).
        link = {s: new[s] for s in IDENTIFIERS if s in new}
        self._add(tenant_id, member_id, old, new, read.owners, addresses(doc), unlink, link)

    def erase(
        self,
        tenant_id: str,
        member_id: str,
        record: Mapping[str, str],
        owners: Mapping[str, str | None],
    ) -> None:
        """Erase the member read as ``record``, and the lookups of its addresses it owns."""
        asked = {s: record[s] for s in IDENTIFIERS if s in record}
        mine = {s: a for s, a in asked.items() if owners.get(s) == member_id}
        self._add(tenant_id, member_id, record, {}, owners, asked, mine, {})

    def _add(
        self,
        tenant_id: str,
        member_id: str,
        old: Mapping[str, str],
        new: Mapping[str, str],
        owners: Mapping[str, str | None],
        asked: Mapping[str, str],
        unlink: Mapping[str, str],
        link: Mapping[str, str],
    ) -> None:
        def lookup(short: str, address: str) -> list[int | str]:
            # [k, field, address]: the entry, and the address as field of the old format
            bucket, field = lookup_entry(tenant_id, short, address)
            return [self._index(bucket), field, address]

        before, after = _index(tenant_id, old), _index(tenant_id, new)
        change = {
            "m": self._index(member_key(tenant_id, member_id)),
            "record": [v for field in sorted(old) for v in (field, old[field])],
            "owners": [[*lookup(s, a), owners.get(s) or ""] for s, a in asked.items()],
            "new": [v for field, value in new.items() for v in (field, value)],
            "unlink": [lookup(s, a) for s, a in unlink.items()],
            "link": [lookup(s, a) for s, a in link.items()],
            "clear": [self._index(k) for k in sorted(before - after)],
            "set": [self._index(k) for k in sorted(after - before)],
            "id": member_id,
            "bit": int(member_id) // TENANT_SLOTS,
        }
        self.args.append(json.dumps(change, separators=(",", ":")))

    def _index(self, key: str) -> int:
        """The key's place in ``KEYS`` (Lua counts from 1)."""
        at = self._at.get(key)
        if at is None:
            self.keys.append(key)
            at = self._at[key] = len(self.keys)
        return at


def addresses(doc: Mapping[str, Any]) -> dict[str, str]:
    """The contacts and external id a write names, by short name (a None removes one:
    nothing to look up)."""
    return {s: doc[s] for s in IDENTIFIERS if doc.get(s) is not None}


def target(mode: SaveMode, doc: Mapping[str, Any], owners: Mapping[str, str | None]) -> str | None:
    """The member a write goes to (None: a new one); Conflict when a contact is another's."""
    member_id: str | None = doc.get("id")
    for short, name in IDENTIFIERS.items():
        owner = owners.get(short)
        if owner is None:
            continue
        if mode == "create" or (member_id is not None and owner != member_id):
            raise Conflict(f"{name} already belongs to another member")
        member_id = owner
    return member_id


def merged(old: Mapping[str, str], doc: Mapping[str, Any]) -> dict[str, str]:
    """The record after the write: the doc's fields over the old ones, a None removing one."""
    new = dict(old)
    for name, value in doc.items():
        if name in ("id", "now"):
            continue
        if value is None:
            new.pop(name, None)
        else:
            new[name] = value
    if OLD_CREATED in new:  # the name before issue 14 (its base-36 value still reads)
        new[CREATED] = new.pop(OLD_CREATED)
    new.setdefault(CREATED, doc.get("now") or "0")
    if not any(s in new for s in CONTACT_BY_SHORT):
        raise InvalidInput(
            "a member needs at least one of telegram_chat_id, email, phone", field="email"
        )
    return new


def _index(tenant_id: str, record: Mapping[str, str]) -> set[str]:
    """The subscriber bitmaps a record belongs in: each reachable channel × each topic."""
    topics = [t for t in record.get("o", "").split(",") if t]
    if record.get("tr") == "1":
        topics.append(TESTERS)  # exercises go to testers only: their own bitmap per channel
    paused = set(record.get("x", "").split(","))
    return {
        subscribers_key(tenant_id, c.channel, topic)
        for c in CONTACTS
        if c.short in record and c.channel not in paused
        for topic in topics
    }


def busy(member_id: object) -> Conflict:
    return Conflict(f"member {member_id} is being changed by another request; retry")
