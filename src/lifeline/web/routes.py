"""Every router of the public side, in the order they are mounted."""

from __future__ import annotations

from fastapi import APIRouter

from lifeline.web import acks, qr, signup, sms_inbound, status, telegram, unsubscribe

ROUTERS: tuple[APIRouter, ...] = (
    status.router,
    signup.router,
    unsubscribe.router,
    acks.router,
    sms_inbound.router,
    qr.router,
    telegram.router,
)
