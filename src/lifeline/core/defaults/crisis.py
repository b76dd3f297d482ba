"""Tunables of control in a crisis: approval, acknowledgements, receipts, failover, cascade."""

from __future__ import annotations

ACK_REPLY_LOOKBACK = 20
"""An SMS "OK" acknowledges the newest active notice the member was sent by SMS among the
tenant's newest this many notices: bounded work per reply, and an older notice than that
is no longer what a member answers."""

ACK_PAGE_LIMIT = 100
"""Default page size of ``/v1/notices/{id}/unacknowledged``."""

ACK_PAGE_MAX = 1000
"""Largest page of ``/v1/notices/{id}/unacknowledged`` a caller may ask for."""

ACK_SCAN_ROUNDS = 20
"""HSCAN calls one page of ``/unacknowledged`` makes at most, so that a ledger where nearly
everyone acknowledged still answers quickly (the page is then short, with a cursor)."""
