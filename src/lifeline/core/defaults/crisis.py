"""Tunables of control in a crisis: approval, acknowledgements, receipts, failover, cascade."""

from __future__ import annotations

# --- four-eyes approval ------------------------------------------------------------------

APPROVAL_EXPIRY_MINUTES = 30
"""How long a notice waits for its second approval (``approval.expiry_minutes``): in a
crisis a notice nobody approved within half an hour is out of date."""
