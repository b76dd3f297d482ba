"""Log lines: text for a terminal, JSON lines for a log pipeline (``--log-format json``, the
default in the container), each with the tenant, notice, job and request it belongs to.

    with log_context(tenant="demo-bkk", notice_id=7):
        log.info("planned")   # {"ts": …, "level": "INFO", "logger": …, "message": "planned",
                              #  "tenant": "demo-bkk", "notice_id": 7}

The context lives in ``contextvars``, so it follows a job into its event loop and a request
through its handlers. Messages mask personal data where they are written (``core.masking``);
this module adds nothing personal.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, Literal

LogFormat = Literal["text", "json"]
LOG_FORMATS: tuple[LogFormat, ...] = ("text", "json")

CONTEXT_FIELDS = ("tenant", "notice_id", "job_id", "request_id")
"""What a line may carry besides its message, in this order."""

_context: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar("log_context")

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s%(context)s"


@contextlib.contextmanager
def log_context(**values: Any) -> Iterator[None]:
    """Add these fields (None ones are left out) to every line logged inside the block."""
    current = _context.get({})
    token = _context.set({**current, **{k: v for k, v in values.items() if v is not None}})
    try:
        yield
    finally:
        _context.reset(token)


class ContextFilter(logging.Filter):
    """Puts the context on each record (``record.context`` for text, fields for JSON)."""

    def filter(self, record: logging.LogRecord) -> bool:
        fields = _context.get({})
        record.log_fields = fields
        record.context = "".join(f" [{k}={fields[k]}]" for k in CONTEXT_FIELDS if k in fields)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: ts, level, logger, message, the context, and any error."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(getattr(record, "log_fields", {}))
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def logging_config(fmt: LogFormat = "text", *, verbose: bool = False) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for Lifeline's processes (uvicorn takes it too)."""
    formatter: dict[str, Any] = (
        {"()": f"{__name__}.JsonFormatter"} if fmt == "json" else {"format": TEXT_FORMAT}
    )
    quiet = "DEBUG" if verbose else "WARNING"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": f"{__name__}.ContextFilter"}},
        "formatters": {"lifeline": formatter},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "lifeline",
                "filters": ["context"],
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": "DEBUG" if verbose else "INFO", "handlers": ["stderr"]},
        "loggers": {
            # One line per provider request would drown the worker's own log.
            "httpx": {"level": quiet},
            # uvicorn's loggers write through the root handler, in the same format.
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            "uvicorn.access": {"handlers": [], "propagate": True},
        },
    }


def configure(fmt: LogFormat = "text", *, verbose: bool = False) -> None:
    """Set up this process's logging."""
    import logging.config

    logging.config.dictConfig(logging_config(fmt, verbose=verbose))
