"""The render budget: when the render service may render, and at what resolution.

Pure logic with an injectable clock; the render service asks it before every render and
tells it what each render cost. Frames are of four kinds:

- ``interactive`` (a drag or wheel in progress) and ``refresh`` (the full still of a new step,
  after its first frame) are what the budget thins. While the simulation steps (a
  ``next_timestep`` within the last ``idle_after`` seconds, or twice the step interval if
  longer), rendering may take at most ``budget`` of the wall clock: render time is an
  allowance that accrues at ``budget`` seconds per second (up to ``budget * BURST_S``) and
  each render spends its cost; a frame waits while the allowance is negative. Interactive
  frames first get rarer (down to ``min_fps``); only then is their resolution lowered (down
  to ``min_scale``). A refresh that would end after the next step is expected is skipped
  (the next step's frame replaces it); once that step is overdue it is rendered.
- ``step``, a new step's first frame, never waits (in-situ latency): it is rendered at once
  when the allowance is not negative, otherwise skipped (the service then wants a refresh).
- ``still``, the frame that ends a change (mouse up, end of wheel, reset, a scene command,
  a viewer's request), never waits and is never skipped: a change always ends full size.

Interactive and step frames are rendered at the fraction of the view size that brings their
measured cost to the target frame time (``1 / target_fps``); stills and refreshes are full.
With no simulation stepping the limit is the whole machine (budget 1): nothing waits for it.
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
BURST_S = 1.0  # the allowance saved while idle covers this long at the budget (first frames)
KINDS = ("interactive", "step", "refresh", "still")
FULL_SIZE = ("refresh", "still")


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


def check_lod_resolution(value) -> float:
    """ParaView's LODResolution from a user: a number in [0, 1]; a clear error otherwise."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = math.nan
    if isinstance(value, bool) or not 0.0 <= v <= 1.0:
        raise ValueError(
            "lod_resolution is how finely ParaView decimates geometry while you drag, "
            f"a number in [0, 1] (0.25: coarse, 1: finest), got {value!r}"
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
        self._last_interactive: float | None = None  # start of the last interactive frame
        self._allowance = self.budget * BURST_S  # render seconds available while stepping
        self._allowance_at = clock()
        # Per kind: (smoothed cost in s, the scale it was measured at).
        self._cost: dict[str, tuple[float, float]] = {}
        self._scale = {kind: 1.0 for kind in KINDS}

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
        if kind == "interactive":
            self._last_interactive = start
        if self.stepping():  # only renders while the simulation steps spend the allowance
            self._accrue()
            self._allowance -= cost
        old = self._cost.get(kind)
        smoothed = cost if old is None else 0.5 * self._predict(kind, scale) + 0.5 * cost
        self._cost[kind] = (smoothed, scale)
        if kind not in FULL_SIZE:
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
        scale = 1.0 if kind in FULL_SIZE else self._scale[kind]
        if kind == "still":
            return Plan(scale=scale, budget=limit)
        wait = 0.0
        if limit < 1.0:
            self._accrue()
            if self._allowance < -1e-6:  # not float dust after an exact wait
                wait = -self._allowance / limit
        if kind == "step":
            return Plan(skip=wait > 0, scale=scale, budget=limit)
        if kind == "interactive":
            if limit < 1.0 and "interactive" in self._cost:
                # Fewer frames first: only when even min_fps frames would overrun the
                # budget, lower the resolution until they fit.
                fits = limit / self.min_fps
                if self._predict(kind, scale) > fits:
                    cost, measured = self._cost[kind]
                    scale = min(scale, self._clamp(measured * math.sqrt(fits / cost)))
            if self._last_interactive is not None:
                wait = max(wait, self._last_interactive + 1.0 / max_fps - now)
        if kind == "refresh" and limit < 1.0 and self._step_interval is not None:
            # Stale when done: it would end after the next step, which is not yet overdue.
            expected_next = self._last_step + self._step_interval
            if now < expected_next < now + wait + self._predict(kind, 1.0):
                return Plan(skip=True, wait=expected_next - now, scale=scale, budget=limit)
        return Plan(wait=wait, scale=scale, budget=limit)

    def _accrue(self) -> None:
        now = self.clock()
        cap = self.budget * BURST_S
        self._allowance = min(self._allowance + self.budget * (now - self._allowance_at), cap)
        self._allowance_at = now

    def _predict(self, kind: str, scale: float) -> float:
        if kind not in self._cost:
            return 0.0
        cost, measured = self._cost[kind]
        return cost * (scale / measured) ** 2

    def _clamp(self, scale: float) -> float:
        scale = round(scale / SCALE_STEP) * SCALE_STEP
        return min(max(scale, self.min_scale), 1.0)
