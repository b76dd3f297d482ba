"""Lua scripts kept as ``.lua`` files in a ``lua`` folder beside the store that runs them.

Every key a script touches is passed in ``KEYS`` (Redis's own scripting rule), so a script
can be read and tested on its own and its keys could move to a clustered store later.
Files that only define functions are listed first; ``load`` joins them in order::

    self._skip = scripts.load(client, __package__, "ledger.lua", "skip.lua")

A script is registered once per client: redis-py then runs it by its SHA1 (EVALSHA) and
loads it only where the server does not know it yet.
"""

from __future__ import annotations

import functools
import weakref
from importlib import resources
from typing import Any, overload

import redis
import redis.asyncio as aioredis
from redis.commands.core import AsyncScript, Script

_registered: weakref.WeakKeyDictionary[Any, dict[tuple[str, ...], Any]] = (
    weakref.WeakKeyDictionary()
)


@functools.cache
def source(package: str, *names: str) -> str:
    """The text of ``<package>/lua/<name>`` for each name, joined in order."""
    folder = resources.files(package) / "lua"
    return "\n".join((folder / name).read_text(encoding="utf-8") for name in names)


@overload
def load(client: redis.Redis, package: str, *names: str) -> Script: ...
@overload
def load(client: aioredis.Redis, package: str, *names: str) -> AsyncScript: ...


def load(client: redis.Redis | aioredis.Redis, package: str, *names: str) -> Any:
    """The script made of these files, registered with ``client`` (once per client)."""
    known = _registered.setdefault(client, {})
    key = (package, *names)
    if key not in known:
        known[key] = client.register_script(source(package, *names))
    return known[key]
