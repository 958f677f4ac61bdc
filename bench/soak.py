"""Soak: a real Jupyter server with the launcher (examples/launcher.json), a 2-rank
examples/heat.py announced to it, viewers through the proxy for a while (one drags, one
more viewer subscribes and then reads nothing), then launcher start/stop cycles.

Prints frames per viewer, rank 0's RSS before and after, and the processes left over.
Exits 1 only when processes are left behind or the engine died; the figures are for
reading (they depend on the machine's load, which is printed too).

    make soak        # or: scripts/with-display.sh .venv/bin/python bench/soak.py --help
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import aiohttp
import psutil

from jupyterlab_pvw.wire import IMAGE_TOPIC
from jupyterlab_pvw.wslink_client import WslinkClient, encode

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
PYTHON = sys.executable
STALLED_RCVBUF = 64 * 1024  # bytes: a slow link's receive window


def say(*args) -> None:
    print("[soak]", *args, flush=True)


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def mb(nbytes: int) -> str:
    return f"{nbytes / 2**20:.0f} MB"


class Server:
    """`jupyter server` with the extension and the launcher, run from examples/ (the
    launcher configuration names heat.py relative to the server's working directory)."""

    def __init__(self, port: int, token: str, env: dict):
        self.port, self.token = port, token
        self.proc = subprocess.Popen(
            [PYTHON, "-m", "jupyter", "server", "--no-browser", f"--port={port}",
             "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
             f"--ServerApp.root_dir={EXAMPLES}", "--allow-root",
             f"--PvwLauncher.config_file={EXAMPLES / 'launcher.json'}"],
            cwd=EXAMPLES, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 180
        while True:
            try:
                self.request("GET", "api/status")
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("soak: the Jupyter server did not start") from None
                time.sleep(0.5)

    def request(self, method: str, path: str, body=None, timeout: float = 300) -> dict:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/{path}",
            data=None if body is None else json.dumps(body).encode(),
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read() or b"{}")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


def start_heat(env: dict):
    """heat.py on 2 ranks, announced; returns the process, its URL, secret and session id."""
    proc = subprocess.Popen(
        ["mpiexec", "-n", "2", PYTHON, "-u", str(EXAMPLES / "heat.py"), "--size", "32",
         "--steps", "100000000", "--every", "10", "--announce"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    url = secret = session_id = None
    for line in proc.stdout:
        if m := re.match(r"heat: watch at (\S+) with secret (\S+)", line):
            url, secret = m.groups()
        elif m := re.match(r"heat: announced as session (\S+)", line):
            session_id = m.group(1)
            break
    if session_id is None:
        raise SystemExit(f"soak: heat.py did not start (exit {proc.wait()})")
    # Keep draining its output so the run never blocks on a full pipe.
    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
    return proc, url, secret, session_id


def listening_process(tree: list[psutil.Process], port: int) -> psutil.Process:
    """The process of ``tree`` that listens on ``port`` (rank 0, the web server)."""
    for p in tree:
        try:
            if any(c.laddr.port == port and c.status == "LISTEN" for c in p.net_connections()):
                return p
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    raise SystemExit(f"soak: no process of the run listens on port {port}")


def running(procs) -> list[psutil.Process]:
    out = []
    for p in procs:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                out.append(p)
        except psutil.NoSuchProcess:
            pass
    return out


def small_buffer_socket(addr_info) -> socket.socket:
    family, kind, proto, _, _ = addr_info
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, STALLED_RCVBUF)
    return sock


async def viewers_phase(server: Server, session_id: str, engine_url: str, secret: str,
                        count: int, seconds: float, stall: bool) -> dict:  # fmt: skip
    proxy = f"ws://127.0.0.1:{server.port}/pvw/sessions/{session_id}/ws"
    headers = {"Authorization": f"token {server.token}"}
    frames, received = [0] * count, [0] * count

    def on_frame(frame, i):
        frames[i] += 1
        received[i] += len(frame["image"])

    clients = []
    for i in range(count):
        client = WslinkClient(proxy, "", headers=headers)
        client.subscribe(IMAGE_TOPIC, lambda frame, i=i: on_frame(frame, i))
        await client.connect()
        await client.call("viewport.image.push.observer.add", ["-1"])
        clients.append(client)
    # The stalled reader goes straight to the engine: through the proxy, the Jupyter server
    # would buffer for it and the engine would never see a slow client.
    # Its socket gets a small receive buffer: with Linux's default autotuning (up to
    # tcp_rmem's 32 MB here) its backlog would reach the engine only after many minutes.
    stalled = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(socket_factory=small_buffer_socket)
    )
    if stall:
        ws = await stalled.ws_connect(engine_url, max_msg_size=0)
        hello = {"wslink": "1.0", "id": "system:c0:1", "method": "wslink.hello", "args": [{"secret": secret}]}  # fmt: skip
        await ws.send_bytes(encode(hello))
        await ws.receive()
        observe = {"wslink": "1.0", "id": "rpc:c0:2", "method": "viewport.image.push.observer.add", "args": ["-1"]}  # fmt: skip
        await ws.send_bytes(encode(observe))  # ...and from now on reads nothing

    dragger, moves = clients[0], 0
    event = {"view": "-1", "buttonLeft": 1}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await dragger.call("viewport.mouse.interaction", [{**event, "action": "down", "x": 0.5, "y": 0.5}])  # fmt: skip
        for step in range(1, 21):
            await dragger.call("viewport.mouse.interaction", [{**event, "action": "move", "x": 0.5 + step / 100, "y": 0.5}])  # fmt: skip
            moves += 1
            await asyncio.sleep(0.03)
        await dragger.call("viewport.mouse.interaction", [{**event, "action": "up", "x": 0.7, "y": 0.5}])  # fmt: skip
    status = await clients[1].call("pvw.status")
    for client in clients:
        await client.close()
    await stalled.close()
    return {"frames": frames, "bytes": received, "moves": moves, "status": status}


async def engine_answers(server: Server, session_id: str) -> bool:
    proxy = f"ws://127.0.0.1:{server.port}/pvw/sessions/{session_id}/ws"
    try:
        client = WslinkClient(proxy, "", headers={"Authorization": f"token {server.token}"})
        await client.connect()
        await client.call("pvw.status", timeout=60)
        await client.close()
        return True
    except Exception as exc:  # any failure here means the engine is gone
        say(f"the engine does not answer: {exc!r}")
        return False


def launcher_cycles(server: Server, cycles: int):
    """POST/DELETE /pvw/launcher ``cycles`` times: every process the launches started, the
    cycles' durations, and the failed launches' errors."""
    seen, times, failed = [], [], []
    before = {p.pid for p in psutil.Process(server.proc.pid).children(recursive=True)}
    for i in range(cycles):
        t0 = time.monotonic()
        try:
            answer = server.request("POST", "pvw/launcher", {"application": "heat", "ranks": "2", "size": "16"})  # fmt: skip
        except urllib.error.HTTPError as exc:
            failed.append(f"{exc.code} {exc.read()[:200]!r}")
            continue
        new = [p for p in psutil.Process(server.proc.pid).children(recursive=True)
               if p.pid not in before]  # fmt: skip
        seen += new
        server.request("DELETE", f"pvw/launcher/{answer['id']}")
        times.append(time.monotonic() - t0)
        if (i + 1) % 10 == 0 or i + 1 == cycles:
            say(f"launcher cycle {i + 1}/{cycles}: {times[-1]:.1f} s, load {load()}")
    return seen, times, failed


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--viewers", type=int, default=8)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--cycles", type=int, default=50)
    p.add_argument("--stalled", action=argparse.BooleanOptionalAction, default=True,
                   help="add the viewer that subscribes and then reads nothing")  # fmt: skip
    args = p.parse_args(argv)

    runtime = tempfile.mkdtemp(prefix="pvw-soak-")
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": runtime,
           "PATH": f"{Path(PYTHON).parent}{os.pathsep}{os.environ['PATH']}"}  # fmt: skip
    say(f"load average {load()} on {os.cpu_count()} cores")
    server = Server(free_port(), secrets.token_hex(8), env)
    heat, url, secret, session_id = start_heat(env)
    problems, launched = [], []
    heat_tree = [psutil.Process(heat.pid), *psutil.Process(heat.pid).children(recursive=True)]
    try:
        rank0 = listening_process(heat_tree, int(re.search(r":(\d+)/", url).group(1)))
        rss_before = rank0.memory_info().rss
        server_rss_before = psutil.Process(server.proc.pid).memory_info().rss
        say(f"engine {url} announced as {session_id}; rank 0 RSS {mb(rss_before)}")

        result = asyncio.run(viewers_phase(server, session_id, url, secret, args.viewers, args.seconds, args.stalled))  # fmt: skip
        frames = result["frames"]
        say(f"{args.viewers} viewers through the proxy for {args.seconds:g} s (viewer 0 dragging, "
            f"{result['moves']} moves{'; one more subscriber reading nothing' if args.stalled else ''}), load {load()}")  # fmt: skip
        say("frames per viewer: " + " ".join(map(str, frames))
            + f"  ({min(frames) / args.seconds:.1f}-{max(frames) / args.seconds:.1f} fps)")  # fmt: skip
        say(f"JPEG bytes per viewer: {max(result['bytes']) / 2**20:.1f} MB")
        say(f"frames the engine rendered since it started: {result['status'].get('frames')}")

        launched, times, failed = launcher_cycles(server, args.cycles)
        if failed:
            say(f"{len(failed)} launches failed, e.g. {failed[0]}")
        if times:
            say(f"{args.cycles} launcher cycles: {sum(times):.0f} s ({sum(times) / len(times):.1f} s each)")  # fmt: skip
        if not asyncio.run(engine_answers(server, session_id)) or heat.poll() is not None:
            problems.append("the announced engine died")
        rss_after = rank0.memory_info().rss if rank0.is_running() else 0
        server_rss_after = psutil.Process(server.proc.pid).memory_info().rss
        say(f"rank 0 RSS {mb(rss_before)} -> {mb(rss_after)}; Jupyter server RSS "
            f"{mb(server_rss_before)} -> {mb(server_rss_after)}")  # fmt: skip
    finally:
        heat.send_signal(signal.SIGINT)
        try:
            heat.wait(60)
        except subprocess.TimeoutExpired:
            heat.kill()
        server.stop()
        shutil.rmtree(runtime, ignore_errors=True)
    time.sleep(2)
    orphans = running(launched + heat_tree)
    say(f"orphans: {len(orphans)}" + "".join(f"\n  {p.pid} {' '.join(p.cmdline())[:100]}" for p in orphans))  # fmt: skip
    if orphans:
        problems.append(f"{len(orphans)} processes left behind")
    say(f"load average {load()}")
    for problem in problems:
        say("FAIL:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
