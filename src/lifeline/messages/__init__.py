"""What members read: a notice rendered for one channel and one language.

templates.py  the Jinja templates (built-in and a tenant's own), their context and filters
render.py     ``render``, ``preview``, ``check_sms_length``
checks.py     ``check_templates``: every template rendered with samples at start
"""

from lifeline.messages.checks import check_templates
from lifeline.messages.render import check_sms_length, preview, render
from lifeline.messages.templates import TemplateFailure

__all__ = ["TemplateFailure", "check_sms_length", "check_templates", "preview", "render"]
