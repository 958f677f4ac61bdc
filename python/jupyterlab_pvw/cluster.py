"""The kernel's MPI engines: find the ipyparallel cluster the kernel already has, or start one.

Every engine call of ``%pvw`` goes through ``EngineCluster.run``, which runs one function on
all engines at once (the engine's calls are collective) and turns an engine-side exception
into one clear error in the kernel.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import subprocess
import sys
import threading

# Remote exceptions that mean "the input was wrong" (the engine's documented validation);
# anything else on an engine is a bug and keeps its remote traceback.
INPUT_ERRORS = frozenset({"ValueError", "KeyError", "LookupError"})


def engine_environment() -> dict:
    """What the engines of ``%pvw start`` get on top of the kernel's environment.

    OpenMPI's waits spin on a core by default; ParaView's compositing waits for the other
    ranks inside every render, and a spinning wait takes the core the simulation computes
    on. Yielding gives it back. A setting of the user's own wins.
    """
    return {"OMPI_MCA_mpi_yield_when_idle": os.environ.get("OMPI_MCA_mpi_yield_when_idle", "1")}


class EngineError(RuntimeError):
    """An engine call failed on one or more engines; the message says where and why."""

    def __init__(self, message: str, remote_types: tuple[str, ...] = ()):
        super().__init__(message)
        self.remote_types = remote_types

    @property
    def is_input_error(self) -> bool:
        """True when every engine refused the input itself (not a failure of the engine)."""
        return bool(self.remote_types) and set(self.remote_types) <= INPUT_ERRORS


class EnginesLost(EngineError):
    """Engines of the MPI job have stopped: the job cannot go on without every rank."""


def _find_client(namespace: dict):
    import ipyparallel as ipp

    for value in namespace.values():
        if isinstance(value, ipp.Client):
            return value
    return None


class _LoopThread:
    """An asyncio loop in a thread of its own, for ipyparallel's async Cluster API.

    The kernel's own loop is running, so ``Cluster.*_sync`` would start a thread (and its
    IOLoop) per cluster that is never stopped; this one is closed with the cluster.
    """

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self.loop.run_forever, name="pvw-cluster", daemon=True
        )
        self.thread.start()

    def run(self, coro, timeout: float | None = None):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        if not self.thread.is_alive():
            self.loop.close()


class Watchdog:
    """A process that ends the cluster's processes when this kernel dies (even by kill -9)."""

    def __init__(self, roots: list[int]):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab_pvw.watchdog", str(os.getpid()), *map(str, roots)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # outlives the kernel's process group
        )

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


