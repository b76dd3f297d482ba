"""The two phases ``fanout.py`` runs per channel: the raw transport, then Lifeline.

Both are measured the same way, at the sink: messages accepted, from the first to the last
arrival, in windows tagged with the foreign load (``windows.py``).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import redis

from lifeline.delivery import records
from lifeline.notices.store import notice_key
from measure import (
    LoadMeter,
    calls_delta,
    command_calls,
    cpu_delta,
    cpu_of,
    peak_rss_mib,
    reset_peak_rss,
    used_memory,
)
from population import TENANT
from stack import BOT_TOKEN, HERE, RATE_PER_SECOND, SMS_TOKEN, SinkHandle, SinkStats, Stack
from windows import DeliveryWindows

RAW_START_SECONDS = 8.0
"""Head start the raw senders get to import and connect before they all begin at once."""

DRAIN_SECONDS = 120.0
"""After a phase's bound: how long the skips of an expired notice may take to be recorded."""

POLL_SECONDS = 0.2
"""How often a phase looks whether it is over (Redis or the senders, not the API)."""


@dataclass(frozen=True)
class PhaseOptions:
    """What both phases of a channel need to know."""

    members: int
    workers: int
    concurrency: int
    phase_seconds: float
    quiet_wait: float


# --- the notice ----------------------------------------------------------------------------


def notice_body(
    channels: list[str], expires_at: datetime, topic: str = "outages"
) -> dict[str, Any]:
    """A typical outage notice in German and English."""
    return {
        "severity": "major",
        "headline": {
            "de": "Störung: App und Online-Filiale nicht erreichbar",
            "en": "Outage: app and online branch unavailable",
        },
        "body": {
            "de": "Krankmeldungen bitte auf Papier beim Arzt. Wir melden uns, sobald alles läuft.",
            "en": "Please ask your doctor for a paper sick note. We will tell you once it works.",
        },
        "services": ["app", "portal", "eau"],
        "topics": [topic],
        "channels": channels,
        "expires_at": expires_at.isoformat(),
    }


def post_notice(api: httpx.Client, channels: list[str], seconds: float) -> tuple[int, float]:
    """Post a notice that expires after ``seconds``; (id, epoch when the API answered)."""
    body = notice_body(channels, datetime.now(UTC) + timedelta(seconds=seconds))
    response = api.post("/v1/notices", json=body)
    answered = time.time()
    response.raise_for_status()
    return int(response.json()["id"]), answered


def rendered_messages(api: httpx.Client, channels: list[str], path: Path) -> Path:
    """What Lifeline will send, per channel and language, for the raw senders to send too."""
    body = notice_body(channels, datetime.now(UTC) + timedelta(hours=1))
    response = api.post("/v1/notices/preview", json=body)
    response.raise_for_status()
    path.write_text(json.dumps(response.json(), ensure_ascii=False), encoding="utf-8")
    return path


# --- raw transport -------------------------------------------------------------------------


def shares(members: int, processes: int) -> list[tuple[int, int]]:
    """(first index, count) of each process's contiguous share of the members."""
    size = math.ceil(members / processes)
    return [(s, min(size, members - s)) for s in range(0, members, size)]


def run_raw(
    stack: Stack, sink: SinkHandle, options: PhaseOptions, messages: Path, meter: LoadMeter
) -> dict[str, Any]:
    """W raw sender processes against one sink; what the sink saw and what they cost."""
    sink.reset()
    load = meter.wait_quiet(options.quiet_wait)
    start_at = time.time() + RAW_START_SECONDS
    deadline = start_at + options.phase_seconds
    senders = [
        stack.spawn(argv, f"raw-{sink.kind}-{n}", stdout=subprocess.PIPE, transient=True)
        for n, argv in enumerate(_raw_commands(sink, options, messages, start_at, deadline))
    ]
    time.sleep(max(0.0, start_at - time.time()))  # the window starts when sending does
    windows = DeliveryWindows(meter, sink)
    cpu_before = cpu_of({"sink": [sink.pid]})
    _wait(lambda: all(p.poll() is not None for p in senders), deadline + 60, windows.tick)
    reports = [_report(p) for p in senders]
    cpu = cpu_delta(cpu_before, cpu_of({"sink": [sink.pid]}))
    stats = sink.stats()
    result = _raw_result(stats, reports, cpu["sink"], start_at)
    result["machine_load"] = load | windows.summary(stats["first_at"], stats["last_at"])
    return result


