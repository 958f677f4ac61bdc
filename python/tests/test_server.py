"""The server extension in a real Jupyter server: authenticated session list."""

from __future__ import annotations

import json
import os

import pytest
from tornado.httpclient import HTTPClientError

from jupyterlab_pvw.session_table import SessionTable, announce, withdraw

pytest_plugins = ["pytest_jupyter.jupyter_server"]


@pytest.fixture
def jp_server_config():
    return {"ServerApp": {"jpserver_extensions": {"jupyterlab_pvw": True}}}


async def test_sessions_list_hides_secrets(jp_fetch, jp_serverapp):
    session = announce(
        "127.0.0.1", 12345, "s3cret", name="heat", ranks=2, runtime_dir=jp_serverapp.runtime_dir
    )
    try:
        response = await jp_fetch("pvw", "sessions")
        body = json.loads(response.body)
        assert [s["id"] for s in body["sessions"]] == [session.id]
        listed = body["sessions"][0]
        assert listed["port"] == 12345 and listed["ranks"] == 2 and listed["name"] == "heat"
        assert "secret" not in listed and b"s3cret" not in response.body
    finally:
        withdraw(session.id, runtime_dir=jp_serverapp.runtime_dir)
    body = json.loads((await jp_fetch("pvw", "sessions")).body)
    assert body["sessions"] == []


async def test_sessions_list_requires_authentication(jp_fetch):
    with pytest.raises(HTTPClientError) as err:
        await jp_fetch("pvw", "sessions", headers={"Authorization": ""})
    assert err.value.code == 403


def test_table_ignores_untrusted_and_dead_sessions(tmp_path):
    good = announce("127.0.0.1", 1, "a", runtime_dir=tmp_path)
    readable = announce("127.0.0.1", 2, "b", runtime_dir=tmp_path)
    os.chmod(tmp_path / "pvw-sessions" / f"{readable.id}.json", 0o644)
    dead = announce("127.0.0.1", 3, "c", runtime_dir=tmp_path, pid=2**22 + 12345)
    (tmp_path / "pvw-sessions" / "garbage.json").write_text("{not json")
    os.chmod(tmp_path / "pvw-sessions" / "garbage.json", 0o600)
    table = SessionTable(tmp_path)
    assert [s.id for s in table.list()] == [good.id]
    assert not (tmp_path / "pvw-sessions" / f"{dead.id}.json").exists()
    assert table.get("../../etc/passwd") is None and table.get(good.id).secret == "a"
    with pytest.raises(ValueError):
        announce("h", 1, "s", runtime_dir=tmp_path, session_id="../x")


def _ws_url(jp_http_port, jp_base_url, session_id):
    return f"ws://127.0.0.1:{jp_http_port}{jp_base_url}pvw/sessions/{session_id}/ws"


def _raw(url):
    """aiohttp would unescape the test server's base_url (/a%40b/); keep it as it is."""
    from yarl import URL

    return URL(url, encoded=True)


async def test_proxy_streams_frames_without_the_secret_reaching_the_browser(
    sim, jp_serverapp, http_server_client, jp_http_port, jp_base_url, jp_auth_header
):
    import asyncio

    from conftest import jpeg_pixels

    from jupyterlab_pvw.wslink_client import WslinkClient

    info = sim.info
    session = announce(
        "127.0.0.1", info["port"], info["secret"], ranks=2, runtime_dir=jp_serverapp.runtime_dir
    )
    try:
        frames = asyncio.Queue()
        # The browser does not know the secret: it sends a placeholder the proxy replaces.
        client = WslinkClient(
            _ws_url(jp_http_port, jp_base_url, session.id), "", headers=jp_auth_header
        )
        client.subscribe("viewport.image.push.subscription", frames.put_nowait)
        await client.connect()
        try:
            await client.call("viewport.image.push.observer.add", ["-1"])
            await client.call("viewport.image.push", [{"view": "-1", "size": [320, 240]}])
            frame = await asyncio.wait_for(frames.get(), 60)
            while frame["size"] != [320, 240]:
                frame = await asyncio.wait_for(frames.get(), 60)
            assert jpeg_pixels(frame["image"]).shape == (240, 320, 3)
            status = await client.call("pvw.status")
            assert status["datasets"] == {"0": ["grid"], "1": ["grid"]}
        finally:
            await client.close()
    finally:
        withdraw(session.id, runtime_dir=jp_serverapp.runtime_dir)


