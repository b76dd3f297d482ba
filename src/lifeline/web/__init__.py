"""The public side (FastAPI): what members open in a browser, and the providers' webhooks.

app.py       create_web_app(settings): ``lifeline web``, without the admin API
routes.py    ROUTERS, mounted by both ``lifeline web`` and ``lifeline api``
telegram.py  POST /telegram/{tenant}/webhook
acks.py      GET|POST /t/{tenant}/ack/{notice}/{token}: acknowledging from an email
receipts.py  POST /receipts/{tenant}/sms|email: delivery reports and bounces
"""

from lifeline.web.app import create_web_app, create_web_app_from_env
from lifeline.web.routes import ROUTERS

__all__ = ["ROUTERS", "create_web_app", "create_web_app_from_env"]
