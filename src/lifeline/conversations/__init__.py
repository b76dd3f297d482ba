"""What the member bot remembers about a chat between updates (language before joining,
pending confirmations, relayed questions, the question budget), kept in Redis.

state.py  ``ChatState``: per tenant, per chat; ``erase`` removes all of it
"""

from lifeline.conversations.state import ChatState, RelayTarget

__all__ = ["ChatState", "RelayTarget"]
