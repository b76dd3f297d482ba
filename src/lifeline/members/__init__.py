"""Members: who can be reached where, in which language, about what, with whose consent.

model.py    ``MemberData`` and ``Member``
schemas.py  the JSON shape of a member (API body, import row)
intake.py   API bodies and PATCHes with the tenant's defaults; create, update
imports.py  JSON-lines and CSV imports, row by row
codec.py    a member as a compact Redis hash
store.py    ``MemberStore``: records, contact lookups, subscriber bitmaps (``lua/``)
"""

from lifeline.members.model import Member, MemberData
from lifeline.members.store import MemberStore

__all__ = ["Member", "MemberData", "MemberStore"]
