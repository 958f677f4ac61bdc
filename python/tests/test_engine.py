"""The MPI engine: real ParaView in 2 real MPI ranks, watched through a real wslink client."""

from __future__ import annotations

import json
import re
import socket
import subprocess

import numpy as np
import pytest
from conftest import HERE, MpiRun, jpeg_pixels

from jupyterlab_pvw.wslink_client import WslinkClient, WslinkError


def halves(pixels: np.ndarray):
    """Mean colour of the data in the upper and lower half of the central column band."""
    h, w, _ = pixels.shape
    band = pixels[:, w // 2 - w // 10 : w // 2 + w // 10]
    background = np.array([82, 87, 110])  # ParaView's default background
    is_data = np.abs(band - background).sum(axis=2) > 40
    top, bottom = band[: h // 2][is_data[: h // 2]], band[h // 2 :][is_data[h // 2 :]]
    assert len(top) > 100 and len(bottom) > 100, "the dataset does not cover both halves"
    return top.mean(axis=0), bottom.mean(axis=0)


def test_frames_show_both_ranks_pieces(viewer):
    frame = viewer.frame_after(0)
    assert frame["format"] == "jpeg" and frame["image"][:2] == b"\xff\xd8"
    assert frame["size"] == [400, 400]
    top, bottom = halves(jpeg_pixels(frame["image"]))
    # Rank 1 (value 1, top of the colour range: red) owns the upper slab, rank 0 (value 0,
    # bottom: blue) the lower one.
    assert top[0] > top[2] + 60, f"upper half should be red (rank 1), got {top}"
    assert bottom[2] > bottom[0] + 60, f"lower half should be blue (rank 0), got {bottom}"


def test_drag_changes_frame_and_reset_restores_it(viewer):
    still = lambda frame: frame["still"]  # noqa: E731
    before = viewer.after(lambda: viewer.call("viewport.camera.reset", ["-1"]), still)
    # A drag must end with a full-quality still frame (no still: settle fails).
    dragged = viewer.after(lambda: viewer.drag(dx=0.25), still)
    a, b = jpeg_pixels(before["image"]), jpeg_pixels(dragged["image"])
    assert np.abs(a - b).mean() > 3, "a drag should change the picture"
    reset = viewer.after(lambda: viewer.call("viewport.camera.reset", ["-1"]), still)
    assert np.abs(jpeg_pixels(reset["image"]) - a).mean() < 1.5, "reset should restore the view"


def test_wheel_zooms(viewer):
    before = viewer.settle()
    since = len(viewer.frames)
    viewer.call("viewport.mouse.zoom.wheel", [{"type": "MouseWheel", "spinY": -3}])
    viewer.call("viewport.mouse.zoom.wheel", [{"type": "EndMouseWheel", "spinY": 0}])
    after = viewer.settle(since, lambda frame: frame["still"])
    assert np.abs(jpeg_pixels(after["image"]) - jpeg_pixels(before["image"])).mean() > 3
    viewer.call("viewport.camera.reset", ["-1"])


def test_next_timestep_changes_frame(sim, viewer):
    before = viewer.settle()
    since = len(viewer.frames)
    out = sim.command("next 5")
    assert json.loads(out[0].removeprefix("NEXT "))["timestep"] >= 1
    after = viewer.settle(since, lambda frame: frame["timestep"] > before["timestep"])
    assert np.abs(jpeg_pixels(after["image"]) - jpeg_pixels(before["image"])).mean() > 3


def test_simulation_keeps_stepping_while_a_client_drags(sim, viewer):
    before = int(sim.command("steps")[0].removeprefix("STEPS "))
    viewer.drag(dx=0.5, steps=60, delay=0.03)
    after = int(sim.command("steps")[0].removeprefix("STEPS "))
    assert after - before > 20, f"the simulation advanced only {after - before} steps during a drag"
    viewer.call("viewport.camera.reset", ["-1"])


def test_wrong_secret_is_rejected_and_right_client_keeps_streaming(sim, viewer):
    async def intruder(secret):
        client = WslinkClient(sim.info["url"], secret)
        try:
            await client.connect()
        finally:
            await client.close()

    for bad in ("wrong", ""):
        with pytest.raises(WslinkError) as err:
            viewer.run(intruder(bad))
        assert err.value.code == -32000
    count = len(viewer.frames)
    viewer.call("viewport.image.push.invalidate.cache", ["-1"])
    assert viewer.frame_after(count)["image"]


def test_unauthenticated_calls_are_refused(sim, viewer):
    async def sneaky():
        client = WslinkClient(sim.info["url"], "")
        await client.connect(authenticate=False)
        try:
            await client.call("pvw.status")
        finally:
            await client.close()

    with pytest.raises(WslinkError) as err:
        viewer.run(sneaky())
    assert err.value.code == -32000


def test_pvw_rpcs(sim, viewer):
    datasets = viewer.call("pvw.datasets")
    assert datasets == {"ranks": {"0": ["grid"], "1": ["grid"]}, "active": "grid"}
    status = viewer.call("pvw.status")
    # Exactly this viewer: refused intruders and closed clients are not counted.
    assert status["running"] and status["clients"] == 1 and status["frames_pushed"] >= 1
    assert status["last_render_ms"] > 0 and status["last_encode_ms"] > 0
    assert status["native_render"] is True, "setup builds the no-GIL render shim"
    assert viewer.call("pvw.representation", ["Wireframe"])["representation"] == "Wireframe"
    with pytest.raises(WslinkError, match="unknown representation"):
        viewer.call("pvw.representation", ["Sparkles"])
    viewer.call("pvw.representation", ["Surface"])
    coloring = viewer.call("pvw.color_by", ["value", "POINTS"])["coloring"]
    assert coloring[:2] == ["POINTS", "value"] and coloring[2] <= coloring[3]
    with pytest.raises(WslinkError, match="no point array named 'nosuch'"):
        viewer.call("pvw.color_by", ["nosuch", "POINTS"])
    with pytest.raises(WslinkError, match="no dataset named 'nosuch'"):
        viewer.call("pvw.activate", ["nosuch"])
    assert viewer.call("pvw.activate", ["grid"]) == {"active": "grid"}
    assert viewer.call("pvw.quality", [80, 40, 30]) == {
        "still": 80,
        "interactive": 40,
        "max_fps": 30.0,
    }
    with pytest.raises(WslinkError, match="still quality must be between 1 and 100"):
        viewer.call("pvw.quality", [0, 40])
    assert viewer.call("pvw.quality", [90, 50, 60])["still"] == 90
    # The standard RPC sets the quality of what follows (as RemoteView uses it) ...
    viewer.call("viewport.image.push.quality", ["-1", 33])
    invalidate = lambda: viewer.call("viewport.image.push.invalidate.cache", ["-1"])  # noqa: E731
    viewer.after(invalidate, lambda frame: frame["quality"] == 33)  # none: settle fails
    # ... until a pvw.quality hands the choice back to the engine.
    viewer.call("pvw.quality", [90, 50, 60])
    viewer.after(invalidate, lambda frame: frame["quality"] == 90)


def test_bad_viewport_input_is_refused_and_engine_survives(viewer):
    with pytest.raises(WslinkError, match="outside"):
        viewer.call("viewport.image.push", [{"view": "-1", "size": [0, 100000]}])
    with pytest.raises(WslinkError, match="mouse event"):
        viewer.call("viewport.mouse.interaction", [{"action": "teleport"}])
    with pytest.raises(WslinkError, match="quality"):
        viewer.call("viewport.image.push.quality", ["-1", "best"])
    count = len(viewer.frames)
    viewer.call("viewport.image.push.invalidate.cache", ["-1"])
    assert viewer.frame_after(count)["size"] == [400, 400]


def test_activate_unknown_name_lists_known_ones(sim):
    out = sim.command("activate nosuch")
    assert out and out[0].startswith("ERROR KeyError")
    assert "'grid'" in out[0] and "nosuch" in out[0]


def test_a_step_with_different_data_kinds_on_ranks_is_refused_on_every_rank(sim):
    """Rank 1 registers a polydata where rank 0 has an image: the step is refused with a
    message naming both, on every rank, and the next good step goes on from the same count."""
    before = sim.command("call engine.status()['timestep'] if rank == 0 else None")
    mixed = (
        "engine.register('grid', __import__('vtkmodules.vtkCommonDataModel', "
        "fromlist=['x']).vtkPolyData() if rank == 1 else engine.image((0, 15, 0, 7, 0, 15), "
        "point_data={'value': np.zeros(16 * 8 * 16)})) or engine.next_timestep()"
    )
    out = sim.command(f"call {mixed}")
    assert out and out[0].startswith("ERROR ValueError: ranks registered different datasets")
    assert "vtkPolyData" in out[0] and "vtkImageData" in out[0]
    sim.command("next 3")
    after = sim.command("call engine.status()['timestep'] if rank == 0 else None")
    assert int(after[0].removeprefix("RESULT ")) == int(before[0].removeprefix("RESULT ")) + 1


def test_start_stop_ten_times_leaks_nothing(sim, viewer):
    def threads():
        return json.loads(
            sim.command("call __import__('threading').active_count()")[0].removeprefix("RESULT ")
        )

    viewer.close()
    first = threads()
    ports = []
    for _ in range(10):
        sim.command("restart", timeout=120)
        ports.append(
            json.loads(sim.command("call engine.status()['url']")[0].removeprefix("RESULT "))
        )
    assert threads() == first, "start/stop cycles leaked threads"
    for url in ports[:-1]:
        port = int(re.search(r":(\d+)/", url).group(1))
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still open after stop()"
    # The last session still serves frames.
    last = sim.command("call engine.status()")
    info = json.loads(last[0].removeprefix("RESULT "))
    assert info["running"] and info["datasets"] == {"0": ["grid"], "1": ["grid"]}


def test_port_in_use_gives_a_clear_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        run = MpiRun(HERE / "mpi_sim.py", n=2, args=[json.dumps({"port": port})])
        code = run.proc.wait(120)
    output = "".join(run.log)
    assert code != 0
    assert f"port {port} on 127.0.0.1 is already in use" in output


def test_a_dead_rank_ends_the_job_with_a_message():
    import os
    import signal

    run = MpiRun(HERE / "mpi_sim.py", n=2)
    run.expect("PVW_READY")
    pids = json.loads(
        run.command(
            "call __import__('mpi4py').MPI.COMM_WORLD.allgather(__import__('os').getpid())"
        )[0].removeprefix("RESULT ")
    )
    os.kill(pids[1], signal.SIGKILL)
    try:
        code = run.proc.wait(60)  # no silent hang: mpiexec notices and ends the job
    except subprocess.TimeoutExpired:
        run.proc.kill()
        pytest.fail("mpiexec still runs 60 s after a rank died: the job hangs")
    assert code != 0
    assert re.search(r"(exited on signal|terminated|aborted)", "".join(run.log), re.I)
