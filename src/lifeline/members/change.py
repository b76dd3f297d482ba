"""A member write worked out before it is made: the compare-and-set ``lua/apply.lua`` runs.

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
from lifeline.members.keys import TENANT_SLOTS, lookup_key, member_key, subscribers_key

SaveMode = Literal["create", "upsert", "update"]


@dataclass(frozen=True, slots=True)
class Read:
    """What a write found: the owners of the contacts it names, and the record it changes."""

    owners: dict[str, str | None]
    """Contact short name → id of the member that address belongs to (None: free)."""
    record: dict[str, str] | None = None


@dataclass(frozen=True, slots=True)
class Change:
    """One compare-and-set, as ``lua/apply.lua`` takes it."""

    keys: list[str]
    arg: str

    @classmethod
    def for_save(
        cls,
        tenant_id: str,
        member_id: str,
        read: Read,
        new: dict[str, str],
        doc: Mapping[str, Any],
    ) -> Change:
        """Write ``new`` over the record read; its old addresses go, its new ones come."""
        old = read.record or {}
        unlink = {s: old[s] for s in CONTACT_BY_SHORT if s in old and old[s] != new.get(s)}
        link = {s: new[s] for s in CONTACT_BY_SHORT if s in new and new[s] != old.get(s)}
        return cls.build(tenant_id, member_id, old, new, unlink, read.owners, addresses(doc), link)

    @classmethod
    def build(
        cls,
        tenant_id: str,
        member_id: str,
        old: Mapping[str, str],
        new: Mapping[str, str],
        unlink: Mapping[str, str],
        owners: Mapping[str, str | None],
        asked: Mapping[str, str],
        link: Mapping[str, str] | None = None,
    ) -> Change:
        """The keys and the argument of a change from ``old`` to ``new`` ({} erases)."""
        key_list = [member_key(tenant_id, member_id)]

        def index(key: str) -> int:
            if key not in key_list:
                key_list.append(key)
            return key_list.index(key) + 1  # Lua counts from 1

        def lookup(short: str, address: str) -> int:
            return index(lookup_key(tenant_id, short, address))

        before, after = _index(tenant_id, old), _index(tenant_id, new)
        arg = {
            "record": [v for field in sorted(old) for v in (field, old[field])],
            "owners": [[lookup(s, a), a, owners.get(s) or ""] for s, a in asked.items()],
            "new": [v for field, value in new.items() for v in (field, value)],
            "unlink": [[lookup(s, a), a] for s, a in unlink.items()],
            "link": [[lookup(s, a), a] for s, a in (link or {}).items()],
            "clear": [index(k) for k in sorted(before - after)],
            "set": [index(k) for k in sorted(after - before)],
            "id": member_id,
            "bit": int(member_id) // TENANT_SLOTS,
        }
        return cls(key_list, json.dumps(arg))


def addresses(doc: Mapping[str, Any]) -> dict[str, str]:
    """The contacts a write names, by short name (a None removes one: nothing to look up)."""
    return {s: doc[s] for s in CONTACT_BY_SHORT if doc.get(s) is not None}


def target(mode: SaveMode, doc: Mapping[str, Any], owners: Mapping[str, str | None]) -> str | None:
    """The member a write goes to (None: a new one); Conflict when a contact is another's."""
    member_id: str | None = doc.get("id")
    for contact in CONTACTS:
        owner = owners.get(contact.short)
        if owner is None:
            continue
        if mode == "create" or (member_id is not None and owner != member_id):
            raise Conflict(f"{contact.field} already belongs to another member")
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
    new.setdefault("cr", doc.get("now") or "0")
    if not any(s in new for s in CONTACT_BY_SHORT):
        raise InvalidInput(
            "a member needs at least one of telegram_chat_id, email, phone", field="email"
        )
    return new


def _index(tenant_id: str, record: Mapping[str, str]) -> set[str]:
    """The subscriber bitmaps a record belongs in: each reachable channel × each topic."""
    topics = [t for t in record.get("o", "").split(",") if t]
    paused = set(record.get("x", "").split(","))
    return {
        subscribers_key(tenant_id, c.channel, topic)
        for c in CONTACTS
        if c.short in record and c.channel not in paused
        for topic in topics
    }


def busy(member_id: object) -> Conflict:
    return Conflict(f"member {member_id} is being changed by another request; retry")
