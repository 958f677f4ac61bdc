"""The stack itself: ParaView in symmetric batch mode on 2 real MPI ranks composites each
rank's own piece into rank 0's image, under plain mpiexec and in an ipyparallel MPI cluster."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from conftest import HERE, require_paraview_env


def assert_both_pieces(first, second):
    h, w, _ = first.shape
    column = first[:, w // 2]
    top, bottom = column[int(h * 0.3)], column[int(h * 0.7)]
    # Rank 1 (value 1: red end of the map) owns the upper half, rank 0 (blue) the lower.
    assert top[0] > top[2] + 60, f"upper half should show rank 1's piece (red), got {top}"
    assert bottom[2] > bottom[0] + 60, f"lower half should show rank 0's piece (blue), got {bottom}"
    top2, bottom2 = second[int(h * 0.3), w // 2], second[int(h * 0.7), w // 2]
    assert top2[2] > top2[0] + 60 and bottom2[0] > bottom2[2] + 60, (
        "the second frame must show the swapped pieces"
    )
    assert np.abs(first - second).mean() > 10


def test_composite_under_plain_mpiexec(tmp_path):
    require_paraview_env()
    out = tmp_path / "frames.npz"
    result = subprocess.run(
        ["mpiexec", "-n", "2", sys.executable, str(HERE / "paraview_composite.py"), str(out)],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    frames = np.load(out)
    assert_both_pieces(frames["first"], frames["second"])


def test_composite_in_ipyparallel_mpi_cluster():
    require_paraview_env()
    ipp = pytest.importorskip("ipyparallel")
    cluster = ipp.Cluster(engines="mpi", n=2, log_level=40)
    client = cluster.start_and_connect_sync(activate=False)
    try:
        view = client[:]
        view.block = True
        view.execute(f"import sys; sys.path.insert(0, {str(HERE)!r}); from mpi4py import MPI")
        ranks = view.apply_sync(lambda: __import__("mpi4py").MPI.COMM_WORLD.Get_rank())
        results = view.apply_sync(lambda: __import__("paraview_composite").composite_frames())
        frames = results[ranks.index(0)]
        assert frames is not None and results[ranks.index(1)] is None
        assert_both_pieces(*frames)
    finally:
        client.close()
        cluster.stop_cluster_sync()
