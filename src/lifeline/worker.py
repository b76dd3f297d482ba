"""``lifeline worker``: an RQ worker for the planning queue and every channel queue.

Any number of them may run on any number of machines against the same Redis. Jobs run in
the worker process itself (RQ's ``SimpleWorker``): a fork per job would cost more than a
batch's bookkeeping, and a batch job holds no state another worker could not take over.
"""

from __future__ import annotations

import logging
import socket
import uuid

from rq import Queue, SimpleWorker

from lifeline import defaults, runtime
from lifeline.config import Settings
from lifeline.fanout import queue_name


class LifelineWorker(SimpleWorker):
    """Takes planning jobs first, then channels in turn, so no channel starves another."""

    def reorder_queues(self, reference_queue: Queue) -> None:
        plan, *channels = self._ordered_queues
        if reference_queue in channels:
            pos = channels.index(reference_queue)
            channels = channels[pos + 1 :] + channels[: pos + 1]
        self._ordered_queues = [plan, *channels]


def queue_names() -> list[str]:
    """The queues a worker listens on, planning first."""
    return [defaults.QUEUE_PLAN, *(queue_name(kind) for kind in defaults.CHANNELS)]


def run(settings: Settings, *, burst: bool = False, name: str | None = None) -> bool:
    """Work until stopped (or, with ``burst``, until the queues are empty)."""
    rt = runtime.install(settings)
    queues = [Queue(q, connection=rt.rq_redis) for q in queue_names()]
    worker = LifelineWorker(
        queues,
        connection=rt.rq_redis,
        name=name or f"lifeline-{socket.gethostname()}-{uuid.uuid4().hex[:6]}",
    )
    level = logging.getLogger().getEffectiveLevel()
    return bool(
        worker.work(
            burst=burst,
            with_scheduler=True,
            logging_level=logging.getLevelName(level),
        )
    )
