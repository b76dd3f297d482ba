"""Every tunable of Lifeline, in one place, each with why it has its value (as rq's defaults).

Values the config can override say so (``worker.batch_size``); the rest change by review.
Facts of protocols (160 GSM-7 septets) and of the key layout live where they are used.
Read them as ``defaults.NAME``; the modules only group them:

delivery.py   Redis, queues and jobs, a batch at work, the worker, providers, messages
surfaces.py   the admin API, FAQ, the member bot, lifeline dev, the public pages
crisis.py     approval, acknowledgements, receipts, provider failover, cascade
"""

from lifeline.core.defaults.crisis import *  # noqa: F403
from lifeline.core.defaults.delivery import *  # noqa: F403
from lifeline.core.defaults.surfaces import *  # noqa: F403