class EngineCluster:
    """A set of ipyparallel MPI engines (rank 0 first) that ``%pvw`` drives."""

    def __init__(self, client, cluster=None, owned: bool = False):
        self.client = client
        self.cluster = cluster  # the ipp.Cluster we started, if any
        self.owned = owned
        self._loop: _LoopThread | None = None
        self._watchdog: Watchdog | None = None
        self._view = None
        self._ids: list[int] = []
        self.ranks: dict[int, int] = {}  # engine id -> MPI rank

    @classmethod
    def connect(
        cls, n: int = 2, profile=None, cluster_id=None, namespace=None, progress=print, timeout=120
    ):
        import ipyparallel as ipp

        if profile or cluster_id:
            progress(
                f"connecting to cluster (profile={profile or 'default'}, id={cluster_id or '-'})"
            )
            client = ipp.Client(profile=profile or "default", cluster_id=cluster_id or "")
            return cls(client)._ready(None, progress, timeout)
        existing = _find_client(namespace or {})
        if existing is not None:
            progress(f"using the kernel's ipyparallel client ({len(existing.ids)} engines)")
            return cls(existing)._ready(None, progress, timeout)
        progress(f"starting an MPI cluster of {n} engines")
        cluster = ipp.Cluster(engines="mpi", n=n, log_level=40)
        cluster.config.MPIEngineSetLauncher.environment = engine_environment()
        self = cls(None, cluster, owned=True)
        self._loop = _LoopThread()
        try:
            self._loop.run(self.cluster.start_cluster(n))
            self._watchdog = Watchdog(self.launcher_pids())
            self.client = self._loop.run(self.cluster.connect_client())
            self._ready(n, progress, timeout)
            # %px and %%px follow the engines %pvw started (a restart leaves them bound to a
            # closed client otherwise).
            self.client.activate()
        except BaseException:
            self.stop()
            raise
        return self

    def launcher_pids(self) -> list[int]:
        """The processes ipyparallel launched for a cluster we own: controller, mpiexec."""
        if self.cluster is None:
            return []
        launchers = [self.cluster.controller, *self.cluster.engines.values()]
        return [launcher.pid for launcher in launchers if getattr(launcher, "pid", None)]

    def _ready(self, n, progress, timeout):
        import ipyparallel as ipp

        want = n or max(len(self.client.ids), 1)
        waiting = self.client.wait_for_engines(
            want, block=False, timeout=timeout, interactive=False
        )
        last = -1
        while True:
            if len(self.client.ids) != last:
                last = len(self.client.ids)
                progress(f"engines {min(last, want)}/{want} up")
            done, _ = concurrent.futures.wait([waiting], timeout=0.5)
            if done:
                break
        try:
            waiting.result()
        except TimeoutError:
            raise EngineError(
                f"only {len(self.client.ids)} of {want} engines came up within {timeout} s"
            ) from None
        except ipp.error.EngineError as exc:
            raise EnginesLost(f"the MPI engines stopped while starting: {exc}") from None
        progress(f"engines {want}/{want} up")
        self._ids = list(self.client.ids)
        self._view = self.client[self._ids]
        self._view.block = True
        ranks = self._view.apply_sync(_mpi_rank)
        self.ranks = dict(zip(self._ids, ranks))
        if sorted(ranks) != list(range(len(ranks))):
            raise EngineError(
                f"the engines are not one MPI job (ranks {ranks}); start them with --engines=mpi"
            )
        return self

    @property
    def size(self) -> int:
        return len(self.ranks)

    def _lost(self, detail: str = "") -> EnginesLost:
        gone = [i for i in self._ids if i not in set(self.client.ids)]
        ranks = sorted(self.ranks.get(i, i) for i in gone) or "some"
        return EnginesLost(
            f"MPI rank(s) {ranks} of {self.size} have stopped{detail}; the job cannot go on "
            "without every rank: %pvw stop, then %pvw start"
        )

    def run(self, fn, *args, **kwargs) -> list:
        """Run ``fn`` on every engine at once; returns results ordered by MPI rank."""
        import ipyparallel as ipp

        if not set(self._ids) <= set(self.client.ids):
            raise self._lost()
        try:
            results = self._view.apply_sync(fn, *args, **kwargs)
        except ipp.error.NoEnginesRegistered:
            raise self._lost() from None
        except ipp.error.CompositeError as exc:
            types = tuple(e[0] for e in exc.elist)
            if "EngineError" in types:
                raise self._lost(f" ({_summarize(exc)})") from None
            raise EngineError(
                _summarize(exc, tracebacks=not set(types) <= INPUT_ERRORS), types
            ) from None
        except ipp.error.RemoteError as exc:
            raise EngineError(f"{exc.ename}: {exc.evalue}", (exc.ename,)) from None
        by_rank = sorted(zip(self._ids, results), key=lambda pair: self.ranks[pair[0]])
        return [r for _, r in by_rank]

    def missing_variable(self, name: str) -> list[int]:
        """The MPI ranks whose engine namespace has no variable ``name``."""
        has = self.run(_has_variable(), name)
        return [rank for rank, present in enumerate(has) if not present]

    def stop(self) -> None:
        """Stop the engines and controller we started, and everything that watched them."""
        if not self.owned:
            return
        try:
            if self.client is not None:
                self.client.close()
            if self._loop is not None and self.cluster is not None:
                self._loop.run(self.cluster.stop_cluster(), timeout=120)
        finally:
            if self._watchdog is not None:
                self._watchdog.stop()
                self._watchdog = None
            if self._loop is not None:
                self._loop.close()
                self._loop = None


def _summarize(exc, tracebacks: bool = False) -> str:
    """One line per distinct engine error (engines usually fail the same way)."""
    seen: dict = {}
    for ename, evalue, tb, info in exc.elist:
        engine_id = info.get("engine_id") if isinstance(info, dict) else None
        seen.setdefault((ename, str(evalue), tb if tracebacks else ""), []).append(engine_id)
    return "; ".join(
        f"{ename}: {evalue} (engines {ids})" + (f"\n{tb}" if tb else "")
        for (ename, evalue, tb), ids in seen.items()
    )


def _mpi_rank() -> int:
    from mpi4py import MPI

    return MPI.COMM_WORLD.Get_rank()


def _has_variable():
    """A function that runs in the engine's user namespace: is ``name`` defined there?"""
    import ipyparallel as ipp

    @ipp.interactive
    def has_variable(name: str) -> bool:
        return name in globals()

    return has_variable
