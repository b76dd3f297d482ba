"""The README's walk-through works as written against a fresh ``lifeline dev`` (issue 10.11):
every curl command of it runs, and answers with the status its comment promises."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import reaper

ROOT = Path(__file__).resolve().parents[2]


def walk_through() -> list[tuple[str, int | None]]:
    """The walk-through's curl commands, each with the status its ``# → NNN`` comment names."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Walk-through with curl", 1)[1]
    block = section.split("```sh", 1)[1].split("```", 1)[0]
    commands: list[tuple[str, int | None]] = []
    current: list[str] = []
    for line in block.splitlines():
        if line.startswith("curl") or (current and current[-1].endswith("\\")):
            current.append(line)
            continue
        if current:
            status = re.match(r"# → (\d{3})", line.strip())
            commands.append(("\n".join(current), int(status.group(1)) if status else None))
            current = []
    if current:
        commands.append(("\n".join(current), None))
    return commands


def test_the_walk_through_is_read_whole() -> None:
    commands = walk_through()
    assert len(commands) == 5
    assert [status for _, status in commands] == [201, None, None, 202, None]


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_the_walk_through_works_on_a_fresh_dev(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIFELINE_")}
    out_log, err_log = tmp_path / "dev.out", tmp_path / "dev.err"
    with out_log.open("wb") as out, err_log.open("wb") as err:
        dev = reaper.spawn(
            [sys.executable, "-m", "lifeline", "dev", "--port", "0",
             "--state-dir", str(tmp_path / "state")],
            cwd=tmp_path, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    try:
        key, api = _wait_for_dev(dev, out_log, err_log)
        for command, status in walk_through():
            done = subprocess.run(
                ["bash", "-c", f"{command} -w '\\n%{{http_code}}'"],
                cwd=ROOT, capture_output=True, text=True, timeout=60,
                env={**env, "KEY": key, "API": api},
            )  # fmt: skip
            body, _, code = done.stdout.rpartition("\n")
            assert done.returncode == 0, done.stderr
            assert int(code) < 400, (command, code, body)
            if status is not None:
                assert int(code) == status, (command, code, body)
        state = _delivered(api, key, 2)
        # The README promises the member it added, the three imported and dev's two with email.
        assert state["progress"]["email"]["total"] == 6, state
        assert state["progress"]["email"]["sent"] == 6, state
        # dev's public side: the status page live and as the worker's static copy, and the
        # emails' one-click unsubscribe links pointing at it.
        page = httpx.get(f"{api}/t/demo-bkk?lang=en", timeout=10)
        assert page.status_code == 200
        assert "Outage: app, online branch and phone lines unavailable" in page.text
        static = tmp_path / "state" / "status" / "demo-bkk" / "index.html"
        assert "Störung: App, Online-Filiale und Telefon nicht erreichbar" in static.read_text()
        mails = (tmp_path / "outbox" / "demo-bkk" / "email.jsonl").read_text().splitlines()
        assert all(f"{api}/t/demo-bkk/unsubscribe/" in json.loads(m)["text"] for m in mails)
    finally:
        dev.terminate()
        dev.wait(timeout=60)


def _wait_for_dev(dev: subprocess.Popen[bytes], out: Path, err: Path) -> tuple[str, str]:
    """The admin key (dev's last stdout line) and the API's URL (from its curl hint)."""
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline:
        lines = [line for line in out.read_text(errors="replace").splitlines() if line.strip()]
        if lines and lines[-1].startswith("ll_"):
            said = err.read_text(errors="replace")
            found = re.search(r"API (http://127\.0\.0\.1:\d+)", said)
            assert found, said[-2000:]
            return lines[-1].strip(), found.group(1)
        if dev.poll() is not None:
            pytest.fail(f"lifeline dev exited: {json.dumps(err.read_text()[-2000:])}")
        time.sleep(0.2)
    pytest.fail("lifeline dev did not print its key")


def _delivered(api: str, key: str, notice_id: int) -> dict[str, Any]:
    """The notice once its delivery is complete (within a minute)."""
    deadline = time.monotonic() + 60
    while True:
        auth = {"Authorization": f"Bearer {key}"}
        reply = httpx.get(f"{api}/v1/notices/{notice_id}", headers=auth)
        assert reply.status_code == 200, reply.text
        state: dict[str, Any] = reply.json()
        if state.get("complete") or time.monotonic() > deadline:
            assert state.get("complete"), state
            return state
        time.sleep(0.2)
