"""Local stand-ins for SMS gateways, over real HTTP: a generic JSON one, Twilio and seven.io.

One server answers all three APIs:

- ``POST /send`` JSON ``{"to", "from", "text"}`` with ``Authorization: Bearer <token>``;
  200 ``{"id": ...}`` (or ``{"message_id": ...}`` when ``id_field = "message_id"``).
- ``POST /2010-04-01/Accounts/<sid>/Messages.json``, form ``To``, ``From`` or
  ``MessagingServiceSid``, ``Body``, basic auth ``<sid>:<auth_token>``; 201 with a ``sid``.
  Errors carry Twilio's ``{"code", "message", "more_info", "status"}``.
- ``POST /api/sms`` JSON ``{"to", "from", "text"}`` with ``X-Api-Key``; 200 with
  ``"success": "100"`` (seven.io's return codes; ``"202"`` for an invalid number).

    with SmsGatewayServer() as gw:                       # or the ``sms_gateway`` fixture
        gw.fail_next(1, "429")                           # 429 + Retry-After: gw.retry_after
        gw.invalid_numbers.add("+4915100000000")         # refused for good, every time
        gw.down = True                                   # 503 to every send until False
        gw.delivered                                     # [Sms, ...] accepted only

Fault kinds: ``429``, ``500``, ``invalid_number``, ``slow`` (stalls, then 500).
Run in its own process: ``python -m tests.providers.smsgateway --port 8082``.
"""

from __future__ import annotations

import argparse
import base64
import re
import secrets
from dataclasses import dataclass
from typing import Any, Protocol

from tests.providers._http import Reply, StandInServer

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
TWILIO_PATH = re.compile(r"^/2010-04-01/Accounts/([^/]+)/Messages\.json$")


@dataclass(frozen=True, slots=True)
class Sms:
    """A message a gateway accepted."""

    api: str
    """``http``, ``twilio`` or ``seven``."""
    to: str
    sender: str
    text: str
    provider_id: str


class SmsGatewayServer(StandInServer):
    """The generic gateway, Twilio's Messages endpoint and seven.io's, with faults."""

    faultable = frozenset({"http", "twilio", "seven"})
    random_faults: tuple[str, ...] = ("429", "500")

    def __init__(
        self,
        *,
        token: str = "gateway-token",
        account_sid: str = "AC" + "0123456789abcdef" * 2,
        auth_token: str = "twilio-auth-token",
        api_key: str = "seven-api-key",
        **kwargs: Any,
    ) -> None:
        self.token = token
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.api_key = api_key
        super().__init__(**kwargs)

    def _reset_state(self) -> None:
        super()._reset_state()
        self.retry_after = 2
        """Seconds a 429 asks for in its Retry-After header."""
        self.id_field = "id"
        """Key of the message id in the generic gateway's answer (``id`` or ``message_id``)."""
        self.invalid_numbers: set[str] = set()
        """Numbers refused as invalid on every send."""
        self.unsubscribed_numbers: set[str] = set()
        """Numbers that opted out (Twilio 21610; 403 on the generic gateway)."""
        self.down = False
        """While True, every send (of all three APIs) is answered 503: a gateway that is
        down behind its load balancer. Set it back to False and it recovers."""

    @property
    def delivered(self) -> list[Sms]:
        """Messages accepted, in order; failed calls never appear here."""
        return list(self._delivered_copy())

    @property
    def send_url(self) -> str:
        """The generic gateway's endpoint (``url`` of an ``http`` SMS provider)."""
        return f"{self.url}/send"

    def route_of(self, path: str) -> str:
        path = path.split("?", 1)[0]
        if TWILIO_PATH.match(path):
            return "twilio"
        return {"/send": "http", "/api/sms": "seven"}.get(path, path)

    def handle(
        self, route: str, path: str, params: dict[str, Any], headers: dict[str, str]
    ) -> Reply:
        apis: dict[str, _Api] = {"http": _Generic, "twilio": _Twilio, "seven": _Seven}
        api = apis.get(route)
        if api is None:
            return Reply(404, {"error": "not found"})
        if self.down:
            return Reply(503, {"error": {"code": "unavailable", "message": "Service Unavailable"}})
        if not api.authorised(self, path, headers):
            return api.refuse(401, "unauthorized", "invalid credentials")
        fault = self._next_fault(route)
        if fault == "slow":
            self._stall()
            fault = "500"
        to = str(params.get(api.to_key, ""))
        if fault == "invalid_number" or to in self.invalid_numbers or not E164.match(to):
            return api.refuse(api.invalid_status, "invalid_number", f"invalid 'To' number {to}")
        if to in self.unsubscribed_numbers:
            return api.refuse(403, "unsubscribed", "recipient has opted out")
        if fault == "429":
            reply = api.refuse(429, "rate_limited", "Too Many Requests")
            return Reply(429, reply.body, {"Retry-After": str(self.retry_after)})
        if fault is not None:
            return api.refuse(500, "server_error", "Internal Server Error")
        return api.accept(self, params)


