"""Signing up without Telegram: a pending sign-up waits for its double opt-in (a link by
email, a code by SMS), then becomes a member with a consent history; unconfirmed sign-ups
expire. Unsubscribing and coming back by link or SMS reply are here too.

model.py    Signup (what was asked) and Started (what to send to confirm it)
store.py    SignupStore: pending sign-ups, hashed tokens and codes, the throttles
enroll.py   a confirmed sign-up becomes (or updates) a member; unsubscribe and resume
"""

from lifeline.subscriptions.enroll import enroll, log_consent, resume, withdraw
from lifeline.subscriptions.model import Signup, Started
from lifeline.subscriptions.store import CodeCheck, SignupStore

__all__ = [
    "CodeCheck",
    "Signup",
    "SignupStore",
    "Started",
    "enroll",
    "log_consent",
    "resume",
    "withdraw",
]
