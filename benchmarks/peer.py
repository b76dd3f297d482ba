"""The peer phase of ``fanout.py --peer apprise``: Apprise's mails to the same SMTP sink.

Run after Lifeline's email phase, on the same sink, the same members and the same rendered
mail. Measured like the other phases (at the sink, first to last arrival, foreign load in
windows) plus end to end: from the moment the script starts calling ``notify()`` to the
last arrival, the peer's counterpart of Lifeline's "API answered → last arrival".
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from measure import LoadMeter, cpu_delta, cpu_of
from phases import RAW_START_SECONDS, PhaseOptions, arrival_span, per_1000
from stack import HERE, SinkHandle, Stack
from windows import DeliveryWindows

PEER_MODES = ("by-language", "per-member")
"""Apprise grouped by language (at its best), then one ``notify()`` per member."""

POLL_SECONDS = 0.5


def run_peer(
    stack: Stack,
    sink: SinkHandle,
    options: PhaseOptions,
    messages: Path,
    meter: LoadMeter,
    mode: str,
) -> dict[str, Any]:
    """One Apprise script process against the SMTP sink; what the sink saw and its cost."""
    sink.reset()
    load = meter.wait_quiet(options.quiet_wait)
    start_at = time.time() + RAW_START_SECONDS
    deadline = start_at + options.phase_seconds
    argv = [
        sys.executable, str(HERE / "peer_apprise.py"), mode, "--url", sink.url,
        "--members", str(options.members), "--messages", str(messages),
        "--start-at", str(start_at), "--deadline", str(deadline),
    ]  # fmt: skip
    proc = stack.spawn(argv, f"peer-apprise-{mode}", stdout=subprocess.PIPE, transient=True)
    time.sleep(max(0.0, start_at - time.time()))
    windows = DeliveryWindows(meter, sink)
    cpu_before = cpu_of({"sink": [sink.pid]})
    # A notify() in progress at the deadline is let finish (a group's is one call), bounded.
    while proc.poll() is None and time.time() < deadline + options.phase_seconds:
        windows.tick()
        time.sleep(POLL_SECONDS)
    if proc.poll() is None:
        proc.kill()
    out, _ = proc.communicate()
    lines = out.decode().strip().splitlines()
    if proc.returncode != 0 or not lines:
        raise RuntimeError(
            f"the Apprise peer ({mode}) failed (exit {proc.returncode}); see its log"
        )
    report = json_line(lines[-1])
    cpu = cpu_delta(cpu_before, cpu_of({"sink": [sink.pid]}))
    stats = sink.stats()
    delivered = int(stats["delivered"])
    seconds = arrival_span(stats)
    end_to_end = round(stats["last_at"] - report["started"], 3) if stats["last_at"] else None
    return {
        "mode": mode,
        "messages": delivered,
        "seconds": round(seconds, 2),
        "msgs_per_s": round(delivered / seconds, 1) if seconds else None,
        "end_to_end_seconds": end_to_end,
        "end_to_end_msgs_per_s": round(delivered / end_to_end, 1) if end_to_end else None,
        "notify_calls": report["notify_calls"],
        "failed_calls": report["failed_calls"],
        "smtp_connections": stats.get("connections"),
        "client_cpu_seconds_per_1000": per_1000(report["cpu_seconds"], delivered),
        "sink_cpu_seconds_per_1000": per_1000(cpu["sink"], delivered),
        "client_peak_rss_mib": report["peak_rss_mib"],
        "apprise": report["apprise"],
        "machine_load": load | windows.summary(stats["first_at"], stats["last_at"]),
    }


def json_line(line: str) -> dict[str, Any]:
    """The peer script's report."""
    return dict(json.loads(line))


def peer_result(lifeline_email: dict[str, Any], peers: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The peer phases beside Lifeline's email phase: end to end, and per phase."""
    summary = lifeline_email["summary"]
    ours = lifeline_email["lifeline"]
    e2e = ours["end_to_end_seconds"]
    ours_e2e = round(summary["messages"] / e2e, 1) if e2e else None
    comparison: dict[str, Any] = {
        "lifeline_email_end_to_end_msgs_per_s": ours_e2e,
        "lifeline_email_msgs_per_s": summary["msgs_per_s"],
    }
    for mode, peer in peers.items():
        key = mode.replace("-", "_")
        theirs = peer["end_to_end_msgs_per_s"]
        comparison[f"end_to_end_vs_apprise_{key}"] = (
            round(ours_e2e / theirs, 2) if ours_e2e and theirs else None
        )
        comparison[f"per_phase_vs_apprise_{key}"] = (
            round(summary["msgs_per_s"] / peer["msgs_per_s"], 2)
            if summary["msgs_per_s"] and peer["msgs_per_s"]
            else None
        )
    return {"apprise": peers, "comparison": comparison}
