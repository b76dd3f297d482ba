"""Redis round trips per delivery: a batch's lanes share their ledger calls.

Counted with ``INFO commandstats`` around a real worker run: a number that does not depend
on how loaded the machine is (wall-clock ratios on a shared machine would be noise).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
import redis

from lifeline.config import Settings
from lifeline.core import defaults
from lifeline.delivery import records, worker
from lifeline.members import MemberData, MemberStore
from tests.delivery.test_fanout import NOTICE, T, publish

MEMBERS = 240


def calls(client: redis.Redis) -> dict[str, int]:
    """Calls so far of each command, as Redis counts them."""
    stats = client.info("commandstats")
    return {name.removeprefix("cmdstat_"): int(row["calls"]) for name, row in stats.items()}


def seed_email(client: redis.Redis, n: int) -> None:
    rows = [
        MemberData(
            language="de",
            topics=("outages",),
            email=f"m{i}@example.org",
            consent_given_at=datetime(2026, 11, 1, tzinfo=UTC),
            consent_source="test",
        )
        for i in range(n)
    ]
    MemberStore(client).upsert_many(T, rows)


def round_trips_per_delivery(settings: Settings, client: redis.Redis) -> tuple[float, float]:
    """Script calls and Redis commands (those inside scripts too) per delivery."""
    seed_email(client, MEMBERS)
    notice_id = publish(settings, client, {**NOTICE, "channels": ["email"]})
    before = calls(client)
    worker.run(settings, burst=True)
    after = calls(client)
    progress = records.progress(client, T, notice_id, ("email",))["email"]
    assert (progress.sent, progress.pending) == (MEMBERS, 0)
    scripts = sum(after.get(c, 0) - before.get(c, 0) for c in ("evalsha", "eval"))
    total = sum(after.values()) - sum(before.values())
    print(f"per delivery: {scripts / MEMBERS:.3f} script calls, {total / MEMBERS:.3f} commands")
    return scripts / MEMBERS, total / MEMBERS


@pytest.mark.parametrize("concurrency", [4, 8])
def test_lanes_ready_together_share_one_script_call(
    make_settings: Callable[..., Settings], redis_client: redis.Redis, concurrency: int
) -> None:
    """One ledger script per delivery before; now a lane records and claims
    ``CLAIMS_PER_STEP`` recipients a call. Planning, the run's liveness and the rest stay
    per batch."""
    settings = make_settings(worker={"batch_size": 120, "concurrency": concurrency})
    per_delivery, commands = round_trips_per_delivery(settings, redis_client)
    # Before (one step per delivery): 1.09-1.11 script calls, 15.7 commands a delivery
    # (commandstats counts those inside scripts too); lanes of four: 0.28-0.32, 14.0-14.1;
    # lanes of eight, counters and limiters written once a call: 0.18, 7.7.
    assert per_delivery <= 1 / min(defaults.CLAIMS_PER_STEP, concurrency) + 0.1
    # Per delivery: claim (HGET, HSET), record (HGET, HSET), its receipt index (HSET), the
    # member's hash, and the call's counters, limiter and clock shared by the lane.
    assert commands <= (9.5 if concurrency == 8 else 11)
