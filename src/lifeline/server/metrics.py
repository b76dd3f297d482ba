"""``GET /metrics``: Prometheus's text format, read from Redis at each scrape, so one scrape
of any API process is right for every worker on every host.

    lifeline_deliveries_total{tenant,channel,outcome}     sent · failed · skipped ·
                                                          delivered · undeliverable (receipts)
    lifeline_provider_request_seconds{tenant,channel}     histogram of provider requests
    lifeline_notice_first_delivery_seconds{tenant,channel} post → first delivery
    lifeline_notice_last_delivery_seconds{tenant,channel}  post → last delivery
    lifeline_rate_limit_wait_seconds_total{tenant,channel} time sends waited for a slot
    lifeline_provider_throttled_total{tenant,channel}     the provider said "slow down" (429)
    lifeline_provider_state{tenant,channel,provider}      breaker: 0 closed, 1 half-open, 2 open
    lifeline_provider_sends_total{tenant,channel,provider,outcome}  sent · retried · failed
    lifeline_provider_breaker_opened_total{tenant,channel,provider}  times it was left
                                                          (the last three: channels with
                                                          several providers only)
    lifeline_queue_jobs{queue}                            jobs waiting in each RQ queue
    lifeline_workers{state}                               RQ workers alive, busy
    lifeline_redis_persistence{kind}                      1 when AOF / RDB snapshots are on

Only the admin app serves it: it belongs on the internal network, beside the admin API.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import cast

import redis
from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from rq import Queue, Worker

from lifeline.config import Settings
from lifeline.core.vocabulary import CHANNEL_KINDS
from lifeline.delivery import breaker, metrics, records
from lifeline.delivery.queues import queue_names

router = APIRouter(tags=["health"])

OUTCOMES = ("sent", "failed", "skipped", "delivered", "undeliverable")

_STATE_VALUES = {"closed": 0, "half_open": 1, "open": 2}


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}},
)
def scrape(request: Request) -> Response:
    """Deliveries, provider latency, notice times, rate-limit waits, queues and workers."""
    state = request.app.state
    registry = CollectorRegistry(auto_describe=False)
    registry.register(LifelineCollector(state.settings, state.redis, state.rq_redis))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


class LifelineCollector(Collector):
    """Reads the metrics Redis holds, once per scrape."""

    def __init__(self, settings: Settings, client: redis.Redis, rq_client: redis.Redis) -> None:
        self.settings = settings
        self.redis = client
        self.rq_redis = rq_client

    def collect(self) -> Iterator[Metric]:
        pairs = [(t.id, k) for t in self.settings.tenants for k in CHANNEL_KINDS
                 if k in t.channels.configured()]  # fmt: skip
        yield from self._deliveries(pairs)
        for name, metric, help_text in (
            ("provider_seconds", "lifeline_provider_request_seconds", "Provider requests"),
            ("first_delivery_seconds", "lifeline_notice_first_delivery_seconds",
             "From a notice's post to its first delivery on a channel"),
            ("last_delivery_seconds", "lifeline_notice_last_delivery_seconds",
             "From a notice's post to its last delivery on a channel"),
        ):  # fmt: skip
            yield self._histogram(name, metric, help_text, pairs)
        yield from self._providers()
        yield self._queues()
        yield self._workers()
        yield self._persistence()

    def _deliveries(self, pairs: Sequence[tuple[str, str]]) -> Iterator[Metric]:
        deliveries = CounterMetricFamily(
            "lifeline_deliveries", "Recipients finished, by outcome",
            labels=["tenant", "channel", "outcome"],
        )  # fmt: skip
        waits = CounterMetricFamily(
            "lifeline_rate_limit_wait_seconds", "Time sends waited for a rate-limit slot",
            labels=["tenant", "channel"],
        )  # fmt: skip
        throttled = CounterMetricFamily(
            "lifeline_provider_throttled", "Provider answers asking to slow down (429)",
            labels=["tenant", "channel"],
        )  # fmt: skip
        for (tenant, kind), fields in zip(pairs, records.totals(self.redis, pairs), strict=True):
            for outcome in OUTCOMES:
                deliveries.add_metric([tenant, kind, outcome], float(fields.get(outcome, 0)))
            waits.add_metric([tenant, kind], float(fields.get("rate_wait_seconds", 0)))
            throttled.add_metric([tenant, kind], float(fields.get("provider_throttled", 0)))
        yield deliveries
        yield waits
        yield throttled

    def _histogram(
        self, name: str, metric: str, help_text: str, pairs: Sequence[tuple[str, str]]
    ) -> Metric:
        family = HistogramMetricFamily(metric, help_text, labels=["tenant", "channel"])
        bounds = metrics.HISTOGRAMS[name]
        for (tenant, kind), fields in zip(
            pairs, metrics.read_histograms(self.redis, name, pairs), strict=True
        ):
            cumulative, buckets = 0.0, []
            for bound in (*(str(b) for b in bounds), "+Inf"):
                cumulative += float(fields.get(bound, 0))
                buckets.append((bound, cumulative))
            family.add_metric([tenant, kind], buckets, float(fields.get("sum", 0)))
        return family

    def _providers(self) -> Iterator[Metric]:
        state = GaugeMetricFamily(
            "lifeline_provider_state", "Breaker of a provider: 0 closed, 1 half-open, 2 open",
            labels=["tenant", "channel", "provider"],
        )  # fmt: skip
        sends = CounterMetricFamily(
            "lifeline_provider_sends", "Sends through a provider of a channel with several",
            labels=["tenant", "channel", "provider", "outcome"],
        )  # fmt: skip
        opened = CounterMetricFamily(
            "lifeline_provider_breaker_opened", "Times a provider's breaker opened",
            labels=["tenant", "channel", "provider"],
        )  # fmt: skip
        for tenant in self.settings.tenants:
            for kind in CHANNEL_KINDS:
                names = [name for name, _ in tenant.channels.providers(kind)]
                if len(names) < 2:
                    continue
                for h in breaker.health(self.redis, tenant.id, kind, names):
                    labels = [tenant.id, kind, h.name]
                    state.add_metric(labels, float(_STATE_VALUES[h.state]))
                    for outcome, count in (("sent", h.sent), ("retried", h.retried),
                                           ("failed", h.failed)):  # fmt: skip
                        sends.add_metric([*labels, outcome], float(count))
                    opened.add_metric(labels, float(h.opened))
        yield state
        yield sends
        yield opened

    def _queues(self) -> Metric:
        family = GaugeMetricFamily("lifeline_queue_jobs", "Jobs waiting", labels=["queue"])
        for name in queue_names():
            family.add_metric([name], float(Queue(name, connection=self.rq_redis).count))
        return family

    def _workers(self) -> Metric:
        family = GaugeMetricFamily("lifeline_workers", "RQ workers", labels=["state"])
        workers = Worker.all(connection=self.rq_redis)
        family.add_metric(["alive"], float(len(workers)))
        family.add_metric(["busy"], float(sum(1 for w in workers if w.get_state() == "busy")))
        return family

    def _persistence(self) -> Metric:
        family = GaugeMetricFamily(
            "lifeline_redis_persistence", "1 when Redis persists this way", labels=["kind"]
        )
        try:
            config = cast(dict[str, str], self.redis.config_get("appendonly", "save"))
        except redis.ResponseError:  # CONFIG not allowed for this user: say nothing
            return family
        family.add_metric(["aof"], 1.0 if config.get("appendonly") == "yes" else 0.0)
        family.add_metric(["rdb"], 1.0 if config.get("save") else 0.0)
        return family
