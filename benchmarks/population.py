"""The synthetic tenant's members, by index: their addresses and language.

Seeding (``seeding.py``) stores member ``i`` with these addresses, and the raw-transport
senders (``raw_send.py``) address the same ``i``, so both send the same messages to the same
recipients. Kept free of Lifeline imports: the raw senders must not load Lifeline.
"""

from __future__ import annotations

TENANT = "bench-bkk"
"""Tenant id of the benchmark's synthetic insurer."""

TOPICS = ("outages", "service")
"""Every member follows two topics (the issue's memory target: one channel, two topics)."""

CHAT_BASE = 10_000_000
"""Telegram chat ids are CHAT_BASE + index (positive: private chats)."""


def chat_id(index: int) -> int:
    """Telegram chat id of member ``index``."""
    return CHAT_BASE + index


def email(index: int) -> str:
    """Email address of member ``index``."""
    return f"member{index}@members.example.org"


def phone(index: int) -> str:
    """E.164 mobile number of member ``index`` (German mobile range, 8 digits)."""
    return f"+49151{index:08d}"


def language(index: int) -> str:
    """One member in five reads English, the rest German (so batches render both)."""
    return "en" if index % 5 == 0 else "de"


def address(kind: str, index: int) -> str:
    """Member ``index``'s address on a channel kind."""
    if kind == "telegram":
        return str(chat_id(index))
    if kind == "email":
        return email(index)
    if kind == "sms":
        return phone(index)
    raise ValueError(f"unknown channel kind {kind!r}")
