"""API under load: latency of POST and GET /v1/notices while a 100,000-member fan-out runs.

    .venv/bin/python benchmarks/api_load.py [--rate 50] [--seconds 30] [--members 100000]

Seeds the synthetic tenant (all three channels), starts the sinks, ``lifeline api`` and W
workers, posts one notice to every member on every channel and, once its messages flow,
sends requests at a fixed rate (open loop: request k is due at start + k / rate, whether or
not earlier ones have answered, so a slow API cannot slow the load down and hide its own
latency). A share of them (``--post-share``) post a notice on the ``drill`` topic, which no
member follows — the API does all its work (validation, idempotency, storing, queueing the
planning job) without adding a second fan-out; the rest GET the running fan-out's progress.

Latency is measured from the moment a request was due to its answer. Errors are non-2xx
answers, timeouts and connection failures. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import redis

from lifeline.access import apikeys
from lifeline.core.vocabulary import CHANNEL_KINDS
from lifeline.delivery import records
from measure import LoadMeter, cpu_delta, cpu_of, machine
from population import TENANT
from seeding import all_channels, upsert
from stack import SinkHandle, Stack, run_and_report, write_config

TIMEOUT_SECONDS = 10.0
"""A request not answered within this counts as an error."""

WARM_UP_SECONDS = 60.0
"""Longest wait for the fan-out's first messages before the load starts."""


@dataclass(frozen=True, slots=True)
class Sample:
    """One request: what it was, how long from due to answered, and whether it failed."""

    endpoint: str
    latency: float
    status: int
    error: str | None = None


def notice_body(topic: str, seconds: float) -> dict[str, Any]:
    """A notice on ``topic`` that expires after ``seconds``."""
    return {
        "severity": "major",
        "headline": {"de": "Störung: Online-Filiale", "en": "Outage: online branch"},
        "body": {"de": "Bitte Krankmeldung auf Papier.", "en": "Please use a paper sick note."},
        "services": ["portal", "eau"],
        "topics": [topic],
        "expires_at": (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat(),
    }


async def one_request(
    api: httpx.AsyncClient, due: float, post: bool, fanout_id: int, bound: float
) -> Sample:
    """Wait until the request is due, send it, time it from ``due``."""
    await asyncio.sleep(max(0.0, due - time.perf_counter()))
    endpoint = "POST /v1/notices" if post else "GET /v1/notices/{id}"
    try:
        if post:
            headers = {"Idempotency-Key": uuid.uuid4().hex}
            response = await api.post(
                "/v1/notices", json=notice_body("drill", bound), headers=headers
            )
        else:
            response = await api.get(f"/v1/notices/{fanout_id}")
    except httpx.HTTPError as exc:
        return Sample(endpoint, time.perf_counter() - due, 0, f"{type(exc).__name__}: {exc}")
    latency = time.perf_counter() - due
    error = None if response.is_success else response.text[:200]
    return Sample(endpoint, latency, response.status_code, error)


async def load(api_url: str, key: str, fanout_id: int, args: argparse.Namespace) -> list[Sample]:
    """Requests at ``args.rate`` per second for ``args.seconds``, every ``1/post_share``-th a
    POST (spread evenly, so the mix is the same in every second)."""
    total = int(args.rate * args.seconds)
    every = round(1 / args.post_share) if args.post_share > 0 else 0
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=50)
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(
        base_url=api_url, headers=headers, timeout=TIMEOUT_SECONDS, limits=limits
    ) as api:
        start = time.perf_counter() + 0.5
        tasks = [
            one_request(
                api,
                start + k / args.rate,
                every > 0 and k % every == 0,
                fanout_id,
                args.seconds + 600,
            )
            for k in range(total)
        ]
        return list(await asyncio.gather(*tasks))


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (``share`` in 0..1) of the values."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))
    return ordered[index]


def summarise(samples: list[Sample]) -> dict[str, Any]:
    """p50 / p99 / max in milliseconds, request and error counts."""
    latencies = [s.latency for s in samples]
    errors = [s for s in samples if s.error is not None]
    return {
        "requests": len(samples),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "max_ms": round(max(latencies) * 1000, 1),
        "errors": len(errors),
        "first_error": f"{errors[0].status} {errors[0].error}" if errors else None,
    }


def fanout_progress(client: redis.Redis, notice_id: int) -> dict[str, int]:
    """Recipients recorded so far on each channel of the running fan-out."""
    done: dict[str, int] = {}
    for kind in CHANNEL_KINDS:
        counts = client.hgetall(records.counts_key(TENANT, notice_id, kind))
        done[kind] = sum(int(counts.get(k, 0)) for k in ("sent", "failed", "skipped"))
    return done


