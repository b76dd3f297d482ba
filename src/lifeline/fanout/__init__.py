"""Fan-out on RQ: one planning job per notice, then batch jobs per channel.

    POST /v1/notices ─► publish ─► plan_notice (queue lifeline:plan)
        alert:     walk the subscriber sets of the notice's topics, per channel, in chunks
        update /   wait until the notice it follows has settled, then walk the recipients
        resolve:   it was sent to (replying to their message on Telegram)
        ─► deliver_batch × ⌈recipients / batch_size⌉ (queues lifeline:telegram|email|sms)
               render per language, send with bounded concurrency under the shared rate
               limit, record every outcome
        ─► post_broadcast (queue lifeline:telegram): the tenant's public channel, if any

Jobs are plain module-level functions taking ids, safe to run again: the planner re-enqueues
the same deterministic job ids, and a batch skips everyone already recorded (see
``store.deliveries``).
"""

from lifeline.fanout.batch import deliver_batch
from lifeline.fanout.broadcast import post_broadcast
from lifeline.fanout.plan import enqueue_plan, plan_notice
from lifeline.fanout.publish import follow_up, publish
from lifeline.fanout.queues import queue_name

__all__ = [
    "deliver_batch",
    "enqueue_plan",
    "follow_up",
    "plan_notice",
    "post_broadcast",
    "publish",
    "queue_name",
]
