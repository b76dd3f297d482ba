"""What the API tests share: the test client class, request bodies, and checks."""

from __future__ import annotations

import warnings
from typing import Any

import httpx
import redis
from rq import Queue
from starlette.exceptions import StarletteDeprecationWarning

from lifeline.core import defaults

with warnings.catch_warnings():
    # Starlette asks for its httpx2 fork; the project pins httpx, which still works.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

__all__ = ["NOTICE", "TestClient", "assert_error", "member_body", "plan_jobs"]

NOTICE: dict[str, Any] = {
    "severity": "major",
    "headline": {
        "de": "Störung: Online-Filiale nicht erreichbar",
        "en": "Outage: online branch unavailable",
    },
    "body": {"de": "Wir arbeiten daran.", "en": "We are working on it."},
    "services": ["app", "portal"],
    "topics": ["outages"],
    "channels": ["telegram", "email", "sms"],
}
"""A notice every test tenant (outbox channels, topic ``outages``) accepts."""

CONSENT = {"given_at": "2026-11-01T10:00:00Z", "source": "import"}


def member_body(**fields: Any) -> dict[str, Any]:
    """A valid member body with these fields (an email unless a contact is given)."""
    contacts = {"telegram_chat_id", "email", "phone"}
    base: dict[str, Any] = {"consent": CONSENT}
    if not contacts & fields.keys():
        base["email"] = "erika.mustermann@example.org"
    return base | fields


def assert_error(
    response: httpx.Response, status: int, code: str, *mentions: str
) -> dict[str, Any]:
    """The response is an error in the API's shape; its message names every ``mentions``."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    error: dict[str, Any] = body["error"]
    assert error["code"] == code, error
    assert isinstance(error["message"], str)
    assert error["message"]
    for text in mentions:
        assert text in error["message"], error["message"]
    assert "Traceback" not in response.text
    return error


def plan_jobs(rq_client: redis.Redis) -> int:
    """Jobs waiting on the planning queue."""
    return Queue(defaults.QUEUE_PLAN, connection=rq_client).count
