"""Memory per member and planning time (issue 14.6), without sending anything.

    .venv/bin/python benchmarks/memory.py --members 200000 [--output FILE]

In a private Redis: N members are seeded through ``MemberStore`` (``seeding.py``: email
only with two topics, then Telegram and phone added) and weighed by ``INFO used_memory``
and ``MEMORY USAGE`` per key type; then ``lifeline api`` takes one notice for all three
channels and Lifeline's own ``plan_notice`` plans it in this process, with no worker
running, so the queued batch jobs can be weighed too. Planning is reported as wall and CPU
seconds, and scaled linearly to 1,000,000 members (the walk and the enqueueing are linear;
CPU seconds of this process and of Redis do not depend on what else runs on the machine,
wall seconds do). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import itertools
import math
import pstats
import shlex
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import redis

from lifeline.access import apikeys
from lifeline.config import load_settings
from lifeline.core.vocabulary import CHANNEL_KINDS
from lifeline.delivery import context
from lifeline.delivery.plan import plan_notice
from lifeline.members import keys as member_keys
from measure import cpu_seconds, machine, used_memory
from phases import post_notice
from population import TENANT, TOPICS
from seeding import seed
from stack import SinkHandle, Stack, run_and_report, write_config

TARGETS = {"one_channel": 250.0, "three_channels": 300.0, "planning_1m_seconds": 2.0}
"""Issue 14.6: bytes per member (two topics), and planning 1,000,000 members × 3 channels."""

NOWHERE = {
    "telegram": "http://127.0.0.1:9",
    "email": "smtp://127.0.0.1:9",
    "sms": "http://127.0.0.1:9/sms",
}
"""Provider addresses nothing listens on: planning never sends."""


def run(args: argparse.Namespace, run_dir: Path) -> dict[str, Any]:
    """Seed, weigh, plan, weigh the queue; the result document."""
    with Stack(run_dir) as stack:
        redis_url = stack.start_redis()
        client = redis.Redis.from_url(redis_url, decode_responses=True)
        described = machine(client)
        sinks: dict[str, SinkHandle] = {
            k: SinkHandle(kind=k, url=NOWHERE[k], control="", pid=0) for k in CHANNEL_KINDS
        }
        config = write_config(
            run_dir / "lifeline.toml", redis_url, sinks, batch_size=args.batch_size
        )
        key = apikeys.create(client, TENANT, {"publisher"}, name="benchmark")
        members = seed(client, args.members)
        members["three_channel_breakdown_bytes_per_member"] = breakdown(client, args.members)
        api_url, _ = stack.start_api(config)
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=api_url, headers=headers, timeout=30) as api:
            stack.stop_workers()
            before = used_memory(client)
            notice_id, _ = post_notice(api, list(CHANNEL_KINDS), 3600)
        context.install(load_settings(config))
        redis_cpu = cpu_seconds(stack.redis_pid)
        cpu, started = time.process_time(), time.perf_counter()
        with _profiled(args.profile):
            totals = plan_notice(TENANT, notice_id)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        redis_cpu = cpu_seconds(stack.redis_pid) - redis_cpu
        queued = sum(totals.values())
        after = used_memory(client)
        scale = 1_000_000 / args.members
        planning = {
            "deliveries_queued": queued,
            "batch_jobs": sum(math.ceil(n / args.batch_size) for n in totals.values()),
            "bytes_per_queued_delivery": round((after - before) / queued, 1) if queued else None,
            "planning_wall_seconds": round(wall, 3),
            "planning_cpu_seconds_planner": round(cpu, 3),
            "planning_cpu_seconds_redis": round(redis_cpu, 3),
            "planning_wall_seconds_scaled_to_1m": round(wall * scale, 2),
            "planning_cpu_seconds_scaled_to_1m": round((cpu + redis_cpu) * scale, 2),
        }
    return {
        "benchmark": "memory",
        "command": shlex.join(["python", "benchmarks/memory.py", *sys.argv[1:]]),
        "machine": described,
        "members": members,
        "planning": planning,
        "targets": _targets(members, planning),
    }


def breakdown(client: redis.Redis, members: int) -> dict[str, float]:
    """Bytes per member by key type, by MEMORY USAGE: member hashes (sampled), each kind of
    lookup bucket and the subscriber bitmaps (whole), and the rest of ``used_memory``."""
    pattern = member_keys.member_key(TENANT, 0).removesuffix("0") + "*"
    sample = list(itertools.islice(client.scan_iter(match=pattern, count=1000), 500))
    hashes = sum(int(client.memory_usage(k) or 0) for k in sample) / max(len(sample), 1)
    result = {"member_hash": round(hashes, 1)}
    for short in member_keys.IDENTIFIERS:
        prefix = member_keys.lookup_key(TENANT, short, "").rsplit(":", 1)[0]
        total = sum(_usage(client, k) for k in client.scan_iter(match=f"{prefix}:*", count=1000))
        result[f"lookup_{short}"] = round(total / members, 1)
    bitmaps = [member_keys.subscribers_key(TENANT, k, t) for k in CHANNEL_KINDS for t in TOPICS]
    result["subscriber_bitmaps"] = round(sum(_usage(client, k) for k in bitmaps) / members, 1)
    return result


@contextlib.contextmanager
def _profiled(enabled: bool) -> Iterator[None]:
    """With ``--profile``, the planner's 25 costliest functions to standard error."""
    if not enabled:
        yield
        return
    profile = cProfile.Profile()
    profile.enable()
    try:
        yield
    finally:
        profile.disable()
        pstats.Stats(profile, stream=sys.stderr).sort_stats("tottime").print_stats(25)


def _usage(client: redis.Redis, key: str) -> int:
    # redis-py leaves Redis.execute_command unannotated
    return int(client.execute_command("MEMORY", "USAGE", key, "SAMPLES", "0") or 0)  # type: ignore[no-untyped-call]


def _targets(members: dict[str, Any], planning: dict[str, Any]) -> dict[str, Any]:
    def check(value: float, target: float) -> dict[str, Any]:
        return {"value": value, "target": f"≤ {target:g}", "met": value <= target}

    return {
        "bytes_per_member_one_channel_two_topics": check(
            members["bytes_per_member_one_channel_two_topics"], TARGETS["one_channel"]
        ),
        "bytes_per_member_three_channels_two_topics": check(
            members["bytes_per_member_three_channels_two_topics"], TARGETS["three_channels"]
        ),
        "planning_1m_three_channels_seconds_scaled": check(
            planning["planning_wall_seconds_scaled_to_1m"], TARGETS["planning_1m_seconds"]
        ),
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=200_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--profile", action="store_true", help="profile the planning")
    parser.add_argument("--output", type=Path, help="also write the JSON here")
    parser.add_argument("--run-dir", type=Path, help="logs and config (default: a temp dir)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print its JSON."""
    args = parse_args(argv)
    run_and_report(lambda folder: run(args, folder), args.run_dir, args.output, "memory")


if __name__ == "__main__":
    main()
