"""Hostile and careless viewers against a real 2-rank engine: nobody can stop it, no input
kills its render service, a viewer that leaves mid-drag does not leave the drag on, and
what one client can make rank 0 allocate is bounded."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import numpy as np
import pytest
from conftest import Viewer, jpeg_pixels
from wslink.chunking import generate_chunks

from jupyterlab_pvw.wslink_client import WslinkClient, WslinkError, encode

pytestmark = pytest.mark.timeout(300)


def fresh_frame(viewer) -> dict:
    count = len(viewer.frames)
    viewer.call("viewport.image.push.invalidate.cache", ["-1"])
    return viewer.frame_after(count, still=False)


@pytest.mark.parametrize(
    ("method", "args"), [("application.exit", []), ("application.exit.later", [0])]
)
def test_viewers_cannot_stop_the_engine(viewer, method, args):
    with pytest.raises(WslinkError, match="owner"):
        viewer.call(method, args)
    time.sleep(1.0)  # exit.later [0] would have stopped the server by now
    assert fresh_frame(viewer)["image"][:2] == b"\xff\xd8"


def test_error_replies_carry_the_message_not_a_traceback(viewer):
    with pytest.raises(WslinkError) as err:
        viewer.call("pvw.activate", [42])
    assert "dataset name" in str(err.value)
    assert isinstance(err.value.data, dict) and "trace" not in err.value.data


def _drag(viewer, start, end, **buttons):
    event = {"view": "-1", **buttons}
    viewer.call("viewport.mouse.interaction", [{**event, "action": "down", **start}])
    viewer.call("viewport.mouse.interaction", [{**event, "action": "move", **end}])
    viewer.call("viewport.mouse.interaction", [{**event, "action": "up", **end}])


def test_extreme_input_never_kills_the_service_or_the_camera(sim, viewer):
    still = lambda frame: frame["still"]  # noqa: E731
    home = jpeg_pixels(
        viewer.after(lambda: viewer.call("viewport.camera.reset", ["-1"]), still)["image"]
    )
    # A right-button zoom with a huge vertical move overflowed 1.1 ** (20 * dy) and killed
    # rank 0's render service, hanging rank 1 for good; a huge pan left the camera infinite.
    _drag(viewer, {"x": 0.5, "y": 0.0}, {"x": 0.5, "y": 1000.0}, buttonRight=1)
    _drag(viewer, {"x": 0.0, "y": 0.0}, {"x": 1e308, "y": -1e308}, buttonLeft=1, shiftKey=1)
    viewer.call("viewport.mouse.zoom.wheel", [{"type": "MouseWheel", "spinY": 1e308}])
    frame = fresh_frame(viewer)
    assert frame["image"][:2] == b"\xff\xd8"
    # The simulation still steps in lockstep (a dead service would hang this call).
    since = len(viewer.frames)
    out = sim.command("next 0.0", timeout=60)
    assert out and out[0].startswith("NEXT"), out
    viewer.settle(since, lambda frame: frame["timestep"] >= 1 and frame["still"])
    reset = viewer.after(lambda: viewer.call("viewport.camera.reset", ["-1"]), still)
    assert np.abs(jpeg_pixels(reset["image"]) - home).mean() < 1.5


def test_a_viewer_leaving_mid_drag_ends_its_drag(sim, viewer):
    async def drag_and_vanish():
        client = WslinkClient(sim.info["url"], sim.info["secret"])
        await client.connect()
        event = {"view": "-1", "buttonLeft": 1}
        await client.call(
            "viewport.mouse.interaction", [{**event, "action": "down", "x": 0.5, "y": 0.5}]
        )
        await client.call(
            "viewport.mouse.interaction", [{**event, "action": "move", "x": 0.6, "y": 0.5}]
        )
        await client.close()  # no "up"

    viewer.run(drag_and_vanish())
    # Without the fix every later frame, for everyone, stayed interactive quality: no still
    # would ever come (an interactive frame of that drag may still be on its way).
    count = len(viewer.frames)
    viewer.call("viewport.image.push.invalidate.cache", ["-1"])
    assert viewer.frame_after(count, still=True, timeout=30)["still"]


async def _raw_socket(url):
    session = aiohttp.ClientSession()
    ws = await session.ws_connect(url, max_msg_size=0)
    return session, ws


async def _closed_within(ws, seconds: float) -> bool:
    try:
        while True:
            msg = await asyncio.wait_for(ws.receive(), seconds)
            if msg.type in (
                aiohttp.WSMsgType.CLOSE,
                aiohttp.WSMsgType.CLOSED,
                aiohttp.WSMsgType.ERROR,
            ):
                return True
    except asyncio.TimeoutError:
        return ws.closed


def test_a_claimed_huge_message_closes_only_that_client(sim, viewer):
    async def claim_huge():
        session, ws = await _raw_socket(sim.info["url"])
        try:
            hello = {
                "wslink": "1.0",
                "id": "system:c0:1",
                "method": "wslink.hello",
                "args": [{"secret": sim.info["secret"]}],
            }
            await ws.send_bytes(encode(hello))
            await ws.receive()  # the hello's answer
            # 12-byte header claiming a 2 GB message, then one byte: wslink would allocate it.
            await ws.send_bytes(
                (7).to_bytes(4, "little")
                + (0).to_bytes(4, "little")
                + (2**31).to_bytes(4, "little")
                + b"\x00"
            )
            return await _closed_within(ws, 10)
        finally:
            await session.close()

    assert viewer.run(claim_huge()), "a client claiming a 2 GB message must be disconnected"
    assert fresh_frame(viewer)["image"][:2] == b"\xff\xd8"


def test_many_partial_messages_before_hello_close_that_client(sim, viewer):
    async def flood():
        session, ws = await _raw_socket(sim.info["url"])
        try:
            body = bytes(400)
            for _ in range(200):  # first halves of distinct messages, never completed
                first = next(generate_chunks(body, 212))
                try:
                    await ws.send_bytes(first)
                except (ConnectionError, aiohttp.ClientError):
                    return True  # the server closed it while we were still sending
                if ws.closed:
                    break
            return await _closed_within(ws, 10)
        finally:
            await session.close()

    assert viewer.run(flood()), "a client piling up partial messages must be disconnected"
    assert fresh_frame(viewer)["image"][:2] == b"\xff\xd8"


def test_a_render_service_failure_reaches_every_rank():
    """If rank 0's service dies anyway, every rank's next collective call says so (no hang)."""
    from conftest import HERE, MpiRun

    run = MpiRun(HERE / "mpi_sim.py", n=2)
    try:
        info = __import__("json").loads(run.expect("PVW_INFO"))
        run.expect("PVW_READY")
        # A fault no input should cause: make rank 0's input folding raise, then send input.
        run.command("call setattr(engine._session.service._input, 'fold', lambda aspect: 1 / 0)")
        viewer = Viewer(info["url"], info["secret"])
        try:
            viewer.call("viewport.mouse.interaction", [{"action": "down", "x": 0.5, "y": 0.5}])
        finally:
            viewer.close()
        out = run.command("next 1.0", timeout=60)
        assert out and out[0].startswith("ERROR RuntimeError"), out
        assert "render service on rank 0 failed" in out[0] and "ZeroDivisionError" in out[0]
        # Rank 1 learnt it too: its main thread is back in the simulation loop, whose
        # COMM_WORLD collective would otherwise leave rank 0 waiting here for good.
        steps = run.command("steps", timeout=60)
        assert steps and steps[0].startswith("STEPS"), steps
    finally:
        run.proc.kill()
        run.proc.wait(30)
