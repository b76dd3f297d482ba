"""The lane transport against a real local HTTP/1.1 server that notes which connection
carried each request and how many were being answered at once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest

from lifeline.channels import lanes, wire


@dataclass
class Server:
    """Answers every request after ``delay`` seconds; drops the connection on /drop."""

    delay: float = 0.02
    url: str = ""
    peers: list[int] = field(default_factory=list)
    arrived: list[float] = field(default_factory=list)
    """``time.monotonic()`` when each request's head had come in."""
    in_flight: int = 0
    most_in_flight: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        port = writer.get_extra_info("peername")[1]
        try:
            while request := await reader.readuntil(b"\r\n\r\n"):
                self.peers.append(port)
                self.arrived.append(time.monotonic())
                if request.startswith(b"GET /drop"):
                    return
                self.in_flight += 1
                self.most_in_flight = max(self.most_in_flight, self.in_flight)
                await asyncio.sleep(self.delay)
                self.in_flight -= 1
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    state = Server()
    listener = await asyncio.start_server(state.handle, "127.0.0.1", 0)
    state.url = f"http://127.0.0.1:{listener.sockets[0].getsockname()[1]}"
    async with listener:
        yield state


def client(size: int, pool_timeout: float = 5.0) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=wire.paced_transport(size), timeout=httpx.Timeout(5.0, pool=pool_timeout)
    )


async def test_at_most_size_requests_at_once_on_at_most_size_connections(server: Server) -> None:
    async with client(3) as http:
        responses = await asyncio.gather(*(http.get(f"{server.url}/{n}") for n in range(12)))
    assert [r.text for r in responses] == ["ok"] * 12
    assert server.most_in_flight == 3
    assert len(set(server.peers)) == 3  # each lane kept its connection


async def test_sequential_requests_reuse_the_warmest_connection(server: Server) -> None:
    async with client(4) as http:
        for n in range(5):
            (await http.get(f"{server.url}/{n}")).raise_for_status()
    assert len(set(server.peers)) == 1


async def test_a_dropped_connection_gives_its_lane_back(server: Server) -> None:
    async with client(1) as http:
        with pytest.raises(httpx.TransportError):
            await http.get(f"{server.url}/drop")
        assert (await http.get(f"{server.url}/after")).text == "ok"


async def test_waiting_past_the_pool_timeout_is_a_pool_timeout(server: Server) -> None:
    server.delay = 0.5
    async with client(1, pool_timeout=0.05) as http:
        first = asyncio.create_task(http.get(f"{server.url}/slow"))
        await asyncio.sleep(0.05)
        with pytest.raises(httpx.PoolTimeout):
            await http.get(f"{server.url}/waits")
        assert (await first).text == "ok"


async def test_a_streamed_response_holds_its_lane_until_closed(server: Server) -> None:
    async with client(1, pool_timeout=0.05) as http:
        async with http.stream("GET", f"{server.url}/streamed") as response:
            with pytest.raises(httpx.PoolTimeout):
                await http.get(f"{server.url}/meanwhile")
            await response.aread()
        assert (await http.get(f"{server.url}/then")).text == "ok"


def test_a_transport_needs_a_lane() -> None:
    with pytest.raises(ValueError, match="at least one lane"):
        lanes.LaneTransport(0, httpx.AsyncHTTPTransport)


async def test_a_paced_request_leaves_at_its_deadline_and_then_runs_untraced(
    server: Server,
) -> None:
    """The first request connects before it waits; the second reuses the connection. Each
    arrives no earlier than its deadline, and its trace hook took itself out once used."""
    server.delay = 0.0
    async with client(1) as http:
        for n in range(2):
            at = time.monotonic() + 0.15
            with wire.deadline(at):
                response = await http.get(f"{server.url}/{n}")
            assert server.arrived[-1] >= at
            assert "trace" not in response.request.extensions
    assert len(set(server.peers)) == 1
