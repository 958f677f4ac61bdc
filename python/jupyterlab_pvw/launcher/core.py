"""The launcher: starts a configured application per request on a free [host, port] resource,
waits for its ready line, and keeps the table of live sessions (ParaView's launcher API).

Transport-free (asyncio only): the Jupyter server extension and the standalone server
(``python -m jupyterlab_pvw.launcher``) both serve it over HTTP.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import signal
import socket
import string
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from ..http_api import RequestError
from .config import validate

RESERVED = ("id", "host", "port", "secret", "sessionURL", "application")
# Answer fields only the launcher sets: a request echoing them cannot override them.
OWNED = ("id", "host", "port", "secret", "sessionURL")
# Launched processes find their secret here, never on a command line (``ps`` shows those).
SECRET_ENV = "PVW_SECRET"
# What a request value may contain when it is put into a command line: no control
# characters, no option-looking start, no parent-directory step.
_SAFE_VALUE = re.compile(r"^[^\x00-\x1f\x7f]{0,1024}$")
LOG_TAIL_LINES = 20


class LauncherError(RequestError):
    """A request the launcher cannot serve; ``status`` is the HTTP status to answer with."""


@dataclass
class LaunchedSession:
    id: str
    application: str
    host: str
    port: int
    secret: str
    request: dict
    answer: dict
    cmd: list
    log_path: Path
    process: asyncio.subprocess.Process | None = None
    clients: int = 0
    idle_since: float = field(default_factory=time.monotonic)
    reader: asyncio.Task | None = None


def _is_local(host: str) -> bool:
    return host in ("localhost", "127.0.0.1", "::1", socket.gethostname())


def _port_free(host: str, port: int) -> bool:
    if not _is_local(host):
        return True  # cannot tell from here; the application will fail to bind if taken
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1" if host == "localhost" else host, port))
        except OSError:
            return False
    return True


def _session_members(sid: int) -> list[int]:
    """Processes of session ``sid`` (Linux /proc; elsewhere none are found)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # ended meanwhile
        if int(fields[3]) == sid:  # fields after the name: state, ppid, pgrp, session
            found.append(int(stat.parent.name))
    return found


def _kill_group(pid: int) -> None:
    """SIGKILL the application's whole tree: its process group, and the rest of its session
    (mpiexec moves ranks into process groups of their own; they keep the session)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    for member in _session_members(pid):
        try:
            os.kill(member, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _check_value(name: str, value, rules: dict):
    """Validate one request field used in a template; returns its string form."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise LauncherError(
            400, f"field {name!r} must be a string or a number to be used in a command"
        )
    text = str(value)
    rule = rules.get(name)
    if rule is not None:
        ok = (
            text in rule["list"] if rule["type"] == "inList" else bool(rule["compiled"].match(text))
        )
        if not ok:
            allowed = rule["list"] if rule["type"] == "inList" else f"matching {rule['regexp']}"
            raise LauncherError(
                400, f"field {name!r} = {text!r} is not allowed (sanitize: {allowed})"
            )
    if not _SAFE_VALUE.match(text) or text.startswith("-") or ".." in Path(text).parts:
        raise LauncherError(
            400,
            f"field {name!r} = {text!r} is not allowed in a command line (control characters, a leading '-' or '..')",
        )
    return text


