"""The Redis keys of a tenant's members; only the member store uses them.

    ll:t:<tenant>:m:<id>                    the member (``codec``: short field names)
    ll:t:<tenant>:by:<t|e|p|i>:<bucket>     hash digest of a contact or external id → member
                                            id (one each; ``lookup``)
    ll:t:<tenant>:sub:<kind>:<topic>        bitmap of the members reachable on a channel
                                            for a topic: what the planner walks
    ll:t:<tenant>:no, …:seq:m, ll:seq:tenant  the tenant's number and member counter

Lookups are bucketed by the address's SHA-1 so that each stays a small listpack-encoded
hash; within its bucket an address is named by 63 more bits of the same SHA-1, written as a
decimal number, which a listpack stores as an 8-byte integer: an entry is ~16 bytes instead
of ~40 with the address itself (written before issue 14; still read, and replaced whenever
the member is written). A bitmap costs an eighth of a byte per member and topic instead of
some 50 bytes in a set.

Member ids are ``n × 1024 + tenant number`` (``TENANT_SLOTS``): bit ``n`` of a bitmap is
the tenant's n-th member, and another tenant's id is simply not found.
"""

from __future__ import annotations

import functools
import hashlib

from lifeline.core.vocabulary import CONTACTS
from lifeline.db import keys

EXTERNAL_ID = "i"
"""The short name of the insurer's own member number, in the hash and its lookups."""

IDENTIFIERS: dict[str, str] = {**{c.short: c.field for c in CONTACTS}, EXTERNAL_ID: "external_id"}
"""Short name → field of everything that names one member, unique per tenant: the contacts
and the external id. Each has its lookup buckets (``by:<short>:…``)."""

TENANT_SEQ = keys.global_key("seq:tenant")
"""Hands each tenant a number (< ``TENANT_SLOTS``), the low part of its member ids."""

TENANT_SLOTS = 1024
"""Member id = tenant's n-th member × 1024 + tenant number: unique across tenants (another
tenant's id is simply not found) yet dense within one, so subscriber bitmaps stay small."""

LOOKUP_BUCKETS = 32_768
"""Contact lookup buckets per tenant and contact kind. Redis keeps a hash a listpack up to
128 entries (``hash-max-listpack-entries``), so this stays compact up to about 3 million
members a tenant; not more buckets, because each costs ~60 bytes of its own, which small
tenants would pay."""


def member_key(tenant_id: str, member_id: int | str) -> str:
    """Hash of one member."""
    return f"{keys.tenant(tenant_id)}m:{member_id}"


@functools.lru_cache(maxsize=16_384)  # a write asks for the same few keys several times
def lookup(tenant_id: str, short: str, address: str) -> tuple[str, str]:
    """The lookup bucket (``t`` chat id, ``e`` email, ``p`` phone, ``i`` external id) that
    holds ``address``, and the field that names it there.

    Bucket and field come from disjoint bits of one SHA-1 (15 + 63): two addresses of a
    tenant share an entry with a chance of about n² / 2⁷⁹ (10⁻¹¹ at 3 million members), and
    a reader that finds a member checks the address on the record anyway.
    """
    digest = hashlib.sha1(address.encode(), usedforsecurity=False).hexdigest()
    bucket = f"{keys.tenant(tenant_id)}by:{short}:{int(digest[:4], 16) % LOOKUP_BUCKETS}"
    return bucket, str(int(digest[4:20], 16) >> 1)


def lookup_key(tenant_id: str, short: str, address: str) -> str:
    """The lookup bucket that holds ``address`` (see ``lookup``)."""
    return lookup(tenant_id, short, address)[0]


TESTERS = "@testers"
"""The pseudo-topic of the bitmap of testers reachable on a channel (``@`` is in no topic)."""


def subscribers_key(tenant_id: str, kind: str, topic: str) -> str:
    """Bitmap of members reachable on ``kind`` who follow ``topic`` (bit = id // 1024)."""
    return f"{keys.tenant(tenant_id)}sub:{kind}:{topic}"


def number_key(tenant_id: str) -> str:
    return f"{keys.tenant(tenant_id)}no"


def counter_key(tenant_id: str) -> str:
    return f"{keys.tenant(tenant_id)}seq:m"
