"""Every Redis key Lifeline uses, in one place.

Tenant data lives under ``ll:t:<tenant>:``; the only global keys are the id counters and the
API-key index (looked up before the tenant is known).
"""

from __future__ import annotations

import hashlib

from lifeline.defaults import KEY_PREFIX

TENANT_SEQ = f"{KEY_PREFIX}:seq:tenant"
"""Hands each tenant a number (< ``TENANT_SLOTS``), the low part of its member ids."""

TENANT_SLOTS = 1024
"""Member id = tenant's n-th member × 1024 + tenant number: unique across tenants (another
tenant's id is simply not found) yet dense within one, so subscriber bitmaps stay small."""

NOTICE_SEQ = f"{KEY_PREFIX}:seq:notice"
"""Notice ids are global for the same reason: another tenant's id is simply not found."""

UNSUBSCRIBE_SECRET = f"{KEY_PREFIX}:secret:unsubscribe"
"""Random key signing one-click unsubscribe links, created on first use."""


def run(token: str) -> str:
    """Alive while one run of a batch job works (see ``store.deliveries``)."""
    return f"{KEY_PREFIX}:run:{token}"


def api_key(digest: str) -> str:
    """Hash of one API key: tenant, roles, name, created."""
    return f"{KEY_PREFIX}:apikey:{digest}"


def tenant(tenant_id: str) -> str:
    """Prefix of all of a tenant's keys (the member scripts build their keys from it)."""
    return f"{KEY_PREFIX}:t:{tenant_id}:"


def tenant_api_keys(tenant_id: str) -> str:
    """Set of the digests of a tenant's API keys."""
    return f"{tenant(tenant_id)}apikeys"


def member(tenant_id: str, member_id: int) -> str:
    """Hash of one member (compact field names, see ``store.members``)."""
    return f"{tenant(tenant_id)}m:{member_id}"


LOOKUP_BUCKETS = 32_768
"""Contact lookup buckets per tenant and contact kind (see ``member_lookup``)."""


def member_lookup(tenant_id: str, contact: str, address: str) -> str:
    """Hash from contacts (``t`` chat id, ``e`` email, ``p`` phone) to member ids: the
    bucket that holds ``address``.

    Split into buckets by the address's SHA-1 so that each stays a small listpack-encoded
    hash: ~50 bytes an entry instead of 96 in one big hash table. Redis keeps a hash a
    listpack up to 128 entries (``hash-max-listpack-entries``), so this stays compact up to
    about 3 million members a tenant; 32,768 rather than more buckets because each costs
    ~60 bytes of its own, which small tenants would pay. Lua scripts compute the same
    bucket with ``redis.sha1hex``.
    """
    digest = hashlib.sha1(address.encode(), usedforsecurity=False).hexdigest()
    return f"{tenant(tenant_id)}by:{contact}:{int(digest[:4], 16) % LOOKUP_BUCKETS}"


def subscribers(tenant_id: str, kind: str, topic: str) -> str:
    """Bitmap of members reachable on ``kind`` who follow ``topic`` (bit = id // 1024)."""
    return f"{tenant(tenant_id)}sub:{kind}:{topic}"


def notice(tenant_id: str, notice_id: int) -> str:
    """Hash of one notice: its JSON document and status fields."""
    return f"{tenant(tenant_id)}n:{notice_id}"


def notices(tenant_id: str) -> str:
    """Sorted set of a tenant's notice ids by creation time."""
    return f"{tenant(tenant_id)}notices"


def idempotency(tenant_id: str, digest: str) -> str:
    """Notice id created under an Idempotency-Key (and the request's fingerprint)."""
    return f"{tenant(tenant_id)}idem:{digest}"


def deliveries(tenant_id: str, notice_id: int, kind: str) -> str:
    """Hash member id → delivery state of one notice on one channel."""
    return f"{tenant(tenant_id)}n:{notice_id}:d:{kind}"


def counts(tenant_id: str, notice_id: int, kind: str) -> str:
    """Hash of counters (total, sent, failed, skipped, retried, duplicates) of one channel."""
    return f"{tenant(tenant_id)}n:{notice_id}:c:{kind}"


def failure_reasons(tenant_id: str, notice_id: int, kind: str) -> str:
    """Hash reason → how many recipients failed with it."""
    return f"{tenant(tenant_id)}n:{notice_id}:r:{kind}"


def rate_limit(tenant_id: str, scope: str) -> str:
    """Next free send slot (µs, Redis clock) of a tenant's channel or of one chat."""
    return f"{tenant(tenant_id)}rl:{scope}"


def faq(tenant_id: str) -> str:
    """Hash FAQ key → JSON entry (question and answer per language, keywords)."""
    return f"{tenant(tenant_id)}faq"


def bot_chat_language(tenant_id: str, chat_id: int) -> str:
    """Language a chat chose in the bot before (or without) becoming a member."""
    return f"{tenant(tenant_id)}bot:lang:{chat_id}"


def bot_confirmation(tenant_id: str, chat_id: int) -> str:
    """Nonce of a chat's pending ``/delete`` confirmation (expires)."""
    return f"{tenant(tenant_id)}bot:confirm:{chat_id}"


def bot_relay(tenant_id: str, support_chat_id: int, message_id: int) -> str:
    """Member behind a question relayed into the staff group (expires)."""
    return f"{tenant(tenant_id)}bot:relay:{support_chat_id}:{message_id}"


def bot_questions(tenant_id: str, chat_id: int) -> str:
    """Questions a chat relayed in the current window (a counter that expires)."""
    return f"{tenant(tenant_id)}bot:asked:{chat_id}"


def failed_list(tenant_id: str, notice_id: int, kind: str) -> str:
    """List of failed member ids in the order they failed (paging through failures)."""
    return f"{tenant(tenant_id)}n:{notice_id}:fl:{kind}"


def outcome_rate(tenant_id: str, notice_id: int, kind: str) -> str:
    """Hash second → outcomes in that second, for the last minute (rate and ETA)."""
    return f"{tenant(tenant_id)}n:{notice_id}:ps:{kind}"


def followups(tenant_id: str, notice_id: int) -> str:
    """List of the ids of a notice's updates and resolve, in posting order."""
    return f"{tenant(tenant_id)}n:{notice_id}:fu"


def broadcast(tenant_id: str, notice_id: int) -> str:
    """Hash language → message id of a notice's post in the tenant's broadcast channel."""
    return f"{tenant(tenant_id)}n:{notice_id}:bc"
