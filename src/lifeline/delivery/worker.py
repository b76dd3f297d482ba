"""``lifeline worker``: an RQ worker for the planning queue and every channel queue.

Any number of them may run on any number of machines against the same Redis. Jobs run in
the worker process itself (RQ's ``SimpleWorker``): a fork per job would cost more than a
batch's bookkeeping, and a batch job holds no state another worker could not take over.

What this adds to RQ, so that a dying worker loses nobody:

    SIGKILL, power loss   A running job keeps a short lease in RQ's StartedJobRegistry,
                          renewed by a heartbeat thread. Once it lapses, the next
                          maintenance of any worker (every ``MAINTENANCE_SECONDS``) puts it back
                          at once; its re-run skips recorded recipients and re-sends only
                          the ones that were on the wire (counted as ``reclaimed``).
                          A worker restarted under the same name (systemd's
                          ``--name %H-%i``) takes over its dead namesake's jobs right away.
    SIGTERM (first)       The running batch stops claiming recipients, lets the sends in
                          flight finish and be recorded, queues the rest as a continuation
                          job, and the worker exits 0.
    SIGTERM / Ctrl-C again  RQ's cold shutdown: exit now (as after SIGKILL).
    Redis restart         The worker's clients are patient (``db.connect(patient=True)``):
                          commands wait for Redis to come back instead of failing.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import math
import os
import signal
import socket
import threading
import uuid
from types import FrameType
from typing import Any

import redis
from rq import Queue, SimpleWorker
from rq.executions import Execution
from rq.job import Job, JobStatus
from rq.utils import as_text
from rq.worker import WorkerStatus

from lifeline.config import Settings
from lifeline.core.defaults import (
    HEARTBEAT_SECONDS,
    JOB_LEASE_SECONDS,
    MAINTENANCE_LOCK_SECONDS,
    MAINTENANCE_SECONDS,
)
from lifeline.core.logs import log_context
from lifeline.db import connect_probe
from lifeline.delivery import context, kept
from lifeline.delivery.plan import recover_unplanned
from lifeline.delivery.queues import queue_names

log = logging.getLogger(__name__)


class LifelineQueue(Queue):
    """RQ's queue with a maintenance lock that outlives a killed worker by a minute, not 15."""

    def acquire_maintenance_lock(self) -> bool:
        key = self.registry_cleaning_key
        return bool(self.connection.set(key, 1, nx=True, ex=MAINTENANCE_LOCK_SECONDS))


class LifelineJob(Job):
    """RQ's job, except that a job whose worker died runs again at once.

    RQ retries a failed job after the ``Retry`` interval, through its scheduler. A job found
    abandoned (still ``started``, its lease lapsed) did not fail: it was cut off. Waiting
    would only delay the members of its batch — and, if the scheduler died with the worker,
    by the minute its lock takes to expire.
    """

    def get_retry_interval(self) -> int:
        if self.get_status(refresh=False) == JobStatus.STARTED:
            return 0
        return int(super().get_retry_interval())

    def _execute(self) -> Any:
        """Run the job; an async one on the worker's kept loop (``delivery.kept``) where
        there is one, so that its connections outlive the job; else as RQ does."""
        loop = kept.installed()
        if loop is None or not self.func:
            return super()._execute()
        result = self.func(*self.args, **self.kwargs)
        return loop.run(result) if asyncio.iscoroutine(result) else result


