"""The layout every store's keys share; each store builds its own keys on it.

Tenant data lives under ``ll:t:<tenant>:``, so no key of one tenant can be built for
another by accident; the only global keys (``ll:<name>``) are id counters and indexes
that are read before the tenant is known (the API-key index).
"""

from __future__ import annotations

from lifeline.core.defaults import KEY_PREFIX


def tenant(tenant_id: str) -> str:
    """Prefix of all of a tenant's keys."""
    return f"{KEY_PREFIX}:t:{tenant_id}:"


def global_key(name: str) -> str:
    """A key that belongs to no tenant (``ll:seq:notice``, ``ll:apikey:<digest>``)."""
    return f"{KEY_PREFIX}:{name}"
