"""Queue names and the RQ options every delivery job shares."""

from __future__ import annotations

from typing import Any

from rq import Retry

from lifeline.core import defaults
from lifeline.core.vocabulary import CHANNEL_KINDS
from lifeline.notices.model import Notice

JOB_RETRY = Retry(max=defaults.JOB_RETRIES, interval=list(defaults.JOB_RETRY_INTERVALS_SECONDS))
"""A job that raised, or whose worker died, runs again; recorded sends are skipped then."""


def queue_name(kind: str) -> str:
    """The RQ queue of a channel kind."""
    return f"{defaults.QUEUE_PREFIX}{kind}"


def queue_names() -> list[str]:
    """The queues a worker listens on, planning first."""
    return [defaults.QUEUE_PLAN, *(queue_name(kind) for kind in CHANNEL_KINDS)]


def job_options(notice: Notice, job_id: str | None, description: str) -> dict[str, Any]:
    """Keyword arguments for ``enqueue_call`` / ``prepare_data`` of a fan-out job.

    Critical notices go to the front of their queues, ahead of anything already waiting.
    """
    return {
        "job_id": job_id,
        "timeout": defaults.JOB_TIMEOUT_SECONDS,
        "result_ttl": defaults.JOB_RESULT_TTL_SECONDS,
        "failure_ttl": defaults.JOB_FAILURE_TTL_SECONDS,
        "retry": JOB_RETRY,
        "at_front": notice.severity == "critical",
        "description": description,
    }
