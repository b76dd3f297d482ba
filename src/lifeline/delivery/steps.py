"""A batch's lanes: how many recipients each claims per ledger call, and which.

A batch sends ``concurrency`` at a time in lanes of up to ``CLAIMS_PER_STEP``: one script
call (``DeliveryLedger.steps``, ``lua/steps.lua``) records a lane's finished sends, claims
its next recipients and reserves their rate-limit slots; the lane then sends to them and
waits for all of them before its next call. Claims still come right before their sends and
outcomes are recorded right after the lane's sends.

On slow channels a lane claims fewer at once (``CLAIMS_SPAN_SECONDS``): a round trip costs
nothing next to the slot interval there. Lanes do not share calls with each other either:
that would hand one worker runs of consecutive slots, which all go out late together when
the worker stalls (the fault suite's rate test saw 21 arrivals in a second at 20/s).

What a worker that dies can leave on the wire stays bounded: a lane of size k holds at most
k claimed, unrecorded recipients (those it is sending to, or whose outcomes wait for its
next call), the lanes of a batch add up to ``concurrency``, so at most ``concurrency`` per
batch run, and a re-run counts each of them as ``reclaimed`` when it sends again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

from lifeline.core import defaults

Work = TypeVar("Work")


def lane_sizes(concurrency: int, interval_us: int) -> list[int]:
    """The sizes of a batch's lanes: ``concurrency`` sends in all, ``CLAIMS_PER_STEP`` a lane
    at most (the last one takes what remains), fewer where the channel's slots lie so far
    apart that that many would span more than ``CLAIMS_SPAN_SECONDS``."""
    span = int(defaults.CLAIMS_SPAN_SECONDS * 1_000_000) // max(interval_us, 1)
    size = max(1, min(defaults.CLAIMS_PER_STEP, span, concurrency))
    full, rest = divmod(concurrency, size)
    return [size] * full + ([rest] if rest else [])


def take(
    pending: Iterator[Work], size: int, left: list[Work], should_stop: Callable[[], bool]
) -> list[Work]:
    """Up to ``size`` recipients for a lane to claim next; none once a stop is asked for
    (then the rest goes to ``left``, for a continuation job or to be skipped)."""
    taken: list[Work] = []
    for work in pending:
        if should_stop():
            left.append(work)
            left.extend(pending)
            break
        taken.append(work)
        if len(taken) == size:
            break
    return taken
