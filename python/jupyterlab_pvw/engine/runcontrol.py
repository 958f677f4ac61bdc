"""Pause, step and resume: whether the simulation's next step boundary may pass.

Pure logic (time is passed in), owned by rank 0's render service, which holds its lock
around every call. The hold itself is the service's: rank 0 does not broadcast a held
``next_timestep``/``checkpoint`` call, so every rank's call waits for the same decision.
"""

from __future__ import annotations

# The main-thread calls that are step boundaries (the ones a pause holds).
STEP_BOUNDARIES = frozenset({"next_timestep", "checkpoint"})
DEFAULT_PAUSE_TIMEOUT_S = 300.0  # a pause without any viewer ends after this long


class RunControlError(ValueError):
    """A pause/step/resume that makes no sense in the current state; nothing changed."""


class RunControl:
    def __init__(self, pause_timeout: float = DEFAULT_PAUSE_TIMEOUT_S):
        if isinstance(pause_timeout, bool) or not isinstance(pause_timeout, (int, float)):
            raise TypeError(f"pause_timeout must be a number of seconds, got {pause_timeout!r}")
        if not 0 < pause_timeout < float("inf"):
            raise ValueError(
                f"pause_timeout must be a positive, finite number of seconds, got {pause_timeout!r}"
            )
        self.pause_timeout = float(pause_timeout)
        self.paused = False
        self.held = False  # a step boundary is waiting right now
        self.released_because: str | None = None  # why the last pause ended, if not resume()
        self._credits = 0  # steps let through while paused
        self._viewers = 0
        self._alone_since: float | None = None  # when the pause last had no viewer

    # -- what viewers and the simulation's owner ask -----------------------------------------
    def pause(self, now: float) -> None:
        if self.paused:
            raise RunControlError("the run is already paused: step or resume it")
        self.paused, self._credits, self.released_because = True, 0, None
        self._alone_since = now if self._viewers == 0 else None

    def step(self) -> None:
        """Let exactly one more step boundary through, then hold again."""
        if not self.paused:
            raise RunControlError("the run is not paused: pause it first, then step")
        self._credits += 1

    def resume(self) -> None:
        if not self.paused:
            raise RunControlError("the run is not paused: there is nothing to resume")
        self._release(None)

    def release(self, why: str) -> None:
        """End any pause (engine stopping, no viewer for too long); never an error."""
        if self.paused:
            self._release(why)

    def _release(self, why: str | None) -> None:
        self.paused, self._credits, self.held = False, 0, False
        self._alone_since = None
        self.released_because = why

    def set_viewers(self, count: int, now: float) -> None:
        self._viewers = count
        if count > 0:
            self._alone_since = None
        elif self._alone_since is None and self.paused:
            self._alone_since = now

    # -- what the render service asks ----------------------------------------------------------
    def lets_through(self, kind: str, now: float) -> bool:
        """Whether the waiting main-thread call ``kind`` may run now (uses up a step)."""
        if kind not in STEP_BOUNDARIES:
            return True
        self.expire(now)
        if not self.paused:
            self.held = False
            return True
        if self._credits > 0:
            self._credits -= 1
            self.held = False
            return True
        self.held = True
        return False

    def expire(self, now: float) -> None:
        """End a pause that has had no viewer for ``pause_timeout`` seconds."""
        if self.paused and self._alone_since is not None:
            if now - self._alone_since >= self.pause_timeout:
                self._release(f"no viewer for {self.pause_timeout:g} s: the pause ended by itself")

    def state(self, now: float) -> dict:
        alone_left = None
        if self.paused and self._alone_since is not None:
            alone_left = max(0.0, round(self.pause_timeout - (now - self._alone_since), 1))
        return {
            "paused": self.paused,
            "held": self.held,
            "steps_pending": self._credits,
            "pause_timeout": self.pause_timeout,
            "releases_in": alone_left,  # seconds until a pause with no viewer ends, or None
            "released_because": self.released_because,
        }
