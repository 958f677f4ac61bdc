"""The kernel's MPI engines: find the ipyparallel cluster the kernel already has, or start one.

Every engine call of ``%pvw`` goes through ``EngineCluster.run``, which runs one function on
all engines at once (the engine's calls are collective) and turns an engine-side exception
into one clear error in the kernel.
"""

from __future__ import annotations

import time


class EngineError(RuntimeError):
    """An engine call failed on one or more engines; the message says where and why."""


def _find_client(namespace: dict):
    import ipyparallel as ipp

    for value in namespace.values():
        if isinstance(value, ipp.Client):
            return value
    return None


class EngineCluster:
    """A set of ipyparallel MPI engines (rank 0 first) that ``%pvw`` drives."""

    def __init__(self, client, cluster=None, owned: bool = False):
        self.client = client
        self.cluster = cluster  # the ipp.Cluster we started, if any
        self.owned = owned
        self._view = None
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
        cluster.start_controller_sync()
        cluster.start_engines_sync(n=n)
        client = cluster.connect_client_sync()
        return cls(client, cluster, owned=True)._ready(n, progress, timeout)

    def _ready(self, n, progress, timeout):
        deadline = time.monotonic() + timeout
        want = n or max(len(self.client.ids), 1)
        last = -1
        while len(self.client.ids) < want:
            if len(self.client.ids) != last:
                last = len(self.client.ids)
                progress(f"engines {last}/{want} up")
            if time.monotonic() > deadline:
                raise EngineError(
                    f"only {len(self.client.ids)} of {want} engines came up within {timeout} s"
                )
            time.sleep(0.2)
        progress(f"engines {len(self.client.ids)}/{want} up")
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

    def run(self, fn, *args, **kwargs) -> list:
        """Run ``fn`` on every engine at once; returns results ordered by MPI rank."""
        import ipyparallel as ipp

        try:
            results = self._view.apply_sync(fn, *args, **kwargs)
        except ipp.error.CompositeError as exc:
            raise EngineError(_summarize(exc)) from None
        except ipp.error.RemoteError as exc:
            raise EngineError(f"{exc.ename}: {exc.evalue}") from None
        by_rank = sorted(zip(self._ids, results), key=lambda pair: self.ranks[pair[0]])
        return [r for _, r in by_rank]

    def stop(self) -> None:
        if self.owned and self.cluster is not None:
            self.client.close()
            self.cluster.stop_cluster_sync()


def _summarize(exc) -> str:
    """One line per distinct engine error (engines usually fail the same way)."""
    seen: dict = {}
    for ename, evalue, _tb, info in exc.elist:
        engine_id = info.get("engine_id") if isinstance(info, dict) else None
        seen.setdefault((ename, str(evalue)), []).append(engine_id)
    return "; ".join(f"{ename}: {evalue} (engines {ids})" for (ename, evalue), ids in seen.items())


def _mpi_rank() -> int:
    from mpi4py import MPI

    return MPI.COMM_WORLD.Get_rank()
