"""Log lines as text and as JSON, with the context they were written in."""

from __future__ import annotations

import json
import logging

import pytest

from lifeline.core.logs import ContextFilter, JsonFormatter, log_context


def record(message: str, *args: object) -> logging.LogRecord:
    made = logging.LogRecord("lifeline.x", logging.INFO, __file__, 1, message, args, None)
    ContextFilter().filter(made)
    return made


def test_json_line_has_the_context_and_nothing_of_another_block() -> None:
    with log_context(tenant="demo-bkk", notice_id=7, job_id="ll-1"):
        inside = json.loads(JsonFormatter().format(record("planned %s", "x")))
    outside = json.loads(JsonFormatter().format(record("idle")))
    assert inside["message"] == "planned x"
    assert (inside["tenant"], inside["notice_id"], inside["job_id"]) == ("demo-bkk", 7, "ll-1")
    assert inside["level"] == "INFO"
    assert "tenant" not in outside


def test_an_exception_stays_inside_its_one_line() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        made = record("failed")
        made.exc_info = sys.exc_info()
    line = JsonFormatter().format(made)
    assert "\n" not in line
    assert "ValueError: boom" in json.loads(line)["error"]


def test_text_lines_show_the_context(caplog: pytest.LogCaptureFixture) -> None:
    with log_context(notice_id=3):
        made = record("sent")
    assert made.context == " [notice_id=3]"  # type: ignore[attr-defined]
