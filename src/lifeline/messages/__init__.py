"""What members read: a notice rendered for one channel and one language.

templates.py  the Jinja templates (built-in and a tenant's own), their context and filters
render.py     ``render``, ``preview``, ``check_sms_length``
"""

from lifeline.messages.render import check_sms_length, preview, render

__all__ = ["check_sms_length", "preview", "render"]
