"""Markdown tables from the results files, for the README and the issue.

    .venv/bin/python benchmarks/table.py benchmarks/results/fanout-100k.json \
        benchmarks/results/fanout-1m.json benchmarks/results/api-load.json

Each file is recognised by its ``benchmark`` field; the tables show exactly what the JSON
holds, so the README and the results cannot drift apart.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def fanout_table(result: dict[str, Any]) -> str:
    """Per channel: rates, ratio, CPU, planning, first delivery."""
    setup = result["setup"]
    head = (
        f"**fanout, {setup['members']:,} members, {setup['workers']} workers × "
        f"{setup['concurrency_per_job']} per job** — `{result['command']}` — "
        f"{_machine(result['machine'])}\n\n"
        "| channel | messages | seconds | msgs/s | raw msgs/s | ratio | CPU s / 1,000 "
        "(workers + Redis) | raw client CPU s / 1,000 | planning s | first delivery s |\n"
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n"
    )
    rows = []
    for kind, channel in result["channels"].items():
        s, raw = channel["summary"], channel["raw"]
        ratio = f"{s['ratio']} ({'quiet' if s['ratio_basis'] == 'quiet windows' else 'whole'})"
        rows.append(
            f"| {kind} | {s['messages']:,} | {s['seconds']} | {s['msgs_per_s']} | "
            f"{s['raw_msgs_per_s']} | {ratio} | {s['cpu_seconds_per_1000_workers_and_redis']} | "
            f"{raw['client_cpu_seconds_per_1000']} | {s['planning_seconds']} | "
            f"{s['first_delivery_seconds']} |"
        )
    return (
        head
        + "\n".join(rows)
        + "\n\n"
        + _rounds(result)
        + _fanout_extra(result)
        + _peer_table(result)
    )


def _rounds(result: dict[str, Any]) -> str:
    """Each round's ratio, where a channel ran several (``fanout.py --rounds``)."""
    ran = {k: c["rounds"] for k, c in result["channels"].items() if "rounds" in c}
    if not ran:
        return ""
    listed = "; ".join(f"{k} {', '.join(str(r['ratio']) for r in rs)}" for k, rs in ran.items())
    return f"Ratio per round, raw phase then Lifeline's (the median round above): {listed}.\n\n"


def _peer_table(result: dict[str, Any]) -> str:
    """With ``--peer apprise``: Lifeline's email beside Apprise's, end to end and per phase."""
    peer = result.get("peer")
    if not peer:
        return ""
    email = result["channels"]["email"]
    ours, summary = email["lifeline"], email["summary"]
    rows = [
        f"| Lifeline, {result['setup']['workers']} workers (API answered → last) | "
        f"{summary['messages']:,} | {ours['end_to_end_seconds']} | "
        f"{peer['comparison']['lifeline_email_end_to_end_msgs_per_s']} | {summary['msgs_per_s']} "
        f"| — | — | {ours['cpu_seconds_per_1000']['workers_and_redis']} (workers + Redis) |"
    ]
    names = {"by-language": "grouped by language", "per-member": "one `notify()` per member"}
    for mode, run in peer["apprise"].items():
        rows.append(
            f"| Apprise {run['apprise']}, {names.get(mode, mode)} (first `notify()` → last) | "
            f"{run['messages']:,} | {run['end_to_end_seconds']} | {run['end_to_end_msgs_per_s']} "
            f"| {run['msgs_per_s']} | {run['notify_calls']:,} | {run['smtp_connections'] or 0:,} | "
            f"{run['client_cpu_seconds_per_1000']} |"
        )
    ratios = ", ".join(
        f"{v}× {k.removeprefix('end_to_end_vs_apprise_').replace('_', ' ')}"
        for k, v in peer["comparison"].items()
        if k.startswith("end_to_end_vs_")
    )
    return (
        "\nThe peer, same mails to the same SMTP sink:\n\n"
        "| email | messages | seconds end to end | msgs/s end to end | msgs/s first → last "
        "arrival | `notify()` calls | SMTP connections | CPU s / 1,000 |\n"
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n"
        + "\n".join(rows)
        + f"\n\nLifeline end to end ÷ Apprise end to end: {ratios}.\n"
    )


def _fanout_extra(result: dict[str, Any]) -> str:
    members, queue = result["members"], result["queue"]
    peaks = [
        p for c in result["channels"].values() for p in c["lifeline"]["peak_rss_mib_per_worker"]
    ]
    return (
        f"Redis per member: {members['bytes_per_member_one_channel_two_topics']} bytes "
        f"(one channel, two topics; {members['one_channel_breakdown_bytes_per_member']}), "
        f"{members['bytes_per_member_three_channels_two_topics']} bytes with all three "
        f"channels. Per queued delivery: {queue['bytes_per_queued_delivery']} bytes "
        f"({queue['deliveries_queued']:,} queued in {queue['batch_jobs']:,} jobs, planned in "
        f"{queue['planning_seconds_no_workers']} s with no worker running). "
        f"Peak RSS per worker: {max(peaks, default=0)} MiB.\n"
    )


def api_table(result: dict[str, Any]) -> str:
    """Latency per endpoint."""
    setup = result["setup"]
    head = (
        f"**api_load, {setup['rate_per_second']:g} req/s for {setup['seconds']:g} s during a "
        f"{setup['members']:,}-member fan-out** — `{result['command']}` — "
        f"{_machine(result['machine'])}\n\n"
        "| requests | p50 ms | p99 ms | max ms | errors |\n| --- | ---: | ---: | ---: | ---: |\n"
    )
    rows = []
    for name, s in {"all": result["overall"], **result["by_endpoint"]}.items():
        rows.append(
            f"| {name} ({s['requests']}) | {s['p50_ms']} | {s['p99_ms']} | {s['max_ms']} | "
            f"{s['errors']} |"
        )
    return head + "\n".join(rows) + "\n"


def _machine(machine: dict[str, Any]) -> str:
    return (
        f"{machine['cores']} cores {machine['cpu_model']}, {machine['memory_gib']} GiB, "
        f"Python {machine['python']}, Redis {machine['redis']}, "
        f"Lifeline {machine['lifeline_commit']}, {machine['date']}"
    )


def main(paths: list[str]) -> None:
    """Print one table per results file."""
    for path in paths:
        result = json.loads(Path(path).read_text(encoding="utf-8"))
        table = fanout_table if result["benchmark"] == "fanout" else api_table
        print(table(result))


if __name__ == "__main__":
    main(sys.argv[1:])
