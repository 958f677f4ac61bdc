"""examples/heat.py: the decomposition is exact, and a viewer sees the live temperature."""

from __future__ import annotations

import re
import signal
import subprocess
import sys

import numpy as np
from conftest import HERE, MpiRun, Viewer, jpeg_pixels, require_paraview_env

HEAT = HERE.parent.parent / "examples" / "heat.py"


def total_heat(n_ranks: int) -> float:
    result = subprocess.run(
        [
            "mpiexec",
            "-n",
            str(n_ranks),
            sys.executable,
            str(HEAT),
            "--size",
            "20",
            "--steps",
            "30",
            "--no-engine",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return float(re.search(r"total heat ([\d.]+)", result.stdout).group(1))


def test_halo_exchange_matches_single_rank():
    require_paraview_env()
    assert total_heat(2) == total_heat(1)


def test_live_temperature_is_served():
    run = MpiRun(HEAT, n=2, args=["--size", "24", "--steps", "50", "--every", "5", "--wait"])
    match = re.match(r"(\S+) with secret (\S+)", run.expect("heat: watch at"))
    run.expect("heat: serving until Ctrl-C")
    viewer = Viewer(match.group(1), match.group(2), size=(300, 300))
    try:
        pixels = jpeg_pixels(viewer.settle()["image"])
        status = viewer.call("pvw.status")
        assert status["timestep"] == 10 and status["datasets"] == {
            "0": ["temperature"],
            "1": ["temperature"],
        }
    finally:
        viewer.close()
        run.proc.send_signal(signal.SIGINT)
        run.proc.wait(60)
    data = pixels[np.abs(pixels - [82, 87, 110]).sum(axis=2) > 40]
    assert (data[:, 0] > data[:, 2] + 60).any(), "the hot plate should show red"
    assert (data[:, 2] > data[:, 0] + 60).any(), "cold regions should show blue"
