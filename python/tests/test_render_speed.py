"""Reduced frames while interacting, the full still after, and the render budget's RPC:
real ParaView in 2 real MPI ranks (the engine started with a zero LOD threshold, so even the
test's small grid is decimated, and an unreachable target frame rate, so drag frames shrink).
"""

from __future__ import annotations

import json
import time

import pytest
from conftest import Viewer, close_cleanly, engine_run

from jupyterlab_pvw.wslink_client import WslinkError

OPTIONS = {"lod_threshold": 0, "target_fps": 240, "lod_resolution": 0.1}


@pytest.fixture(scope="module")
def fast_sim():
    run = engine_run(args=[json.dumps(OPTIONS)])
    yield run
    close_cleanly(run)


@pytest.fixture(scope="module")
def viewer(fast_sim):
    v = Viewer(fast_sim.info["url"], fast_sim.info["secret"])
    yield v
    v.close()


def drag_frames(viewer) -> tuple[list[dict], dict]:
    """The frames of one drag, and the settled frame after its release."""
    viewer.settle()
    start = len(viewer.frames)
    viewer.drag(dx=0.4, steps=40, delay=0.05)
    # The release's full still (none: settle fails); reduced drag frames are not its size.
    settled = viewer.settle(start, lambda frame: frame["still"], quiet=1.0)
    during = [f for f in viewer.frames[start:] if not f["still"]]
    assert during, "a drag must give interactive frames"
    return during, settled


def test_drag_frames_are_reduced_and_a_full_still_follows(fast_sim, viewer):
    viewer.call("pvw.quality", [80, 35, 60])
    try:
        during, settled = drag_frames(viewer)
    finally:
        viewer.call("pvw.quality", [90, 50, 60])
    assert {f["quality"] for f in during} == {35}, "drag frames have the interactive quality"
    assert settled["quality"] == 80
    assert any(f["lod"] for f in during), "drag frames should use ParaView's LOD geometry"
    resolution = fast_sim.command("call engine._session.service.scene.view.LODResolution")
    assert resolution == ["RESULT 0.1"], "the lod_resolution option is ParaView's LODResolution"
    small = [f for f in during if f["scale"] < 1]
    assert small, "drag frames should be rendered at a fraction of the view size"
    assert all(f["size"][0] < viewer.size[0] for f in small), "a reduced frame is smaller"
    # ... and says which viewport size it answers, which the viewer routes it by.
    assert all(f["viewSize"] == viewer.size for f in small)
    assert settled["still"] and settled["scale"] == 1 and not settled["lod"]
    assert settled["size"] == viewer.size, "the still after the release is full size"


def test_with_lod_off_every_frame_is_full(viewer):
    reply = viewer.call("pvw.budget", [None, False])
    assert reply["interactive_lod"] is False
    try:
        during, settled = drag_frames(viewer)
        assert not any(f["lod"] for f in during)
        assert all(f["scale"] == 1 and f["size"] == viewer.size for f in during)
    finally:
        viewer.call("pvw.budget", [None, True])


def test_a_new_step_ends_with_a_full_still(fast_sim, viewer):
    before = viewer.settle()
    count = len(viewer.frames)
    fast_sim.command("next 3")
    # The full still may wait for the budget (the simulation just stepped) ...
    after = viewer.frame_after(count, still=True)
    # ... but the step's own frame came first (interactive quality, maybe reduced size).
    first = viewer.frames[count]
    assert first["timestep"] > before["timestep"] and not first["still"], first
    assert first["quality"] == 50 and not first["lod"]
    assert after["timestep"] > before["timestep"]
    assert after["scale"] == 1 and not after["lod"] and after["size"] == viewer.size


def test_lod_geometry_is_built_once_the_steps_stop(fast_sim, viewer):
    """ParaView decimates at the first LOD render after a change (about a second for 1e6
    triangles): the engine does it while idle, not in the first frame of the next drag."""
    viewer.settle()
    fast_sim.command("next 4")
    assert viewer.call("pvw.budget", [])["lod_ready"] is False, "a new step needs new LOD"
    deadline = time.monotonic() + 60  # the budget's idle time (2 s) after the step, then one
    while not viewer.call("pvw.budget", [])["lod_ready"]:  # render
        assert time.monotonic() < deadline, "the LOD geometry was not built while idle"
        time.sleep(0.5)


def test_budget_rpc_sets_the_budget_and_refuses_nonsense(viewer):
    reply = viewer.call("pvw.budget", [0.3])
    assert reply["budget"] == 0.3 and reply["in_force"] in (0.3, 1.0)
    for bad in (0, 2, "lots"):
        with pytest.raises(WslinkError, match=r"\(0, 1\]"):
            viewer.call("pvw.budget", [bad])
    with pytest.raises(WslinkError, match="lod must be true or false"):
        viewer.call("pvw.budget", [None, "yes"])
    assert viewer.call("pvw.budget", [])["budget"] == 0.3, "a refused call changes nothing"
    viewer.settle()
    viewer.drag(dx=0.1, steps=3)
    assert viewer.settle()["budget"] in (0.3, 1.0), "frames carry the budget in force"