async def test_proxy_refuses_unauthenticated_and_unknown(
    sim, jp_serverapp, http_server_client, jp_http_port, jp_base_url, jp_auth_header
):
    import aiohttp

    info = sim.info
    session = announce(
        "127.0.0.1", info["port"], info["secret"], runtime_dir=jp_serverapp.runtime_dir
    )
    try:
        async with aiohttp.ClientSession() as http:
            url = _ws_url(jp_http_port, jp_base_url, session.id)
            with pytest.raises(aiohttp.WSServerHandshakeError) as err:
                await http.ws_connect(_raw(url))
            assert err.value.status == 403
            with pytest.raises(aiohttp.WSServerHandshakeError) as err:
                await http.ws_connect(_raw(url), headers={"Authorization": "token wrong"})
            assert err.value.status == 403
            with pytest.raises(aiohttp.WSServerHandshakeError) as err:
                await http.ws_connect(
                    _raw(_ws_url(jp_http_port, jp_base_url, "nosuch")), headers=jp_auth_header
                )
            assert err.value.status == 404
    finally:
        withdraw(session.id, runtime_dir=jp_serverapp.runtime_dir)


async def test_proxy_reports_an_unreachable_engine(
    jp_serverapp, http_server_client, jp_http_port, jp_base_url, jp_auth_header
):
    import socket

    import aiohttp

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]
    session = announce("127.0.0.1", dead_port, "x", runtime_dir=jp_serverapp.runtime_dir)
    try:
        async with aiohttp.ClientSession() as http:
            with pytest.raises(aiohttp.WSServerHandshakeError) as err:
                await http.ws_connect(
                    _raw(_ws_url(jp_http_port, jp_base_url, session.id)), headers=jp_auth_header
                )
            assert err.value.status == 502
    finally:
        withdraw(session.id, runtime_dir=jp_serverapp.runtime_dir)


def test_client_filter_rewrites_hello_refuses_exit_and_passes_the_rest():
    from jupyterlab_pvw.proxy_filter import ClientFilter
    from jupyterlab_pvw.wslink_client import Reassembler, encode

    guard = ClientFilter("real")
    hello = encode(
        {"wslink": "1.0", "id": "system:c0:1", "method": "wslink.hello", "args": [{"secret": "x"}]}
    )
    (rewritten,) = guard.feed(hello).to_engine
    rewritten = Reassembler().feed(rewritten)
    assert rewritten["args"] == [{"secret": "real"}] and rewritten["id"] == "system:c0:1"
    other = encode({"wslink": "1.0", "id": "rpc:c0:2", "method": "pvw.status", "args": []})
    assert guard.feed(other).to_engine == [other], "other messages pass byte for byte"
    # A message split into chunks is judged whole: an exit cannot slip through in pieces.
    body = encode(
        {"wslink": "1.0", "id": "rpc:c0:3", "method": "application.exit.later", "args": [10]}
    )
    total = len(body) - 12
    first = body[:4] + (0).to_bytes(4, "little") + total.to_bytes(4, "little") + body[12:20]
    second = body[:4] + (8).to_bytes(4, "little") + total.to_bytes(4, "little") + body[20:]
    pending = guard.feed(first)
    assert pending.to_engine == [] and pending.to_client == []
    refused = guard.feed(second)
    assert refused.to_engine == []
    error = Reassembler().feed(refused.to_client[0])
    assert error["id"] == "rpc:c0:3" and error["error"]["code"] == -32601
    for bad in (b"\x00" * 5, b"\x00" * 12 + b"\xc1"):
        with pytest.raises(ValueError):
            guard.feed(bad)
