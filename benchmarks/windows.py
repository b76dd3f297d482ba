"""A phase's deliveries in short windows, each tagged with how busy other processes were.

The whole-phase rate is what a user would see on this machine at that moment; the rate over
the quiet windows only is what a comparison between two phases minutes apart can rely on
when other work (a test suite, a build) comes and goes on a shared machine.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from measure import QUIET_CORES, LoadMeter
from stack import SinkHandle

WINDOW_SECONDS = 2.0
"""Length of one window: short enough to cut around a burst of foreign load."""

MIN_QUIET_SECONDS = 20.0
"""Fewer quiet seconds than this give no quiet rate (too little to go by)."""


@dataclass(frozen=True, slots=True)
class Window:
    """Messages the sink accepted in one window, and the foreign load meanwhile."""

    start: float
    end: float
    delivered: int
    foreign_cores: float


class DeliveryWindows:
    """Reads the sink's count and the machine's load every ``WINDOW_SECONDS``."""

    def __init__(self, meter: LoadMeter, sink: SinkHandle) -> None:
        self.meter = meter
        self.sink = sink
        self.windows: list[Window] = []
        self._mark = meter.mark()
        self._delivered = int(sink.stats()["delivered"] or 0)

    def tick(self) -> None:
        """Close the current window if it is due (call often; it is cheap otherwise)."""
        if time.time() - self._mark.at < WINDOW_SECONDS:
            return
        mark = self.meter.mark()
        delivered = int(self.sink.stats()["delivered"] or 0)
        cores = LoadMeter.foreign_cores(self._mark, mark)
        self.windows.append(Window(self._mark.at, mark.at, delivered - self._delivered, cores))
        self._mark, self._delivered = mark, delivered

    def summary(self, first_at: float | None, last_at: float | None) -> dict[str, Any]:
        """Foreign load while messages flowed, and the rate over the quiet windows."""
        if first_at is None or last_at is None:
            return {"windows": 0}
        inside = [w for w in self.windows if w.start >= first_at and w.end <= last_at]
        quiet = [w for w in inside if w.foreign_cores < QUIET_CORES]
        quiet_seconds = sum(w.end - w.start for w in quiet)
        span = sum(w.end - w.start for w in inside)
        foreign = sum(w.foreign_cores * (w.end - w.start) for w in inside)
        return {
            "windows": len(inside),
            "quiet_windows": len(quiet),
            "quiet_seconds": round(quiet_seconds, 1),
            "quiet_msgs_per_s": (
                round(sum(w.delivered for w in quiet) / quiet_seconds, 1)
                if quiet_seconds >= MIN_QUIET_SECONDS
                else None
            ),
            "foreign_cores_avg": round(foreign / span, 2) if span else None,
            "foreign_cores_max": round(max((w.foreign_cores for w in inside), default=0), 2),
        }
