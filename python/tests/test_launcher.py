"""The launcher, for real: processes, ports, logs, the proxy file, and the two front ends
(standalone forwarding, and the Jupyter server's authenticated proxy)."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import aiohttp
import pytest
from conftest import HERE, jpeg_pixels, require_paraview_env

from jupyterlab_pvw.launcher import ConfigError, Launcher, LauncherError, load, strip_comments
from jupyterlab_pvw.wslink_client import WslinkClient

pytest_plugins = ["pytest_jupyter.jupyter_server"]
HEAT = HERE.parents[1] / "examples" / "heat.py"


def free_port_range(n: int) -> list[int]:
    """n consecutive free ports (checked by binding)."""
    for start in range(23000, 60000, 97):
        ports = list(range(start, start + n))
        socks = []
        try:
            for p in ports:
                s = socket.socket()
                s.bind(("127.0.0.1", p))
                socks.append(s)
            return ports
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free port range")


def write_config(
    tmp_path: Path, ports: list[int], extra_conf: dict | None = None, host="127.0.0.1"
) -> Path:
    fake_ssh = tmp_path / "fake-ssh"
    fake_ssh.write_text(
        '#!/bin/sh\n# stands in for ssh: HOST CMD... runs CMD here\necho "fake-ssh to $1"\nshift\nexec "$@"\n'
    )
    fake_ssh.chmod(0o755)
    conf = {"log_dir": str(tmp_path / "logs"), "proxy_file": str(tmp_path / "proxy.txt"), "timeout": 60,
            "endpoint": "paraview", "fields": ["host", "port"], "ssh": [str(fake_ssh), "${host}"],
            "sanitize": {"ranks": {"type": "regexp", "regexp": "^[12]$", "default": "1"},
                         "word": {"type": "inList", "list": ["world", "there", "-rf", "../x"]}},
            **(extra_conf or {})}  # fmt: skip
    text = "{\n  // ParaView's launcher format: comments are allowed\n" + textwrap.indent(json.dumps({
        "configuration": conf,
        "sessionData": {"viewer": "pvw-${application}"},
        "resources": [{"host": host, "port_range": [ports[0], ports[-1]]}],
        "properties": {"python": sys.executable, "heat": str(HEAT)},
        "apps": {
            "engine": {"cmd": ["mpiexec", "-n", "${ranks}", "${python}", "${heat}", "--host", "127.0.0.1", "--port",
                               "${port}", "--secret", "${secret}", "--size", "16", "--steps", "100000000",
                               "--every", "50"], "ready_line": "wslink: Starting factory"},
            "echo": {"cmd": ["${python}", "-c", "import sys, time; print('hello', sys.argv[1:], flush=True); "
                             "print('READY', flush=True); time.sleep(600)", "${word}"], "ready_line": "READY"},
            "silent": {"cmd": ["${python}", "-c", "import time; time.sleep(600)"], "ready_line": "never", "timeout": 1.5},
            "crash": {"cmd": ["${python}", "-c", "print('boom'); raise SystemExit(3)"], "ready_line": "READY"},
        },
    }, indent=1)[1:], "  ") + "\n"  # fmt: skip
    path = tmp_path / "launcher.json"
    path.write_text(text.replace('"timeout": 60,', '"timeout": 60, /* seconds */'))
    return path


def alive(pid: int) -> bool:
    """Running, and not merely a zombie waiting for its parent to reap it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def cmdlines() -> list[bytes]:
    """Every process's command line, as ``ps`` shows it to any local user."""
    found = []
    for path in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            found.append(path.read_bytes())
        except OSError:
            pass  # ended meanwhile
    return found


def proxy_lines(tmp_path) -> list[str]:
    return (tmp_path / "proxy.txt").read_text().splitlines()


