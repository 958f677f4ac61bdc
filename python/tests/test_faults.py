"""Faults with real processes: a rank killed with SIGKILL (a satellite, and rank 0), and the
Jupyter server restarted under an announced simulation. Each case checks the survivors, that
no process of the job's tree is left, and that the engine's port is closed.

Covered elsewhere, so not here: a killed satellite ends the job with a message
(test_engine.test_a_dead_rank_ends_the_job_with_a_message; here the same kill is checked
for the viewer, the process tree and the port); the port closes after stop()
(test_engine.test_start_stop_ten_times_leaks_nothing); a killed kernel ends its cluster and
a killed ipyparallel engine (test_kernel_side); attach/detach through an in-process Jupyter
server (test_connections).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request

import aiohttp
import psutil
import pytest
from conftest import HERE, PYTHON, MpiRun, require_paraview_env
from test_launcher import free_port_range

from jupyterlab_pvw.wire import IMAGE_TOPIC
from jupyterlab_pvw.wslink_client import WslinkClient, encode

pytestmark = pytest.mark.timeout(400)
HEAT = HERE.parents[1] / "examples" / "heat.py"


def process_tree(pid: int) -> list[psutil.Process]:
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def left_running(procs: list[psutil.Process], wait: float = 30) -> list[str]:
    """The processes of ``procs`` still running after ``wait`` seconds (zombies count as gone)."""
    deadline = time.monotonic() + wait
    while True:
        alive = []
        for p in procs:
            try:
                if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                    alive.append(f"{p.pid} {' '.join(p.cmdline())[:80]}")
            except psutil.NoSuchProcess:
                pass
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.5)


def port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def engine_port(url: str) -> int:
    return int(re.search(r":(\d+)/", url).group(1))


async def watch_until_closed(url: str, secret: str, connected, timeout: float = 90) -> str:
    """Connect and authenticate, signal ``connected``, then wait for the engine to close."""
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(url, max_msg_size=0)
        hello = {"wslink": "1.0", "id": "system:c0:1", "method": "wslink.hello",
                 "args": [{"secret": secret}]}  # fmt: skip
        await ws.send_bytes(encode(hello))
        await ws.receive()
        connected.set()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = await asyncio.wait_for(ws.receive(), deadline - time.monotonic())
            if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED,
                            aiohttp.WSMsgType.ERROR):  # fmt: skip
                return msg.type.name
        return "still open"


@pytest.mark.parametrize("victim", [1, 0], ids=["satellite", "rank0"])
def test_a_killed_rank_ends_the_job_and_leaves_nothing(victim):
    run = MpiRun(HERE / "mpi_sim.py", n=2)
    try:
        info = json.loads(run.expect("PVW_INFO"))
        run.expect("PVW_READY")
        pids = json.loads(
            run.command(
                "call __import__('mpi4py').MPI.COMM_WORLD.allgather(__import__('os').getpid())"
            )[0].removeprefix("RESULT ")
        )
        tree = process_tree(run.proc.pid)
        assert set(pids) <= {p.pid for p in tree}, "the ranks must be in mpiexec's tree"
        port = engine_port(info["url"])
        assert port_open(port)

        async def kill_while_watched():
            connected = asyncio.Event()
            watcher = asyncio.create_task(
                watch_until_closed(info["url"], info["secret"], connected)
            )
            await asyncio.wait_for(connected.wait(), 60)
            os.kill(pids[victim], signal.SIGKILL)
            return await watcher

        assert asyncio.run(kill_while_watched()) != "still open", "the viewer must see a close"
        code = run.proc.wait(60)  # mpiexec ends the job (no hang)
        assert code != 0
        assert not left_running(tree), f"orphans: {left_running(tree, 0)}"
        assert not port_open(port), f"the engine's port {port} is still open"
    finally:
        if run.proc.poll() is None:
            run.proc.kill()
            run.proc.wait(30)


class JupyterServer:
    """A real `jupyter server` subprocess with the extension, on a free port.

    A port found free can be taken before the server binds it (ports are picked while other
    processes start and stop): a server that exits at start-up is retried on another port,
    and its log is in the error if none starts.
    """

    def __init__(self, tmp_path, token: str = "fault-test", attempts: int = 3):
        self.token = token
        for _ in range(attempts):
            self.port = free_port_range(1)[0]
            log = tmp_path / f"jupyter-server-{self.port}.log"
            with open(log, "wb") as out:
                self.proc = subprocess.Popen(
                    [PYTHON, "-m", "jupyter", "server", "--no-browser", f"--port={self.port}",
                     "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
                     f"--ServerApp.root_dir={tmp_path}", "--allow-root"],
                    stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                )  # fmt: skip
            if self._started():
                return
        raise RuntimeError(f"the Jupyter server did not start:\n{log.read_text()[-3000:]}")

    def _started(self) -> bool:
        deadline = time.monotonic() + 120
        while True:
            try:
                self.get("api/status")
                return True
            except OSError:
                if self.proc.poll() is not None:
                    return False
                if time.monotonic() > deadline:
                    self.proc.kill()
                    self.proc.wait(10)
                    return False
                time.sleep(0.5)

    def get(self, path: str) -> dict:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/{path}",
                                         headers={"Authorization": f"token {self.token}"})  # fmt: skip
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


async def first_frame_through_proxy(server: JupyterServer, session_id: str) -> dict:
    url = f"ws://127.0.0.1:{server.port}/pvw/sessions/{session_id}/ws"
    frames = asyncio.Queue()
    client = WslinkClient(url, "", headers={"Authorization": f"token {server.token}"})
    client.subscribe(IMAGE_TOPIC, frames.put_nowait)
    await client.connect()
    try:
        await client.call("viewport.image.push.observer.add", ["-1"])
        return await asyncio.wait_for(frames.get(), 60)
    finally:
        await client.close()


def test_a_jupyter_server_restart_keeps_an_announced_simulation(tmp_path, monkeypatch):
    require_paraview_env()
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    server = JupyterServer(tmp_path)
    run = MpiRun(HEAT, n=2, args=["--size", "16", "--steps", "100000000", "--every", "20",
                                  "--announce"])  # fmt: skip
    tree = []
    try:
        url = run.expect("heat: watch at").split()[0]
        session_id = run.expect("heat: announced as session", timeout=120)
        tree = process_tree(run.proc.pid)
        assert [s["id"] for s in server.get("pvw/sessions")["sessions"]] == [session_id]
        assert asyncio.run(first_frame_through_proxy(server, session_id))["format"] == "jpeg"

        server.stop()
        assert run.proc.poll() is None, "the simulation must outlive its Jupyter server"
        server = JupyterServer(tmp_path)  # any port: the session table is in the runtime dir
        assert [s["id"] for s in server.get("pvw/sessions")["sessions"]] == [session_id]
        assert asyncio.run(first_frame_through_proxy(server, session_id))["format"] == "jpeg"
    finally:
        # Ctrl-C ends the run (a clean exit withdrawing the announcement is test_connections'
        # subject; here only that nothing is left behind).
        run.proc.send_signal(signal.SIGINT)
        try:
            run.proc.wait(60)  # mpiexec's own exit code after SIGINT is 1, whatever the ranks did
        except subprocess.TimeoutExpired:
            run.proc.kill()
            run.proc.wait(30)
        server.stop()
    assert not left_running(tree), f"orphans: {left_running(tree, 0)}"
    assert not port_open(engine_port(url)), "the engine's port is still open"
    assert server.proc.poll() is not None
