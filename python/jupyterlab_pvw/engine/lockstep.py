"""The command channel: rank 0's render service leads, the other ranks' services follow.

Every render is collective, so every rank's service thread must run the same commands in
the same order. Rank 0 broadcasts each command on a communicator of the engine's own (never
the simulation's COMM_WORLD). Idle followers wait with a non-blocking broadcast polled with
short sleeps, because a blocking wait spins and steals the core the rank's simulation uses.
"""

from __future__ import annotations

import pickle
import threading
import time
from typing import Callable

import numpy as np

IDLE_AFTER_S = 1.0  # after this long without a command, poll less often
POLL_MIN_S, POLL_MAX_S, POLL_IDLE_S = 0.0002, 0.002, 0.01


# Exception types that keep their type when an agreed error is raised on every rank.
_ERROR_TYPES = {"KeyError": KeyError, "ValueError": ValueError, "TypeError": TypeError}


def error_of(exc: BaseException) -> tuple[str, str]:
    """What a rank tells the others of its error: (type name, message)."""
    message = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    return type(exc).__name__, message


def agreed_error(errors: list) -> Exception | None:
    """One error for every rank from the gathered ``error_of`` pairs (None: no error).

    Where all ranks fail the same way it reads as a single error; otherwise it names each
    failing rank.
    """
    failed = [(r, e) for r, e in enumerate(errors) if e is not None]
    if not failed:
        return None
    unanimous = len(failed) == len(errors) and all(e == failed[0][1] for _, e in failed)
    kind = failed[0][1][0]
    if unanimous:
        message = failed[0][1][1]
    else:
        message = "; ".join(f"rank {r}: {m}" for r, (_, m) in failed)
    return _ERROR_TYPES.get(kind, RuntimeError)(message)


class CommandChannel:
    def __init__(self, comm):
        self.comm = comm
        self.rank = comm.Get_rank()
        self.size = comm.Get_size()

    def send(self, command: dict) -> None:
        """Rank 0: broadcast one command to every follower."""
        if self.size == 1:
            return
        payload = pickle.dumps(command, protocol=pickle.HIGHEST_PROTOCOL)
        header = np.array([len(payload)], dtype=np.int64)
        self.comm.Ibcast(header, root=0).Wait()
        self.comm.Bcast(np.frombuffer(payload, dtype=np.uint8).copy(), root=0)

    def receive(self, wake: threading.Event) -> dict:
        """Followers: wait for rank 0's next command without spinning.

        ``wake``: set when a command is about to come (this rank's main thread has just made
        a collective call that rank 0 will broadcast); the wait then polls at its fastest
        again instead of sleeping up to ``POLL_IDLE_S``.
        """
        header = np.zeros(1, dtype=np.int64)
        request = self.comm.Ibcast(header, root=0)
        delay, started = POLL_MIN_S, time.monotonic()
        while not request.Test():
            if wake.wait(delay):
                wake.clear()
                delay, started = POLL_MIN_S, time.monotonic()
                continue
            idle = time.monotonic() - started > IDLE_AFTER_S
            delay = POLL_IDLE_S if idle else min(delay * 2, POLL_MAX_S)
        payload = np.empty(int(header[0]), dtype=np.uint8)
        self.comm.Bcast(payload, root=0)
        return pickle.loads(payload.tobytes())

    # Collective helpers used inside a command, where every rank is already in lockstep.
    def allgather(self, value):
        return [value] if self.size == 1 else self.comm.allgather(value)

    def allreduce_range(self, lo: float, hi: float) -> tuple[float, float]:
        if self.size == 1:
            return lo, hi
        from mpi4py import MPI

        return self.comm.allreduce(lo, op=MPI.MIN), self.comm.allreduce(hi, op=MPI.MAX)

    def gather(self, value):
        return [value] if self.size == 1 else self.comm.gather(value, root=0)

    def agreed(self, fn: Callable, *args, **kwargs):
        """Run ``fn`` on every rank; if it fails anywhere, every rank raises the same error.

        The error is ``agreed_error``'s: one message where all fail alike, else per rank.
        """
        local = None
        result = None
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:
            local = error_of(exc)
        error = agreed_error(self.allgather(local))
        if error is not None:
            raise error
        return result
