"""The command channel: rank 0's render service leads, the other ranks' services follow.

Every render is collective, so every rank's service thread must run the same commands in
the same order. Rank 0 broadcasts each command on a communicator of the engine's own (never
the simulation's COMM_WORLD). Idle followers wait with a non-blocking broadcast polled with
short sleeps, because a blocking wait spins and steals the core the rank's simulation uses
(only right after the rank's main thread made a collective call, which leaves that core
free while it waits, does a follower poll without sleeping, briefly).
"""

from __future__ import annotations

import pickle
import threading
import time
from typing import Callable

import numpy as np

IDLE_AFTER_S = 1.0  # after this long without a command, poll less often
POLL_MIN_S, POLL_MAX_S, POLL_IDLE_S = 0.0002, 0.002, 0.01
# Once this rank's main thread has made a collective call, rank 0's broadcast of it is due
# within a fraction of a millisecond; the main thread waits for it, so its core is free:
# poll without sleeping this long (a sleeping poll made the whole call ~0.35 ms longer).
SPIN_AFTER_WAKE_S = 0.002
# A command travels in one broadcast of this many bytes (its length, then its pickle); a
# longer one sends the rest in a second. Commands are a few hundred bytes: one collective
# each instead of two (length, then payload), on every frame and every step.
FIRST_BYTES = 4096
_LENGTH = np.dtype(np.int64).itemsize


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
        first = np.zeros(FIRST_BYTES, dtype=np.uint8)
        first[:_LENGTH].view(np.int64)[0] = len(payload)
        head = payload[: FIRST_BYTES - _LENGTH]
        first[_LENGTH : _LENGTH + len(head)] = np.frombuffer(head, dtype=np.uint8)
        # Non-blocking like the followers' receive: MPI matches a broadcast only with its kind.
        self.comm.Ibcast(first, root=0).Wait()
        if len(payload) > len(head):
            self.comm.Bcast(np.frombuffer(payload[len(head) :], dtype=np.uint8).copy(), root=0)

    def receive(self, wake: threading.Event) -> dict:
        """Followers: wait for rank 0's next command, sleeping between polls.

        ``wake``: set when a command is about to come (this rank's main thread has just made
        a collective call that rank 0 will broadcast, and waits for it): the wait then polls
        without sleeping for ``SPIN_AFTER_WAKE_S``, then sleeps again from the shortest delay.
        """
        first = np.empty(FIRST_BYTES, dtype=np.uint8)
        request = self.comm.Ibcast(first, root=0)
        delay, started = POLL_MIN_S, time.monotonic()
        spin_until = 0.0
        while not request.Test():
            if spin_until and time.monotonic() < spin_until:
                continue
            if wake.wait(delay):
                wake.clear()
                delay, started = POLL_MIN_S, time.monotonic()
                spin_until = started + SPIN_AFTER_WAKE_S
                continue
            idle = time.monotonic() - started > IDLE_AFTER_S
            delay = POLL_IDLE_S if idle else min(delay * 2, POLL_MAX_S)
        length = int(first[:_LENGTH].view(np.int64)[0])
        room = FIRST_BYTES - _LENGTH
        if length <= room:
            return pickle.loads(first[_LENGTH : _LENGTH + length].tobytes())
        rest = np.empty(length - room, dtype=np.uint8)
        self.comm.Bcast(rest, root=0)
        return pickle.loads(first[_LENGTH:].tobytes() + rest.tobytes())

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
