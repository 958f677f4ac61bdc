"""The collaboration RPCs: who a connection acts for, who watches, who drives.

``pvw.identify`` is how the Jupyter proxy tags a browser's connection with the Jupyter user
(it sends it right after the hello, and drops any a browser sends); a connection can be
identified once, so a browser cannot rename itself later. Clients that connect with the
secret themselves are the owner until they identify.
"""

from __future__ import annotations

from wslink import register as exportRpc
from wslink.websocket import LinkProtocol

from ..wire import IDENTIFY_METHOD


class CollaborationProtocol(LinkProtocol):
    def __init__(self, server):
        super().__init__()
        self.server = server
        self.presence = server.presence

    def _changed(self, old_driver) -> dict:
        self.server.presence_changed(old_driver)
        return self.state()

    def state(self) -> dict:
        return {**self.presence.snapshot(), "you": self.server.active_client()}

    @exportRpc(IDENTIFY_METHOD)
    def identify(self, identity):
        old = self.presence.driver
        self.presence.identify(self.server.active_client(), identity)
        return self._changed(old)

    @exportRpc("pvw.presence")
    def snapshot(self):
        """Who watches, who drives, and which of them the caller is (``you``)."""
        return self.state()

    @exportRpc("pvw.control.request")
    def request(self):
        """Ask for control: granted at once if nobody drives or the driver is idle."""
        old = self.presence.driver
        self.presence.request(self.server.active_client())
        return self._changed(old)

    @exportRpc("pvw.control.give")
    def give(self, client):
        """The driver hands control to viewer ``client`` (a ``client`` of pvw.presence)."""
        if not isinstance(client, str):
            raise TypeError("pvw.control.give takes the client id of a viewer (see pvw.presence)")
        old = self.presence.driver
        self.presence.hand_over(self.server.active_client(), client)
        return self._changed(old)
