"""Lua scripts: every one loads, is registered once per client, and touches only its KEYS."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import redis

from lifeline.db import scripts

SRC = Path(__file__).resolve().parents[2] / "src" / "lifeline"
LUA_FILES = sorted(SRC.rglob("lua/*.lua"))

# Commands whose first argument is a key (those the scripts use); TIME takes none.
_CALL = re.compile(r"redis\.call\('([A-Z]+)',\s*([^,)]+)")
_KEYLESS = {"TIME"}
_FROM_KEYS = re.compile(r"^KEYS\[.+\]$")


def _functions(text: str) -> dict[str, list[str]]:
    """``local function name(a, b)`` → its parameter names."""
    found = re.findall(r"local function (\w+)\(([^)]*)\)", text)
    return {name: [p.strip() for p in params.split(",") if p.strip()] for name, params in found}


def _from_keys(name: str, text: str, functions: dict[str, list[str]]) -> bool:
    """Whether ``name`` only ever holds one of KEYS: a local set from KEYS, or a function
    parameter that every call of its function fills from KEYS."""
    for names, values in re.findall(r"local ([\w, ]+?) = ([^\n]+)", text):
        targets = [n.strip() for n in names.split(",")]
        if name in targets:
            value = [v.strip() for v in values.split(",")][targets.index(name)]
            return bool(_FROM_KEYS.match(value))
    for function, params in functions.items():
        if name in params:
            position = params.index(name)
            calls = re.findall(rf"(?<!function ){function}\(([^()]*(?:\([^()]*\)[^()]*)*)\)", text)
            args = [_split_args(call)[position] for call in calls]
            return bool(args) and all(_FROM_KEYS.match(a) for a in args)
    return False


def _split_args(text: str) -> list[str]:
    args, depth, current = [], 0, ""
    for char in text:
        if char == "," and depth == 0:
            args.append(current.strip())
            current = ""
            continue
        depth += char in "([{"
        depth -= char in ")]}"
        current += char
    return [*args, current.strip()]


def key_arguments_not_from_keys(text: str) -> list[str]:
    """The key arguments of ``redis.call`` in a script that do not come from KEYS."""
    functions = _functions(text)
    wrong = []
    for command, key in _CALL.findall(text):
        key = key.strip()
        if command in _KEYLESS or _FROM_KEYS.match(key):
            continue
        if not (key.isidentifier() and _from_keys(key, text, functions)):
            wrong.append(f"{command} {key}")
    return wrong


def test_there_are_scripts() -> None:
    assert len(LUA_FILES) >= 10


@pytest.mark.parametrize("path", LUA_FILES, ids=lambda p: str(p.relative_to(SRC)))
def test_every_key_a_script_touches_comes_from_keys(path: Path) -> None:
    # Function files are checked together with the scripts that call their functions.
    text = path.read_text(encoding="utf-8")
    callers = [p.read_text(encoding="utf-8") for p in path.parent.glob("*.lua") if p != path]
    assert key_arguments_not_from_keys("\n".join([text, *callers])) == []


def test_the_lint_finds_a_key_built_inside_a_script() -> None:
    built = "local pfx = ARGV[1]\nredis.call('HSET', pfx .. 'n:' .. ARGV[2], 'a', 1)\n"
    from_argv = "local key = ARGV[1]\nredis.call('GET', key)\n"
    fine = "local a, b = KEYS[1], KEYS[2]\nredis.call('GET', b)\nredis.call('DEL', KEYS[3])\n"
    assert key_arguments_not_from_keys(built) == ["HSET pfx .. 'n:' .. ARGV[2]"]
    assert key_arguments_not_from_keys(from_argv) == ["GET key"]
    assert key_arguments_not_from_keys(fine) == []


def test_the_lint_follows_function_parameters() -> None:
    ok = "local function f(key, n)\n  redis.call('GET', key)\nend\nf(KEYS[1], 2)\n"
    bad = "local function f(key, n)\n  redis.call('GET', key)\nend\nf(ARGV[1], 2)\n"
    assert key_arguments_not_from_keys(ok) == []
    assert key_arguments_not_from_keys(bad) == ["GET key"]


def test_every_script_compiles(redis_client: redis.Redis) -> None:
    # What the stores load: function files first, then the script that uses them.
    composed = [
        ("lifeline.members", ("apply.lua",)),
        ("lifeline.members", ("allocate.lua",)),
        ("lifeline.members", ("owners.lua",)),
        ("lifeline.members", ("records.lua",)),
        ("lifeline.members", ("reach.lua",)),
        ("lifeline.notices", ("create.lua",)),
        ("lifeline.notices", ("next_id.lua",)),
        ("lifeline.delivery", ("ledger.lua", "skip.lua")),
        ("lifeline.delivery", ("ledger.lua", "limiter.lua", "steps.lua")),
        ("lifeline.delivery", ("limiter.lua", "reserve.lua")),
        ("lifeline.delivery", ("pause.lua",)),
        ("lifeline.delivery", ("alive.lua",)),
        *(("lifeline.delivery", ("breaker.lua", name)) for name in ("pick.lua", "outcome.lua")),
        ("lifeline.approvals", ("decide.lua",)),
        ("lifeline.delivery", ("cascade.lua",)),
        ("lifeline.acknowledgements", ("acknowledge.lua",)),
        ("lifeline.delivery", ("receipt.lua",)),
    ]
    used = {name for _, names in composed for name in names}
    assert used == {p.name for p in LUA_FILES}, "a script file no store loads"
    for package, names in composed:
        sha = redis_client.script_load(scripts.source(package, *names))
        assert redis_client.script_exists(sha) == [True]


def test_a_script_is_registered_once_per_client(redis_client: redis.Redis) -> None:
    first = scripts.load(redis_client, "lifeline.notices", "create.lua")
    assert scripts.load(redis_client, "lifeline.notices", "create.lua") is first
    other = redis.Redis(connection_pool=redis_client.connection_pool)
    assert scripts.load(other, "lifeline.notices", "create.lua") is not first
