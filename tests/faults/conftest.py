"""Fault injection: real ``lifeline worker`` processes, a real Redis, the local providers —
and then something breaks. Each test counts what the provider received per address:
delivered once, duplicates (only sends that were in flight, and counted), lost (none).

What the tests share lives here: the members and the notice, and the tally of what arrived;
the config and the worker processes come from ``tests.processes``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import redis

from lifeline.access import apikeys
from lifeline.api import create_app
from lifeline.config import load_settings
from lifeline.delivery import records
from lifeline.delivery.records import ChannelProgress
from lifeline.members import MemberData, MemberStore
from tests.api.helpers import NOTICE, TestClient

TENANT = "demo-bkk"


def phone(i: int) -> str:
    return f"+49151{20_000_000 + i}"


def email(i: int) -> str:
    return f"member{i}@example.org"


def chat(i: int) -> int:
    return 5_000_000 + i


def seed_members(
    client: redis.Redis, n: int, *, first: int = 0, topic: str = "outages"
) -> list[int]:
    """n members (numbered from ``first``) following ``topic`` with a chat, a mailbox and
    a phone each; their ids."""
    rows = [
        MemberData(
            language="de" if i % 3 else "en",
            topics=(topic,),
            telegram_chat_id=chat(i),
            email=email(i),
            phone=phone(i),
        )
        for i in range(first, first + n)
    ]
    results = MemberStore(client).upsert_many(TENANT, rows)
    ids = [r[0] for r in results if isinstance(r, tuple) and r[1]]
    assert len(ids) == n, "every member is new"
    return ids


def admin_api(config: Path, client: redis.Redis) -> TestClient:
    """An API client (admin key) for this config; use it as a context manager."""
    api = TestClient(create_app(load_settings(config, env={})))
    api.headers["Authorization"] = f"Bearer {apikeys.create(client, TENANT, {'admin'})}"
    return api


def post_notice(api: TestClient, *kinds: str, topic: str = "outages") -> int:
    """Post the standard notice on these channels (to one topic); its id."""
    reply = api.post("/v1/notices", json=NOTICE | {"channels": list(kinds), "topics": [topic]})
    assert reply.status_code == 202, reply.text
    return int(reply.json()["id"])


def progress(client: redis.Redis, notice_id: int, kind: str) -> ChannelProgress:
    """The notice's counters on one channel, straight from the store."""
    return records.progress(client, TENANT, notice_id, (kind,))[kind]


def complete(client: redis.Redis, notice_id: int, kind: str, total: int) -> Callable[[], bool]:
    """A predicate: every one of ``total`` recipients has a final state."""

    def done() -> bool:
        p = progress(client, notice_id, kind)
        return p.total == total and p.pending == 0

    return done


def on_the_wire(client: redis.Redis, notice_id: int, kind: str) -> int:
    """Recipients claimed but not recorded (state ``w``)."""
    # a store client (decode_responses=True): str values
    states = cast(list[str], client.hvals(records.deliveries_key(TENANT, notice_id, kind)))
    return sum(1 for s in states if s.startswith("w"))


@dataclass(frozen=True)
class Tally:
    """What the provider received, against whom it should have reached."""

    delivered: int
    """Addresses that received it at least once."""
    duplicates: int
    """Messages beyond the first per address."""
    lost: int
    """Addresses that never received it."""
    strangers: int
    """Messages to addresses nobody expected."""


def tally(received: Iterable[str], expected: Iterable[str]) -> Tally:
    counts = Counter(received)
    wanted = set(expected)
    return Tally(
        delivered=sum(1 for a in wanted if counts[a] > 0),
        duplicates=sum(n - 1 for a, n in counts.items() if a in wanted and n > 1),
        lost=sum(1 for a in wanted if counts[a] == 0),
        strangers=sum(n for a, n in counts.items() if a not in wanted),
    )
