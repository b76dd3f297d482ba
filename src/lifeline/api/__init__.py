"""The admin API (FastAPI): notices, members, FAQ, health, and the Telegram webhooks.

app.py      create_app(settings): state, error handlers, body cap, routers
deps.py     what routes need, as Annotated dependencies (settings, Redis, key, tenant)
errors.py   domain errors → HTTP, in one place
limits.py   the request body cap (pure ASGI)
notices.py  /v1/notices        members.py  /v1/members        health.py  /healthz /readyz
faq.py      /v1/faq            telegram.py /telegram/{tenant}/webhook
"""

from lifeline.api.app import create_app, create_app_from_env

__all__ = ["create_app", "create_app_from_env"]
