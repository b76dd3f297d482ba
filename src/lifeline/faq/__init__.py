"""Answers to frequent questions, kept by support staff and searched by members.

model.py   ``FaqEntry`` and ``make_entry``, the rules an entry follows
search.py  ``search``: the best answers to a member's words
store.py   ``FaqStore``: one hash of entries per tenant
"""

from lifeline.faq.model import KEY_PATTERN, FaqEntry, make_entry
from lifeline.faq.search import search
from lifeline.faq.store import FaqStore

__all__ = ["KEY_PATTERN", "FaqEntry", "FaqStore", "make_entry", "search"]
