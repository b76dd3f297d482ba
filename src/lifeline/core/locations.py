"""How an error names the place of a problem: ``tenants[0].channels.email``, ``body.topics[1]``.

Config errors, API validation errors and import row errors all say where, the same way.
"""

from __future__ import annotations

from collections.abc import Iterable

from lifeline.core.defaults import ERROR_EXCERPT_CHARACTERS


def dotted(loc: Iterable[str | int]) -> str:
    """``("tenants", 0, "channels")`` → ``tenants[0].channels``; ``""`` for no parts.

    A name from the input (an unknown field, say) is cut to an excerpt: an error never
    repeats more of the input than that.
    """
    out = ""
    for part in loc:
        name = part if isinstance(part, int) else excerpt(str(part))
        out += f"[{name}]" if isinstance(name, int) else (f".{name}" if out else name)
    return out


def excerpt(text: str, limit: int = ERROR_EXCERPT_CHARACTERS) -> str:
    """``text`` as an error may repeat it: at most ``limit`` characters, cut with "…"."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def quoted(text: str) -> str:
    """``repr`` of an excerpt of ``text``, for "unknown column 'x'" and the like."""
    return repr(excerpt(text))
