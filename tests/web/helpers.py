"""What the public-side tests share: the messages Lifeline queued for one address."""

from __future__ import annotations

import re

from rq import Queue

from lifeline.channels import Message
from lifeline.db import connect_rq
from lifeline.delivery.queues import queue_name


def queued(redis_url: str, kind: str) -> list[tuple[str, Message]]:
    """(address, message) of every direct message waiting in a channel's queue."""
    client = connect_rq(redis_url)
    try:
        jobs = Queue(queue_name(kind), connection=client).get_jobs()
        return [
            (job.args[2], job.args[3])
            for job in jobs
            if (job.func_name or "").endswith("send_direct")
        ]
    finally:
        client.close()


def link_in(text: str) -> str:
    """The first https link of a text."""
    found = re.search(r"https://\S+", text)
    assert found, text
    return found.group(0)
