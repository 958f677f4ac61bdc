"""Pause/step/resume logic and the history's keeping rules, without MPI (one rank)."""

from __future__ import annotations

import numpy as np
import pytest

from jupyterlab_pvw.engine.datasets import image
from jupyterlab_pvw.engine.history import History, check_depth, too_big
from jupyterlab_pvw.engine.runcontrol import RunControl, RunControlError


class OneRank:
    """The command channel of a one-rank run."""

    rank, size = 0, 1

    def allgather(self, value):
        return [value]


# -- RunControl ---------------------------------------------------------------------------
def test_pause_holds_step_boundaries_only():
    run = RunControl(60)
    assert run.lets_through("next_timestep", 0)
    run.pause(0)
    run.set_viewers(1, 0)
    assert not run.lets_through("next_timestep", 1)
    assert not run.lets_through("checkpoint", 1)
    assert run.held
    assert run.lets_through("activate", 1), "only step boundaries are held"


def test_step_lets_exactly_one_through_and_resume_releases():
    run = RunControl(60)
    run.set_viewers(1, 0)
    run.pause(0)
    run.step()
    assert run.lets_through("next_timestep", 1)
    assert not run.lets_through("next_timestep", 2), "one step, then held again"
    run.resume()
    assert run.lets_through("next_timestep", 3) and not run.paused


def test_wrong_order_is_a_clear_error_that_changes_nothing():
    run = RunControl(60)
    with pytest.raises(RunControlError, match="not paused: pause it first"):
        run.step()
    with pytest.raises(RunControlError, match="nothing to resume"):
        run.resume()
    assert not run.paused
    run.pause(0)
    with pytest.raises(RunControlError, match="already paused"):
        run.pause(1)
    assert run.paused


def test_a_pause_without_viewers_ends_after_the_timeout():
    run = RunControl(10)
    run.set_viewers(1, 0)
    run.pause(0)
    run.set_viewers(0, 5)  # the last viewer left at t=5
    assert not run.lets_through("next_timestep", 14)
    assert run.state(14)["releases_in"] == 1.0
    assert run.lets_through("next_timestep", 15)
    assert not run.paused and "no viewer for 10 s" in run.released_because


def test_a_viewer_coming_back_keeps_the_pause():
    run = RunControl(10)
    run.pause(0)  # paused with nobody watching: the clock runs from now
    run.set_viewers(1, 8)
    assert not run.lets_through("next_timestep", 100)


def test_release_on_stop_and_bad_timeouts():
    run = RunControl(10)
    run.pause(0)
    run.release("the engine stopped")
    assert not run.paused and run.released_because == "the engine stopped"
    run.release("again")  # not paused: nothing to do, no error
    for bad in (0, -1, float("inf"), "5", True):
        with pytest.raises((TypeError, ValueError)):
            RunControl(bad)


# -- History ------------------------------------------------------------------------------
def piece(values):
    return image((0, 3, 0, 3, 0, 0), point_data={"v": values})


def test_depth_is_checked():
    assert check_depth(0) == 0 and check_depth(5) == 5
    for bad, error in ((-1, ValueError), (10**9, ValueError), (2.5, TypeError), (True, TypeError)):
        with pytest.raises(error, match="history"):
            check_depth(bad)


def test_new_arrays_are_kept_by_reference_and_old_steps_dropped():
    history = History(3, 100, OneRank())
    pieces = [piece(np.full(16, float(s))) for s in range(1, 6)]
    for s, p in enumerate(pieces, start=1):
        history.keep(s, s * 0.5, {"T": p})
    assert list(history.steps) == [3, 4, 5]
    assert history.get(4).pieces["T"] is pieces[3], "a new piece each step: no copy"
    assert history.summary["kept"] == [3, 5] and history.summary["copied_bytes"] == 0
    with pytest.raises(KeyError, match=r"step 1 is not kept \(kept: 3..5\)"):
        history.get(1)


def test_an_array_overwritten_in_place_is_copied_from_then_on():
    history = History(4, 100, OneRank())
    buffer = np.zeros(16)
    kept_values = {}
    for s in range(1, 5):
        buffer[:] = s  # the simulation reuses its array
        history.keep(s, float(s), {"T": piece(buffer)})
        kept_values[s] = s
    # Step 1 was kept by reference and then overwritten: it is dropped, not shown wrong.
    assert 1 not in history.steps and history.summary["dropped_overwritten"] == 1
    assert history.summary["copied"] == ["T"] and history.summary["copied_bytes"] > 0
    from vtkmodules.util.numpy_support import vtk_to_numpy

    for s in history.steps:
        values = vtk_to_numpy(history.get(s).pieces["T"].GetPointData().GetArray("v"))
        assert values[0] == s, f"kept step {s} shows {values[0]}"


def test_ping_pong_buffers_keep_the_intact_step():
    history = History(4, 100, OneRank())
    a, b = np.zeros(16), np.zeros(16)
    for s in range(1, 5):
        target = a if s % 2 else b
        target[:] = s
        history.keep(s, float(s), {"T": piece(target)})
    from vtkmodules.util.numpy_support import vtk_to_numpy

    for s in history.steps:
        values = vtk_to_numpy(history.get(s).pieces["T"].GetPointData().GetArray("v"))
        assert values[0] == s


def test_history_over_the_memory_limit_is_refused_with_the_estimate():
    big = piece(np.zeros(16))
    one_step = big.GetActualMemorySize() * 1024
    history = History(1000, one_step * 10 / 2**20, OneRank())
    history.keep(1, 1.0, {"T": big})
    assert not history.enabled and not history.steps
    assert "1000 steps would take about" in history.error
    with pytest.raises(ValueError, match="raise history_memory_mb"):
        history.get(1)
    assert too_big(5, 2**20, 10) is None


def test_memory_bound_drops_oldest_steps():
    one_piece = piece(np.zeros(16)).GetActualMemorySize() * 1024
    history = History(3, one_piece * 3.5 / 2**20, OneRank())
    history.keep(1, 1.0, {"T": piece(np.zeros(16))})
    history.keep(2, 2.0, {"T": piece(np.zeros(16))})
    # Step 3 is twice as big: four pieces would be over the limit, so step 1 goes.
    history.keep(3, 3.0, {"T": piece(np.zeros(16)), "U": piece(np.zeros(16))})
    assert list(history.steps) == [2, 3]
