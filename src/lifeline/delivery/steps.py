"""Group commit of a batch's ledger steps: the lanes' steps that are ready together go to
Redis in one script call (``DeliveryLedger.steps``, ``lua/steps.lua``).

A lane that finished its sends asks to record them and claim its next recipients
(``CLAIMS_PER_STEP`` a lane, see ``batch``). If no call is
on its way to Redis, the step goes out at the next turn of the event loop, with every
other lane's step made ready in the same turn; while a call is on its way, steps wait for
it and then go out together in the next one. A step therefore waits for at most one other
round trip, the batch makes one call per round trip instead of one per delivery when its
lanes are busy, and each claim still comes right before its lane's send and each record
right after it.

What a worker that dies can leave on the wire stays bounded: a lane of size k holds at most
k claimed, unrecorded recipients (those it is sending to, or whose outcomes wait for its
next call), the lanes of a batch add up to ``concurrency``, so at most ``concurrency`` per
batch run, and a re-run counts each of them as ``reclaimed`` when it sends again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

from lifeline.core import defaults
from lifeline.delivery.ledger import DeliveryLedger, Done, Step, StepResult
from lifeline.delivery.ratelimit import Slot

Work = TypeVar("Work")


def lane_sizes(concurrency: int) -> list[int]:
    """The sizes of a batch's lanes: ``concurrency`` sends in all, ``CLAIMS_PER_STEP`` a lane
    at most (the last one takes what remains)."""
    size = max(1, min(defaults.CLAIMS_PER_STEP, concurrency))
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


class GroupedSteps:
    """The ledger's ``step`` for many lanes at once; one instance per batch run."""

    def __init__(self, ledger: DeliveryLedger) -> None:
        self.ledger = ledger
        self.calls = 0
        """Script calls made so far (steps / calls is the grouping achieved)."""
        self._waiting: list[tuple[Step, asyncio.Future[StepResult]]] = []
        self._sender: asyncio.Task[None] | None = None

    async def step(
        self, *, done: Done | None, claim: int | None, slots: Sequence[Slot] = ()
    ) -> StepResult:
        """As ``DeliveryLedger.step``, grouped with the other lanes' steps ready with it."""
        (result,) = await self.run([Step(done, claim, tuple(slots))])
        return result

    async def run(self, steps: Sequence[Step]) -> list[StepResult]:
        """Several steps of one lane, in this order, in the same call as each other and as
        any other lane's steps ready with them."""
        if not steps:
            return []
        loop = asyncio.get_running_loop()
        futures = [loop.create_future() for _ in steps]
        self._waiting.extend(zip(steps, futures, strict=True))
        if self._sender is None:
            self._sender = asyncio.create_task(self._send())
        return list(await asyncio.gather(*futures))

    async def _send(self) -> None:
        """Send what waits, one call at a time, until nothing does."""
        try:
            while self._waiting:
                group, self._waiting = self._waiting, []
                self.calls += 1
                try:
                    results = await self.ledger.steps([step for step, _ in group])
                except BaseException as exc:
                    for _, future in group:
                        if not future.done():
                            future.set_exception(exc)
                    if isinstance(exc, asyncio.CancelledError):
                        raise
                    continue
                for (_, future), result in zip(group, results, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            self._sender = None
            for _, future in self._waiting:  # only if cancelled: nothing sends them now
                if not future.done():
                    future.cancel()
