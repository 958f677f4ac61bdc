"""The command channel over real MPI: commands of every size reach every follower whole and
in order (one broadcast up to FIRST_BYTES, a second for the rest)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from conftest import require_paraview_env

SCRIPT = textwrap.dedent(
    """
    import threading
    from mpi4py import MPI
    from jupyterlab_pvw.engine.lockstep import FIRST_BYTES, CommandChannel

    comm = MPI.COMM_WORLD.Dup()
    channel = CommandChannel(comm)
    # Around the boundary: the pickle's length decides, so pad strings of every length near it.
    sizes = [0, 1, 100] + list(range(FIRST_BYTES - 80, FIRST_BYTES + 20)) + [10 * FIRST_BYTES, 3_000_000]
    commands = [{"op": "test", "n": n, "pad": "x" * n} for n in sizes]
    if channel.rank == 0:
        for command in commands:
            channel.send(command)
    else:
        wake = threading.Event()
        received = [channel.receive(wake) for _ in commands]
        assert received == commands, [c["n"] for c in received]
        print("RECEIVED", len(received), flush=True)
    comm.Barrier()
    """
)


def test_commands_of_every_size_arrive_whole_and_in_order(tmp_path):
    require_paraview_env()
    script = tmp_path / "channel.py"
    script.write_text(SCRIPT)
    out = subprocess.run(
        ["mpiexec", "-n", "2", sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "RECEIVED 105" in out.stdout, out.stdout + out.stderr