class _Api(Protocol):
    """What ``handle`` needs of one API: the classes below, used as objects, not instances."""

    to_key: str
    invalid_status: int

    def authorised(self, gw: SmsGatewayServer, path: str, headers: dict[str, str]) -> bool: ...

    def refuse(self, status: int, code: str, message: str) -> Reply: ...

    def accept(self, gw: SmsGatewayServer, params: dict[str, Any]) -> Reply: ...


class _Generic:
    to_key = "to"
    invalid_status = 422

    @staticmethod
    def authorised(gw: SmsGatewayServer, path: str, headers: dict[str, str]) -> bool:
        return headers.get("authorization") == f"Bearer {gw.token}"

    @staticmethod
    def refuse(status: int, code: str, message: str) -> Reply:
        return Reply(status, {"error": {"code": code, "message": message}})

    @staticmethod
    def accept(gw: SmsGatewayServer, params: dict[str, Any]) -> Reply:
        missing = [k for k in ("to", "from", "text") if not params.get(k)]
        if missing:
            return _Generic.refuse(400, "bad_request", f"missing field {missing[0]!r}")
        provider_id = f"msg-{secrets.token_hex(6)}"
        gw._record_delivery(Sms("http", params["to"], params["from"], params["text"], provider_id))
        return Reply(200, {gw.id_field: provider_id, "status": "accepted"})


_TWILIO_CODES = {
    "unauthorized": (20003, "Authenticate"),
    "invalid_number": (21211, "Invalid 'To' Phone Number"),
    "unsubscribed": (21610, "Attempt to send to unsubscribed recipient"),
    "rate_limited": (20429, "Too Many Requests"),
    "server_error": (20500, "Internal Server Error"),
    "missing": (21603, "A 'From' phone number is required."),
}


class _Twilio:
    to_key = "To"
    invalid_status = 400

    @staticmethod
    def authorised(gw: SmsGatewayServer, path: str, headers: dict[str, str]) -> bool:
        match = TWILIO_PATH.match(path.split("?", 1)[0])
        basic = base64.b64encode(f"{gw.account_sid}:{gw.auth_token}".encode()).decode()
        return (
            bool(match and match.group(1) == gw.account_sid)
            and headers.get("authorization") == f"Basic {basic}"
        )

    @staticmethod
    def refuse(status: int, code: str, message: str) -> Reply:
        number, text = _TWILIO_CODES[code]
        status = 400 if code == "unsubscribed" else status  # Twilio answers 21610 with a 400
        more_info = f"https://www.twilio.com/docs/errors/{number}"
        return Reply(
            status, {"code": number, "message": text, "more_info": more_info, "status": status}
        )

    @staticmethod
    def accept(gw: SmsGatewayServer, params: dict[str, Any]) -> Reply:
        sender = params.get("From") or params.get("MessagingServiceSid")
        if not sender or not params.get("Body"):
            return _Twilio.refuse(400, "missing", "")
        sid = "SM" + secrets.token_hex(16)
        gw._record_delivery(Sms("twilio", params["To"], sender, params["Body"], sid))
        body = {
            "sid": sid,
            "account_sid": gw.account_sid,
            "to": params["To"],
            "from": params.get("From"),
            "messaging_service_sid": params.get("MessagingServiceSid"),
            "body": params["Body"],
            "status": "queued",
            "num_segments": "1",
            "api_version": "2010-04-01",
        }
        return Reply(201, body)


class _Seven:
    to_key = "to"
    invalid_status = 200  # seven.io answers most failures with 200 and a code in "success"

    @staticmethod
    def authorised(gw: SmsGatewayServer, path: str, headers: dict[str, str]) -> bool:
        return headers.get("x-api-key") == gw.api_key

    @staticmethod
    def refuse(status: int, code: str, message: str) -> Reply:
        if status in (429, 500):
            return Reply(status, {"success": "700", "error": message})
        seven_code = {"unauthorized": "900", "invalid_number": "202"}.get(code, "101")
        failed = {"success": False, "error": seven_code, "error_text": message}
        return Reply(200, {"success": seven_code, "messages": [failed]})

    @staticmethod
    def accept(gw: SmsGatewayServer, params: dict[str, Any]) -> Reply:
        provider_id = str(77_000_000 + secrets.randbelow(1_000_000))
        sms = Sms("seven", params["to"], params.get("from", ""), params["text"], provider_id)
        gw._record_delivery(sms)
        message = {"id": provider_id, "recipient": params["to"], "success": True, "parts": 1}
        return Reply(200, {"success": "100", "total_price": 0.075, "messages": [message]})


def main(argv: list[str] | None = None) -> None:
    """Serve until interrupted: ``python -m tests.providers.smsgateway --port 8082``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8082)
    parser.add_argument("--token", default="gateway-token")
    parser.add_argument("--failure-rate", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    gw = SmsGatewayServer(token=args.token, host=args.host, port=args.port, seed=args.seed)
    gw.start()
    gw.failure_rate = args.failure_rate
    print(f"SMS gateway stand-in on {gw.url} (/send, Twilio, /api/sms)", flush=True)
    gw.serve_forever()


if __name__ == "__main__":
    main()
