"""A posted notice that names a scenario: the scenario's fields, with those given beside it."""

from __future__ import annotations

from pydantic import ValidationError

from lifeline.core.errors import InvalidInput
from lifeline.notices.schemas import NoticeIn
from lifeline.scenarios.model import Scenario


def compose(scenario: Scenario, posted: NoticeIn) -> NoticeIn:
    """The notice to send: ``scenario``'s fields, each replaced by the posted one if the
    request gave it (``{"scenario": "eau-down", "expires_at": …}``).

    InvalidInput naming the field when the mix does not make a notice (e.g. a body in a
    language the scenario has no headline in).
    """
    given = posted.model_dump(mode="json", include=posted.model_fields_set)
    try:
        return NoticeIn.model_validate({**scenario.notice_fields(), **given})
    except ValidationError as exc:
        error = exc.errors()[0]
        # The one check of the whole notice is the body's languages against the headline's.
        where = ".".join(str(part) for part in error["loc"]) or "body"
        why = error["msg"].removeprefix("Value error, ")
        raise InvalidInput(
            f"scenario {scenario.key!r} with the given fields: {why}", field=where
        ) from None
