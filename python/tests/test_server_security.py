"""The server extension's security, in a real Jupyter server, against a stand-in wslink engine
(fake_engine.py, a real WebSocket server in its own process): the route audit, the
announce allowlist and check, the proxy's order of checks and its refusals, the launcher's
answers under Jupyter, and the start-up probe of pid-0 sessions."""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys

import aiohttp
import pytest
from conftest import HERE
from jupyter_server.auth.authorizer import Authorizer
from test_launcher import free_port_range
from tornado.websocket import WebSocketHandler
from yarl import URL

from jupyterlab_pvw.session_table import SessionTable, announce, withdraw
from jupyterlab_pvw.wslink_client import WslinkClient, WslinkError

pytest_plugins = ["pytest_jupyter.jupyter_server"]
FAKE_ENGINE = HERE / "fake_engine.py"
FOREIGN = "http://evil.example"
XSRF = "0123456789abcdef"  # tornado accepts a bare hex token as cookie and header


def start_fake_engine(secret: str) -> tuple[subprocess.Popen, int]:
    port = free_port_range(1)[0]
    proc = subprocess.Popen([sys.executable, str(FAKE_ENGINE), str(port)], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PVW_SECRET": secret})  # fmt: skip
    assert proc.stdout.readline().strip() == "READY"
    return proc, port


@pytest.fixture
def fake_engine():
    proc, port = start_fake_engine("fake-secret")
    yield port, "fake-secret"
    proc.terminate()
    proc.wait(30)


@pytest.fixture
def jp_server_config(tmp_path):
    config = {
        "configuration": {
            "log_dir": str(tmp_path / "logs"),
            "timeout": 60,
            "fields": ["host", "port"],
        },
        "resources": [{"host": "127.0.0.1", "port_range": free_port_range(3)[::2]}],
        "apps": {
            "fake": {"cmd": [sys.executable, str(FAKE_ENGINE), "${port}"], "ready_line": "READY"}
        },
    }
    path = tmp_path / "launcher.json"
    path.write_text(json.dumps(config))
    return {"ServerApp": {"jpserver_extensions": {"jupyterlab_pvw": True}},
            "PvwLauncher": {"config_file": str(path)}}  # fmt: skip


class ReadOnly(Authorizer):
    """Allows reading only: what a read-only deployment configures."""

    def is_authorized(self, handler, user, action, resource):
        return action == "read"


@pytest.fixture
def server(jp_serverapp, http_server_client, jp_http_port, jp_base_url, jp_auth_header):
    """URLs and credentials of the test server."""

    class Server:
        base = f"http://127.0.0.1:{jp_http_port}{jp_base_url}"
        ws_base = f"ws://127.0.0.1:{jp_http_port}{jp_base_url}"
        auth = jp_auth_header
        token = jp_auth_header["Authorization"].split()[-1]
        app = jp_serverapp

        def url(self, *parts, ws=False):
            return URL((self.ws_base if ws else self.base) + "/".join(parts), encoded=True)

    return Server()


async def call(method, url, headers=None, data=None):
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        async with http.request(method, url, headers=headers or {}, data=data) as r:
            return r.status, await r.read()


async def ws_status(url, headers=None) -> int:
    """The handshake's status: 101 when the WebSocket opened."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        try:
            sock = await http.ws_connect(url, headers=headers or {})
        except aiohttp.WSServerHandshakeError as exc:
            return exc.status
        await sock.close()
        return 101


async def login_cookie(server) -> str:
    """The login cookie a browser holds after opening JupyterLab with the token."""
    async with aiohttp.ClientSession() as http:
        async with http.get(server.url(f"api/status?token={server.token}")) as r:
            assert r.status == 200
            return "; ".join(f"{c.key}={c.value}" for c in r.cookies.values())


def pvw_routes(web_app) -> list[tuple[str, type]]:
    """Every (path regex, handler class) the server registered under pvw/."""
    found = []
    for rule in web_app.default_router.rules:
        for inner in getattr(rule.target, "rules", []):
            pattern = getattr(inner.matcher, "regex", None)
            if pattern is not None and "/pvw/" in pattern.pattern:
                found.append((pattern.pattern, inner.target))
    return found


def verbs(handler: type) -> list[str]:
    if issubclass(handler, WebSocketHandler):
        return ["WEBSOCKET"]
    own = [k for k in handler.__mro__ if k.__module__.startswith("jupyterlab_pvw")]
    return [
        v.upper()
        for v in ("get", "post", "put", "patch", "delete")
        if any(v in k.__dict__ for k in own)
    ]


async def test_every_pvw_route_refuses_missing_and_wrong_tokens_foreign_origins_and_read_only_writes(
    server, fake_engine
):
    port, secret = fake_engine
    session = announce("127.0.0.1", port, secret, pid=0, runtime_dir=server.app.runtime_dir)
    status, body = await call(
        "POST", server.url("pvw", "launcher"), server.auth, json.dumps({"application": "fake"})
    )
    assert status == 200, body
    launched = json.loads(body)["id"]
    routes = pvw_routes(server.app.web_app)
    assert len(routes) == 5, routes  # a new route joins this audit by itself
    cookie = await login_cookie(server)
    checked = []
    try:
        for pattern, handler in routes:
            item = launched if "launcher" in pattern else session.id
            path = re.sub(r"\([^)]*\)", item, pattern.rstrip("$"))
            for verb in verbs(handler):
                is_ws = verb == "WEBSOCKET"
                url = URL(
                    ("ws" if is_ws else "http") + f"://127.0.0.1:{server.url('').port}{path}",
                    encoded=True,
                )
                foreign = {
                    "Cookie": f"{cookie}; _xsrf={XSRF}",
                    "X-XSRFToken": XSRF,
                    "Origin": FOREIGN,
                }
                for name, headers in [("no token", {}), ("wrong token", {"Authorization": "token wrong"}),
                                      ("foreign origin", foreign)]:  # fmt: skip
                    status = (
                        await ws_status(url, headers)
                        if is_ws
                        else (await call(verb, url, headers, b"{}"))[0]
                    )
                    assert status in (403, 404), (verb, path, name, status)
                    checked.append((verb, path, name))
                if verb != "GET":
                    original = server.app.web_app.settings["authorizer"]
                    server.app.web_app.settings["authorizer"] = ReadOnly(parent=server.app)
                    try:
                        status = (
                            await ws_status(url, server.auth)
                            if is_ws
                            else (await call(verb, url, server.auth, b"{}"))[0]
                        )
                    finally:
                        server.app.web_app.settings["authorizer"] = original
                    assert status == 403, (verb, path, "read-only authorizer", status)
                    checked.append((verb, path, "read-only"))
        # The refusals are not a broken setup: the same requests with the token succeed.
        assert (await call("GET", server.url("pvw", "launcher"), server.auth))[0] == 200
        assert (
            await ws_status(server.url("pvw", "sessions", session.id, "ws", ws=True), server.auth)
            == 101
        )
        assert (await call("GET", server.url("pvw", "sessions"), {"Cookie": cookie}))[0] == 200
        assert SessionTable(server.app.runtime_dir).get(session.id) is not None, (
            "a refused DELETE deleted"
        )
        assert {v for v, _, _ in checked} == {"GET", "POST", "DELETE", "WEBSOCKET"}
    finally:
        withdraw(session.id, runtime_dir=server.app.runtime_dir)
        await call("DELETE", server.url("pvw", "launcher", launched), server.auth)


async def test_remote_announce_needs_an_allowed_host_and_a_real_engine_with_that_secret(
    server, fake_engine
):
    port, secret = fake_engine
    url = server.url("pvw", "sessions")

    async def post(body):
        status, raw = await call("POST", url, server.auth, json.dumps(body))
        return status, json.loads(raw)

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()  # accepts TCP, speaks nothing
        silent = s.getsockname()[1]
        dead = free_port_range(1)[0]
        for body, status, message in [
            (
                {"host": "10.1.2.3", "port": port, "secret": secret},
                403,
                "not in this server's allowlist",
            ),
            (
                {"host": "example.com", "port": 443, "secret": secret},
                403,
                "c.PvwSessions.allowed_hosts",
            ),
            (
                {"host": "127.0.0.1", "port": dead, "secret": secret},
                400,
                "no wslink engine answers",
            ),
            (
                {"host": "127.0.0.1", "port": server.url("").port, "secret": secret},
                400,
                "is not a wslink engine",
            ),
            (
                {"host": "127.0.0.1", "port": port, "secret": "wrong"},
                403,
                "refused the announced secret",
            ),
        ]:
            got, answer = await post(body)
            assert got == status and message in answer["message"], (body, got, answer)
        del silent
    assert json.loads((await call("GET", url, server.auth))[1])["sessions"] == []
    status, answer = await post({"host": "127.0.0.1", "port": port, "secret": secret, "name": "ok"})
    assert status == 201 and "secret" not in answer
    withdraw(answer["id"], runtime_dir=server.app.runtime_dir)


async def test_allowlist_is_configurable(jp_configurable_serverapp):
    from traitlets.config import Config

    from jupyterlab_pvw.server import PvwSessions

    app = jp_configurable_serverapp(
        config=Config({"PvwSessions": {"allowed_hosts": ["node*.cluster"]}})
    )
    assert PvwSessions(parent=app).allowed_hosts == ["node*.cluster"]
    from jupyterlab_pvw.server.handlers import host_allowed

    assert host_allowed("node17.cluster", ["node*.cluster"]) and not host_allowed(
        "127.0.0.1", ["node*.cluster"]
    )


async def test_proxy_checks_everything_before_it_connects_and_leaks_no_engine_connection(
    server, fake_engine
):
    port, secret = fake_engine
    session = announce("127.0.0.1", port, secret, pid=0, runtime_dir=server.app.runtime_dir)
    url = server.url("pvw", "sessions", session.id, "ws", ws=True)
    http_url = server.url("pvw", "sessions", session.id, "ws")
    cookie = await login_cookie(server)
    probe = WslinkClient(f"ws://127.0.0.1:{port}/ws", secret)
    await probe.connect()
    try:
        for _ in range(20):
            assert await ws_status(url, {"Cookie": cookie, "Origin": FOREIGN}) == 403
            assert (await call("GET", http_url, server.auth))[0] == 400  # a plain GET: no Upgrade
            status, _ = await call(
                "GET", http_url, {**server.auth, "Upgrade": "websocket", "Connection": "Upgrade"}
            )
            assert status == 426  # no Sec-WebSocket-Key
        assert await probe.call("fake.connections") == {"open": 0, "accepted": 0}
        # One real client, then it leaves: its engine connection ends with it.
        client = WslinkClient(str(url), "", headers=server.auth)
        await client.connect()
        await client.close()
        for _ in range(100):
            counts = await probe.call("fake.connections")
            if counts["open"] == 0:
                break
            await asyncio.sleep(0.1)
        assert counts == {"open": 0, "accepted": 1}
        seen = await probe.call("fake.seen")
        assert seen.count("wslink.hello") == 2, (
            f"only the probe and the one client said hello: {seen}"
        )
    finally:
        await probe.close()
        withdraw(session.id, runtime_dir=server.app.runtime_dir)


async def test_proxy_answers_application_exit_itself_and_supplies_the_secret(server, fake_engine):
    port, secret = fake_engine
    session = announce("127.0.0.1", port, secret, pid=0, runtime_dir=server.app.runtime_dir)
    client = WslinkClient(
        str(server.url("pvw", "sessions", session.id, "ws", ws=True)),
        "placeholder",
        headers=server.auth,
    )
    await client.connect()  # the proxy wrote the real secret into the hello
    try:
        for method, args in [("application.exit", []), ("application.exit.later", [10])]:
            with pytest.raises(WslinkError) as err:
                await client.call(method, args)
            assert err.value.code == -32601 and "only the engine's owner" in str(err.value)
        assert await client.call("other.call") == {"method": "other.call"}
        seen = await client.call("fake.seen")
        assert "application.exit" not in seen and "application.exit.later" not in seen, seen
    finally:
        await client.close()
        withdraw(session.id, runtime_dir=server.app.runtime_dir)


async def test_launcher_under_jupyter_hands_out_no_secret_and_owns_its_fields(server):
    url = server.url("pvw", "launcher")
    status, raw = await call("POST", url, server.auth, json.dumps({"application": "fake", "host": "evil.example",
                                                                    "port": 1, "sessionURL": "ws://evil/"}))  # fmt: skip
    answer = json.loads(raw)
    assert status == 200, answer
    real = server.app.web_app.settings["pvw_launcher"]().sessions[answer["id"]]
    assert answer["secret"] != real.secret and real.secret.encode() not in raw
    assert (
        answer["host"] == "127.0.0.1"
        and answer["port"] == real.port
        and isinstance(answer["port"], int)
    )
    assert answer["sessionURL"].endswith(f"/pvw/sessions/{answer['id']}/ws?token={server.token}")
    try:
        for path in [("pvw", "launcher"), ("pvw", "launcher", answer["id"])]:
            status, raw = await call("GET", server.url(*path), server.auth)
            assert status == 200 and real.secret.encode() not in raw
            # The launching request's token is its own: nobody else reads it in a listing.
            assert server.token.encode() not in raw, raw
        # The stock client's way: it connects to sessionURL, hello with the placeholder secret.
        client = WslinkClient(answer["sessionURL"].replace("${id}", answer["id"]), answer["secret"])
        await client.connect()
        assert await client.call("x") == {"method": "x"}
        await client.close()
        # A cookie-authenticated page (same origin) gets a sessionURL without the token.
        cookie = await login_cookie(server)
        headers = {"Cookie": f"{cookie}; _xsrf={XSRF}", "X-XSRFToken": XSRF}
        status, raw = await call("POST", url, headers, json.dumps({"application": "fake"}))
        by_cookie = json.loads(raw)
        assert status == 200 and by_cookie["sessionURL"].endswith("/ws"), by_cookie
        await call("DELETE", server.url("pvw", "launcher", by_cookie["id"]), server.auth)
    finally:
        await call("DELETE", server.url("pvw", "launcher", answer["id"]), server.auth)


@pytest.mark.parametrize(
    "body, status, message",
    [
        (b"\xff\xfe", 400, "not UTF-8"),
        (b"[" * 5000 + b"]" * 5000, 400, "nested deeper"),
        (b'{"application": "fake", "x": NaN}', 400, "NaN is not valid JSON"),
        (b'{"application": "fake", "x": 1e999}', 400, "out of range"),
        (b'{"application": "fake", "pad": "' + b"x" * (10 * 1024 * 1024) + b'"}', 413, "at most"),
        (b"[1]", 400, "must be a JSON object"),
    ],
)
async def test_launcher_and_announce_refuse_bad_bodies_cleanly(server, body, status, message):
    for path in [("pvw", "launcher"), ("pvw", "sessions")]:
        got, raw = await call("POST", server.url(*path), server.auth, body)
        assert got == status and message in json.loads(raw)["message"], (path, got, raw[:200])
    assert server.app.web_app.settings["pvw_launcher"]().sessions == {}


async def test_pid0_sessions_that_no_longer_answer_are_dropped_at_start(
    jp_runtime_dir, fake_engine, request
):
    port, secret = fake_engine
    alive = announce("127.0.0.1", port, secret, pid=0, runtime_dir=jp_runtime_dir)
    gone = announce("127.0.0.1", free_port_range(1)[0], "x", pid=0, runtime_dir=jp_runtime_dir)
    request.getfixturevalue("jp_serverapp")  # a server starting on that runtime directory
    assert [s.id for s in SessionTable(jp_runtime_dir).list()] == [alive.id]
    withdraw(alive.id, runtime_dir=jp_runtime_dir)
    del gone


async def test_sessions_item_route_and_errors_are_json(server):
    status, raw = await call("GET", server.url("pvw", "sessions", "nosuch"), server.auth)
    assert status == 404 and json.loads(raw)["message"] == "no session 'nosuch'"
    status, raw = await call("DELETE", server.url("pvw", "sessions", "nosuch"), server.auth)
    assert status == 404
