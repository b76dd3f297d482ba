"""The dashboard and the alerts use only series that /metrics serves, and parse."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import redis
import yaml
from prometheus_client.parser import text_string_to_metric_families

from lifeline.api import create_app
from lifeline.config import Settings
from tests.api.helpers import TestClient

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
SERIES = re.compile(r"\b(lifeline_[a-z_]+)")


def served(make_settings: Callable[..., Settings]) -> set[str]:
    outbox = {"provider": "outbox", "path": "outbox"}
    # Two SMS providers: the per-provider series are served for channels with several.
    sms = [outbox | {"name": "first"}, outbox | {"name": "second"}]
    with TestClient(create_app(make_settings(channels={"sms": sms}))) as api:
        answer = api.get("/metrics")
    assert answer.status_code == 200
    names = set()
    for family in text_string_to_metric_families(answer.text):
        names |= {sample.name for sample in family.samples}
    return names


def test_alerts_and_dashboard_use_served_series(
    make_settings: Callable[..., Settings], redis_client: redis.Redis
) -> None:
    names = served(make_settings)
    assert {"lifeline_deliveries_total", "lifeline_workers", "lifeline_queue_jobs",
            "lifeline_provider_request_seconds_bucket"} <= names  # fmt: skip
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yaml").read_text())
    exprs = [r["expr"] for g in rules["groups"] for r in g["rules"]]
    alerts = {r["alert"] for g in rules["groups"] for r in g["rules"]}
    assert {"LifelineNoWorkerAlive", "LifelineQueueNotDraining", "LifelineDeliveryFailures",
            "LifelineRedisNotPersistent"} <= alerts  # fmt: skip
    dashboard = json.loads((DEPLOY / "grafana" / "lifeline.json").read_text())
    exprs += [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    used = {m for expr in exprs for m in SERIES.findall(expr)}
    assert used
    assert used <= names, used - names
