"""What providers post back after a send: delivery reports and bounces, shaped and signed as
the real ones are, for the message ids the stand-ins handed out.

    twilio_status_callback(auth_token, url, sid, "delivered")   # form + X-Twilio-Signature
    seven_dlr("77123", "DELIVERED")                             # seven.io's dlr webhook
    mailgun_event(signing_key, "<id@host>", "failed", severity="permanent", reason="bounce")

The signatures are made here from the providers' documented recipes, independently of
Lifeline's own checks, so a check that drifted from the recipe fails the tests.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from typing import Any


def twilio_status_callback(
    auth_token: str, url: str, sid: str, status: str, error_code: str = ""
) -> tuple[dict[str, str], dict[str, str]]:
    """(form, headers) of Twilio's StatusCallback for one message, signed for ``url``:
    HMAC-SHA1 (auth token) over the URL and every field name and value, sorted by name."""
    form = {
        "AccountSid": "AC" + "0123456789abcdef" * 2,
        "ApiVersion": "2010-04-01",
        "From": "+4930999",
        "MessageSid": sid,
        "MessageStatus": status,
        "SmsSid": sid,
        "SmsStatus": status,
        "To": "+4915100000000",
    }
    if error_code:
        form["ErrorCode"] = error_code
    payload = url + "".join(f"{k}{form[k]}" for k in sorted(form))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return form, {"X-Twilio-Signature": base64.b64encode(digest).decode()}


def seven_dlr(msg_id: str, status: str) -> dict[str, Any]:
    """seven.io's ``dlr`` webhook (JSON): a message's status changed."""
    return {
        "data": {"msg_id": msg_id, "status": status, "timestamp": "2026-12-02 08:08:00.000000"},
        "webhook_event": "dlr",
        "webhook_timestamp": "2026-12-02T08:08:00+01:00",
    }


def mailgun_event(
    signing_key: str,
    message_id: str,
    event: str,
    *,
    severity: str | None = None,
    reason: str | None = None,
    recipient: str = "member@example.org",
) -> dict[str, Any]:
    """Mailgun's event webhook body: ``signature`` (hex HMAC-SHA256 of timestamp + token
    with the webhook signing key) and ``event-data``; the Message-ID without brackets, as
    Mailgun reports it."""
    timestamp, token = str(int(time.time())), secrets.token_hex(25)
    signature = hmac.new(
        signing_key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256
    ).hexdigest()
    data: dict[str, Any] = {
        "event": event,
        "id": secrets.token_urlsafe(16),
        "timestamp": float(timestamp),
        "log-level": "info" if event == "delivered" else "error",
        "recipient": recipient,
        "message": {"headers": {"message-id": message_id.strip("<>"), "to": recipient}},
    }
    if severity is not None:
        data["severity"] = severity
    if reason is not None:
        data["reason"] = reason
        data["delivery-status"] = {
            "code": 550,
            "message": "5.1.1 The email account that you tried to reach does not exist",
            "description": "",
        }
    return {
        "signature": {"timestamp": timestamp, "token": token, "signature": signature},
        "event-data": data,
    }
