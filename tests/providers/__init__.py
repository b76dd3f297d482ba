"""Local stand-ins for the providers Lifeline talks to, for tests and benchmarks alike.

- ``botapi.BotApiServer``: the Telegram Bot API (HTTP, ``/bot<token>/<method>``)
- ``smsgateway.SmsGatewayServer``: a generic JSON SMS gateway, Twilio and seven.io (HTTP)
- ``smtp.SmtpServer``: an SMTP relay (aiosmtpd)

Each runs in a background thread on a free port, records what it received and what it
accepted (``calls`` / ``delivered``), and fails on demand (``fail_next``, ``failure_rate``,
per-address permanent failures). ``fixtures`` holds the pytest fixtures; each module also
runs standalone (``python -m tests.providers.botapi --port 8081``) for benchmarks.
"""
