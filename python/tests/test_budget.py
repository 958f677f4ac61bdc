"""The render budget (engine/budget.py) against a fake clock: no ParaView, no timing."""

from __future__ import annotations

import pytest

from jupyterlab_pvw.engine.budget import (
    MIN_FPS,
    Plan,
    RenderBudget,
    check_budget,
    check_lod_resolution,
)


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def simulate(budget: RenderBudget, clock: FakeClock, cost, seconds: float, step_every=0.05):
    """A drag that always wants a frame while the simulation steps every ``step_every`` s.

    ``cost(scale)`` is what a render at that scale takes. Returns the renders (start, end,
    scale) made after the first second (once the controller has measured).
    """
    renders, next_step, end = [], clock.now, clock.now + seconds
    while clock.now < end:
        while step_every and next_step <= clock.now:
            budget.step()
            next_step += step_every
        plan = budget.plan("interactive", max_fps=60)
        if plan.wait > 0:
            clock.now += min(plan.wait, max(next_step - clock.now, 1e-3))
            continue
        start = clock.now
        clock.now += cost(plan.scale)
        budget.record("interactive", start, clock.now, plan.scale)
        renders.append((start, clock.now, plan.scale))
    return [r for r in renders if r[0] > end - seconds + 1.0]


def duty(renders) -> float:
    span = renders[-1][1] - renders[0][0]
    return sum(end - start for start, end, _ in renders) / span


def test_duty_cycle_stays_under_the_budget_while_the_simulation_steps():
    clock = FakeClock()
    budget = RenderBudget(budget=0.15, target_fps=30, clock=clock)
    renders = simulate(budget, clock, lambda s: 0.01 + 0.2 * s * s, seconds=20)
    assert len(renders) > 10, "the viewer must still get frames"
    assert duty(renders) <= 0.15 * 1.05, f"rendering took {duty(renders):.0%} of the time"


def test_without_a_stepping_simulation_the_whole_machine_is_used():
    clock = FakeClock()
    budget = RenderBudget(budget=0.15, target_fps=30, clock=clock)
    budget.step()
    clock.now += 10  # the simulation paused
    assert budget.limit() == 1.0
    renders = simulate(budget, clock, lambda s: 0.02, seconds=5, step_every=None)
    assert duty(renders) > 0.9, "with no simulation stepping, frames come back to back"


def test_fps_is_lowered_before_resolution():
    clock = FakeClock()
    # A frame of 30 ms at full size: 15% allows 5 frames/s (above MIN_FPS) at full size.
    budget = RenderBudget(budget=0.15, target_fps=10, clock=clock)
    renders = simulate(budget, clock, lambda s: 0.03 * s * s, seconds=6)
    fps = len(renders) / (renders[-1][1] - renders[0][0])
    assert fps < 10, "the budget must first make frames rarer"
    assert all(scale == 1.0 for *_, scale in renders), "resolution must stay while fps can give"
    # Only 5% allows 1.7 frames/s at full size, below MIN_FPS: now the resolution drops.
    budget.budget = 0.05
    renders = simulate(budget, clock, lambda s: 0.03 * s * s, seconds=6)
    assert renders[-1][2] < 1.0, "below MIN_FPS the resolution must give"
    fps = len(renders) / (renders[-1][1] - renders[0][0])
    assert fps >= MIN_FPS * 0.9
    assert duty(renders) <= 0.05 * 1.05


def test_resolution_follows_the_target_frame_time():
    clock = FakeClock()
    budget = RenderBudget(budget=1.0, target_fps=30, clock=clock)
    for _ in range(20):  # 100 ms at full size against a 33 ms target
        plan = budget.plan("interactive", max_fps=60)
        budget.record("interactive", clock.now, clock.now + 0.1 * plan.scale**2, plan.scale)
        clock.now += 0.2
    small = budget.plan("interactive", max_fps=60).scale
    assert 0.5 <= small <= 0.65, small
    for _ in range(20):  # the scene got cheap again
        plan = budget.plan("interactive", max_fps=60)
        budget.record("interactive", clock.now, clock.now + 0.005, plan.scale)
        clock.now += 0.2
    assert budget.plan("interactive", max_fps=60).scale == 1.0
    assert budget.plan("still", max_fps=60).scale == 1.0, "stills are always full size"


def test_a_refresh_that_would_be_stale_when_done_is_skipped_until_the_step_is_overdue():
    clock = FakeClock()
    budget = RenderBudget(budget=0.15, clock=clock)
    for _ in range(5):  # steps every 100 ms; a 120 ms refresh outlasts one
        clock.now += 0.1
        budget.step()
        budget.record("refresh", clock.now, clock.now + 0.12, 1.0)
        clock.now += 0.12
        budget.step()
    clock.now += 0.01
    plan = budget.plan("refresh", max_fps=60)
    assert plan.skip and 0 < plan.wait < 0.25, plan
    clock.now += 0.3  # the next step is overdue: the refresh comes, once the budget allows
    plan = budget.plan("refresh", max_fps=60)
    assert not plan.skip and plan.wait > 0, plan
    clock.now += plan.wait
    plan = budget.plan("refresh", max_fps=60)
    assert not plan.skip and plan.wait == 0 and plan.scale == 1.0, plan
    clock.now += 5.0  # the simulation paused: nothing waits for the budget
    assert budget.plan("refresh", max_fps=60) == Plan(wait=0.0, scale=1.0, budget=1.0)


def test_a_step_frame_never_waits_and_a_still_is_never_thinned():
    clock = FakeClock()
    budget = RenderBudget(budget=0.15, clock=clock)
    clock.now += 0.05
    budget.step()
    # The first step after a pause is rendered at once, however costly renders were before.
    assert budget.plan("step", max_fps=60) == Plan(wait=0.0, scale=1.0, budget=0.15)
    budget.record("step", clock.now, clock.now + 0.5, 1.0)  # overspent the allowance
    clock.now += 0.5
    budget.step()
    step = budget.plan("step", max_fps=60)
    assert step.skip and step.wait == 0, "over budget a step frame is skipped, not delayed"
    assert budget.plan("interactive", max_fps=60).wait > 0
    assert budget.plan("still", max_fps=60) == Plan(wait=0.0, scale=1.0, budget=0.15)
    clock.now += 0.5 / 0.15  # the allowance is back: the next step's frame comes at once
    budget.step()
    assert not budget.plan("step", max_fps=60).skip


def test_bad_budgets_are_refused_with_the_range():
    for bad in (0, -0.1, 1.5, float("nan"), "lots", None):
        with pytest.raises(ValueError, match=r"\(0, 1\]"):
            check_budget(bad)
    assert check_budget("0.3") == 0.3


def test_bad_lod_resolutions_are_refused_with_the_range():
    for bad in (-0.1, 1.5, float("nan"), "fine", None, True):
        with pytest.raises(ValueError, match=r"\[0, 1\]"):
            check_lod_resolution(bad)
    assert check_lod_resolution(0) == 0.0 and check_lod_resolution("0.5") == 0.5
