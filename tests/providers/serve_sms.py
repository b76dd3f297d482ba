"""The SMS gateway stand-in in a process of its own, for tests that time arrivals.

    python -m tests.providers.serve_sms OUT.json

Prints ``{"send_url", "token"}`` on one line, serves until its standard input closes, then
writes ``{"arrivals": [...], "to": [...]}`` to OUT.json. Timestamps taken in a process that
does nothing else do not wait for a busy test session's threads or garbage collector.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.providers.smsgateway import SmsGatewayServer


def main() -> None:
    out = Path(sys.argv[1])
    with SmsGatewayServer() as server:
        print(json.dumps({"send_url": server.send_url, "token": server.token}), flush=True)
        sys.stdin.read()
        calls = server.calls_to("http")
        record = {"arrivals": [c.at for c in calls], "to": [s.to for s in server.delivered]}
    out.write_text(json.dumps(record))


if __name__ == "__main__":
    main()
