"""Acknowledgements: members saying "understood" to a notice, by button, link or SMS reply.

store.py  ``AckStore``: per notice, who acknowledged on which channel and when, and the
          counts per channel (one script, so a second press never counts twice)

Which notice a press, a link or an "OK" names, and whether the member was sent it, is the
delivery's business (``lifeline.delivery.acks``); this package only keeps the record.
"""

from lifeline.acknowledgements.store import Acknowledgement, AckStore

__all__ = ["AckStore", "Acknowledgement"]
