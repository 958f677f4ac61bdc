"""Repro (not a benchmark): what an unmodified vtk.js RemoteView sends, against our engine.

    scripts/with-display.sh .venv/bin/python bench/repro_remoteview.py

RemoteView (InteractorStyleRemoteMouse) sends ``action: "down"`` for every move while a
button is held, sends ``viewport.image.push.quality`` (interactive) *before* the first
event of a drag and (still) right *after* the last, then ``viewport.image.push``. This
replays that sequence through the project's Python wslink client against the engine test
simulation (python/tests/mpi_sim.py, 2 ranks) and prints what came back: the frames after
the drag (still?, JPEG quality), whether the camera moved (mean pixel difference against
the frame before the drag; JPEG noise is < 1), and ``status()["clients"]`` with one client.
"""

from __future__ import annotations

import asyncio
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from jupyterlab_pvw.wslink_client import WslinkClient

SIM = Path(__file__).resolve().parent.parent / "python" / "tests" / "mpi_sim.py"


def pixels(jpeg: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(jpeg)).convert("RGB")).astype(int)


async def replay(info: dict) -> None:
    frames: list = []
    client = WslinkClient(info["url"], info["secret"])
    client.subscribe("viewport.image.push.subscription", frames.append)
    await client.connect()
    await client.call("viewport.image.push.observer.add", ["-1"])
    await client.call("viewport.image.push", [{"view": "-1", "size": [400, 400]}])
    await asyncio.sleep(2)
    status = await client.call("pvw.status")
    print(f"status()['clients'] with one client connected: {status['clients']}")
    count, before = len(frames), frames[-1]["image"]
    event = {"view": "-1", "buttonLeft": 1, "buttonMiddle": 0, "buttonRight": 0,
             "shiftKey": 0, "ctrlKey": 0, "altKey": 0, "metaKey": 0}  # fmt: skip
    await client.call("viewport.image.push.quality", ["-1", 60, 1])  # startInteraction
    for i in range(20):  # the drag: "down" with the button held, x moving
        move = {**event, "action": "down", "x": 0.3 + 0.02 * i, "y": 0.5}
        await client.call("viewport.mouse.interaction", [move])
        await asyncio.sleep(0.03)
    up = {**event, "action": "up", "x": 0.7, "y": 0.5, "buttonLeft": 0}
    await client.call("viewport.mouse.interaction", [up])
    await client.call("viewport.image.push.quality", ["-1", 100, 1])  # endInteraction
    await client.call("viewport.image.push", [{"view": "-1", "size": [400, 400]}])
    await asyncio.sleep(2)
    after = frames[count:]
    print(
        "frames after the drag started (still, quality):",
        [(f["still"], f["quality"]) for f in after],
    )
    diff = np.abs(pixels(after[-1]["image"]) - pixels(before)).mean()
    print(f"mean pixel difference, last frame vs the frame before the drag: {diff:.2f}")
    await client.close()


def main() -> int:
    sim = subprocess.Popen(
        ["mpiexec", "-n", "2", sys.executable, "-u", str(SIM)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    )
    try:
        for line in sim.stdout:
            if line.startswith("PVW_INFO"):
                info = json.loads(line.split(" ", 1)[1])
                break
        else:
            raise SystemExit("the simulation ended before printing PVW_INFO")
        asyncio.run(replay(info))
    finally:
        if sim.poll() is None:
            sim.stdin.write("stop\n")
            sim.stdin.flush()
        sim.wait(60)
    return 0


if __name__ == "__main__":
    sys.exit(main())
