"""What Lifeline's HTTP apps share: the admin API (``lifeline.api``) and the public pages and
webhooks (``lifeline.web``) are both built by ``build_app``.

state.py    build_app: Redis clients, stores and webhook bots on ``app.state``, the routers
deps.py     settings, Redis, the plan queue and the stores as ``Annotated`` dependencies
errors.py   domain errors → HTTP, in one place, in one JSON shape
limits.py   the request body cap (pure ASGI)
html.py     the headers of every page, and errors on page paths as pages
health.py   /healthz and /readyz
"""

from lifeline.server.state import build_app

__all__ = ["build_app"]
