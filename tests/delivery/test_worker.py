"""The worker's crash safety on RQ's own records, in one process against the test Redis.

The processes themselves (SIGKILL, SIGTERM, Redis restarts) are in ``tests/faults``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import cast

import pytest
import redis
from rq import Queue, Retry
from rq.job import JobStatus

from lifeline.core import defaults
from lifeline.core.defaults import JOB_LEASE_SECONDS, MAINTENANCE_LOCK_SECONDS
from lifeline.delivery.queues import queue_names
from lifeline.delivery.worker import LifelineJob, LifelineQueue, LifelineWorker


@pytest.fixture
def rq_client(redis_url: str, redis_client: redis.Redis) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


def make_worker(client: redis.Redis, name: str) -> LifelineWorker:
    return LifelineWorker(
        queue_names(),
        connection=client,
        name=name,
        job_class=LifelineJob,
        queue_class=LifelineQueue,
    )


def start_job(worker: LifelineWorker, client: redis.Redis) -> LifelineJob:
    """Enqueue a job with retries, take it and mark it running, as the work loop would."""
    queue = Queue(defaults.QUEUE_PLAN, connection=client, job_class=LifelineJob)
    queue.enqueue_call(print, args=("x",), retry=Retry(max=3, interval=[60]), job_id="j1")
    result = Queue.dequeue_any([queue], None, connection=client, job_class=LifelineJob)
    assert result is not None
    job = result[0]
    assert isinstance(job, LifelineJob)
    worker.prepare_execution(job)
    worker.prepare_job_execution(job)
    return job


def dead_pid() -> int:
    """The id of a process that has exited."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_running_job_holds_a_short_lease(rq_client: redis.Redis) -> None:
    worker = make_worker(rq_client, "lease")
    worker.register_birth()
    job = start_job(worker, rq_client)

    registry = Queue(defaults.QUEUE_PLAN, connection=rq_client).started_job_registry
    [(entry, expires)] = cast(
        list[tuple[bytes, float]], rq_client.zrange(registry.key, 0, -1, withscores=True)
    )
    assert entry.decode().startswith(f"{job.id}:")
    assert 0 < expires - time.time() <= JOB_LEASE_SECONDS  # RQ's SimpleWorker: 3,660 s


def test_an_abandoned_job_runs_again_at_once_a_failed_one_after_its_interval(
    rq_client: redis.Redis,
) -> None:
    worker = make_worker(rq_client, "abandoned")
    worker.register_birth()
    job = start_job(worker, rq_client)
    queue = Queue(defaults.QUEUE_PLAN, connection=rq_client, job_class=LifelineJob)

    # Its worker died: the lease lapses and maintenance cleans the registry.
    queue.started_job_registry.cleanup(timestamp=time.time() + JOB_LEASE_SECONDS + 1)

    assert queue.job_ids == ["j1"], "back on its queue, not waiting for the scheduler"
    job.refresh()  # type: ignore[no-untyped-call]  # rq leaves Job.refresh unannotated
    assert job.retries_left == 2
    # A job that raised keeps RQ's interval (it waits in the scheduled registry).
    job.set_status(JobStatus.FAILED)
    assert job.get_retry_interval() == 60


def test_a_worker_restarted_under_its_name_takes_over_from_the_killed_one(
    rq_client: redis.Redis,
) -> None:
    killed = make_worker(rq_client, "host-1")
    killed.register_birth()
    job = start_job(killed, rq_client)
    rq_client.hset(killed.key, "pid", dead_pid())  # SIGKILL: no death recorded

    restarted = make_worker(rq_client, "host-1")
    restarted.register_birth()  # RQ alone: "There exists an active worker named 'host-1'"

    assert not rq_client.hexists(restarted.key, "death")
    queue = Queue(defaults.QUEUE_PLAN, connection=rq_client, job_class=LifelineJob)
    queue.started_job_registry.cleanup()  # the restarted worker's first maintenance, now
    assert queue.job_ids == [job.id]


def test_a_live_worker_keeps_its_name(rq_client: redis.Redis) -> None:
    running = make_worker(rq_client, "host-2")
    running.register_birth()
    rq_client.hset(running.key, "pid", os.getppid())  # a process that is alive

    with pytest.raises(ValueError, match="active worker named"):
        make_worker(rq_client, "host-2").register_birth()


def test_a_worker_killed_while_cleaning_blocks_cleaning_for_a_minute_only(
    rq_client: redis.Redis,
) -> None:
    worker = make_worker(rq_client, "cleaner")
    [plan, *_] = worker.queues
    assert plan.acquire_maintenance_lock()  # then SIGKILL: never released

    assert not plan.acquire_maintenance_lock()
    assert 0 < rq_client.ttl(plan.registry_cleaning_key) <= MAINTENANCE_LOCK_SECONDS
