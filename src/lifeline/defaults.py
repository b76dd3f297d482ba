"""Constants Lifeline falls back to when the config does not say otherwise."""

from __future__ import annotations

KEY_PREFIX = "ll"
"""Prefix of every Redis key Lifeline writes, so a shared Redis stays readable."""

QUEUE_PLAN = "lifeline:plan"
"""RQ queue of planning jobs: one per notice, walking its subscribers."""

QUEUE_PREFIX = "lifeline:"
"""Per-channel RQ queues are this prefix plus the channel name (lifeline:email, …)."""

CHANNELS: tuple[str, ...] = ("telegram", "email", "sms")
"""The channel kinds a notice can go out on, in the order they are planned."""

LANGUAGES: tuple[str, ...] = ("de", "en")
"""Languages of templates, notices and members."""

BATCH_SIZE = 500
"""Recipients per batch job: large enough to amortise RQ's per-job cost (≈5 ms),
small enough that one job finishes in seconds at provider speed."""

BATCH_CONCURRENCY = 8
"""Sends in flight at once inside one batch job. httpx-based clients get slower past a
handful of concurrent requests per process, so scale out with workers instead."""

MAX_ATTEMPTS = 5
"""Attempts per recipient for transient provider errors before it is recorded as failed."""

RETRY_BASE_SECONDS = 0.5
"""First backoff after a transient error; doubled per attempt, with jitter."""

RETRY_MAX_WAIT_SECONDS = 60.0
"""Longest single wait a batch job sleeps through (a provider's retry_after is honoured
up to this)."""

JOB_TIMEOUT_SECONDS = 3600
"""RQ timeout of one batch job; generous because provider rate limits can slow it down."""

JOB_RETRIES = 3
"""How often RQ re-runs a batch job whose worker died or which raised; sends already
recorded are skipped on the re-run."""

PLAN_CHUNK = 5000
"""Subscriber ids read per SSCAN step while planning."""

API_MAX_BODY_BYTES = 1_048_576
"""Largest request body the admin API reads, except member imports."""

IMPORT_MAX_BODY_BYTES = 64 * 1_048_576
"""Largest member import body (100,000 rows of a few hundred bytes each)."""

IMPORT_MAX_ROWS = 100_000
"""Rows accepted in one member import call."""

IDEMPOTENCY_TTL_SECONDS = 24 * 3600
"""How long an Idempotency-Key is remembered, as with Stripe."""

OUTBOX_DIR = "outbox"
"""Folder of the outbox provider when its config names none (relative to the working dir)."""

REDIS_URL = "redis://127.0.0.1:6379/0"
"""Redis used when neither LIFELINE_REDIS_URL nor the config names one (not by `lifeline dev`,
which starts an embedded Redis instead)."""

RATE_LEAD_US = 50_000
"""How far ahead an idle limiter puts its first slot: time for a new connection to be set up
before the send is due, so it does not arrive late and bunch with the sends after it."""

RATE_HEADROOM = 0.96
"""Share of a configured rate the limiter hands out: slots 4% wider than 1/rate leave room
for network and scheduling jitter, so no one-second window at the provider exceeds the rate."""
