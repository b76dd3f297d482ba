"""Tunables of the worker side: Redis, queues and jobs, batches, providers, messages."""

from __future__ import annotations

# --- Redis -------------------------------------------------------------------------------

REDIS_URL = "redis://127.0.0.1:6379/0"
"""Redis when neither LIFELINE_REDIS_URL nor the config names one (dev embeds its own)."""

KEY_PREFIX = "ll"
"""Prefix of every Redis key Lifeline writes, so a shared Redis stays readable."""

REDIS_QUICK_RETRIES = 1
"""Retries of a quick client (the API's): one reconnect, then give up, so a request fails
within a fraction of a second (refused) or ~4 s (frozen) and is answered 503."""

REDIS_PATIENT_RETRIES = 40
"""Retries of a patient client (a worker's), 50 ms doubling up to 1 s apart: ≈ 38 s in all
(each one also reconnects with the same policy), enough for a Redis restart with an AOF."""

REDIS_BACKOFF_BASE_SECONDS = 0.05
"""First wait between two retries of a Redis command; doubled per retry."""

REDIS_BACKOFF_CAP_SECONDS = 1.0
"""Longest wait between two retries of a Redis command."""

REDIS_QUICK_TIMEOUT_SECONDS = 2.0
"""How long a quick client (the API's) waits to connect or for one answer: with its one
retry, a request fails within about 5 s (503, Retry-After) when Redis is frozen."""

REDIS_CONNECT_TIMEOUT_SECONDS = 5
"""How long connecting to Redis may take."""

REDIS_SOCKET_TIMEOUT_SECONDS = 10
"""How long one Redis command may take to answer (store clients)."""

REDIS_RQ_SOCKET_TIMEOUT_SECONDS = 30
"""The same for RQ's clients; a worker raises it above its blocking dequeue's itself."""

REDIS_PING_TIMEOUT_SECONDS = 2.0
"""How long a command waits for Redis to answer its first PING before it refuses to start."""

REDIS_PROBE_TIMEOUT_SECONDS = 0.5
"""How long a health probe (``/readyz``, a stopping worker) waits to connect and for PONG:
``/readyz`` answers within a second also when Redis is frozen."""

REDIS_HEALTH_CHECK_SECONDS = 30
"""An idle pooled connection is PINGed before use after this long (a dropped one is
replaced instead of failing a command)."""

MEMBER_WRITE_ATTEMPTS = 10
"""Compare-and-set tries of one member write before it gives up (each retry means another
write changed the same member or contact in between: rare, and never ten times in a row)."""

MEMBER_APPLY_BATCH = 100
"""Member writes applied per script call in an import: one call blocks Redis for about a
millisecond per hundred, short enough not to delay the sends of running batches."""

# --- queues and jobs ---------------------------------------------------------------------

QUEUE_PLAN = "lifeline:plan"
"""RQ queue of planning jobs: one per notice, walking its subscribers."""

QUEUE_PREFIX = "lifeline:"
"""Per-channel RQ queues are this prefix plus the channel name (lifeline:email, …)."""

BATCH_SIZE = 500
"""Recipients per batch job (``worker.batch_size``): large enough to amortise RQ's per-job
cost (≈5 ms), small enough that one job finishes in seconds at provider speed."""

BATCH_CONCURRENCY = 8
"""Sends in flight in one batch job (``worker.concurrency``); httpx-based clients slow down
past a handful per process, so scale out with workers instead."""

MAX_ATTEMPTS = 5
"""Tries per recipient on transient errors before it is failed (``worker.max_attempts``)."""

RETRY_BASE_SECONDS = 0.5
"""First backoff (``worker.retry_base_seconds``); doubled per attempt, full jitter."""

RETRY_MAX_WAIT_SECONDS = 60.0
"""Longest single wait of a batch job (a provider's retry_after is honoured up to it)."""

JOB_TIMEOUT_SECONDS = 3600
"""RQ timeout of one batch job; generous because provider rate limits can slow it down."""

JOB_RETRIES = 3
"""How often RQ re-runs a batch job whose worker died or which raised; sends already
recorded are skipped on the re-run."""

JOB_RETRY_INTERVALS_SECONDS = (5, 30, 120)
"""Waits before those re-runs (a job cut off by a dead worker runs again at once)."""

JOB_RESULT_TTL_SECONDS = 600
"""How long RQ keeps a finished job's result (nobody reads it; the ledger has the truth)."""

JOB_FAILURE_TTL_SECONDS = 7 * 86400
"""How long RQ keeps a failed job, for an operator to look at."""

ENQUEUE_CHUNK = 100
"""Batch jobs queued per pipeline while planning."""

PLAN_BITMAP_CHUNK_BYTES = 65536
"""Bytes of a subscriber bitmap read per GETRANGE while planning: 524,288 members a read."""

FOLLOWUP_WAIT_SECONDS = 2
"""How often a follow-up checks whether the notice it follows has settled."""

RECOVER_AFTER_SECONDS = 30
"""A notice this old without a planning mark lost its planning job (the API died between
storing the notice and queueing the job); workers queue it again."""

RECOVER_WINDOW_SECONDS = 86400
"""How far back workers look for notices that lost their planning job."""

