"""Ready scenarios: a tenant's library of prepared notices, each in German and English.

In a crisis nobody should write the first notice from scratch: ``POST /v1/notices`` with
``{"scenario": "eau-down"}`` sends one in a single call, and any field given beside it
replaces the scenario's. A scenario approved in advance by a second person lets notices
made from it skip the tenant's four-eyes approval where the policy allows it
(``approval.approved_scenarios``).

model.py     ``Scenario`` as stored, and who approved it
schemas.py   the JSON of ``PUT /v1/scenarios/{key}``
store.py     ``ScenarioStore``: one hash per tenant, seeded with the starter set
starter.toml the starter set: the failures seen when an insurer's IT provider is attacked
compose.py   a posted notice made from a scenario and the fields that override it
"""

from lifeline.scenarios.compose import compose
from lifeline.scenarios.model import Scenario
from lifeline.scenarios.schemas import ScenarioIn
from lifeline.scenarios.store import ScenarioStore

__all__ = ["Scenario", "ScenarioIn", "ScenarioStore", "compose"]