def test_config_with_comments_and_bad_configs(tmp_path):
    assert json.loads(strip_comments('{"a": "http://x//y", /* c */ "b": [1, 2,], // end\n}')) == {
        "a": "http://x//y",
        "b": [1, 2],
    }
    config = load(write_config(tmp_path, [1, 2]))
    assert sorted(config["apps"]) == ["crash", "echo", "engine", "silent"]
    (tmp_path / "bad.json").write_text('{"apps": {}}')
    with pytest.raises(ConfigError, match="resources"):
        load(tmp_path / "bad.json")
    (tmp_path / "bad.json").write_text("{nope")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load(tmp_path / "bad.json")


async def test_launch_get_delete_and_bad_requests(tmp_path):
    ports = free_port_range(2)
    launcher = Launcher(load(write_config(tmp_path, ports)))
    try:
        answer = await launcher.launch(
            {"application": "echo", "word": "world", "id": "../../evil", "extra": 7}
        )
        assert (
            answer["id"] != "../../evil" and answer["extra"] == 7 and answer["viewer"] == "pvw-echo"
        )
        assert answer["host"] == "127.0.0.1" and int(answer["port"]) in ports
        assert re.fullmatch(r"[0-9a-f]{32}", answer["secret"]), "generated secrets are hex"
        assert answer["sessionURL"] == f"ws://127.0.0.1:{answer['port']}/ws"
        log = tmp_path / "logs" / f"{answer['id']}.txt"
        assert "hello ['world']" in log.read_text() and log.parent == tmp_path / "logs"
        assert launcher.get(answer["id"]) == answer
        assert proxy_lines(tmp_path) == [f"{answer['id']} 127.0.0.1:{answer['port']}"]
        pid = launcher.sessions[answer["id"]].process.pid

        for request, status, message in [
            ({}, 400, "needs an 'application'"),
            ({"application": "nosuch"}, 404, "unknown application 'nosuch'"),
            ({"application": "echo"}, 400, "needs the field(s) ['word']"),
            ({"application": "echo", "word": "; rm -rf /"}, 400, "is not allowed (sanitize"),
            ({"application": "echo", "word": "-rf"}, 400, "leading '-'"),
            ({"application": "echo", "word": "../x"}, 400, "'..'"),
            ({"application": "echo", "word": ["world"]}, 400, "string or a number"),
            ({"application": "engine", "ranks": "64"}, 400, "is not allowed (sanitize"),
            ({"application": "silent"}, 503, "did not print its ready line 'never' within 1.5 s"),
            ({"application": "crash"}, 503, "exited with code 3 before it was ready"),
        ]:
            with pytest.raises(LauncherError) as err:
                await launcher.launch(request)
            assert err.value.status == status and message in err.value.message, (
                request,
                err.value.message,
            )
        with pytest.raises(LauncherError) as err:
            await launcher.launch({"application": "crash"})
        assert err.value.extra["log_tail"] == ["boom"]
        with pytest.raises(LauncherError) as err:
            await launcher.launch({"application": "nosuch"})
        assert err.value.extra["known"] == ["crash", "echo", "engine", "silent"]

        # Generated secrets never look like options; a client's secret is checked like any field.
        with pytest.raises(LauncherError, match="leading '-'"):
            await launcher.launch({"application": "echo", "word": "world", "secret": "-rf"})
        # A request cannot replace what the configuration sets (here: the executable).
        second = await launcher.launch(
            {"application": "echo", "word": "there", "python": "/bin/false"}
        )
        assert launcher.sessions[second["id"]].cmd[0] == sys.executable
        with pytest.raises(LauncherError) as err:  # both ports taken
            await launcher.launch({"application": "echo", "word": "world"})
        assert err.value.status == 503 and "no free resource" in err.value.message
        assert len(proxy_lines(tmp_path)) == 2

        deleted = await launcher.delete(answer["id"])
        assert deleted["id"] == answer["id"] and not alive(pid)
        with pytest.raises(LauncherError) as err:
            await launcher.delete(answer["id"])
        assert err.value.status == 404
        assert proxy_lines(tmp_path) == [f"{second['id']} 127.0.0.1:{second['port']}"]
        pids = [s.process.pid for s in launcher.sessions.values()]  # shutdown empties it
        assert pids and all(alive(pid) for pid in pids)
    finally:
        await launcher.shutdown()
    assert proxy_lines(tmp_path) == [] and not any(alive(pid) for pid in pids)