class LifelineWorker(SimpleWorker):
    """Takes planning jobs first, then channels in turn, so no channel starves another."""

    _pulse: _Heartbeat | None = None

    def reorder_queues(self, reference_queue: Queue) -> None:
        plan, *channels = self._ordered_queues
        if reference_queue in channels:
            pos = channels.index(reference_queue)
            channels = channels[pos + 1 :] + channels[: pos + 1]
        self._ordered_queues = [plan, *channels]

    # --- leases: a killed worker's job comes back in seconds, not after the job timeout ------

    @property
    def dequeue_timeout(self) -> int:
        """How long an idle worker blocks waiting for a job (RQ: 405 s) before it looks
        whether registries need cleaning: abandoned jobs must not wait for new work."""
        return MAINTENANCE_SECONDS

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        """The lease of a running job (SimpleWorker's default is the job timeout + 60 s)."""
        return JOB_LEASE_SECONDS

    def dequeue_job_and_maintain_ttl(
        self, timeout: int | None, max_idle_time: int | None = None
    ) -> tuple[Job, Queue] | None:
        """Wait for a job; while connections are kept (``delivery.kept``), no longer than
        until they count as idle, then close them and wait on."""
        loop = kept.installed()
        while timeout is not None and max_idle_time is None and loop is not None and loop.holds:
            left = math.ceil(loop.idle_left())
            if left > 0:
                result = super().dequeue_job_and_maintain_ttl(timeout, max_idle_time=left)
                if result is not None:
                    return result
            loop.close_idle()
        return super().dequeue_job_and_maintain_ttl(timeout, max_idle_time)

    def execute_job(self, job: Job, queue: Queue) -> None:
        """Run the job in this process, renewing its lease from a thread meanwhile."""
        execution = self.prepare_execution(job)
        self._pulse = _Heartbeat(self, job, execution)
        try:
            with log_context(job_id=job.id, **_job_fields(job)):
                self.perform_job(job, queue, execution)
        finally:
            self._stop_pulse()
        self.set_state(WorkerStatus.IDLE)

    def handle_execution_ended(self, job: Job, queue: Queue, heartbeat_ttl: int) -> None:
        # From here on RQ records the outcome and removes the execution: no more beats.
        self._stop_pulse()
        super().handle_execution_ended(job, queue, heartbeat_ttl)

    def _stop_pulse(self) -> None:
        pulse, self._pulse = self._pulse, None
        if pulse is not None:
            pulse.stop()

    def register_birth(self) -> None:
        """Register, first taking over the jobs of a killed worker of the same name."""
        self._bury_dead_namesake()
        super().register_birth()  # type: ignore[no-untyped-call]  # rq leaves it untyped

    def _bury_dead_namesake(self) -> None:
        """A worker of this name on this host whose process is gone was killed: RQ would
        refuse to start until its record expires (minutes). Expire the leases of its jobs
        instead, so this worker's first maintenance puts them back, and take the name."""
        death, host, pid = self.connection.hmget(self.key, ["death", "hostname", "pid"])
        if host is None or death is not None or pid is None:
            return  # no namesake, or it stopped cleanly
        if as_text(host) != socket.gethostname() or _alive(int(pid)):
            return  # RQ refuses the name: another live worker has it
        abandoned = [as_text(k) for k in self.connection.smembers(self.executions_key)]
        with self.connection.pipeline() as pipe:
            for queue in self.queues:
                for composite_key in abandoned:
                    pipe.zadd(queue.started_job_registry.key, {composite_key: 0}, xx=True)
            pipe.delete(self.executions_key)
            pipe.hset(self.key, "death", "taken over")
            pipe.execute()
        log.warning(
            "worker %s: the last worker of this name (pid %s) was killed; %d of its jobs "
            "will run again",
            self.name,
            as_text(pid),
            len(abandoned),
        )

    def run_maintenance_tasks(self) -> None:
        """RQ's maintenance, plus: queue planning again for notices that lost it."""
        super().run_maintenance_tasks()  # type: ignore[no-untyped-call]
        try:
            recover_unplanned(context.current())
        except redis.RedisError as exc:
            log.warning("looking for unplanned notices failed: %s", exc)

    # --- SIGTERM: finish what is on the wire, hand the rest on ---------------------------------

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        """Warm shutdown: the running batch stops claiming recipients (see ``delivery.batch``),
        its sends in flight finish, and the worker exits once the job returns.

        With Redis gone nothing can finish (every command waits out its patient retries),
        so the worker exits at once instead, within any grace period: its running job's
        lease lapses and another worker runs it again once Redis is back.
        """
        context.request_stop()
        if not _redis_answers():
            log.warning(
                "worker %s: stop requested while Redis is unreachable: exiting now; its jobs "
                "run again once Redis is back",
                self.name,
            )
            self._stop_scheduler_now()
            logging.shutdown()
            os._exit(0)
        super().request_stop(signum, frame)  # type: ignore[no-untyped-call]

    def _stop_scheduler_now(self) -> None:
        process = getattr(getattr(self, "scheduler", None), "_process", None)
        if process is not None and process.pid:
            with contextlib.suppress(OSError):
                os.kill(process.pid, signal.SIGTERM)


class _Heartbeat:
    """Renews a running job's lease (and the worker's) every ``HEARTBEAT_SECONDS``."""

    def __init__(self, worker: LifelineWorker, job: Job, execution: Execution) -> None:
        self.worker = worker
        self.job = job
        self.execution = execution
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat {job.id}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopped.wait(HEARTBEAT_SECONDS):
            try:
                self.worker.maintain_heartbeats(self.job, self.execution)
            except redis.RedisError as exc:
                # The client already waited for Redis; the next beat tries again.
                log.warning("job %s: heartbeat failed: %s", self.job.id, exc)

    def stop(self) -> None:
        """No beats after this returns (or after the one in progress, if Redis is slow)."""
        self._stopped.set()
        self._thread.join(timeout=2)


def _redis_answers() -> bool:
    """Whether Redis answers a PING within a second (a probe client, no retries)."""
    probe = connect_probe(context.current().settings.redis.url)
    try:
        probe.ping()
    except redis.RedisError:
        return False
    finally:
        probe.close()
    return True


def _alive(pid: int) -> bool:
    """Whether a process of this id runs on this host (and is not this one)."""
    if pid == os.getpid():
        return False  # the recorded one is gone: we have its id now (e.g. pid 1 in a container)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def _job_fields(job: Job) -> dict[str, object]:
    """Tenant and notice of a Lifeline job (its first arguments), for its log lines."""
    try:
        args = job.args
    except Exception:  # an unreadable job fails in perform_job, where RQ reports it
        return {}
    fields: dict[str, object] = {}
    if args and isinstance(args[0], str):
        fields["tenant"] = args[0]
    if len(args) > 1 and isinstance(args[1], int):
        fields["notice_id"] = args[1]
    return fields


def run(settings: Settings, *, burst: bool = False, name: str | None = None) -> bool:
    """Work until stopped (or, with ``burst``, until the queues are empty)."""
    rt = context.install(settings)
    worker = LifelineWorker(
        queue_names(),
        connection=rt.rq_redis,
        name=name or f"lifeline-{socket.gethostname()}-{uuid.uuid4().hex[:6]}",
        job_class=LifelineJob,
        queue_class=LifelineQueue,
        maintenance_interval=MAINTENANCE_SECONDS,
    )
    # Everything loaded so far (settings, compiled templates, catalogues) lives as long as
    # the process: out of the collector's sight, a full collection stays short enough not
    # to make a paced send late.
    gc.freeze()
    level = logging.getLogger().getEffectiveLevel()
    kept.install()  # one event loop, and connections kept across batch jobs
    try:
        return bool(
            worker.work(
                burst=burst,
                # Retries of failed jobs wait their interval in RQ's scheduler.
                with_scheduler=True,
                logging_level=logging.getLevelName(level),
            )
        )
    finally:
        kept.uninstall()  # stopped (SIGTERM's warm shutdown, a burst's end): close them
