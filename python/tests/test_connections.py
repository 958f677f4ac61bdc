"""Every way to connect, with real processes: reverse/attach (a simulation started outside
Jupyter announces itself, locally or with a token), forward without start-up (%pvw connect),
and forward with start-up (%pvw launch through a real Jupyter server's launcher)."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import sys
import time

import pytest
from conftest import HERE, MpiRun, require_paraview_env
from test_launcher import alive, free_port_range, write_config
from test_notebook import WIDGET_MIME, outputs_text, run_notebook

from jupyterlab_pvw.session_table import SessionTable
from jupyterlab_pvw.wslink_client import WslinkClient

pytest_plugins = ["pytest_jupyter.jupyter_server"]
HEAT = HERE.parents[1] / "examples" / "heat.py"


@pytest.fixture
def jp_server_config():
    return {"ServerApp": {"jpserver_extensions": {"jupyterlab_pvw": True}}}


def start_heat(*extra):
    """heat.py on 2 ranks, stepping until interrupted (the environment says where to announce)."""
    return MpiRun(HEAT, n=2, args=["--size", "16", "--steps", "100000000", "--every", "20", *extra])


def stop_heat(run):
    run.proc.send_signal(signal.SIGINT)
    assert run.proc.wait(60) is not None


async def test_reverse_attach_detach_keeps_the_simulation_running(
    jp_fetch,
    jp_serverapp,
    http_server_client,
    jp_http_port,
    jp_base_url,
    jp_auth_header,
    monkeypatch,
):
    require_paraview_env()
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", jp_serverapp.runtime_dir)
    run = start_heat("--announce")
    try:
        session_id = run.expect("heat: announced as session", timeout=120)
        listed = json.loads((await jp_fetch("pvw", "sessions")).body)["sessions"]
        assert [s["id"] for s in listed] == [session_id] and listed[0]["name"] == "heat.py"
        url = f"ws://127.0.0.1:{jp_http_port}{jp_base_url}pvw/sessions/{session_id}/ws"

        async def attach_once():
            frames = asyncio.Queue()
            client = WslinkClient(url, "", headers=jp_auth_header)
            client.subscribe("viewport.image.push.subscription", frames.put_nowait)
            await client.connect()
            await client.call("viewport.image.push.observer.add", ["-1"])
            frame = await asyncio.wait_for(frames.get(), 60)
            step = (await client.call("pvw.status"))["timestep"]
            await client.close()  # detach
            return frame, step

        _, first = await attach_once()
        await asyncio.sleep(2)
        frame, second = await attach_once()
        assert second > first, "the simulation must keep stepping across attach and detach"
        assert frame["format"] == "jpeg"
    finally:
        stop_heat(run)
    assert SessionTable(jp_serverapp.runtime_dir).list() == [], "the run withdraws its announcement"


async def test_remote_announce_with_a_token(
    jp_fetch, jp_serverapp, http_server_client, jp_http_port, jp_base_url, jp_auth_header
):
    require_paraview_env()
    token = jp_auth_header["Authorization"].split()[-1]
    server = f"http://127.0.0.1:{jp_http_port}{jp_base_url}"
    # In an executor: the server under test answers on this very event loop.
    bad = await asyncio.get_running_loop().run_in_executor(None, lambda: subprocess.run(
        [sys.executable, str(HEAT), "--steps", "1", "--announce-url", server, "--token", "wrong"],
        capture_output=True, text=True, timeout=120))  # fmt: skip
    assert bad.returncode != 0 and "failed with 403" in bad.stderr
    run = start_heat("--announce-url", server, "--token", token)
    try:
        # The run blocks on its POST until the server (this test's loop) answers.
        session_id = await asyncio.get_running_loop().run_in_executor(
            None, run.expect, "heat: announced as session"
        )
        listed = json.loads((await jp_fetch("pvw", "sessions")).body)["sessions"]
        assert [s["id"] for s in listed] == [session_id] and listed[0]["pid"] == 0
    finally:
        run.proc.send_signal(signal.SIGINT)
        await asyncio.get_running_loop().run_in_executor(None, run.proc.wait, 60)
    assert json.loads((await jp_fetch("pvw", "sessions")).body)["sessions"] == []


def test_kernel_attach_connect_and_sessions(tmp_path, monkeypatch):
    require_paraview_env()
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path))
    run = start_heat("--announce")
    try:
        url, secret = re.match(r"(\S+) with secret (\S+)", run.expect("heat: watch at")).groups()
        session_id = run.expect("heat: announced as session", timeout=120)
        nb = run_notebook(
            [
                "%load_ext jupyterlab_pvw",
                "%pvw sessions",
                f"%pvw attach {session_id}",
                "%pvw attach nosuch",
                f"%pvw connect {url} --secret {secret} --name again",
                "%pvw connect http://nowhere --secret x",
                "%pvw sessions",
            ],
            allow_errors=True,
        )
        texts = [outputs_text(c) for c in nb.cells]
        assert session_id in texts[1]
        assert any(WIDGET_MIME in o.get("data", {}) for o in nb.cells[2].outputs)
        assert "no ParaViewWeb session 'nosuch'" in texts[3] and session_id in texts[3]
        assert any(WIDGET_MIME in o.get("data", {}) for o in nb.cells[4].outputs)
        assert "expected an engine URL like ws://host:port/ws" in texts[5]
        listed = json.loads(
            next(o["text"] for o in nb.cells[6].outputs if o.get("name") == "stdout")
        )
        assert {s["name"] for s in listed} == {"heat.py", "again"}
        # Not started by this kernel: no pid to watch (kernel_id is only known under a Jupyter server).
        assert next(s for s in listed if s["name"] == "again")["pid"] == 0
    finally:
        stop_heat(run)


def test_kernel_launches_through_a_real_jupyter_server(tmp_path, monkeypatch):
    require_paraview_env()
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    port = free_port_range(1)[0]
    config = write_config(tmp_path, free_port_range(2))
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "server", "--no-browser", f"--port={port}", "--ServerApp.port_retries=0",
         "--IdentityProvider.token=launch-test", f"--ServerApp.root_dir={tmp_path}", "--allow-root",
         f"--PvwLauncher.config_file={config}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(100):
            if list((tmp_path / "runtime").glob("jpserver-*.json")):
                break
            time.sleep(0.2)
        nb = run_notebook(
            ["%load_ext jupyterlab_pvw", "%pvw launch engine ranks=2", "%pvw launch nosuch", "%pvw launch engine ranks=64",
             "%pvw sessions"],
            cwd=tmp_path, allow_errors=True,
        )  # fmt: skip
        texts = [outputs_text(c) for c in nb.cells]
        assert "launched engine as session" in texts[1], texts[1]
        assert any(WIDGET_MIME in o.get("data", {}) for o in nb.cells[1].outputs)
        assert "failed with 404" in texts[2] and "unknown application 'nosuch'" in texts[2]
        assert "failed with 400" in texts[3] and "sanitize" in texts[3]
        listed = json.loads(
            next(o["text"] for o in nb.cells[4].outputs if o.get("name") == "stdout")
        )
        assert [s["name"] for s in listed] == ["engine"]
        pid = listed[0]["pid"]
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(60)
    for _ in range(50):  # the server's exit ends the launched process tree
        if not alive(pid):
            break
        time.sleep(0.1)
    assert not alive(pid)
