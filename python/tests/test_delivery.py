"""A client's pump (engine/delivery.py) ends when cancelled, whenever the cancel comes.

The websocket here is a stand-in whose sends finish when the test says: what is tested is
the pump's own loop, not the socket's."""

from __future__ import annotations

import asyncio

from jupyterlab_pvw.engine.delivery import ClientPump


class HeldSocket:
    """Each send waits until the test releases it."""

    def __init__(self):
        self.sends: list[asyncio.Future] = []

    async def send_bytes(self, data: bytes) -> None:
        future = asyncio.get_running_loop().create_future()
        self.sends.append(future)
        await future


async def settle(rounds: int = 10) -> None:
    for _ in range(rounds):
        await asyncio.sleep(0)


def test_a_pump_cancelled_as_its_send_completes_ends():
    """Python 3.11's wait_for returns the send's result instead of the cancel when both come
    in the same loop turn; the pump must end anyway (else it waits forever, unreferenced once
    its client left, and asyncio reports it destroyed pending)."""
    asyncio.run(cancelled_as_the_send_completes())


async def cancelled_as_the_send_completes():
    socket = HeldSocket()
    pump = ClientPump("c1", socket)
    pump.offer("frames", b"x")
    await settle()
    assert len(socket.sends) == 1 and pump.running
    socket.sends[0].set_result(None)  # the send completes ...
    pump.cancel()  # ... and the client leaves, in the same turn
    await settle()
    assert not pump.running


def test_a_pump_cancelled_while_idle_or_sending_ends():
    asyncio.run(cancelled_while_idle_or_sending())


async def cancelled_while_idle_or_sending():
    for busy in (False, True):
        socket = HeldSocket()
        pump = ClientPump("c1", socket)
        if busy:
            pump.offer("frames", b"x")
        await settle()
        assert len(socket.sends) == int(busy) and pump.running
        pump.cancel()
        await settle()
        assert not pump.running
