"""Delivery on RQ: a notice is published, planned per channel, and sent in batches.

    POST /v1/notices ─► publish ─► plan_notice (queue lifeline:plan)
        (a notice the tenant's approval policy names waits: release plans it once a
        second person approves it)
        alert:     walk the subscriber bitmaps of the notice's topics, per channel, in chunks
        update /   wait until the notice it follows has settled, then walk the recipients
        resolve:   it was sent to (replying to their message on Telegram)
        ─► deliver_batch × ⌈recipients / batch_size⌉ (queues lifeline:telegram|email|sms)
               render per language, send with bounded concurrency under the shared rate
               limit, record every outcome
        ─► post_broadcast (queue lifeline:telegram): the tenant's public channel, if any

publish.py    check, store, queue the planning job      plan.py      planning jobs
batch.py      batch jobs                                broadcast.py the public channel
ledger.py     a batch run's claims and outcomes         records.py   reading them back
ratelimit.py  shared rate limits (GCRA in Redis)        queues.py    queue names, job options
failover.py   a channel with several providers          breaker.py   their breakers in Redis
context.py    the worker's settings and clients         worker.py    ``lifeline worker``
acks.py       the button and link to acknowledge, recording an acknowledgement, who has not
cascade.py    on to the member's next channel when a notice is not acknowledged in time
steps.py      lanes: recipients per ledger call       kept.py      a worker's loop and the
                                                                     connections it keeps

Jobs are plain module-level functions taking ids, safe to run again: the planner re-enqueues
the same deterministic job ids, and a batch skips everyone already recorded (``ledger``).
"""

from lifeline.delivery.batch import deliver_batch
from lifeline.delivery.broadcast import post_broadcast
from lifeline.delivery.plan import enqueue_plan, plan_notice
from lifeline.delivery.publish import (
    checked_document,
    draft,
    follow_up,
    publish,
    release,
    with_scenario,
)
from lifeline.delivery.queues import queue_name

__all__ = [
    "checked_document",
    "deliver_batch",
    "draft",
    "enqueue_plan",
    "follow_up",
    "plan_notice",
    "post_broadcast",
    "publish",
    "queue_name",
    "release",
    "with_scenario",
]
