"""The deployment files, checked statically (images cannot be built or run here): the
Dockerfile by hadolint, the compose file by docker-compose, the Kubernetes manifests by
kustomize and the Kubernetes schemas, KEDA's triggers against the queues the code uses,
and every example config by Lifeline's own loader.

On CI a missing tool fails the test (``.ci/run`` installs them); elsewhere it skips.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]  # it ships no type hints
import pytest
import yaml

from lifeline.config import load_settings
from lifeline.delivery.queues import queue_names

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
KUBERNETES_VERSION = "1.30.0"
OVERLAY = "kubernetes/overlays/example"


def tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        message = f"{name} is not installed (.ci/run installs it)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def secrets(path: Path) -> dict[str, str]:
    pairs = [line.split("=", 1) for line in path.read_text().splitlines() if "=" in line]
    return {k.strip(): v.strip() for k, v in pairs if not k.startswith("#")}


def test_dockerfile_passes_hadolint() -> None:
    done = subprocess.run([tool("hadolint"), "--no-color", str(ROOT / "Dockerfile")],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_dockerfile_builds_a_wheel_and_runs_as_nobody_special() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert text.count("FROM ") == 2  # a build stage and a slim run stage
    run_stage = text.rsplit("FROM ", 1)[1]
    assert "USER 10001" in run_stage
    assert "HEALTHCHECK" in run_stage
    assert "build" not in run_stage.split("RUN", 1)[1].split("\n", 1)[0]  # no build tools
    ignored = [line for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line and not line.startswith("#")]  # fmt: skip
    assert ignored[0] == "*"  # everything is left out but what is named
    assert {"!src/", "!locales/", "!pyproject.toml"} <= set(ignored)


def test_compose_file_validates(tmp_path: Path) -> None:
    folder = tmp_path / "deploy"
    shutil.copytree(DEPLOY, folder)
    shutil.copy(folder / ".env.example", folder / ".env")
    shutil.copy(folder / "lifeline.example.toml", folder / "lifeline.toml")
    done = subprocess.run([tool("docker-compose"), "-f", str(folder / "compose.yaml"), "config"],
                          capture_output=True, text=True, timeout=60, cwd=folder)  # fmt: skip
    assert done.returncode == 0, done.stderr
    config = yaml.safe_load(done.stdout)
    services = config["services"]
    assert set(services) >= {"redis", "api", "web", "worker", "caddy"}
    assert "appendonly" in " ".join(services["redis"]["command"])
    assert published(services["api"]) == [("127.0.0.1", "8000")]  # never public
    assert sorted(published(services["caddy"])) == [("", "443"), ("", "80")]
    assert config["networks"]["internal"]["internal"] is True
    assert "public" not in services["api"]["networks"]


def published(service: dict[str, Any]) -> list[tuple[str, str]]:
    """(host address, host port) of a service; docker-compose prints ports either way."""
    found = []
    for port in service.get("ports", []):
        if isinstance(port, dict):
            found.append((str(port.get("host_ip", "")), str(port["published"])))
        else:
            parts = str(port).split("/", 1)[0].split(":")
            found.append((parts[0] if len(parts) == 3 else "", parts[-2]))
    return found


def rendered() -> list[dict[str, Any]]:
    overlay = DEPLOY / "kubernetes" / "overlays" / "example"
    done = subprocess.run([tool("kubectl"), "kustomize", str(overlay)],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def test_kubernetes_manifests_validate_against_the_schemas() -> None:
    docs = rendered()
    kinds = {doc["kind"] for doc in docs}
    wanted = {"Deployment", "Service", "Ingress", "PodDisruptionBudget", "NetworkPolicy",
              "ConfigMap", "Secret", "StatefulSet", "ScaledObject"}  # fmt: skip
    assert kinds >= wanted
    for doc in docs:
        if doc["kind"] == "ScaledObject":
            continue  # a KEDA CRD: checked below against the code
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}
    assert set(deployments) == {"lifeline-api", "lifeline-web", "lifeline-worker", "lifeline-bot"}
    for deployment in deployments.values():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        for container in pod["containers"]:
            assert container["securityContext"]["readOnlyRootFilesystem"] is True
            assert "livenessProbe" in container
            assert "memory" in container["resources"]["limits"]
    for name in ("lifeline-api", "lifeline-web"):
        assert "readinessProbe" in deployments[name]["spec"]["template"]["spec"]["containers"][0]
    ingress = next(d for d in docs if d["kind"] == "Ingress")
    backends = [
        p["backend"]["service"]["name"] for p in ingress["spec"]["rules"][0]["http"]["paths"]
    ]
    assert backends == ["lifeline-web"]  # the admin API never behind the public ingress


def test_keda_scales_the_workers_on_the_queues_rq_uses() -> None:
    scaled = next(d for d in rendered() if d["kind"] == "ScaledObject")
    assert scaled["apiVersion"] == "keda.sh/v1alpha1"
    assert scaled["spec"]["scaleTargetRef"]["name"] == "lifeline-worker"
    lists = {t["metadata"]["listName"] for t in scaled["spec"]["triggers"] if t["type"] == "redis"}
    assert lists == {f"rq:queue:{name}" for name in queue_names()}


@pytest.mark.parametrize(
    ("config", "env_file"),
    [
        ("lifeline.example.toml", ".env.example"),
        (
            "kubernetes/overlays/example/lifeline.toml",
            "kubernetes/overlays/example/secrets.env.example",
        ),
    ],
)
def test_example_configs_load(config: str, env_file: str) -> None:
    settings = load_settings(DEPLOY / config, env=secrets(DEPLOY / env_file))
    assert settings.tenants
    assert settings.web.public_url is not None