def _raw_commands(
    sink: SinkHandle, options: PhaseOptions, messages: Path, start_at: float, deadline: float
) -> list[list[str]]:
    token = BOT_TOKEN if sink.kind == "telegram" else SMS_TOKEN
    common = {
        "--url": sink.url,
        "--token": token,
        "--concurrency": str(options.concurrency),
        "--messages": str(messages),
        "--start-at": str(start_at),
        "--deadline": str(deadline),
    }
    if sink.kind == "telegram":
        # Telegram itself holds a bot to its rate (1,000/s with paid broadcasts), so the bare
        # transport is paced at the same bound Lifeline's limiter keeps: both face Telegram.
        common["--rate"] = str(RATE_PER_SECOND["telegram"] / options.workers)
    commands = []
    for first, count in shares(options.members, options.workers):
        flags = common | {"--first": str(first), "--count": str(count)}
        argv = [sys.executable, str(HERE / "raw_send.py"), sink.kind]
        commands.append(argv + [part for pair in flags.items() for part in pair])
    return commands


def _report(proc: subprocess.Popen[bytes]) -> dict[str, Any]:
    if proc.poll() is None:
        proc.kill()  # past the bound: what it printed so far is lost, the run goes on
    out, _ = proc.communicate()
    lines = out.decode().strip().splitlines()
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"a raw sender failed (exit {proc.returncode}); see its log")
    return dict(json.loads(lines[-1]))


def _raw_result(
    stats: SinkStats, reports: list[dict[str, Any]], sink_cpu: float, start_at: float
) -> dict[str, Any]:
    delivered = int(stats["delivered"])
    seconds = arrival_span(stats)
    client_cpu = sum(r["cpu_seconds"] for r in reports)
    return {
        "messages": delivered,
        "seconds": round(seconds, 2),
        "msgs_per_s": round(delivered / seconds, 1) if seconds else None,
        "errors": sum(r["errors"] for r in reports),
        "first_error": next((r["first_error"] for r in reports if r["first_error"]), None),
        "latest_start_lag_seconds": round(max(r["started"] for r in reports) - start_at, 3),
        "client_cpu_seconds_per_1000": per_1000(client_cpu, delivered),
        "sink_cpu_seconds_per_1000": per_1000(sink_cpu, delivered),
        "client_peak_rss_mib": [r["peak_rss_mib"] for r in reports],
    }


def arrival_span(stats: SinkStats) -> float:
    """Seconds from the first to the last message the sink accepted."""
    if not stats["first_at"] or not stats["last_at"]:
        return 0.0
    return float(stats["last_at"] - stats["first_at"])


def per_1000(cpu: float, deliveries: int) -> float | None:
    """CPU seconds per 1,000 deliveries."""
    return round(cpu / deliveries * 1000, 3) if deliveries else None


def _wait(done: Callable[[], bool], deadline: float, tick: Callable[[], None]) -> bool:
    """Poll until ``done`` or the deadline, ticking the windows meanwhile; whether done."""
    while time.time() < deadline:
        tick()
        if done():
            return True
        time.sleep(POLL_SECONDS)
    return False


# --- Lifeline ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Processes:
    """Process ids of the run, grouped as the CPU figures are."""

    workers: list[int]
    redis: int
    api: int
    sinks: dict[str, int]

    def groups(self, kind: str) -> dict[str, list[int]]:
        """Named groups for ``cpu_of`` during the phase of one channel kind."""
        return {
            "workers": self.workers,
            "redis": [self.redis],
            "api": [self.api],
            "sink": [self.sinks[kind]],
        }


