"""How an error names the place of a problem: ``tenants[0].channels.email``, ``body.topics[1]``.

Config errors, API validation errors and import row errors all say where, the same way.
"""

from __future__ import annotations

from collections.abc import Iterable


def dotted(loc: Iterable[str | int]) -> str:
    """``("tenants", 0, "channels")`` → ``tenants[0].channels``; ``""`` for no parts."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