async def test_ended_and_idle_sessions_are_reaped(tmp_path):
    launcher = Launcher(load(write_config(tmp_path, free_port_range(2), {"idle_timeout": 1})))
    try:
        answer = await launcher.launch({"application": "echo", "word": "world"})
        pid = launcher.sessions[answer["id"]].process.pid
        for _ in range(100):
            if not launcher.sessions and not alive(pid) and proxy_lines(tmp_path) == []:
                break
            await asyncio.sleep(0.1)
        assert not launcher.sessions and not alive(pid) and proxy_lines(tmp_path) == []
    finally:
        await launcher.shutdown()


async def test_the_reaper_ends_with_the_last_session(tmp_path):
    """A loop that closes right after the last session went (a test's, the Jupyter server's
    at exit) must find no reaper pending: asyncio reports such a task as destroyed."""

    def reapers():
        return [t for t in asyncio.all_tasks() if t.get_coro().__name__ == "_reap"]

    launcher = Launcher(load(write_config(tmp_path, free_port_range(2))))
    try:
        first = await launcher.launch({"application": "echo", "word": "world"})
        second = await launcher.launch({"application": "echo", "word": "world"})
        await launcher.delete(first["id"])
        assert len(reapers()) == 1  # a session left to watch
        await launcher.delete(second["id"])
        assert reapers() == []
        await launcher.launch({"application": "echo", "word": "world"})
        assert len(reapers()) == 1
    finally:
        await launcher.shutdown()
    assert reapers() == []


async def test_remote_resource_starts_through_the_ssh_template(tmp_path):
    launcher = Launcher(load(write_config(tmp_path, [40001], host="compute-7")))
    try:
        answer = await launcher.launch({"application": "echo", "word": "world"})
        log = (tmp_path / "logs" / f"{answer['id']}.txt").read_text()
        assert log.startswith("fake-ssh to compute-7") and "hello ['world']" in log
        assert launcher.sessions[answer["id"]].cmd[:2] == [str(tmp_path / "fake-ssh"), "compute-7"]
    finally:
        await launcher.shutdown()


def test_standalone_launcher_forwards_to_a_real_engine(tmp_path):
    require_paraview_env()
    ports = free_port_range(3)
    config = write_config(tmp_path, ports[1:])
    proc = subprocess.Popen([sys.executable, "-m", "jupyterlab_pvw.launcher", str(config), "--port", str(ports[0])],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    assert "serving" in proc.stdout.readline()
    base = f"http://127.0.0.1:{ports[0]}/paraview"

    async def scenario():
        async with aiohttp.ClientSession() as http:
            for _ in range(50):
                try:
                    async with http.post(base, data="{bad json") as r:
                        assert r.status == 400 and "malformed JSON" in (await r.json())["error"]
                    break
                except aiohttp.ClientConnectorError:
                    await asyncio.sleep(0.1)
            # As npm wslink's ProcessLauncher does it: JSON as text/plain.
            async with http.post(
                base, data=json.dumps({"application": "engine", "ranks": "2"})
            ) as r:
                answer = await r.json()
                assert r.status == 200, answer
            assert (
                answer["sessionURL"] == f"ws://127.0.0.1:{ports[0]}/proxy?sessionId={answer['id']}"
            )
            async with http.get(f"{base}/{answer['id']}") as r:
                assert (await r.json())["id"] == answer["id"]
            frames = asyncio.Queue()
            client = WslinkClient(answer["sessionURL"], answer["secret"])
            client.subscribe("viewport.image.push.subscription", frames.put_nowait)
            await client.connect()
            await client.call("viewport.image.push.observer.add", ["-1"])
            await client.call("viewport.image.push", [{"view": "-1", "size": [200, 200]}])
            frame = await asyncio.wait_for(frames.get(), 60)
            assert jpeg_pixels(frame["image"]).ndim == 3
            assert (await client.call("pvw.status"))["datasets"] == {
                "0": ["temperature"],
                "1": ["temperature"],
            }
            await client.close()
            async with http.delete(f"{base}/{answer['id']}") as r:
                assert r.status == 200
            async with http.delete(f"{base}/{answer['id']}") as r:
                assert r.status == 404
            return answer

    try:
        answer = asyncio.run(scenario())
        assert proxy_lines(tmp_path) == []
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", int(answer["port"]))) != 0, (
                "the engine's port is still open"
            )
    finally:
        proc.terminate()
        proc.wait(30)
    out = subprocess.run(["pgrep", "-f", str(HEAT)], capture_output=True, text=True).stdout
    assert out.strip() == "", f"orphan engine processes: {out}"


