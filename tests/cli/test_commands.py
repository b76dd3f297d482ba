"""The ``lifeline`` command as a user runs it: real processes, real Redis."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis

from lifeline import __version__ as lifeline_version
from lifeline.access import apikeys
from lifeline.cli.embedded_redis import free_port
from tests import reaper

CONFIG = """
[redis]
url = "{redis_url}"

[[tenants]]
id = "demo-bkk"
name = "Demo BKK"

[tenants.channels.email]
provider = "outbox"
path = "{outbox}"
"""


def lifeline(
    *args: str, env: dict[str, str], cwd: Path, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return reaper.run(
        [sys.executable, "-m", "lifeline", *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def env(tmp_path: Path, redis_url: str) -> dict[str, str]:
    config = tmp_path / "lifeline.toml"
    config.write_text(CONFIG.format(redis_url=redis_url, outbox=tmp_path / "outbox"))
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LIFELINE_")}
    return {**clean, "LIFELINE_CONFIG": str(config)}


def test_keys_create_prints_key_alone_on_last_line(
    env: dict[str, str], tmp_path: Path, redis_client: redis.Redis
) -> None:
    done = lifeline(
        "keys",
        "create",
        "--tenant",
        "demo-bkk",
        "--role",
        "publisher",
        "--role",
        "support",
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    key = done.stdout.strip().splitlines()[-1]
    grant = apikeys.lookup(redis_client, key)
    assert grant is not None
    assert (grant.tenant_id, grant.roles) == ("demo-bkk", frozenset({"publisher", "support"}))
    assert key not in str(redis_client.keys("*"))  # only the digest is stored


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("keys", "create", "--tenant", "nope", "--role", "admin"),
            "--tenant: 'nope' is not in the config",
        ),
        (
            ("keys", "create", "--tenant", "demo-bkk", "--role", "boss"),
            "--role: 'boss' is not one of",
        ),
        (("notice", "send", "missing.json", "--key", "x"), "missing.json: cannot read"),
        (("notice", "send", "bad.json", "--key", "x"), "bad.json: line 3: not valid JSON"),
        (("notice", "send", "good.json"), "--key: no API key"),
        (
            ("notice", "send", "good.json", "--key", "ll_x", "--api", "http://127.0.0.1:1"),
            "cannot reach the API",
        ),
    ],
)
def test_user_mistakes_get_one_line_not_a_traceback(
    env: dict[str, str],
    tmp_path: Path,
    args: tuple[str, ...],
    message: str,
    redis_client: redis.Redis,
) -> None:
    (tmp_path / "bad.json").write_text('{\n  "severity": \n}')
    (tmp_path / "good.json").write_text(json.dumps({"severity": "major"}))
    done = lifeline(*args, env=env, cwd=tmp_path)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert redis_client.keys("*") == []


def test_bad_config_stops_start_naming_the_key(env: dict[str, str], tmp_path: Path) -> None:
    config = Path(env["LIFELINE_CONFIG"])
    config.write_text(config.read_text().replace('provider = "outbox"', 'provider = "smtp"'))
    done = lifeline("worker", "--burst", env=env, cwd=tmp_path)
    assert done.returncode == 2
    assert "tenants[0].channels.email.smtp_url: required key is missing" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_dev_once_delivers_sample_notice_to_outbox(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIFELINE_")}
    done = lifeline("dev", "--once", "--port", "0", env=env, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    outbox = tmp_path / "outbox" / "demo-bkk"
    sent = {
        kind: (outbox / f"{kind}.jsonl").read_text().splitlines()
        for kind in ("telegram", "email", "sms")
    }
    # The demo tenant's members: 2 on Telegram, 3 by email, 2 by SMS.
    assert {k: len(v) for k, v in sent.items()} == {"telegram": 2, "email": 3, "sms": 2}
    english = [json.loads(line) for line in sent["email"] if json.loads(line)["language"] == "en"]
    assert english
    assert "Outage" in english[0]["subject"]
    assert done.stdout.strip().splitlines()[-1].startswith("ll_")


# Issue 10.10: the CLI promised no tracebacks and printed them.


@pytest.fixture
def unreachable_env(env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """A config whose Redis is a port nobody listens on."""
    config = tmp_path / "unreachable.toml"
    url = f"redis://127.0.0.1:{free_port()}/0"
    config.write_text(CONFIG.format(redis_url=url, outbox=tmp_path / "outbox"))
    return env | {"LIFELINE_CONFIG": str(config)}


@pytest.mark.parametrize(
    "args",
    [
        ("keys", "create", "--tenant", "demo-bkk", "--role", "admin"),
        ("worker",),
        ("dev", "--once", "--port", "0"),
    ],
)
def test_an_unreachable_redis_is_one_line_at_once(
    unreachable_env: dict[str, str], tmp_path: Path, args: tuple[str, ...]
) -> None:
    done = lifeline(*args, env=unreachable_env, cwd=tmp_path, timeout=30)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("error: cannot reach Redis at redis://127.0.0.1:")


def test_check_config_without_a_config_says_so(env: dict[str, str], tmp_path: Path) -> None:
    bare = {k: v for k, v in env.items() if k != "LIFELINE_CONFIG"}
    done = lifeline("check-config", env=bare, cwd=tmp_path)
    assert done.returncode == 2
    assert "no config file to check" in done.stderr
    named = lifeline("check-config", env["LIFELINE_CONFIG"], env=bare, cwd=tmp_path)
    assert named.returncode == 0, named.stderr
    assert named.stdout.startswith("demo-bkk: Demo BKK")


def test_a_long_message_stays_on_one_line_in_a_pipe(env: dict[str, str], tmp_path: Path) -> None:
    tenant = "t" * 120
    done = lifeline("keys", "create", "--tenant", tenant, "--role", "admin", env=env, cwd=tmp_path)
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert tenant in line


def test_version(env: dict[str, str], tmp_path: Path) -> None:
    done = lifeline("--version", env=env, cwd=tmp_path)
    assert (done.returncode, done.stdout.strip()) == (0, f"lifeline {lifeline_version}")


def test_keys_list_rotate_and_revoke_from_the_shell(
    env: dict[str, str], tmp_path: Path, redis_client: redis.Redis
) -> None:
    # Issue 10.7: keys could be created with the shipped tools, but not managed.
    created = lifeline(
        "keys", "create", "--tenant", "demo-bkk", "--role", "publisher",
        "--label", "crisis desk", "--expires", "30d", env=env, cwd=tmp_path,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip().splitlines()[-1]
    grant = apikeys.describe(redis_client, key)
    assert grant is not None
    listed = lifeline("keys", "list", "--tenant", "demo-bkk", env=env, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert grant.id in listed.stdout
    assert "crisis desk" in listed.stdout
    assert key not in listed.stdout
    rotated = lifeline("keys", "rotate", "--tenant", "demo-bkk", grant.id, env=env, cwd=tmp_path)
    assert rotated.returncode == 0, rotated.stderr
    new_key = rotated.stdout.strip().splitlines()[-1]
    assert apikeys.lookup(redis_client, key) is None
    new = apikeys.lookup(redis_client, new_key)
    assert new is not None
    assert new.name == "crisis desk"
    revoked = lifeline("keys", "revoke", "--tenant", "demo-bkk", new.id, env=env, cwd=tmp_path)
    assert revoked.returncode == 0, revoked.stderr
    assert apikeys.lookup(redis_client, new_key) is None
    again = lifeline("keys", "revoke", "--tenant", "demo-bkk", new.id, env=env, cwd=tmp_path)
    assert again.returncode == 2
    assert "not found" in again.stderr


@pytest.mark.parametrize("command", [("check-config",), ("worker", "--burst")])
def test_a_broken_template_stops_the_start_naming_file_and_line(
    env: dict[str, str], tmp_path: Path, command: tuple[str, ...]
) -> None:
    # Issue 10.5: a tenant template with an error was accepted at start.
    folder = tmp_path / "templates" / "en"
    folder.mkdir(parents=True)
    (folder / "sms.txt.j2").write_text("{{ notice.headline }}\n{% if %}\n")
    config = Path(env["LIFELINE_CONFIG"])
    config.write_text(
        config.read_text().replace(
            'name = "Demo BKK"', f'name = "Demo BKK"\ntemplates_dir = "{tmp_path / "templates"}"'
        )
    )
    done = lifeline(*command, env=env, cwd=tmp_path)
    assert done.returncode == 2
    assert f"{folder / 'sms.txt.j2'}:2" in done.stderr
    assert "Traceback" not in done.stderr
