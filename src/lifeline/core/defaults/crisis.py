"""Tunables of control in a crisis: approval, acknowledgements, receipts, failover, cascade."""

from __future__ import annotations

# --- four-eyes approval ------------------------------------------------------------------

APPROVAL_EXPIRY_MINUTES = 30
"""How long a notice waits for its second approval (``approval.expiry_minutes``): in a
crisis a notice nobody approved within half an hour is out of date."""

# --- provider failover (a channel with several providers) ------------------------------------
# A breaker per provider, kept in Redis so that every worker sees the same state. Each value
# can be set per provider in the config (``breaker = { ... }`` on the provider's table).

BREAKER_WINDOW_SECONDS = 60
"""How far back a breaker counts a provider's answers: long enough that a few failures in a
quiet minute do not count as a share, short enough that an outage shows within a minute."""

BREAKER_MIN_ATTEMPTS = 20
"""Sends within the window before the error share can open the breaker: with fewer, one or
two unlucky answers would make a large share."""

BREAKER_ERROR_SHARE = 0.5
"""Share of transient failures (5xx, timeouts, dropped connections) among a window's sends
that opens the breaker. GOV.UK Notify switches SMS providers on failures or slowness; half
failing is far past a provider's ordinary noise (a few percent) and well before all."""

BREAKER_FAILURE_STREAK = 5
"""Transient failures in a row that open the breaker at once, before the window has enough
sends for a share: a gateway that answers 503 to everything is left after five, not
twenty, sends."""

BREAKER_COOLDOWN_SECONDS = 30.0
"""How long an open breaker sends nothing through its provider before one probe send is
let through (half-open): a provider restart or a load balancer's failover takes about that."""

BREAKER_PROBE_SECONDS = 30.0
"""How long a half-open probe may take before another send may probe instead: longer than
any provider's request timeout (SMS 10 s, SMTP 30 s), so two probes never overlap."""

BREAKER_BUCKETS = 6
"""Slices the window is counted in (60 s → six of 10 s): old answers leave the window a
slice at a time, with a fixed number of counters per provider."""

MAX_CHANNEL_PROVIDERS = 4
"""Providers one channel may list: a first, a second, and room for a third and fourth; more
would only be tried after minutes of every other failing."""

# --- acknowledgements and the channel cascade ------------------------------------------

ACK_REPLY_LOOKBACK = 20
"""An SMS "OK" acknowledges the newest active notice the member was sent by SMS among the
tenant's newest this many notices: bounded work per reply, and an older notice than that
is no longer what a member answers."""

ACK_PAGE_LIMIT = 100
"""Default page size of ``/v1/notices/{id}/unacknowledged``."""

ACK_PAGE_MAX = 1000
"""Largest page of ``/v1/notices/{id}/unacknowledged`` a caller may ask for."""

ACK_SCAN_ROUNDS = 20
"""HSCAN calls one page of ``/unacknowledged`` makes at most, so that a ledger where nearly
everyone acknowledged still answers quickly (the page is then short, with a cursor)."""

CASCADE_AFTER_SECONDS = 900
"""How long a member has to acknowledge a notice on one channel before it goes out on their
next one (``[tenants.cascade] after_seconds``, or a notice's ``cascade``): 15 minutes, the
issue's example of Telegram → SMS."""

CASCADE_MAX_SECONDS = 7 * 86400
"""Longest ``after_seconds`` accepted: a notice older than a week is past cascading."""

CASCADE_ORDER = ("telegram", "sms", "email")
"""The default order of channels a cascade walks (the tenant's offered ones among them):
the app first, then the phone everyone has, then the mailbox that is read last."""

CASCADE_RECHECK_SECONDS = 15
"""How often a cascade step looks again whether its channel's delivery has finished (its
``after_seconds`` count from then, so a member sent last still gets all of them)."""

# --- delivery receipts -------------------------------------------------------------------

RECEIPT_MAX_BYTES = 16384
"""Largest delivery-report or bounce webhook body read: one event per request, and a relay's
event carries the bounce's headers and diagnostic text (Mailgun's run to a few KiB)."""

RECEIPT_MAX_FIELD_CHARS = 1000
"""Longest message id, status or reason a receipt may carry (a bounce's diagnostic text is
a line or two; the reason stored is cut to 300 characters)."""

# --- Telegram paid broadcasts ------------------------------------------------------------

TELEGRAM_FREE_RATE_PER_SECOND = 30.0
"""Highest Telegram ``rate_per_second`` without ``allow_paid_broadcast``: the Bot FAQ's
"about 30 messages per second" for messages to many users; past it Telegram answers 429."""

TELEGRAM_PAID_RATE_PER_SECOND = 1_000.0
"""Highest Telegram ``rate_per_second`` with ``allow_paid_broadcast = true``: the Bot API's
"up to 1000 messages per second" (``sendMessage``'s ``allow_paid_broadcast``, Bot API 7.11)."""

TELEGRAM_PAID_STARS_PER_MESSAGE = 0.1
"""What Telegram withdraws from the bot's Stars balance per message sent above the free
limit with ``allow_paid_broadcast`` (Bot API: "a fee of 0.1 Telegram Stars per message")."""

# --- email composed once per message (issue 14) -------------------------------------------

SMTP_TEMPLATES_KEPT = 16
"""Rendered messages an email channel keeps serialised (``channels.mime.MailTemplates``):
a batch sends one notice in two languages, a worker's channel that outlives its batch a
few more; the oldest goes first, so memory stays bounded however long a channel lives."""

# --- the batch hot path (issue 14) -----------------------------------------------------------

CLAIMS_PER_STEP = 8
"""Recipients a batch lane claims in one ledger call (and records in the next), at most the
batch's concurrency: the batch runs ⌈concurrency / this⌉ lanes of this many sends each, so
no more than ``concurrency`` recipients are ever claimed and unrecorded (the duplicate bound
after a worker dies), and a delivery costs about 1/this of a script call instead of one.
As many as the default concurrency: a script call costs a worker about as much CPU as
four SMTP commands, and a lane waiting for its slowest send costs nothing measurable (raw
senders in groups of 1, 4 and 8 behind a barrier ran within the run-to-run spread)."""

SLOT_EARLY_SECONDS = 0.001
"""How early a send may leave before its rate-limit slot on channels whose slots lie closer
together than this (over 1,000 a second): the lane's slots from one call are then taken at
once instead of each after its own sub-millisecond sleep. Any second at the provider gains
at most ``rate / 1000`` arrivals (0.1 %), well inside ``RATE_HEADROOM``; slower channels
wait for every slot exactly."""

CLAIMS_SPAN_SECONDS = 0.01
"""Longest stretch of rate-limit slots one lane claims in one call; below it, a lane claims
fewer (one at 100 messages a second or less). Slow channels gain nothing from fewer round
trips, and consecutive slots held by one worker would all go out late together when that
worker stalls, bunching with other workers' sends at the provider."""

WORKER_IDLE_CLOSE_SECONDS = 30
"""How long a worker keeps its provider connections and its asyncio Redis client open
without a batch job using them (``delivery.kept``): long enough for the batch jobs of one
notice, which follow each other within milliseconds, well short of the five minutes after
which SMTP relays commonly drop an idle session."""
