"""%pvw in a real IPython kernel with real ipyparallel MPI engines running real ParaView:
help and quoting, restarts, a second start with another size, a lost engine, a killed
kernel, and what start/stop cycles leave behind."""

from __future__ import annotations

import json
import os
import signal
import time

import psutil
import pytest
from conftest import require_paraview_env
from jupyter_client.manager import start_new_kernel

COMMANDS = (
    "start stop status view register activate next sessions attach connect launch "
    "pause step resume goto filter set color show hide remove legend pipeline budget"
).split()


class Kernel:
    """A real IPython kernel; ``run`` returns a cell's text outputs and its error, if any."""

    def __init__(self):
        self.km, self.kc = start_new_kernel(kernel_name="python3")
        self.displays: dict[str, str] = {}  # display id -> its latest text

    def run(self, code: str, timeout: float = 300) -> tuple[str, dict | None]:
        texts, error = [], None

        def hook(msg):
            nonlocal error
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                texts.append(content["text"])
            elif kind in ("display_data", "update_display_data", "execute_result"):
                text = content["data"].get("text/plain", "")
                texts.append(text)
                display_id = content.get("transient", {}).get("display_id")
                if display_id:
                    self.displays[display_id] = text
            elif kind == "error":
                error = content

        reply = self.kc.execute_interactive(code, output_hook=hook, timeout=timeout)["content"]
        if reply["status"] == "error":  # a UsageError is only a stderr line on iopub
            error = {**(error or {}), "ename": reply["ename"], "evalue": reply["evalue"]}
        return "".join(texts), error

    def ok(self, code: str, timeout: float = 300) -> str:
        text, error = self.run(code, timeout)
        assert error is None, f"{code!r} failed: {error['ename']}: {error['evalue']}\n{text}"
        return text

    def value(self, expression: str):
        return json.loads(self.ok(f"import json; print(json.dumps({expression}))"))

    @property
    def pid(self) -> int:
        return self.km.provisioner.process.pid

    def close(self):
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


@pytest.fixture
def kernel():
    k = Kernel()
    k.ok("%load_ext jupyterlab_pvw")
    yield k
    k.run("from jupyterlab_pvw.notebook import session\nif session.running: session.stop()")
    k.close()


def cluster_pids(kernel: Kernel) -> list[int]:
    """Every process of the kernel's cluster: controller and mpiexec with all below them."""
    return kernel.value(
        "sorted({c.pid for p in __import__('jupyterlab_pvw.notebook').notebook.session"
        ".cluster.launcher_pids() for c in [__import__('psutil').Process(p), "
        "*__import__('psutil').Process(p).children(recursive=True)]})"
    )


def alive(pids) -> list[int]:
    out = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                out.append(pid)
        except psutil.NoSuchProcess:
            pass
    return out


def wait_gone(pids, timeout=60) -> list[int]:
    deadline = time.monotonic() + timeout
    while alive(pids) and time.monotonic() < deadline:
        time.sleep(0.5)
    return alive(pids)


def test_help_lists_every_command_and_quoting_is_shell_like(kernel):
    text = kernel.ok("%pvw -h")
    for name in COMMANDS:
        assert f"\n  {name} " in text, f"{name} missing from %pvw -h:\n{text}"
    for name in COMMANDS:
        text = kernel.ok(f"%pvw {name} -h")
        assert f"%pvw {name}" in text, text
    assert "--keep-engines" in kernel.ok("%pvw stop --help")
    # Quotes group words: the name reaches the dataset-name check as one word.
    _, error = kernel.run("%pvw register 'bad name' x")
    assert error["ename"] == "UsageError"
    assert "invalid dataset name 'bad name'" in error["evalue"]
    _, error = kernel.run('%pvw attach "unclosed')
    assert error["ename"] == "UsageError" and "No closing quotation" in error["evalue"]


def test_a_bug_is_a_real_traceback_not_a_usage_error(kernel):
    kernel.ok(
        "from jupyterlab_pvw.notebook import session\nsession.sessions = lambda: {}['no such key']"
    )
    _, error = kernel.run("%pvw sessions")
    assert error["ename"] == "KeyError", error


