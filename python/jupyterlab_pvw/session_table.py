"""The session files: which engines a Jupyter server may proxy to.

Shared by everything that announces or lists engines (the kernel, ``announce.py``, the
launcher under Jupyter, the server extension). An engine's owner announces it by writing
``<jupyter runtime dir>/pvw-sessions/<id>.json``. Only files there count: the browser can
never name a proxy target, so the server is not an open proxy. A file's owner must be the
server's own user and the file private (mode 0600), because it holds the engine's secret.
Sessions with pid 0 (announced from another host, or by ``%pvw connect``) have no process
to watch; the server probes them when it starts and drops those that no longer answer.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass
class Session:
    id: str
    host: str
    port: int
    secret: str
    name: str = ""
    kernel_id: str | None = None
    pid: int | None = None
    ranks: int = 1
    created: float = field(default_factory=time.time)

    def public(self) -> dict:
        """What the browser may see: everything but the secret."""
        data = asdict(self)
        data.pop("secret")
        return data


def sessions_dir(runtime_dir: str | os.PathLike | None = None) -> Path:
    """The directory of session files under ``runtime_dir`` (default: Jupyter's)."""
    if runtime_dir is None:
        from jupyter_core.paths import jupyter_runtime_dir

        runtime_dir = jupyter_runtime_dir()
    return Path(runtime_dir) / "pvw-sessions"


def _alive(pid: int | None) -> bool:
    if not pid:
        return True  # remote or unknown: trust the file until it is removed
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def announce(
    host: str,
    port: int,
    secret: str,
    name: str = "",
    kernel_id: str | None = None,
    ranks: int = 1,
    pid: int | None = None,
    runtime_dir=None,
    session_id: str | None = None,
) -> Session:
    """Write a private session file; returns the session (with its new id)."""
    session = Session(
        id=session_id or secrets.token_hex(8),
        host=host,
        port=int(port),
        secret=secret,
        name=name,
        kernel_id=kernel_id,
        pid=pid if pid is not None else os.getpid(),
        ranks=ranks,
    )
    if not ID_PATTERN.match(session.id):
        raise ValueError(f"invalid session id {session.id!r}")
    directory = sessions_dir(runtime_dir)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / f"{session.id}.json"
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(asdict(session), f)
    os.replace(tmp, path)  # readers never see a half-written file
    return session


def withdraw(session_id: str, runtime_dir=None) -> None:
    """Remove a session file (a no-op for an unknown or malformed id)."""
    if ID_PATTERN.match(session_id):
        (sessions_dir(runtime_dir) / f"{session_id}.json").unlink(missing_ok=True)


class SessionTable:
    """Reads the announced sessions, skipping (and removing) those whose process is gone."""

    def __init__(self, runtime_dir=None):
        self.directory = sessions_dir(runtime_dir)

    def list(self) -> list[Session]:
        found = []
        if not self.directory.is_dir():
            return found
        for path in sorted(self.directory.glob("*.json")):
            session = self._load(path)
            if session is not None:
                found.append(session)
        return sorted(found, key=lambda s: s.created)

    def get(self, session_id: str) -> Session | None:
        if not ID_PATTERN.match(session_id or ""):
            return None
        return self._load(self.directory / f"{session_id}.json")

    def _load(self, path: Path) -> Session | None:
        try:
            st = path.stat()
            if st.st_uid != os.getuid() or st.st_mode & 0o077:
                return None  # not ours, or readable by others: not trusted
            data = json.loads(path.read_text())
            session = Session(**data)
        except (OSError, ValueError, TypeError):
            return None
        if session.id != path.stem:
            return None
        if not _alive(session.pid):
            path.unlink(missing_ok=True)
            return None
        return session
