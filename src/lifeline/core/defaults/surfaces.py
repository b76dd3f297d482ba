"""Tunables of the surfaces: the admin API, FAQ, the member bot, lifeline dev, public pages."""

from __future__ import annotations

# --- the admin API -----------------------------------------------------------------------

API_MAX_BODY_BYTES = 1_048_576
"""Largest request body the admin API reads, except member imports (``api.max_body_bytes``)."""

IMPORT_MAX_BODY_BYTES = 64 * 1_048_576
"""Largest member import body (``api.import_max_body_bytes``): 100,000 rows of a few
hundred bytes each."""

IMPORT_MAX_ROWS = 100_000
"""Rows accepted in one member import call."""

IMPORT_MAX_REPORTED_ERRORS = 1000
"""Row errors listed in an import report; past this only the ``failed`` count grows."""

IMPORT_WRITE_CHUNK = 1000
"""Import rows written per pipeline."""

IMPORT_LOOKUP_CHUNK = 5000
"""Contacts looked up per pipeline when an import matches rows to members."""

IDEMPOTENCY_TTL_SECONDS = 24 * 3600
"""How long an Idempotency-Key is remembered, as with Stripe."""

RETRY_AFTER_SECONDS = 5
"""What a 503 asks the caller to wait: Redis restarts and failovers take seconds."""

NOTICE_LIST_LIMIT = 50
"""Notices listed when the caller names no limit."""

KEY_USE_RESOLUTION_SECONDS = 60
"""An API key's last use is written at most this often: a lookup stays one read mostly."""

AUTH_FAILURES_PER_WINDOW = 20
"""Failed authentications one client address may make per window before it gets 429."""

AUTH_FAILURE_WINDOW_SECONDS = 60
"""The window of that count; the 429's Retry-After is what is left of it."""

WEBHOOK_SECRET_MIN_LENGTH = 32
"""Shortest ``webhook_secret`` the config takes: it is all that authenticates an update."""

# --- FAQ ---------------------------------------------------------------------------------

FAQ_MAX_QUESTION = 300
"""Characters of a question: it labels a button."""

FAQ_MAX_ANSWER = 3000
"""Characters of an answer: with the question it must fit one Telegram message (4096)."""

FAQ_MAX_KEYWORDS = 30
"""Keywords per entry."""

FAQ_MAX_KEYWORD = 60
"""Characters of one keyword."""

FAQ_MIN_SCORE = 70.0
"""Lowest search score (0–100) that counts as a match."""

FAQ_CLOSE_TO_BEST = 12.0
"""Results scoring within this many points of the best one are shown with it."""

FAQ_MAX_RESULTS = 3
"""Answers shown for one search."""

FAQ_SHORT_KEYWORD = 4
"""Keywords shorter than this (e.g. "AU") must match a whole word, never fuzzily."""

FAQ_FUZZY_KEYWORD_SCORE = 85
"""Similarity (0–100) from which a long keyword counts as typed with a typo."""

# --- the member bot ----------------------------------------------------------------------

BOT_POLL_TIMEOUT_SECONDS = 30
"""Long-polling wait of one getUpdates call: Telegram answers at once when updates arrive."""

BOT_RELAY_TTL_SECONDS = 30 * 24 * 3600
"""How long staff can answer a relayed question: questions older than a month are closed."""

BOT_CONFIRM_TTL_SECONDS = 15 * 60
"""How long a /delete confirmation button stays valid."""

BOT_CHAT_LANGUAGE_TTL_SECONDS = 90 * 24 * 3600
"""How long a non-member's language choice is kept (a member's lives on the member)."""

BOT_QUESTION_WINDOW_SECONDS = 10 * 60
"""Window of the per-chat question budget."""

BOT_QUESTIONS_PER_WINDOW = 5
"""Questions one chat may relay per window. Telegram lets a bot post about 20 messages a
minute into one group, so one chat must not be able to fill the staff group."""

BOT_MAX_RELAYED = 3500
"""Characters of a question passed on to staff: a message's worth, with room for a header."""

BOT_STATUS_MAX_NOTICES = 5
"""Active notices /status shows; an outage rarely has more, and older ones are updates."""

BOT_FAQ_BUTTONS = 40
"""FAQ questions offered as buttons; beyond, members search with /faq WORDS."""

BOT_BUTTON_TEXT = 60
"""Characters of a button label (Telegram cuts long ones anyway, less readably)."""

# --- lifeline dev ------------------------------------------------------------------------

DEV_REDIS_PORT = 6390
"""Port of dev's embedded Redis when free (a free one otherwise): beside, not on, 6379."""

DEV_READY_SECONDS = 30
"""How long dev waits for its API to answer /readyz."""

DEV_SAMPLE_SECONDS = 120
"""How long dev waits for the sample notice to be delivered."""

DEV_STOP_SECONDS = 15
"""How long dev gives each of its processes to stop after SIGTERM before killing it."""

# --- public pages (web) ----------------------------------------------------------------------

STATUS_HISTORY_DAYS = 30
"""How far back the status page lists past notices (as Statuspage's incident history)."""

STATUS_MAX_NOTICES = 100
"""Notices the status page and the feed read at most: a page must stay small on a bad link."""

SIGNUPS_PER_HOUR = 10
"""Sign-ups one client address may start per hour (``web.signups_per_hour``); more get 429."""

SIGNUP_ADDRESS_WINDOW_SECONDS = 600
"""A second sign-up of the same address within this window sends no second mail or SMS."""

SIGNUP_EXPIRY_SECONDS = 48 * 3600
"""An unconfirmed sign-up is deleted after this long (48 h, as GOV.UK Notify's links)."""

SIGNUP_CODE_ATTEMPTS = 5
"""Wrong SMS codes a sign-up survives; then it is deleted and must be started again."""

WEB_MAX_FORM_BYTES = 4096
"""Largest form post the public pages read: an address, a language and a few topics."""

LINK_MAC_BYTES = 16
"""Bytes of HMAC-SHA256 in a signed link (128 bits: unguessable, and the URL stays short)."""

SIGNUP_CODE_DIGITS = 6
"""Digits of the code an SMS sign-up is confirmed with."""

CONSENT_HISTORY_MAX = 200
"""Consent events kept per member (oldest dropped first): a bound on what a loop can add."""

SMS_INBOUND_MAX_BYTES = 8192
"""Largest inbound-SMS webhook body read: a gateway posts one short message per request."""

EXPORT_MAX_NOTICES = 1000
"""Notices a member's data export (``/v1/members/{id}/export``) looks for deliveries in."""

AUDIT_RETENTION_DAYS = 400
"""Days the audit log keeps an admin action (``api.audit_retention_days``): over a year."""

AUDIT_PAGE_SIZE = 100
"""Entries one ``GET /v1/audit`` page holds at most."""