def test_restart_rebinds_px_resize_is_explained_and_a_lost_engine_is_one_line(kernel):
    require_paraview_env()
    # The engines yield in MPI waits even when the kernel's environment does not ask for it.
    kernel.ok("import os\nos.environ.pop('OMPI_MCA_mpi_yield_when_idle', None)")
    kernel.ok("%pvw start -n 2")
    assert list(kernel.displays.values())[-1].startswith("pvw: ParaView ready on 2 ranks")
    yielding = kernel.ok(
        "%%px\nprint('yield=' + str(__import__('os').environ.get('OMPI_MCA_mpi_yield_when_idle')))"
    )
    assert yielding.count("yield=1") == 2, yielding

    # Another size while 2 ranks run: say what runs and how to get 3; no progress line left.
    before = dict(kernel.displays)
    _, error = kernel.run("%pvw start -n 3")
    assert error["ename"] == "UsageError", error
    assert "already runs on 2 ranks" in error["evalue"]
    assert "%pvw stop, then %pvw start -n 3" in error["evalue"]
    assert kernel.displays == before
    assert "viewport on session" in kernel.ok("%pvw start")  # same size: another viewport

    # Restart in the same kernel: %%px follows the new engines.
    first = cluster_pids(kernel)
    assert "stopped" in kernel.ok("%pvw stop")
    assert wait_gone(first) == []
    kernel.ok("%pvw start -n 2")
    assert kernel.ok("%%px\nimport os\nprint(os.getpid())").count("[stdout:") == 2
    _, error = kernel.run("%pvw register T nosuch")
    assert error["ename"] == "UsageError"
    assert "no variable 'nosuch' on the engines of MPI rank(s) [0, 1]" in error["evalue"]
    kernel.ok("%%px\nimport numpy as np\nfrom jupyterlab_pvw import engine\n"
              "piece = engine.image((0, 3, 0, 3, 0, 3), point_data={'u': np.zeros(64)})")  # fmt: skip
    kernel.ok("%pvw register T piece")

    # One engine dies: status and stop answer in one line, and stop still cleans up.
    pids = cluster_pids(kernel)
    engine_pid = kernel.value(
        "__import__('jupyterlab_pvw.notebook').notebook.session.cluster.run(__import__('os').getpid)[1]"
    )
    os.kill(engine_pid, signal.SIGKILL)
    _, error = kernel.run("%pvw status")
    assert error["ename"] == "UsageError", error
    assert "have stopped" in error["evalue"] and "%pvw stop, then %pvw start" in error["evalue"]
    text = kernel.ok("%pvw stop")
    assert "stopped" in text and "have stopped" in text
    assert wait_gone(pids) == []
    assert '"running": false' in kernel.ok("%pvw status")


def test_killing_the_kernel_ends_its_cluster():
    require_paraview_env()
    kernel = Kernel()
    try:
        kernel.ok("%load_ext jupyterlab_pvw")
        kernel.ok("%pvw start -n 2")
        pids = cluster_pids(kernel)
        assert len(pids) >= 4, pids  # controller, mpiexec, two engines (and their nannies)
        os.kill(kernel.pid, signal.SIGKILL)
        left = wait_gone(pids, timeout=60)
        assert left == [], [psutil.Process(p).cmdline() for p in alive(left)]
    finally:
        kernel.close()


CYCLES = int(os.environ.get("PVW_CYCLES", "10"))


def test_start_stop_cycles_leave_no_threads_or_fds_behind(kernel):
    require_paraview_env()
    usage = (
        "(__import__('threading').active_count(), __import__('psutil').Process().num_threads(), "
        "len(__import__('os').listdir('/proc/self/fd')))"
    )
    # One cycle first: imports and singletons (zmq context, widget comms) come once.
    kernel.ok("%pvw start -n 2\n%pvw stop")
    baseline = kernel.value(usage)
    for _ in range(CYCLES):
        kernel.ok("%pvw start -n 2\n%pvw stop")
    after = kernel.value(usage)
    print(f"threads (python, os) and fds: baseline {baseline}, after {CYCLES} cycles {after}")
    assert after[0] <= baseline[0] and after[1] <= baseline[1] + 1, (baseline, after)
    assert after[2] <= baseline[2] + 2, (baseline, after)
    kernel.ok("%pvw start -n 2")
    assert kernel.value("__import__('jupyterlab_pvw').status()['running']")
