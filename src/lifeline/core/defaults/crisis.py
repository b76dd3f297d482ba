"""Tunables of control in a crisis: approval, acknowledgements, receipts, failover, cascade."""

from __future__ import annotations
