"""The admin API over HTTP, as ``lifeline notice …`` and ``lifeline dev`` use it."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx

from lifeline.core.errors import LifelineError


class ApiError(LifelineError):
    """The API refused a request; the message is the API's own."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{message} (HTTP {status}, {code})")
        self.status = status
        self.code = code


class AdminClient:
    """Talks to one Lifeline API with one API key."""

    def __init__(self, base_url: str, api_key: str, *, timeout: float = 10.0) -> None:
        self.http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=timeout,
        )

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()

    def post_notice(self, body: dict[str, Any], *, idempotency_key: str | None = None) -> int:
        """Post a notice and return its id; the same key makes a retry safe."""
        key = idempotency_key or str(uuid.uuid4())
        reply = self._request("POST", "/v1/notices", json=body, headers={"Idempotency-Key": key})
        return int(reply["id"])

    def decide(self, notice_id: int, decision: str, note: str = "") -> dict[str, Any]:
        """Approve or reject (``decision``) a notice waiting for a second person."""
        return self._request("POST", f"/v1/notices/{notice_id}/{decision}", json={"note": note})

    def notice(self, notice_id: int) -> dict[str, Any]:
        """The notice with its per-channel progress."""
        return self._request("GET", f"/v1/notices/{notice_id}")

    def wait(
        self,
        notice_id: int,
        *,
        on_progress: Callable[[dict[str, Any]], None] = lambda _: None,
        interval: float = 0.5,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """Poll until every channel is complete (or the timeout passes); the last state."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            state = self.notice(notice_id)
            on_progress(state)
            if state.get("complete") or state.get("status") != "active":
                return state
            if deadline is not None and time.monotonic() > deadline:
                return state
            time.sleep(interval)

    def _request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise LifelineError(f"cannot reach the API at {self.http.base_url}: {exc}") from None
        try:
            data: dict[str, Any] = response.json()
        except ValueError:
            data = {}
        if response.is_error:
            error = data.get("error", {}) if isinstance(data, dict) else {}
            raise ApiError(
                response.status_code,
                str(error.get("code", "http_error")),
                str(error.get("message", response.text[:200])),
            )
        return data
