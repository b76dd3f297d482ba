"""Live progress bars of a notice's delivery, one per channel (rich)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from lifeline.cli.admin_client import AdminClient


def watch(
    client: AdminClient,
    notice_id: int,
    *,
    console: Console | None = None,
    timeout: float | None = None,
) -> dict[str, Any]:
    """Show per-channel bars until the notice is delivered everywhere; the final state."""
    console = console or Console(stderr=True)
    columns = (
        TextColumn("{task.description:<9}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("sent {task.fields[sent]} · failed {task.fields[failed]}"),
        TextColumn("{task.fields[rate]:>7.1f}/s"),
        TextColumn("ETA {task.fields[eta]}"),
        TimeElapsedColumn(),
    )
    tasks: dict[str, TaskID] = {}
    with Progress(*columns, console=console, transient=False) as bars:

        def update(state: dict[str, Any]) -> None:
            for kind, counts in state.get("progress", {}).items():
                if kind not in tasks:
                    tasks[kind] = bars.add_task(
                        kind, total=None, sent=0, failed=0, rate=0.0, eta="–"
                    )
                done = counts["sent"] + counts["failed"] + counts["skipped"]
                bars.update(
                    tasks[kind],
                    total=counts["total"] or None,
                    completed=done,
                    sent=counts["sent"],
                    failed=counts["failed"],
                    rate=counts.get("rate", 0.0),
                    eta=_eta(counts.get("eta_seconds")),
                )

        return client.wait(notice_id, on_progress=update, timeout=timeout)


def _eta(seconds: float | None) -> str:
    """The server's estimate (from the rate over the last minute) as h:mm:ss."""
    if seconds is None:
        return "–"
    whole = int(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def summary(state: dict[str, Any]) -> str:
    """One line per channel, for logs and non-interactive output."""
    lines = []
    for kind, c in state.get("progress", {}).items():
        lines.append(
            f"{kind}: {c['sent']}/{c['total']} sent, {c['failed']} failed, "
            f"{c['skipped']} skipped, {c['pending']} pending"
        )
        for reason, n in c.get("failure_reasons", {}).items():
            lines.append(f"  {n} × {reason}")
    return "\n".join(lines)
