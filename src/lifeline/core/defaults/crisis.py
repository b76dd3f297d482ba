"""Tunables of control in a crisis: approval, acknowledgements, receipts, failover, cascade."""

from __future__ import annotations

# --- delivery receipts -------------------------------------------------------------------

RECEIPT_MAX_BYTES = 16384
"""Largest delivery-report or bounce webhook body read: one event per request, and a relay's
event carries the bounce's headers and diagnostic text (Mailgun's run to a few KiB)."""
