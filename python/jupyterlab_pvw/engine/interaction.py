"""Rank 0: browser input folded into one camera (newest state wins).

Mouse and wheel events arrive from the web server thread faster than frames can be
rendered. They are queued here and folded into the camera just before the render service
picks its next command, so a burst of events costs one render. Input never kills the
service: an event that fails, or that would leave the camera non-finite, is dropped and
the camera stays as it was.
"""

from __future__ import annotations

import collections
import sys

from .camera import Camera, Interaction, wheel


class CameraInput:
    def __init__(self):
        self.camera: Camera | None = None
        self.interaction = Interaction()
        self._events: collections.deque = collections.deque()
        self._dragging_client = None  # the client whose drag is in progress

    @property
    def dragging(self) -> bool:
        return self.interaction.active

    def reset(self, camera: Camera) -> None:
        self.camera = camera

    def push(self, kind: str, event: dict, client=None) -> None:
        self._events.append((kind, event, client))

    def end_drag(self, client=None) -> bool:
        """End the drag of ``client`` (any drag if None); True if one was in progress.

        ``client``'s input still queued goes too: folded later, its press would start a drag
        that nobody ends (a client that leaves right after its press, before the render
        service folded it)."""
        if client is not None:
            self._events = collections.deque(e for e in self._events if e[2] != client)
        if not self.interaction.active or client not in (None, self._dragging_client):
            return False
        self.interaction.mode = None
        self._dragging_client = None
        return True

    def fold(self, aspect) -> tuple[bool, bool]:
        """Apply queued events; returns (camera changed, an interaction just ended).

        ``aspect`` is the viewport's width/height, or a function of the event's client.
        """
        changed = ended = False
        while self._events and self.camera is not None:
            kind, event, client = self._events.popleft()
            before = self.camera.copy()
            try:
                if kind == "mouse":
                    was_active = self.interaction.active
                    ratio = aspect(client) if callable(aspect) else aspect
                    changed |= self.interaction.handle(self.camera, event, ratio)
                    if self.interaction.active:
                        self._dragging_client = client
                    elif was_active:
                        ended = True  # full quality when the drag ends
                        self._dragging_client = None
                else:
                    changed |= wheel(self.camera, event)
                    ended |= event.get("type") == "EndMouseWheel"
                if not self.camera.is_finite():
                    raise ValueError("the move would leave the camera at an infinite place")
            except Exception as exc:  # no input may stop the render service
                self.camera = before
                print(f"[pvw] ignored a bad {kind} event: {exc}", file=sys.stderr, flush=True)
        return changed, ended
