"""Ends a cluster's processes when the kernel that started them dies, even by ``kill -9``.

``python -m jupyterlab_pvw.watchdog KERNEL_PID ROOT_PID...`` follows the process trees under
the roots (ipyparallel's controller and ``mpiexec``: each in a session of its own, the
engines and their nannies below ``mpiexec``) while the kernel lives. When the kernel is
gone it terminates every process it saw, then kills those still there. It exits by itself
once every process it follows has ended (the kernel stopped the cluster).
"""

from __future__ import annotations

import sys
import time

import psutil

POLL_SECONDS = 0.5
GRACE_SECONDS = 5


def _same(pid: int, created: float) -> psutil.Process | None:
    """The process ``pid`` if it is still the one we saw (pids are reused)."""
    try:
        proc = psutil.Process(pid)
        if proc.create_time() == created and proc.status() != psutil.STATUS_ZOMBIE:
            return proc
    except psutil.Error:
        pass
    return None


def watch(kernel_pid: int, roots: list[int]) -> int:
    try:
        kernel = psutil.Process(kernel_pid)
    except psutil.NoSuchProcess:
        kernel = None
    seen: dict[int, float] = {}  # pid -> create time, of every process of the cluster
    while kernel is not None and kernel.is_running() and kernel.status() != psutil.STATUS_ZOMBIE:
        for pid in roots:
            try:
                root = psutil.Process(pid)
                for proc in [root, *root.children(recursive=True)]:
                    seen.setdefault(proc.pid, proc.create_time())
            except psutil.Error:
                pass
        seen = {pid: t for pid, t in seen.items() if _same(pid, t)}
        if not seen and not any(psutil.pid_exists(pid) for pid in roots):
            return 0  # the cluster was stopped while the kernel lived
        time.sleep(POLL_SECONDS)
    left = [proc for pid, t in seen.items() if (proc := _same(pid, t))]
    for proc in left:
        try:
            proc.terminate()
        except psutil.Error:
            pass
    _, alive = psutil.wait_procs(left, timeout=GRACE_SECONDS)
    for proc in alive:
        try:
            proc.kill()
        except psutil.Error:
            pass
    return 0


def main(argv: list[str]) -> int:
    if len(argv) < 2 or not all(a.isdigit() for a in argv):
        print("usage: python -m jupyterlab_pvw.watchdog KERNEL_PID ROOT_PID...", file=sys.stderr)
        return 2
    return watch(int(argv[0]), [int(a) for a in argv[1:]])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
