"""Shared fixtures: real MPI runs of real ParaView (under the display that
scripts/with-display.sh provides), and a wslink client to watch them."""

from __future__ import annotations

import asyncio
import io
import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).parent
PYTHON = sys.executable


def require_paraview_env():
    missing = [tool for tool in ("mpiexec",) if shutil.which(tool) is None]
    if missing or not os.environ.get("DISPLAY"):
        pytest.fail(
            "engine tests need mpiexec and an X display: run them through `make test` "
            "(scripts/with-display.sh provides Xvfb and the MPI settings)"
        )


class MpiRun:
    """An `mpiexec -n N python script` whose rank 0 speaks line-tagged stdout."""

    def __init__(self, script: Path, n: int = 2, args=(), timeout: float = 120):
        require_paraview_env()
        self.proc = subprocess.Popen(
            ["mpiexec", "-n", str(n), PYTHON, "-u", str(script), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        self.lines: queue.Queue = queue.Queue()
        self.log: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        self.timeout = timeout

    def _read(self):
        for line in self.proc.stdout:
            self.log.append(line)
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def expect(self, prefix: str, timeout: float | None = None) -> str:
        """The rest of the next line starting with ``prefix`` (fails with the log if none)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            remaining = deadline - time.monotonic()
            try:
                line = self.lines.get(timeout=max(remaining, 0.01))
            except queue.Empty:
                line = "<timeout>"
            if line is None or line == "<timeout>":
                pytest.fail(
                    f"no {prefix!r} line ({line or 'process ended'}); output:\n{''.join(self.log[-60:])}"
                )
            if line.startswith(prefix):
                return line[len(prefix) :].strip()

    def send(self, command: str) -> None:
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def command(self, command: str, timeout: float | None = None) -> list[str]:
        """Send a command and return the tagged lines up to its PVW_DONE."""
        self.send(command)
        out = []
        while True:
            line = self.expect("PVW_", timeout)
            if line.startswith("DONE"):
                return out
            out.append(line)

    def close(self, timeout: float = 60) -> int:
        if self.proc.poll() is None:
            try:
                self.send("stop")
                self.proc.stdin.close()
            except (BrokenPipeError, ValueError):
                pass
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            pytest.fail(f"the MPI run did not stop; output:\n{''.join(self.log[-40:])}")


def engine_run(script: Path = HERE / "mpi_sim.py", args=(), ready: bool = True, **kwargs):
    """A 2-rank run of ``script`` whose engine has said where it listens (``run.info``) and,
    with ``ready``, that it shows its data."""
    run = MpiRun(script, n=2, args=args, **kwargs)
    run.info = json.loads(run.expect("PVW_INFO"))
    if ready:
        run.expect("PVW_READY")
    return run


def close_cleanly(run: MpiRun) -> None:
    """Stop a run; fail with its log unless every rank exited 0 and the engine's web
    server stopped without leaving tasks behind (asyncio prints them at exit)."""
    assert run.close() == 0, "".join(run.log[-40:])
    leftovers = [
        "".join(run.log[n : n + 2])  # asyncio names the task on the next line
        for n, line in enumerate(run.log)
        if "Task was destroyed but it is pending" in line
    ]
    assert not leftovers, "".join(leftovers)


def wait_for(predicate, what: str, timeout: float = 60, interval: float = 0.1):
    """``predicate()``'s first true value, polled; fails naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out waiting for {what} ({timeout} s)")


@pytest.fixture(scope="module")
def sim():
    """A 2-rank simulation with a running engine showing dataset 'grid'."""
    run = engine_run()
    yield run
    close_cleanly(run)


@pytest.fixture(scope="module")
def viewer(sim):
    """A viewer of this module's engine (modules with their own engine fixture override
    ``sim``, or define their own viewer)."""
    v = Viewer(sim.info["url"], sim.info["secret"])
    yield v
    v.close()


def jpeg_pixels(data: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).astype(int)


class Viewer:
    """A wslink client in its own event-loop thread that keeps the newest frame."""

    def __init__(self, url: str, secret: str, size=(400, 400)):
        from jupyterlab_pvw.wslink_client import WslinkClient

        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.frames: list[dict] = []
        self.size = list(size)
        self.new_frame = threading.Condition()
        self.client = WslinkClient(url, secret)
        self.client.subscribe("viewport.image.push.subscription", self._on_frame)
        self.run(self.client.connect())
        self.call("viewport.image.push.observer.add", ["-1"])
        self.call("viewport.image.push", [{"view": "-1", "size": list(size)}])

    def _on_frame(self, frame):
        with self.new_frame:
            self.frames.append(frame)
            self.new_frame.notify_all()

    def run(self, coro, timeout=60):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def call(self, method, args=None):
        return self.run(self.client.call(method, args))

    def frame_after(self, count: int, still: bool = True, timeout: float = 60) -> dict:
        """The first frame (still, if asked) received after the first ``count`` frames."""
        deadline = time.monotonic() + timeout
        with self.new_frame:
            while True:
                for frame in self.frames[count:]:
                    if (frame.get("still") or not still) and frame["size"] == self.size:
                        return frame
                left = deadline - time.monotonic()
                if left <= 0:
                    pytest.fail(f"no new frame within {timeout} s ({len(self.frames)} received)")
                self.new_frame.wait(left)

    def settle(
        self, since: int | None = None, want=None, quiet: float = 0.5, timeout: float = 60
    ) -> dict:
        """The newest frame (of this viewer's size) once no frame has arrived for ``quiet`` s.

        ``since``: a frame count taken before an action; ``want``: what the frame answering
        it looks like (default: any). Waits until a frame after ``since`` matches ``want``
        first, so an earlier render still in flight, or a slow render on a loaded machine,
        is not taken for the answer.
        """
        want = want or (lambda frame: True)
        since = since or 0
        deadline = time.monotonic() + timeout
        with self.new_frame:
            while True:
                count = len(self.frames)
                self.new_frame.wait(quiet)
                matching = [f for f in self.frames[since:] if f["size"] == self.size and want(f)]
                if len(self.frames) == count and matching:
                    return matching[-1]
                if time.monotonic() > deadline:
                    pytest.fail(f"frames never settled ({len(self.frames)} received)")

    def after(self, action, want=None) -> dict:
        """Run ``action()`` and return the frame the engine settles on after it."""
        since = len(self.frames)
        action()
        return self.settle(since, want)

    def drag(self, dx=0.3, steps=10, delay=0.02):
        event = {
            "view": "-1",
            "buttonLeft": True,
            "shiftKey": False,
            "ctrlKey": False,
            "altKey": False,
            "metaKey": False,
        }
        self.call("viewport.mouse.interaction", [{**event, "action": "down", "x": 0.5, "y": 0.5}])
        for i in range(1, steps + 1):
            self.call(
                "viewport.mouse.interaction",
                [{**event, "action": "move", "x": 0.5 + dx * i / steps, "y": 0.5}],
            )
            time.sleep(delay)
        self.call(
            "viewport.mouse.interaction",
            [{**event, "action": "up", "x": 0.5 + dx, "y": 0.5, "buttonLeft": False}],
        )

    def close(self):
        if not self.loop.is_running():
            return
        try:
            self.run(self.client.close(), timeout=10)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(5)
