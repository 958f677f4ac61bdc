"""Pause, step, resume and the history on a real 2-rank engine whose simulation loops by itself.

The simulation (mpi_run_sim.py) calls next_timestep() every iteration and writes each rank's
step counter to a file, so the test sees every rank while their main threads are held.
"""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
from conftest import HERE, Viewer, close_cleanly, engine_run, jpeg_pixels, wait_for

from jupyterlab_pvw.wslink_client import WslinkError

PAUSE_TIMEOUT_S = 5  # short, for the test: a pause with no viewer ends after this


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    counters = tmp_path_factory.mktemp("counters")
    options = {"history": 5, "pause_timeout": PAUSE_TIMEOUT_S}
    sim = engine_run(HERE / "mpi_run_sim.py", [json.dumps(options), str(counters)], ready=False)
    sim.counters = counters
    yield sim
    close_cleanly(sim)


@pytest.fixture(scope="module")
def viewer(run):
    v = Viewer(run.info["url"], run.info["secret"])
    yield v
    v.close()


def counters(run) -> list[int]:
    """Every rank's step counter (the simulation's own, written after each step)."""
    values = []
    for rank in (0, 1):
        path = run.counters / f"rank{rank}"
        text = path.read_text() if path.exists() else ""
        values.append(int(text) if text else 0)
    return values


def steady_counters(run, quiet: float = 2.0) -> list[int]:
    """The counters once they have not moved for ``quiet`` seconds (held everywhere)."""

    def still():
        before = counters(run)
        time.sleep(quiet)
        after = counters(run)
        return after if after == before else None

    return wait_for(still, "the step counters to stop")


def moving(run, timeout: float = 60) -> None:
    start = counters(run)
    wait_for(lambda: min(counters(run)) > max(start), "the step counters to go on", timeout)


def test_pause_holds_every_rank_at_one_step_and_the_view_stays_interactive(run, viewer):
    wait_for(lambda: min(counters(run)) >= 3, "the simulation to run")
    state = viewer.call("pvw.pause")
    assert state["paused"] is True
    held = steady_counters(run)
    assert held[0] == held[1], f"every rank holds at the same step, got {held}"
    state = viewer.call("pvw.run.state")
    assert state["held"] and state["live_step"] == held[0] == state["step"]
    # The render service keeps serving: a drag still changes the picture.
    before = viewer.settle()
    after = viewer.after(lambda: viewer.drag(dx=0.3), lambda frame: frame["still"])
    assert np.abs(jpeg_pixels(after["image"]) - jpeg_pixels(before["image"])).mean() > 3
    assert counters(run) == held, "the drag must not let a step through"
    viewer.call("viewport.camera.reset", ["-1"])


def test_step_lets_exactly_one_step_through(run, viewer):
    held = steady_counters(run)
    state = viewer.call("pvw.step")
    assert state["paused"] is True
    wait_for(lambda: counters(run) == [held[0] + 1] * 2, "one step on every rank")
    assert steady_counters(run) == [held[0] + 1] * 2, "exactly one step, then held again"


def test_wrong_order_is_refused_and_changes_nothing(run, viewer):
    with pytest.raises(WslinkError, match="already paused"):
        viewer.call("pvw.pause")
    assert viewer.call("pvw.run.state")["paused"] is True


def test_history_goto_shows_a_kept_step_as_it_was_painted_live(run, viewer):
    """While paused at step P, go back 3: the frame equals the live one painted at P-3."""
    viewer.call("pvw.resume")
    viewer.call("viewport.camera.reset", ["-1"])
    moving(run)  # fill the history
    viewer.call("pvw.pause")
    steady_counters(run)
    # Step by hand, waiting for each step's full still: a running simulation's steps may be
    # thinned by the render budget, so only these are sure to have been painted live.
    painted = {}
    for _ in range(4):
        count = len(viewer.frames)
        step = viewer.call("pvw.run.state")["live_step"] + 1
        viewer.call("pvw.step")
        wait_for(lambda s=step: viewer.call("pvw.run.state")["live_step"] >= s, "one step")
        painted[step] = viewer.settle(count, lambda f, s=step: f["still"] and f["timestep"] == s)
    state = viewer.call("pvw.run.state")
    live = state["live_step"]
    assert state["paused"] and state["kept"] == [live - 4, live], state
    target = live - 3
    assert target in painted, sorted(painted)
    count = len(viewer.frames)
    state = viewer.call("pvw.history.goto", [target])
    assert state["step"] == target and state["live_step"] == live
    frame = viewer.frame_after(count)
    assert frame["timestep"] == target
    diff = np.abs(jpeg_pixels(frame["image"]) - jpeg_pixels(painted[target]["image"])).mean()
    assert diff < 1.0, f"step {target} looks different from when it was live ({diff:.2f})"
    live_frame = painted[live]
    assert np.abs(jpeg_pixels(frame["image"]) - jpeg_pixels(live_frame["image"])).mean() > 3


def test_the_run_goes_on_while_looking_back_and_comes_back_to_live(run, viewer):
    shown = viewer.call("pvw.run.state")["step"]
    viewer.call("pvw.resume")
    moving(run)
    state = viewer.call("pvw.run.state")
    assert state["step"] == shown and state["live_step"] > shown, state
    # The shown step stays on screen, whatever new steps arrive.
    count = len(viewer.frames)
    viewer.call("viewport.image.push", [{"view": "-1", "size": viewer.size}])
    assert viewer.frame_after(count)["timestep"] == shown
    # A step the history no longer keeps is refused, and the view stays where it was.
    wait_for(lambda: viewer.call("pvw.run.state")["kept"][0] > shown, "the shown step to age out")
    with pytest.raises(WslinkError, match=f"step {shown} is not kept"):
        viewer.call("pvw.history.goto", [shown])
    with pytest.raises(WslinkError, match="a step number or 'live'"):
        viewer.call("pvw.history.goto", ["yesterday"])
    assert viewer.call("pvw.run.state")["step"] == shown
    state = viewer.call("pvw.history.goto", ["live"])
    assert state["step"] == state["live_step"]
    count = len(viewer.frames)
    moving(run)
    assert viewer.frame_after(count)["timestep"] > shown


def test_python_pause_from_outside_the_loop(run, viewer):
    with pytest.raises(WslinkError, match="nothing to resume"):
        viewer.call("pvw.resume")
    run.send("call engine.pause()")
    assert json.loads(run.expect("PVW_RESULT"))["paused"] is True
    held = steady_counters(run)
    assert held[0] == held[1]
    run.send("call engine.resume()")
    assert json.loads(run.expect("PVW_RESULT"))["paused"] is False
    moving(run)


def test_a_pause_without_viewers_ends_by_itself(run, viewer):
    viewer.call("pvw.pause")
    held = steady_counters(run)
    viewer.close()  # the last viewer leaves while paused
    assert counters(run) == held, "still held right after the viewer left"
    moving(run, timeout=PAUSE_TIMEOUT_S + 60)
    run.send("call engine.run_state()")
    state = json.loads(run.expect("PVW_RESULT"))
    assert state["paused"] is False
    assert f"no viewer for {PAUSE_TIMEOUT_S} s" in state["released_because"]
