"""For simulations started outside Jupyter: tell a Jupyter server that an engine is running,
so notebooks and the side panel can attach to it (the reverse connection of the seeds).

Same machine: a private session file in the Jupyter runtime directory (the server trusts
only files there). Another machine: an authenticated POST to ``<server>/pvw/sessions`` with a
token the user gives the simulation. Standard library only, so any simulation can use it.
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request

from .session_table import announce as announce_file
from .session_table import withdraw as withdraw_file


class Announcement:
    def __init__(self, session_id: str, withdraw):
        self.id = session_id
        self._withdraw = withdraw

    def withdraw(self) -> None:
        if self._withdraw is not None:
            self._withdraw()
            self._withdraw = None

    @classmethod
    def local(cls, info: dict, name: str = "", runtime_dir=None) -> Announcement:
        host = info["host"] if info["host"] not in ("0.0.0.0", "::") else socket.gethostname()
        session = announce_file(host, info["port"], info["secret"], name=name, ranks=info.get("ranks", 1),
                                runtime_dir=runtime_dir)  # fmt: skip
        return cls(session.id, lambda: withdraw_file(session.id, runtime_dir=runtime_dir))

    @classmethod
    def remote(cls, server_url: str, token: str, info: dict, name: str = "") -> Announcement:
        host = info["host"] if info["host"] not in ("0.0.0.0", "::") else socket.gethostname()
        body = {"host": host, "port": info["port"], "secret": info["secret"], "name": name,
                "ranks": info.get("ranks", 1)}  # fmt: skip
        url = server_url.rstrip("/") + "/pvw/sessions"
        answer = _request("POST", url, token, body)
        return cls(answer["id"], lambda: _request("DELETE", f"{url}/{answer['id']}", token))


def _request(method: str, url: str, token: str, body=None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Authorization": f"token {token}", "Content-Type": "application/json"})  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace")[:300]
        raise RuntimeError(f"{method} {url} failed with {exc.code}: {detail}") from None
    except urllib.error.URLError as exc:
        raise RuntimeError(f"cannot reach the Jupyter server at {url}: {exc.reason}") from None
    except OSError as exc:  # e.g. a timeout while waiting for the answer
        raise RuntimeError(f"no answer from the Jupyter server at {url}: {exc}") from None