def wait_flowing(client: redis.Redis, notice_id: int) -> None:
    """Until the fan-out has delivered its first messages (it runs during the load)."""
    deadline = time.monotonic() + WARM_UP_SECONDS
    while time.monotonic() < deadline:
        if sum(fanout_progress(client, notice_id).values()) > 0:
            return
        time.sleep(0.1)
    raise RuntimeError("the fan-out delivered nothing within a minute; see the worker logs")


def run(args: argparse.Namespace, run_dir: Path) -> dict[str, Any]:
    """Set up, start the fan-out, load the API; the result document."""
    with Stack(run_dir) as stack:
        redis_url = stack.start_redis()
        client = redis.Redis.from_url(redis_url, decode_responses=True)
        described = machine(client)  # at the start: the commit the processes will load
        sinks: dict[str, SinkHandle] = {kind: stack.start_sink(kind) for kind in CHANNEL_KINDS}
        config = write_config(run_dir / "lifeline.toml", redis_url, sinks)
        key = apikeys.create(client, TENANT, {"publisher"}, name="benchmark")
        upsert(client, args.members, all_channels, "seeding")
        api_url, api_pid = stack.start_api(config)
        workers = stack.start_workers(config, args.workers, redis_url)
        headers = {"Authorization": f"Bearer {key}"}
        response = httpx.post(
            f"{api_url}/v1/notices",
            json=notice_body("outages", args.seconds + 600),
            headers=headers,
            timeout=30,
        )
        response.raise_for_status()
        fanout_id = int(response.json()["id"])
        wait_flowing(client, fanout_id)
        groups = {"api": [api_pid], "workers": workers, "redis": [stack.redis_pid]}
        meter = LoadMeter(stack.own_pids)
        machine_load = meter.wait_quiet(args.quiet_wait)
        mark = meter.mark()
        cpu_before, progress_before = cpu_of(groups), fanout_progress(client, fanout_id)
        started = time.monotonic()
        samples = asyncio.run(load(api_url, key, fanout_id, args))
        elapsed = time.monotonic() - started
        foreign = LoadMeter.foreign_cores(mark, meter.mark())
        progress_after = fanout_progress(client, fanout_id)
        cpu = cpu_delta(cpu_before, cpu_of(groups))
        return {
            "benchmark": "api_load",
            "command": shlex.join(["python", "benchmarks/api_load.py", *sys.argv[1:]]),
            "machine": described,
            "setup": _setup(args),
            "overall": summarise(samples),
            "by_endpoint": {
                endpoint: summarise([s for s in samples if s.endpoint == endpoint])
                for endpoint in sorted({s.endpoint for s in samples})
            },
            "achieved_rate": round(len(samples) / elapsed, 1),
            "fanout_during_load": {
                "members": args.members,
                "messages_recorded": {
                    kind: progress_after[kind] - progress_before[kind] for kind in progress_after
                },
                "msgs_per_s": round(
                    (sum(progress_after.values()) - sum(progress_before.values())) / elapsed, 1
                ),
            },
            "cpu_seconds_during_load": cpu,
            "machine_load": machine_load | {"foreign_cores_avg": round(foreign, 2)},
        }


def _setup(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "rate_per_second": args.rate,
        "seconds": args.seconds,
        "post_share": args.post_share,
        "members": args.members,
        "workers": args.workers,
        "fanout": "one notice to every member on telegram, email and sms, running throughout",
        "posted_notices": "topic 'drill', followed by no member (planned, zero recipients)",
        "latency": "from when the request was due (open loop) to the answer",
        "timeout_seconds": TIMEOUT_SECONDS,
        "redis": {"private": True, "appendonly": False, "save": False},
        "quiet_wait_seconds": args.quiet_wait,
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50.0, help="requests per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long the load lasts")
    parser.add_argument("--post-share", type=float, default=0.2, help="share of POSTs, 0..1")
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=300.0,
        help="before the load, wait up to this long for other processes to leave the CPU",
    )
    parser.add_argument("--output", type=Path, help="also write the JSON here")
    parser.add_argument("--run-dir", type=Path, help="logs and config (default: a temp dir)")
    args = parser.parse_args(argv)
    if not 0 <= args.post_share <= 1 or args.rate <= 0 or args.seconds <= 0:
        parser.error("--rate and --seconds must be positive, --post-share within 0..1")
    return args


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print its JSON."""
    args = parse_args(argv)
    run_and_report(lambda folder: run(args, folder), args.run_dir, args.output, "api-load")


if __name__ == "__main__":
    main()
