"""Every router of the public side, in the order they are mounted."""

from __future__ import annotations

from fastapi import APIRouter

from lifeline.web import acks, qr, receipts, signup, sms_inbound, status, telegram, unsubscribe

ROUTERS: tuple[APIRouter, ...] = (
    status.router,
    signup.router,
    unsubscribe.router,
    acks.router,
    sms_inbound.router,
    receipts.router,
    qr.router,
    telegram.router,
)
