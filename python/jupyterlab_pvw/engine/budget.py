"""The render budget: when the render service may render, and at what resolution.

Pure logic with an injectable clock; the render service asks it before every render and
tells it what each render cost. Two limits:

- While the simulation steps (a ``next_timestep`` within the last ``idle_after`` seconds,
  or twice the step interval if longer), rendering may take at most ``budget`` of the wall
  clock: each render of cost ``c`` is followed by a pause so that it starts no sooner than
  ``c / budget`` after the previous one. Interactive frames first get rarer (down to
  ``min_fps``); only then is their resolution lowered (down to ``min_scale``).
- Always, interactive and new-step frames are rendered at the fraction of the view size that
  brings their measured cost to the target frame time (``1 / target_fps``); stills are full.
  With no simulation stepping the limit is the whole machine (budget 1).

A frame that would be stale when done is skipped: a full still of a step whose render (with
its budget pause) would end after the next step is expected; the next step's frame replaces it.
"""

from __future__ import annotations

import dataclasses
import math
import time

from ..wire import RENDER_BUDGET as DEFAULT_BUDGET
from ..wire import TARGET_FPS as DEFAULT_TARGET_FPS

MIN_FPS = 4.0  # while stepping, interactive frames get rarer down to this, then smaller
MIN_SCALE = 0.25
IDLE_AFTER_S = 2.0  # no step for this long: the simulation is paused or finished
SCALE_STEP = 0.05  # resolutions are rounded to this, so the view is not resized every frame
KINDS = ("interactive", "step", "still")


@dataclasses.dataclass
class Plan:
    """The budget's answer: render now at ``scale``, wait ``wait`` seconds, or skip."""

    wait: float = 0.0
    scale: float = 1.0
    skip: bool = False
    budget: float = 1.0  # the limit in force (1: the whole machine)


def check_budget(value) -> float:
    """A budget from a user: a fraction in (0, 1]; a clear error otherwise."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"the render budget must be a number in (0, 1], got {value!r}") from None
    if not math.isfinite(v) or not 0 < v <= 1:
        raise ValueError(
            f"the render budget is the fraction of time rendering may take while the "
            f"simulation steps: a number in (0, 1] (e.g. 0.15), got {value!r}"
        )
    return v


class RenderBudget:
    def __init__(
        self,
        budget: float = DEFAULT_BUDGET,
        target_fps: float = DEFAULT_TARGET_FPS,
        min_fps: float = MIN_FPS,
        min_scale: float = MIN_SCALE,
        idle_after: float = IDLE_AFTER_S,
        clock=time.monotonic,
    ):
        self.budget = check_budget(budget)
        self.target_fps = float(target_fps)
        self.min_fps = float(min_fps)
        self.min_scale = float(min_scale)
        self.idle_after = float(idle_after)
        self.clock = clock
        self._last_step: float | None = None
        self._step_interval: float | None = None  # smoothed time between steps
        self._last_start: float | None = None
        self._last_cost = 0.0
        # Per kind: (smoothed cost in s, the scale it was measured at).
        self._cost: dict[str, tuple[float, float]] = {}
        self._scale = {"interactive": 1.0, "step": 1.0, "still": 1.0}

    # -- what happened ----------------------------------------------------------------------
    def step(self) -> None:
        """The simulation made a step (``next_timestep``)."""
        now = self.clock()
        if self._last_step is not None:
            gap = now - self._last_step
            self._step_interval = (
                gap if self._step_interval is None else 0.7 * self._step_interval + 0.3 * gap
            )
        self._last_step = now

    def record(self, kind: str, start: float, end: float, scale: float) -> None:
        """A render of ``kind`` at ``scale`` ran from ``start`` to ``end`` (clock seconds)."""
        cost = max(end - start, 1e-4)
        self._last_start, self._last_cost = start, cost
        old = self._cost.get(kind)
        smoothed = cost if old is None else 0.5 * self._predict(kind, scale) + 0.5 * cost
        self._cost[kind] = (smoothed, scale)
        if kind != "still":
            # Feedback towards the target frame time; a fill-bound frame costs ~ scale^2,
            # and the loop corrects what that model gets wrong. Damped against oscillation.
            ratio = (1.0 / self.target_fps) / smoothed
            if not 0.85 < ratio < 1.15:
                factor = min(max(math.sqrt(ratio), 0.7), 1.3)
                self._scale[kind] = self._clamp(scale * factor)

    # -- what to do ------------------------------------------------------------------------
    def stepping(self) -> bool:
        if self._last_step is None:
            return False
        quiet = max(self.idle_after, 2.0 * (self._step_interval or 0.0))
        return self.clock() - self._last_step < quiet

    def limit(self) -> float:
        """The fraction of time rendering may take now."""
        return self.budget if self.stepping() else 1.0

    def plan(self, kind: str, max_fps: float) -> Plan:
        """May a frame of ``kind`` be rendered now, and at what scale?"""
        if kind not in KINDS:
            raise ValueError(f"unknown frame kind {kind!r}")
        now, limit = self.clock(), self.limit()
        scale = self._scale[kind] if kind != "still" else 1.0
        if kind == "interactive" and limit < 1.0 and "interactive" in self._cost:
            # Fewer frames first: only when even min_fps frames would overrun the budget,
            # lower the resolution until they fit.
            fits = limit / self.min_fps
            if self._predict(kind, scale) > fits:
                cost, measured = self._cost[kind]
                scale = min(scale, self._clamp(measured * math.sqrt(fits / cost)))
        if kind == "still" and limit < 1.0 and self._step_interval is not None:
            # Stale when done: the still and its budget pause would end after the next step.
            expected_next = self._last_step + self._step_interval
            if now + self._predict(kind, 1.0) / limit > expected_next:
                return Plan(skip=True, scale=1.0, budget=limit)
        earliest = now
        if self._last_start is not None:
            earliest = self._last_start + self._last_cost / limit
            if kind == "interactive":
                earliest = max(earliest, self._last_start + 1.0 / max_fps)
        return Plan(wait=max(earliest - now, 0.0), scale=scale, budget=limit)

    def _predict(self, kind: str, scale: float) -> float:
        if kind not in self._cost:
            return 0.0
        cost, measured = self._cost[kind]
        return cost * (scale / measured) ** 2

    def _clamp(self, scale: float) -> float:
        scale = round(scale / SCALE_STEP) * SCALE_STEP
        return min(max(scale, self.min_scale), 1.0)
