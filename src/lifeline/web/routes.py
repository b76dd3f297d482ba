"""Every router of the public side, in the order they are mounted."""

from __future__ import annotations

from fastapi import APIRouter

from lifeline.web import status, telegram

ROUTERS: tuple[APIRouter, ...] = (status.router, telegram.router)
