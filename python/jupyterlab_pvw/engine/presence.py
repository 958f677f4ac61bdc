"""Who is watching a session and who drives it (pure logic; the web server enforces it).

Every viewer that came through the Jupyter proxy is identified by the Jupyter server's user
(name, initials, colour). One of them at a time drives: only the driver may move the camera
or change the pipeline; the others watch (frames share one camera, so they follow). Clients
that connected with the engine's secret themselves (the owner's tools, the kernel) are the
owner and may always act. Control passes when the driver hands it over, leaves, or has been
idle for ``idle_s`` seconds while someone else wants it.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

IDENTITY_FIELDS = ("username", "name", "display_name", "initials", "color")
FIELD_MAX = 128  # characters per identity field


class NotDriver(PermissionError):
    """A watcher tried to act while someone else drives."""


@dataclasses.dataclass
class Viewer:
    client: str
    identity: dict | None  # None: the owner (connected with the secret itself)
    joined: float
    wants_control: bool = False

    @property
    def owner(self) -> bool:
        return self.identity is None

    @property
    def label(self) -> str:
        if self.identity is None:
            return "the session's owner"
        return self.identity.get("display_name") or self.identity.get("name") or "someone"


def clean_identity(identity) -> dict:
    """The identity fields a viewer may carry, as short strings (ValueError otherwise)."""
    if not isinstance(identity, dict) or not isinstance(identity.get("username"), str):
        raise ValueError("an identity is {username, name, display_name, initials, color}")
    return {
        key: str(identity[key])[:FIELD_MAX]
        for key in IDENTITY_FIELDS
        if isinstance(identity.get(key), str)
    }


class Presence:
    def __init__(self, idle_s: float | None = 120.0, clock: Callable[[], float] = time.monotonic):
        self.idle_s = idle_s  # None: never pass control for idleness
        self.clock = clock
        self.viewers: dict[str, Viewer] = {}
        self.driver: str | None = None
        self._driver_active = clock()
        self.version = 0  # bumped on every change a viewer would see

    # -- membership -----------------------------------------------------------------------
    def join(self, client: str, identity: dict | None = None) -> None:
        """``client`` starts watching (identity None: the owner). Idempotent."""
        viewer = self.viewers.get(client)
        if viewer is None:
            self.viewers[client] = Viewer(client, identity, self.clock())
        elif identity is not None:
            viewer.identity = identity
        else:
            return
        if self.driver is None and identity is not None:
            self._set_driver(client)
        self._changed()

    def identify(self, client: str, identity) -> dict:
        """Tag ``client`` with the Jupyter user it acts for; only once per connection."""
        viewer = self.viewers.get(client)
        if viewer is not None and not viewer.owner:
            raise PermissionError("this connection is already identified")
        identity = clean_identity(identity)
        self.join(client, identity)
        return identity

    def leave(self, client: str) -> None:
        if self.viewers.pop(client, None) is None:
            return
        if self.driver == client:
            self._set_driver(self._successor())
        self._changed()

    # -- control --------------------------------------------------------------------------
    def check(self, client: str | None, action: str) -> None:
        """Allow ``action`` by ``client`` or raise NotDriver naming the driver.

        ``client`` None is the kernel (a main-thread call); unidentified clients are the
        owner. A watcher acting after the driver went idle takes control.
        """
        viewer = self.viewers.get(client) if client is not None else None
        if viewer is None or viewer.owner:
            return
        if self.driver in (None, client):
            self._set_driver(client)
            self._driver_active = self.clock()
            return
        if self._driver_idle():
            self._set_driver(client)
            self._changed()
            return
        raise NotDriver(
            f"{self.viewers[self.driver].label} drives this session; you are watching. "
            f"Ask for control ({action} is the driver's)."
        )

    def request(self, client: str) -> str | None:
        """A watcher asks for control; granted at once if nobody drives or the driver idles."""
        viewer = self.viewers.get(client)
        if viewer is None or viewer.owner:
            raise PermissionError("only identified viewers take turns driving")
        if self.driver in (None, client) or self._driver_idle():
            self._set_driver(client)
        else:
            viewer.wants_control = True
        self._changed()
        return self.driver

    def hand_over(self, client: str | None, to: str) -> str:
        """The driver (or the owner/kernel) gives control to viewer ``to``."""
        target = self.viewers.get(to)
        if target is None or target.owner:
            raise ValueError(f"no identified viewer {to!r} is connected")
        actor = self.viewers.get(client) if client is not None else None
        if actor is not None and not actor.owner and client != self.driver:
            raise NotDriver(
                f"only the driver ({self.viewers[self.driver].label}) can hand over control"
            )
        self._set_driver(to)
        self._changed()
        return to

    def tick(self) -> bool:
        """Pass control from an idle driver to a viewer who asked; True if it changed."""
        if self.driver is None or not self._driver_idle():
            return False
        waiting = [v for v in self.viewers.values() if v.wants_control]
        if not waiting:
            return False
        self._set_driver(min(waiting, key=lambda v: v.joined).client)
        self._changed()
        return True

    def snapshot(self) -> dict:
        """What the viewers are shown: everyone watching, who drives, who asks to."""
        return {
            "driver": self.driver,
            "idleSeconds": self.idle_s,
            "viewers": [
                {
                    "client": v.client,
                    "owner": v.owner,
                    "driver": v.client == self.driver,
                    "wantsControl": v.wants_control,
                    **(v.identity or {"username": "owner", "name": "Owner", "initials": "O"}),
                }
                for v in sorted(self.viewers.values(), key=lambda v: v.joined)
            ],
        }

    # -- internals ------------------------------------------------------------------------
    def _driver_idle(self) -> bool:
        return self.idle_s is not None and self.clock() - self._driver_active >= self.idle_s

    def _successor(self) -> str | None:
        candidates = [v for v in self.viewers.values() if not v.owner]
        asking = [v for v in candidates if v.wants_control]
        pool = asking or candidates
        return min(pool, key=lambda v: v.joined).client if pool else None

    def _set_driver(self, client: str | None) -> None:
        if client != self.driver:
            self.driver = client
            self._driver_active = self.clock()
            if client is not None:
                self.viewers[client].wants_control = False
            self._changed()

    def _changed(self) -> None:
        self.version += 1
