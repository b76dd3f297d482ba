"""Outage notices: what one is, the rules of posting and following it up, and its store.

model.py      ``Notice`` as stored, ``from_document``
schemas.py    the posted JSON: ``NoticeIn``, ``UpdateIn``, ``ResolveIn``
lifecycle.py  ``prepare`` (checks that need the tenant), follow-up documents and rules
services.py   the services a notice can name, with what members should do instead
cascade.py    ``CascadePlan``: a notice's channel cascade, worked out when it is posted
store.py      ``NoticeStore``: documents, status, listing, the Idempotency-Key index
"""

from lifeline.notices.model import Notice, from_document
from lifeline.notices.store import NoticeStore

__all__ = ["Notice", "NoticeStore", "from_document"]