@pytest.fixture
def jp_server_config(tmp_path):
    ports = free_port_range(2)
    return {"ServerApp": {"jpserver_extensions": {"jupyterlab_pvw": True}},
            "PvwLauncher": {"config_file": str(write_config(tmp_path, ports))}}  # fmt: skip


async def test_jupyter_launcher_and_proxy(
    jp_fetch, jp_serverapp, http_server_client, jp_http_port, jp_auth_header, tmp_path
):
    require_paraview_env()
    from tornado.httpclient import HTTPClientError

    with pytest.raises(HTTPClientError) as err:
        await jp_fetch("pvw", "launcher", method="POST", body="{}", headers={"Authorization": ""})
    assert err.value.code == 403
    with pytest.raises(HTTPClientError) as err:
        await jp_fetch("pvw", "launcher", method="POST", body="{nope")
    assert err.value.code == 400
    with pytest.raises(HTTPClientError) as err:
        await jp_fetch("pvw", "launcher", method="POST", body=json.dumps({"application": "nosuch"}))
    assert err.value.code == 404 and b"engine" in err.value.response.body
    response = await jp_fetch(
        "pvw", "launcher", method="POST", body=json.dumps({"application": "engine", "ranks": 2})
    )
    answer = json.loads(response.body)
    assert "/pvw/sessions/" in answer["sessionURL"] and answer["sessionURL"].split("?")[0].endswith(
        "/ws"
    )
    listed = json.loads((await jp_fetch("pvw", "sessions")).body)["sessions"]
    assert [s["id"] for s in listed] == [answer["id"]] and listed[0]["name"] == "engine"
    url = answer["sessionURL"].replace("${id}", answer["id"])
    frames = asyncio.Queue()
    client = WslinkClient(url, "not-the-secret", headers=jp_auth_header)  # the proxy supplies it
    client.subscribe("viewport.image.push.subscription", frames.put_nowait)
    await client.connect()
    await client.call("viewport.image.push.observer.add", ["-1"])
    assert (await asyncio.wait_for(frames.get(), 60))["format"] == "jpeg"
    await client.close()
    pid = listed[0]["pid"]
    deleted = json.loads((await jp_fetch("pvw", "launcher", answer["id"], method="DELETE")).body)
    assert deleted["id"] == answer["id"]
    for _ in range(50):
        if not alive(pid):
            break
        await asyncio.sleep(0.1)
    assert not alive(pid)
    assert json.loads((await jp_fetch("pvw", "sessions")).body)["sessions"] == []
    with pytest.raises(HTTPClientError) as err:
        await jp_fetch("pvw", "launcher", answer["id"], method="DELETE")
    assert err.value.code == 404