DELIVERY_RETENTION_DAYS = 90
"""Days a notice's delivery records (who got it, who failed) outlive its last send
(``worker.delivery_retention_days``); counters stay. Later updates reach only those left."""

# --- a batch at work ---------------------------------------------------------------------

RUN_TTL_SECONDS = 15
"""How long a batch run counts as alive without renewing (renewed every third of it)."""

BUSY_RECHECK_SECONDS = 1.0
"""How often a batch looks again at recipients another live run had on the wire."""

STATUS_CHECK_SECONDS = 0.5
"""How often a running batch looks whether its notice was resolved or expired meanwhile."""

BROADCAST_ATTEMPTS = 5
"""Tries per language of a broadcast-channel post before the job fails (RQ retries it)."""

RATE_LEAD_US = 50_000
"""How far ahead an idle limiter puts its first slot: time for a new connection to be set up
before the send is due, so it does not arrive late and bunch with the sends after it."""

RATE_HEADROOM = 0.96
"""Share of a configured rate the limiter hands out: slots 4% wider than 1/rate leave room
for network and scheduling jitter, so no one-second window at the provider exceeds the rate."""

# --- the worker process ------------------------------------------------------------------

HEARTBEAT_SECONDS = 5
"""How often a running job renews its lease in RQ's StartedJobRegistry."""

JOB_LEASE_SECONDS = 30
"""A running job's lease without a heartbeat: after a SIGKILL its batch runs again within
about this plus ``MAINTENANCE_SECONDS``; long enough that a Redis restart of up to ~25 s
does not make a running job look abandoned (and run twice at once)."""

MAINTENANCE_SECONDS = 10
"""How often an idle or between-jobs worker cleans RQ's registries, putting abandoned jobs
back on their queue (RQ's default is 10 minutes). One worker at a time does it (RQ's lock)."""

MAINTENANCE_LOCK_SECONDS = 60
"""How long the worker cleaning a queue's registries holds that queue's lock (RQ: 899 s).
It is released when done; it only expires if that worker died while cleaning."""

# --- providers ---------------------------------------------------------------------------

PROVIDER_RATE_PER_SECOND = 10.0
"""``rate_per_second`` of a provider whose own config sets no default."""

TELEGRAM_RATE_PER_SECOND = 30.0
"""A Telegram bot's default ``rate_per_second``: Telegram allows about 30/s for free; up to
``TELEGRAM_FREE_RATE_PER_SECOND`` without, ``TELEGRAM_PAID_RATE_PER_SECOND`` with the
tenant's ``allow_paid_broadcast``."""

EMAIL_RATE_PER_SECOND = 50.0
"""Default ``rate_per_second`` of an SMTP relay."""

OUTBOX_RATE_PER_SECOND = 1_000.0
"""Default ``rate_per_second`` of the outbox: a file takes what it is given."""

MAX_RATE_PER_SECOND = 10_000.0
"""Highest ``rate_per_second`` a channel may be configured with."""

OUTBOX_DIR = "outbox"
"""Folder of the outbox provider when its config names none (relative to the working dir)."""

TELEGRAM_CONNECTIONS = 16
"""HTTP connections of a batch to the Bot API; a batch sends about 8 messages at once."""

TELEGRAM_TIMEOUT_SECONDS = 10.0
"""How long the Bot API may take to read and answer one request."""

SMTP_CONNECTIONS = BATCH_CONCURRENCY
"""SMTP connections per batch; each carries many messages, one at a time. As many as a
batch has sends in flight: a send waiting for a connection is time lost."""

SMTP_TIMEOUT_SECONDS = 30.0
"""How long the relay may take to answer one SMTP command."""

SMS_CONNECTIONS = 16
"""HTTP connections of a batch to an SMS gateway."""

SMS_TIMEOUT_SECONDS = 10.0
"""How long a gateway may take to accept one message."""

HTTP_CONNECT_TIMEOUT_SECONDS = 5.0
"""How long connecting to a provider may take (at most the request timeout)."""

HTTP_POOL_TIMEOUT_SECONDS = 60.0
"""How long a send may wait for a free connection to a gateway: normal under load."""

# --- messages ----------------------------------------------------------------------------

SMS_MAX_SEGMENTS = 3
"""SMS parts a notice may need when the tenant's provider sets no ``max_segments``."""

SMS_TARGET_SEGMENTS = 2
"""Parts the body and service list may take an SMS up to; beyond, the compact text is sent."""

DISPLAY_TIMEZONE = "Europe/Berlin"
"""Times in messages are German time: the members are insured in Germany."""

DEFAULT_PHONE_REGION = "DE"
"""Numbers written without a country code are read as German ones."""

SMS_COUNTRIES = ("DE",)
"""Where members' SMS numbers may be (``tenants[].allowed_countries``): the insurer's own
country; a tenant names more if its members live abroad."""

CONSENT_EARLIEST_YEAR = 2000
"""A consent given before this year is a typo (``0026-11-01``), not a fact: refused."""

CLOCK_SKEW_SECONDS = 300
"""How far in the future a time from outside may lie (clocks differ) before it is refused."""

ERROR_EXCERPT_CHARACTERS = 64
"""Most characters of the input an error message repeats (a field name, a cell)."""

ERROR_DETAILS = 50
"""Most problems one error answer lists; past this it says how many more there were."""
