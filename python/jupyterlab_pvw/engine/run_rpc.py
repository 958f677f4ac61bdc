"""The run-control RPCs (pause, step, resume, history) and the run-state topic, on rank 0.

Every answer is the run state ``{paused, step, live_step, kept, ...}``
(``RenderService.run_state``); the same state is published on ``wire.RUN_TOPIC`` whenever
it changes, so every viewer of the session sees one pause and one shown step.
"""

from __future__ import annotations

import asyncio

from wslink import register as exportRpc
from wslink.websocket import LinkProtocol

from ..wire import RUN_TOPIC

POLL_S = 0.2  # how often the state is compared for changes the engine makes by itself
# Parts of the state that change without an event worth publishing.
_UNPUBLISHED = ("releases_in",)


class RunProtocol(LinkProtocol):
    def __init__(self, server):
        super().__init__()
        self.server = server
        self.service = server.service

    def _changed(self, state: dict) -> dict:
        publisher = getattr(self.server, "run_publisher", None)
        if publisher is not None:
            publisher.wake()
        return state

    @exportRpc("pvw.pause")
    def pause(self):
        """Hold the run at its next step boundary; the viewer stays interactive."""
        self.server.require_driver("pausing the run")
        return self._changed(self.service.control_run("pause"))

    @exportRpc("pvw.step")
    def step(self):
        """While paused, let exactly one step through."""
        self.server.require_driver("stepping the run")
        return self._changed(self.service.control_run("step"))

    @exportRpc("pvw.resume")
    def resume(self):
        self.server.require_driver("resuming the run")
        return self._changed(self.service.control_run("resume"))

    @exportRpc("pvw.run.state")
    def state(self):
        return self.service.run_state()

    @exportRpc("pvw.history.goto")
    async def goto(self, step):
        """Show kept step ``step`` (every viewer sees it) or ``"live"``."""
        if step != "live" and (isinstance(step, bool) or not isinstance(step, int)):
            raise TypeError(f"pvw.history.goto takes a step number or 'live', got {step!r}")
        self.server.require_driver("choosing the shown step")
        await asyncio.wrap_future(self.service.submit({"op": "history_goto", "step": step}))
        return self._changed(self.service.run_state())


class RunStatePublisher:
    """Publishes the run state on the run topic when it changes (runs on the server's loop)."""

    def __init__(self, server):
        self.server = server
        self._wake = asyncio.Event()
        self._last = None

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), POLL_S)
            except asyncio.TimeoutError:
                pass
            self._wake.clear()
            state = self.server.service.run_state()
            key = {k: v for k, v in state.items() if k not in _UNPUBLISHED}
            if key != self._last:
                self._last = key
                self.server.publish_to_all(RUN_TOPIC, state)