async def test_the_shipped_example_configuration_launches_heat(tmp_path):
    require_paraview_env()
    config = load(HERE.parents[1] / "examples" / "launcher.json")
    ports = free_port_range(1)
    config["configuration"].update(
        log_dir=str(tmp_path / "logs"), proxy_file=str(tmp_path / "proxy.txt")
    )
    config["resources"] = [{"host": "127.0.0.1", "port_range": [ports[0], ports[0]]}]
    config["properties"].update(python=sys.executable, heat=str(HEAT))
    launcher = Launcher(config)
    try:
        answer = await launcher.launch({"application": "heat", "ranks": "2", "size": "16"})
        assert answer["viewer"] == "jupyterlab-pvw" and answer["port"] == ports[0]
        log = tmp_path / "logs" / f"{answer['id']}.txt"
        for _ in range(600):
            if "heat: watch at" in log.read_text():
                break
            await asyncio.sleep(0.1)
        assert "heat: watch at" in log.read_text() and answer["secret"] not in log.read_text()
        assert log.stat().st_mode & 0o777 == 0o600
        assert not any(answer["secret"].encode() in c for c in cmdlines()), (
            "the secret is visible in ps"
        )
        with pytest.raises(LauncherError, match="sanitize"):
            await launcher.launch({"application": "heat", "ranks": "9", "size": "16"})
    finally:
        await launcher.shutdown()
    assert proxy_lines(tmp_path) == []


def test_config_as_paraview_documents_it(tmp_path):
    (tmp_path / "c.json").write_text(
        '# a shell-style comment\n{"resources": [{"host": "h", "port_range": [1, 2]}], # trailing\n'
        ' "apps": {"a": {"cmd": ["echo", "#not-a-comment", "${x}"]}}}\n'
    )
    config = load(tmp_path / "c.json")
    assert config["apps"]["a"]["cmd"] == ["echo", "#not-a-comment", "${x}"]


async def test_defaults_missing_fields_lists_and_owned_answer_fields(tmp_path):
    config = load(write_config(tmp_path, free_port_range(2)))
    config["configuration"]["sanitize"]["word"]["default"] = "there"
    config["sessionData"] = {
        "viewer": "pvw-${application}",
        "tags": ["a", "${application}"],
        "n": 3,
    }
    config["apps"]["two"] = {"cmd": ["${python}", "${first}", "${second}"]}
    config["configuration"]["fields"] = [
        "port"
    ]  # host is not sent back: a request's host must not be either
    launcher = Launcher(config)
    try:
        with pytest.raises(LauncherError, match=r"needs the field\(s\) \['first', 'second'\]"):
            await launcher.launch({"application": "two"})
        answer = await launcher.launch(
            {"application": "echo", "host": "evil.example", "port": 1, "id": "x"}
        )
        port = launcher.sessions[answer["id"]].port
        assert "host" not in answer and answer["port"] == port and answer["id"] != "x"
        assert answer["tags"] == ["a", "echo"] and answer["n"] == 3
        log = tmp_path / "logs" / f"{answer['id']}.txt"
        assert "hello ['there']" in log.read_text(), "the sanitize default fills a missing field"
        assert log.stat().st_mode & 0o777 == 0o600
    finally:
        await launcher.shutdown()


async def test_the_secret_travels_in_the_environment_not_on_a_command_line(tmp_path):
    config = load(write_config(tmp_path, free_port_range(1)))
    config["apps"]["env"] = {"cmd": ["${python}", "-c", "import os, time; print('READY', flush=True); time.sleep(600)"],
                             "ready_line": "READY"}  # fmt: skip
    launcher = Launcher(config)
    try:
        answer = await launcher.launch({"application": "env"})
        pid = launcher.sessions[answer["id"]].process.pid
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        assert f"PVW_SECRET={answer['secret']}".encode() in environ
        assert not any(answer["secret"].encode() in c for c in cmdlines())
    finally:
        await launcher.shutdown()


