"""Members: who can be reached where, in which language, about what, with whose consent.

model.py    ``MemberData`` and ``Member``
schemas.py  the JSON shape of a member (API body, import row)
intake.py   API bodies and PATCHes with the tenant's defaults; create, update
imports.py  JSON-lines and CSV imports, row by row
codec.py    a member as a compact Redis hash
keys.py     the Redis keys of members: records, contact lookups, subscriber bitmaps
batches.py  subscribers cut into batch jobs from their bitmap (dense ones as bitmap slices)
change.py   a write worked out before it is made (the compare-and-set ``lua/apply.lua``)
store.py    ``MemberStore``: reads, and writes as compare-and-sets
"""

from lifeline.members.model import Member, MemberData
from lifeline.members.store import MemberStore

__all__ = ["Member", "MemberData", "MemberStore"]
