"""Tunables of control in a crisis: approval, acknowledgements, receipts, failover, cascade."""

from __future__ import annotations

# --- delivery receipts -------------------------------------------------------------------

RECEIPT_MAX_BYTES = 16384
"""Largest delivery-report or bounce webhook body read: one event per request, and a relay's
event carries the bounce's headers and diagnostic text (Mailgun's run to a few KiB)."""

RECEIPT_MAX_FIELD_CHARS = 1000
"""Longest message id, status or reason a receipt may carry (a bounce's diagnostic text is
a line or two; the reason stored is cut to 300 characters)."""