class Launcher:
    def __init__(self, config: dict, on_change=None):
        self.config = validate(config)
        self.conf = self.config["configuration"]
        self.sessions: dict[str, LaunchedSession] = {}
        self.on_change = on_change  # called with (event, session) on "started" / "stopped"
        self._lock = asyncio.Lock()
        self._reaper: asyncio.Task | None = None
        Path(self.conf["log_dir"]).mkdir(parents=True, exist_ok=True, mode=0o700)
        self._write_proxy_file()

    # -- resources ------------------------------------------------------------------------
    def _take_resource(self):
        used = {(s.host, s.port) for s in self.sessions.values()}
        for res in self.config["resources"]:
            first, last = res["port_range"]
            for port in range(first, last + 1):
                if (res["host"], port) not in used and _port_free(res["host"], port):
                    return res["host"], port
        ranges = [
            f"{r['host']}:{r['port_range'][0]}-{r['port_range'][1]}"
            for r in self.config["resources"]
        ]
        raise LauncherError(
            503,
            f"no free resource: every port in {ranges} is in use",
            live_sessions=len(self.sessions),
        )

    # -- the REST verbs -------------------------------------------------------------------
    async def launch(self, request: dict, session_url=None) -> dict:
        """POST: start ``request['application']``; returns the answer (request + id, secret, sessionURL)."""
        if not isinstance(request, dict):
            raise LauncherError(400, "the request body must be a JSON object")
        application = request.get("application")
        if not isinstance(application, str) or not application:
            raise LauncherError(
                400, "the request needs an 'application'", known=sorted(self.config["apps"])
            )
        app = self.config["apps"].get(application)
        if app is None:
            raise LauncherError(
                404, f"unknown application {application!r}", known=sorted(self.config["apps"])
            )
        rules = self.conf.get("sanitize") or {}
        secret = request.get("secret")
        if secret is None:
            # Hex: a generated secret must never look like an option (token_urlsafe may start with '-').
            secret = secrets.token_hex(16)
        else:
            secret = _check_value("secret", secret, rules)
        fields = {k: v for k, v in request.items() if k not in RESERVED}
        for name, rule in rules.items():  # ParaView's launcher: a missing field takes its default
            if name not in fields and "default" in rule:
                fields[name] = rule["default"]
        # A bad request is a 400 even when every resource is taken: check it before taking one.
        probe = {"host": "", "port": "0", "id": "", "secret": secret, "application": application}
        self._substitute(app["cmd"], fields, probe, rules, f"apps.{application}.cmd")
        async with self._lock:
            host, port = self._take_resource()
            session_id = uuid.uuid4().hex
            values = {
                "host": host,
                "port": str(port),
                "id": session_id,
                "secret": secret,
                "application": application,
            }
            cmd = self._substitute(app["cmd"], fields, values, rules, f"apps.{application}.cmd")
            if host not in ("localhost", "127.0.0.1", "::1") and self.conf.get("ssh"):
                cmd = (
                    self._substitute(self.conf["ssh"], {}, values, rules, "configuration.ssh") + cmd
                )
            answer = {k: v for k, v in request.items() if k not in OWNED}
            answer.update(id=session_id, secret=secret)
            for key, template in self.config["sessionData"].items():
                answer[key] = self._substitute_value(
                    template, fields, values, rules, f"sessionData.{key}"
                )
            session = LaunchedSession(session_id, application, host, port, secret, dict(request), answer, cmd,
                                      Path(self.conf["log_dir"]) / f"{session_id}.txt")  # fmt: skip
            pattern = session_url or self.conf.get("sessionURL") or "ws://${host}:${port}/ws"
            answer["sessionURL"] = string.Template(pattern).safe_substitute(values)
            for name in self.conf.get("fields", []):
                if name in values and name != "secret":
                    answer[name] = port if name == "port" else values[name]
            self.sessions[session_id] = session
        try:
            await self._start(session, app)
        except LauncherError:
            await self._remove(session, reason="failed")
            raise
        self._write_proxy_file()
        if self.on_change:
            self.on_change("started", session)
        self._ensure_reaper()
        return dict(answer)

    def get(self, session_id: str) -> dict:
        session = self.sessions.get(session_id)
        if session is None:
            raise LauncherError(404, f"no session {session_id!r}", live=sorted(self.sessions))
        return dict(session.answer)

    async def delete(self, session_id: str) -> dict:
        session = self.sessions.get(session_id)
        if session is None:
            raise LauncherError(404, f"no session {session_id!r}", live=sorted(self.sessions))
        await self._remove(session, reason="deleted")
        await self._end_idle_reaper()
        return dict(session.answer)

    async def shutdown(self) -> None:
        for session in list(self.sessions.values()):
            await self._remove(session, reason="shutdown")
        await self._end_idle_reaper()

    def kill_all(self) -> None:
        """At exit: end every session's process tree (they run in their own process groups)."""
        for session in list(self.sessions.values()):
            if session.process is not None and session.process.returncode is None:
                _kill_group(session.process.pid)

    # -- clients (counted by the proxies, for idle reaping) -------------------------------
    def client_opened(self, session_id: str) -> None:
        if session_id in self.sessions:
            self.sessions[session_id].clients += 1

    def client_closed(self, session_id: str) -> None:
        session = self.sessions.get(session_id)
        if session is not None:
            session.clients = max(0, session.clients - 1)
            if session.clients == 0:
                session.idle_since = time.monotonic()

    # -- internals ------------------------------------------------------------------------
    def _substitute_value(self, template, fields, values, rules, where):
        """A sessionData value: strings substituted, lists and objects kept as they are shaped."""
        if isinstance(template, str):
            return self._substitute([template], fields, values, rules, where)[0]
        if isinstance(template, list):
            return [self._substitute_value(t, fields, values, rules, where) for t in template]
        if isinstance(template, dict):
            return {
                k: self._substitute_value(t, fields, values, rules, where)
                for k, t in template.items()
            }
        return template

    def _substitute(self, templates, fields, values, rules, where) -> list[str]:
        properties = {k: str(v) for k, v in self.config["properties"].items()}
        known = {*values, *properties, *fields}
        missing = sorted(
            {n for t in templates for n in string.Template(t).get_identifiers()} - known
        )
        if missing:  # every missing field at once, so one correction is enough
            raise LauncherError(400, f"{where} needs the field(s) {missing} in the request")
        out = []
        for template in templates:
            tpl = string.Template(template)
            used = {
                n: _check_value(n, fields[n], rules)
                for n in tpl.get_identifiers()
                if n in fields and n not in properties
            }
            # One pass, and the configuration's own values win: a request can fill a
            # placeholder, never replace an executable or a path the configuration sets.
            out.append(tpl.safe_substitute({**used, **properties, **values}))
        return out

    async def _start(self, session: LaunchedSession, app: dict) -> None:
        ready_line = app.get("ready_line")
        timeout = float(app.get("timeout", self.conf["timeout"]))
        # Private: an application may print what only its owner should read.
        log = os.fdopen(
            os.open(session.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600),
            "ab",
            buffering=0,
        )
        try:
            session.process = await asyncio.create_subprocess_exec(
                *session.cmd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
                stdin=asyncio.subprocess.DEVNULL, start_new_session=True,  # its own process group
                env={**os.environ, SECRET_ENV: session.secret},
            )  # fmt: skip
        except OSError as exc:
            log.close()
            raise LauncherError(503, f"cannot start {session.cmd[0]!r}: {exc}") from None
        ready = asyncio.get_running_loop().create_future()
        session.reader = asyncio.ensure_future(self._pump(session, log, ready_line, ready))
        try:
            await asyncio.wait_for(asyncio.shield(ready), timeout)
        except asyncio.TimeoutError:
            raise LauncherError(503, f"{session.application} did not print its ready line "
                                f"{ready_line!r} within {timeout:g} s", log_tail=self.log_tail(session)) from None  # fmt: skip
        if not ready.result():
            code = await session.process.wait()
            raise LauncherError(503, f"{session.application} exited with code {code} before it was ready",
                                log_tail=self.log_tail(session))  # fmt: skip

    async def _pump(self, session, log, ready_line, ready):
        """Copy the process's output to its log, resolving ``ready`` at the ready line."""
        seen = b""
        if not ready_line:
            ready.set_result(True)
        try:
            while True:
                chunk = await session.process.stdout.read(4096)
                if not chunk:
                    break
                log.write(chunk)
                if not ready.done():
                    seen = (seen + chunk)[-65536:]
                    if ready_line.encode() in seen:  # newer wslink writes it without a newline
                        ready.set_result(True)
        finally:
            log.close()
            if not ready.done():
                ready.set_result(False)

    def log_tail(self, session) -> list[str]:
        try:
            return session.log_path.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:]
        except OSError:
            return []

    async def _remove(self, session: LaunchedSession, reason: str) -> None:
        self.sessions.pop(session.id, None)
        self._write_proxy_file()  # no longer served: out of the mapping at once
        proc = session.process
        if proc is not None and reason == "failed":
            # Never ready: nothing to shut down cleanly, and a rank that ignores SIGTERM
            # (heat.py only notes it) must not linger. The whole group, at once.
            _kill_group(proc.pid)
            await proc.wait()
        elif proc is not None and proc.returncode is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)  # the whole tree (mpiexec and its ranks)
            except ProcessLookupError:
                pass
            try:
                await asyncio.wait_for(proc.wait(), 10)
            except asyncio.TimeoutError:
                _kill_group(proc.pid)
                await proc.wait()
        if session.reader is not None:
            try:
                await asyncio.wait_for(session.reader, 5)
            except (asyncio.TimeoutError, asyncio.CancelledError):
                session.reader.cancel()
        if self.on_change and reason != "failed":
            self.on_change("stopped", session)

    def _write_proxy_file(self) -> None:
        path = self.conf.get("proxy_file")
        if not path:
            return
        lines = "".join(f"{s.id} {s.host}:{s.port}\n" for s in self.sessions.values())
        tmp = Path(f"{path}.tmp")
        tmp.write_text(lines)
        os.replace(tmp, path)

    def _ensure_reaper(self) -> None:
        if self._reaper is None or self._reaper.done():
            self._reaper = asyncio.ensure_future(self._reap())

    async def _end_idle_reaper(self) -> None:
        """With no session left, end the reaper now rather than at its next tick: a loop that
        closes right after (a test's, the server's at exit) would otherwise destroy it
        pending, which asyncio reports on stderr."""
        reaper = self._reaper
        if reaper is None or reaper.done() or self.sessions:
            return
        reaper.cancel()
        try:
            await reaper
        except asyncio.CancelledError:
            pass

    async def _reap(self, every: float = 1.0) -> None:
        """Forget sessions whose process ended; stop those idle past ``idle_timeout``."""
        idle_timeout = self.conf.get("idle_timeout")
        while self.sessions:
            await asyncio.sleep(every)
            now = time.monotonic()
            for session in list(self.sessions.values()):
                ended = session.process is not None and session.process.returncode is not None
                idle = (
                    idle_timeout
                    and session.clients == 0
                    and now - session.idle_since > float(idle_timeout)
                )
                if ended or idle:
                    await self._remove(session, reason="ended" if ended else "idle")
