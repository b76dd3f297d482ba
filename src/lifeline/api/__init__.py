"""The admin API (FastAPI): notices, members, FAQ and keys; ``lifeline api`` serves the
public side (``lifeline.web``) beside it. What both share is in ``lifeline.server``.

app.py      create_app(settings): the admin routers and the public ones
deps.py     the admin API's own dependencies: the key, its roles, its tenant
schemas.py  the JSON it answers
notices.py  /v1/notices        members.py  /v1/members
faq.py      /v1/faq            keys.py     /v1/keys
acknowledgements.py  /v1/notices/{id}/unacknowledged; acknowledgement and cascade counts
"""

from lifeline.api.app import create_app, create_app_from_env

__all__ = ["create_app", "create_app_from_env"]
