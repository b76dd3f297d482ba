"""Queue names and the RQ options every fan-out job shares."""

from __future__ import annotations

from typing import Any

from rq import Retry

from lifeline import defaults
from lifeline.notices import Notice

JOB_RETRY = Retry(max=defaults.JOB_RETRIES, interval=[5, 30, 120])
"""A job that raised, or whose worker died, runs again; recorded sends are skipped then."""


def queue_name(kind: str) -> str:
    """The RQ queue of a channel kind."""
    return f"{defaults.QUEUE_PREFIX}{kind}"


def job_options(notice: Notice, job_id: str | None, description: str) -> dict[str, Any]:
    """Keyword arguments for ``enqueue_call`` / ``prepare_data`` of a fan-out job.

    Critical notices go to the front of their queues, ahead of anything already waiting.
    """
    return {
        "job_id": job_id,
        "timeout": defaults.JOB_TIMEOUT_SECONDS,
        "result_ttl": 600,
        "failure_ttl": 7 * 86400,
        "retry": JOB_RETRY,
        "at_front": notice.severity == "critical",
        "description": description,
    }
