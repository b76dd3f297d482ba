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

CASCADE_AFTER_SECONDS = 900
"""How long a member has to acknowledge a notice on one channel before it goes out on their
next one (``[tenants.cascade] after_seconds``, or a notice's ``cascade``): 15 minutes, the
issue's example of Telegram → SMS."""

CASCADE_MAX_SECONDS = 7 * 86400
"""Longest ``after_seconds`` accepted: a notice older than a week is past cascading."""

CASCADE_ORDER = ("telegram", "sms", "email")
"""The default order of channels a cascade walks (the tenant's offered ones among them):
the app first, then the phone everyone has, then the mailbox that is read last."""

CASCADE_RECHECK_SECONDS = 15
"""How often a cascade step looks again whether its channel's delivery has finished (its
``after_seconds`` count from then, so a member sent last still gets all of them)."""