async def test_a_missed_ready_timeout_leaves_no_rank_behind(tmp_path):
    require_paraview_env()
    marker = f"pvw-stubborn-{tmp_path.name}"
    config = load(write_config(tmp_path, free_port_range(1)))
    # Ranks that ignore SIGTERM, as heat.py's do while it starts: only SIGKILL ends them.
    config["apps"]["stubborn"] = {
        "cmd": ["mpiexec", "-n", "2", "${python}", "-c",
                "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True); time.sleep(600)",
                marker], "ready_line": "never", "timeout": 20}  # fmt: skip
    launcher = Launcher(config)
    try:
        with pytest.raises(LauncherError, match="did not print its ready line"):
            await launcher.launch({"application": "stubborn"})
        left = subprocess.run(
            ["pgrep", "-f", marker], capture_output=True, text=True
        ).stdout.split()
        assert left == [], f"processes left after the timeout: {left}"
    finally:
        await launcher.shutdown()
        subprocess.run(["pkill", "-9", "-f", marker])


def test_standalone_refuses_bad_bodies_foreign_origins_and_exit_calls(tmp_path):
    ports = free_port_range(3)
    config = json.loads(strip_comments(write_config(tmp_path, ports[1:]).read_text()))
    config["configuration"]["cors_origins"] = ["http://friend.example"]
    config["apps"]["fake"] = {
        "cmd": ["${python}", str(HERE / "fake_engine.py"), "${port}"],
        "ready_line": "READY",
    }
    path = tmp_path / "cors.json"
    path.write_text(json.dumps(config))
    proc = subprocess.Popen([sys.executable, "-m", "jupyterlab_pvw.launcher", str(path), "--port", str(ports[0])],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    assert "serving" in proc.stdout.readline()
    base = f"http://127.0.0.1:{ports[0]}/paraview"

    async def scenario():
        async with aiohttp.ClientSession() as http:
            for _ in range(50):
                try:
                    async with http.post(base, data=b"\xff\xfe") as r:
                        assert r.status == 400 and "not UTF-8" in (await r.json())["error"]
                    break
                except aiohttp.ClientConnectorError:
                    await asyncio.sleep(0.1)
            for body, status in [(b"[" * 5000, 400), (b'{"application": "fake", "n": NaN}', 400),
                                 (b"{" + b" " * 100_000 + b"}", 413)]:  # fmt: skip
                async with http.post(base, data=body) as r:
                    assert r.status == status and "error" in await r.json(), body[:20]
            launch = json.dumps({"application": "fake"})
            # A browser would block this answer: it must not launch anything unseen.
            async with http.post(base, data=launch, headers={"Origin": "http://evil.example"}) as r:
                assert r.status == 403 and "cors_origins" in (await r.json())["error"]
            async with http.options(base, headers={"Origin": "http://evil.example",
                                                   "Access-Control-Request-Method": "POST"}) as r:  # fmt: skip
                assert r.status == 403
            async with http.options(base, headers={"Origin": "http://friend.example",
                                                   "Access-Control-Request-Method": "POST"}) as r:  # fmt: skip
                assert (
                    r.status == 204
                    and r.headers["Access-Control-Allow-Origin"] == "http://friend.example"
                )
            assert proxy_lines(tmp_path) == [], "a refused request launched a session"
            async with http.post(
                base, data=launch, headers={"Origin": "http://friend.example"}
            ) as r:
                answer = await r.json()
                assert (
                    r.status == 200
                    and r.headers["Access-Control-Allow-Origin"] == "http://friend.example"
                )
            client = WslinkClient(answer["sessionURL"], answer["secret"])
            await client.connect()
            from jupyterlab_pvw.wslink_client import WslinkError

            with pytest.raises(WslinkError) as err:
                await client.call("application.exit.later", [10])
            assert err.value.code == -32601
            assert "application.exit.later" not in await client.call("fake.seen")
            await client.close()
            async with http.delete(f"{base}/{answer['id']}") as r:
                assert r.status == 200

    try:
        asyncio.run(scenario())
    finally:
        proc.terminate()
        proc.wait(30)
