"""End-to-end runs: the API in-process, real ``lifeline worker`` processes, local providers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def write_config(provider_config: Callable[..., Path]) -> Callable[..., Path]:
    """A config for the local stand-ins; ``rate`` sets every channel's rate limit."""

    def write(*, rate: int = 1000, max_attempts: int = 5, **overrides: Any) -> Path:
        rates = {f"{kind}_rate": rate for kind in ("telegram", "email", "sms")}
        return provider_config(max_attempts=max_attempts, **rates, **overrides)

    return write