def run_lifeline(
    client: redis.Redis,
    api: httpx.Client,
    sink: SinkHandle,
    procs: Processes,
    options: PhaseOptions,
    meter: LoadMeter,
) -> dict[str, Any]:
    """One notice on one channel through the API and the workers, measured at the sink."""
    sink.reset()
    load = meter.wait_quiet(options.quiet_wait)
    for pid in procs.workers:
        reset_peak_rss(pid)
    windows = DeliveryWindows(meter, sink)
    before = _Reading.take(client, procs, sink)
    memory_before = used_memory(client)
    notice_id, answered = post_notice(api, [sink.kind], options.phase_seconds)
    bound = answered + options.phase_seconds
    at_bound: list[_Reading] = []

    def tick() -> None:
        windows.tick()
        if not at_bound and time.time() >= bound:
            at_bound.append(_Reading.take(client, procs, sink))

    state = wait_settled(client, notice_id, sink.kind, bound, tick)
    # Costs per delivery are read where delivery ended: at the bound, if the notice expired
    # before everyone had it (what follows is skipping the rest, not delivering).
    after = at_bound[0] if at_bound else _Reading.take(client, procs, sink)
    memory_after = used_memory(client)
    stats = sink.stats()
    delivered = int(stats["delivered"])
    seconds = arrival_span(stats)
    cpu = cpu_delta(before.cpu, after.cpu)
    return {
        "notice_id": notice_id,
        "messages": delivered,
        "seconds": round(seconds, 2),
        "msgs_per_s": round(delivered / seconds, 1) if seconds else None,
        "complete": state["complete"],
        "outcomes": state["counts"],
        "planning_seconds": state["planning_seconds"],
        "first_delivery_seconds": _since(stats["first_at"], answered),
        "end_to_end_seconds": _since(stats["last_at"], answered),
        "cpu_seconds": cpu,
        "cpu_seconds_per_1000": _cpu_per_1000(cpu, after.delivered),
        "peak_rss_mib_per_worker": [peak_rss_mib(pid) for pid in procs.workers],
        "redis_commands_per_delivery": _calls_per_delivery(
            calls_delta(before.calls, after.calls), after.delivered
        ),
        "costs_read": "at the phase bound" if at_bound else "when delivery was complete",
        "redis_bytes_per_recipient_after": _per_recipient(
            memory_after - memory_before, state["counts"]
        ),
        "machine_load": load | windows.summary(stats["first_at"], stats["last_at"]),
    }


@dataclass(frozen=True)
class _Reading:
    """CPU of our processes, Redis's command counts and the sink's count, at one moment."""

    cpu: dict[str, float]
    calls: dict[str, int]
    delivered: int

    @classmethod
    def take(cls, client: redis.Redis, procs: Processes, sink: SinkHandle) -> _Reading:
        return cls(
            cpu_of(procs.groups(sink.kind)),
            command_calls(client),
            int(sink.stats()["delivered"] or 0),
        )


def wait_settled(
    client: redis.Redis,
    notice_id: int,
    kind: str,
    bound: float,
    tick: Callable[[], None] = lambda: None,
) -> dict[str, Any]:
    """Poll Redis (not the API, which would add load) until planned and nobody is pending."""
    notice_hash = notice_key(TENANT, notice_id)
    counts_hash = records.counts_key(TENANT, notice_id, kind)
    state: dict[str, Any] = {}

    def settled() -> bool:
        plan, planned_at, created = client.hmget(notice_hash, ["plan", "planned_at", "created"])
        counts = {k: int(v) for k, v in client.hgetall(counts_hash).items()}
        state.update(counts=counts, planned_at=planned_at, created=created)
        final = sum(counts.get(k, 0) for k in ("sent", "failed", "skipped"))
        return plan == "done" and final >= counts.get("total", 0)

    done = _wait(settled, bound + DRAIN_SECONDS, tick)
    counts, planned_at, created = state["counts"], state["planned_at"], state["created"]
    planning = float(planned_at) - int(created) / 1000 if planned_at and created else None
    return {
        "complete": done and not counts.get("skipped") and not counts.get("failed"),
        "counts": counts,
        "planning_seconds": round(planning, 3) if planning is not None else None,
    }


def _per_recipient(grown: int, counts: dict[str, int]) -> float | None:
    """Memory growth per recipient with a recorded outcome (sent, failed or skipped: a
    bounded run skips the rest, and each skip is recorded too)."""
    recorded = sum(counts.get(k, 0) for k in ("sent", "failed", "skipped"))
    return round(grown / recorded, 1) if recorded else None


def _since(at: float | None, answered: float) -> float | None:
    return round(at - answered, 3) if at else None


def _cpu_per_1000(cpu: dict[str, float], delivered: int) -> dict[str, float | None]:
    own = cpu["workers"] + cpu["redis"]
    return {
        "workers_and_redis": per_1000(own, delivered),
        "workers": per_1000(cpu["workers"], delivered),
        "redis": per_1000(cpu["redis"], delivered),
        "api": per_1000(cpu["api"], delivered),
        "sink": per_1000(cpu["sink"], delivered),
    }


def _calls_per_delivery(calls: dict[str, int], delivered: int) -> dict[str, Any]:
    if not delivered:
        return {}
    top = dict(list(calls.items())[:12])
    return {
        "all": round(sum(calls.values()) / delivered, 2),
        "by_command": {name: round(n / delivered, 3) for name, n in top.items()},
    }
