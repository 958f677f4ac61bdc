"""The last K steps' pieces on this rank, so a viewer can look back while the run goes on.

Pieces are kept by reference when the simulation allocates new arrays each step (the
README's advice: then keeping costs no copy, only the memory the simulation would have
freed). A piece whose buffers are those of a kept piece was overwritten in place: that
kept step is lost (dropped), and from then on the dataset's steps are kept as copies.
``keep`` and the memory checks are collective (they run inside a lockstep command), so
every rank keeps and drops the same steps.
"""

from __future__ import annotations

import collections
import dataclasses
import re

from .datasets import copy_piece

MAX_DEPTH = 10000  # more kept steps than this is a mistake, not a wish
DEFAULT_MEMORY_MB = 1024  # per rank
_POINTER = re.compile(r"_([0-9a-fA-F]+)_p_void")


def check_depth(depth) -> int:
    if isinstance(depth, bool) or not isinstance(depth, int):
        raise TypeError(f"history must be a whole number of steps, got {depth!r}")
    if not 0 <= depth <= MAX_DEPTH:
        raise ValueError(
            f"history must be between 0 (off) and {MAX_DEPTH} steps, got {depth}: "
            "it keeps the last K steps on every rank"
        )
    return depth


def check_memory_mb(limit) -> float:
    if isinstance(limit, bool) or not isinstance(limit, (int, float)) or not limit > 0:
        raise ValueError(f"history_memory_mb must be a positive number of MiB, got {limit!r}")
    return float(limit)


def too_big(depth: int, step_bytes: int, limit_mb: float) -> str | None:
    """The refusal message when ``depth`` steps of ``step_bytes`` exceed the limit, else None."""
    estimate = depth * step_bytes
    if estimate <= limit_mb * 2**20:
        return None
    return (
        f"a history of {depth} steps would take about {estimate / 2**20:.1f} MiB on the "
        f"largest rank ({step_bytes / 2**20:.1f} MiB per step), more than the limit of "
        f"{limit_mb:g} MiB: keep fewer steps (history=K) or raise history_memory_mb"
    )


def _data_arrays(data):
    """The arrays holding this dataset's values (point, cell and field data).

    Geometry (points, cells) shared between steps is taken as unchanging: a static mesh
    with new values each step is kept by reference, not mistaken for one overwritten.
    """
    if data is None:
        return
    if data.IsA("vtkMultiBlockDataSet"):
        for i in range(data.GetNumberOfBlocks()):
            yield from _data_arrays(data.GetBlock(i))
        return
    for attributes in (data.GetPointData(), data.GetCellData(), data.GetFieldData()):
        for i in range(attributes.GetNumberOfArrays()):
            yield attributes.GetAbstractArray(i)


def buffers(piece) -> frozenset[int]:
    """The addresses of the memory a piece's arrays point at."""
    found = set()
    for array in _data_arrays(piece):
        if array is None or not array.IsA("vtkDataArray") or array.GetNumberOfTuples() == 0:
            continue
        match = _POINTER.match(str(array.GetVoidPointer(0)))
        if match:
            found.add(int(match.group(1), 16))
    return frozenset(found)


def nbytes(piece) -> int:
    return int(piece.GetActualMemorySize()) * 1024  # VTK counts KiB


@dataclasses.dataclass
class Kept:
    """One kept step on this rank."""

    time: float
    pieces: dict  # name -> piece (the simulation's own, or a copy)
    copied: set  # names kept as copies
    buffers: dict  # name -> addresses, for pieces kept by reference
    nbytes: int


class History:
    def __init__(self, depth: int, memory_mb: float, channel):
        self.depth = check_depth(depth)
        self.memory_mb = check_memory_mb(memory_mb)
        self.channel = channel
        self.steps: collections.OrderedDict[int, Kept] = collections.OrderedDict()
        self.copy_names: set[str] = set()  # datasets the simulation overwrites in place
        self.error: str | None = None  # why history is off, if it was refused
        self.dropped_overwritten = 0  # steps lost because the simulation reused their memory
        self.summary: dict = self._summary()  # read by other threads; replaced, never mutated

    @property
    def enabled(self) -> bool:
        return self.depth > 0 and self.error is None

    # -- collective ---------------------------------------------------------------------------
    def keep(self, step: int, time: float, pieces: dict) -> None:
        """Keep this step's pieces, dropping what is too old, overwritten or over the limit."""
        if not self.enabled:
            return
        addresses = {name: buffers(piece) for name, piece in pieces.items()}
        reused, lost = set(), set()
        for kept_step, kept in self.steps.items():
            for name, piece in kept.pieces.items():
                if name in kept.copied or name not in pieces:
                    continue
                if piece is pieces[name] or kept.buffers[name] & addresses[name]:
                    reused.add(name)
                    lost.add(kept_step)
        # Every rank drops the same steps and copies the same datasets.
        everyone = self.channel.allgather((sorted(reused), sorted(lost)))
        reused = set().union(*(set(r) for r, _ in everyone))
        lost = set().union(*(set(s) for _, s in everyone))
        for kept_step in lost:
            del self.steps[kept_step]
        self.dropped_overwritten += len(lost)
        for name in reused - self.copy_names:  # the rest of their kept steps are still intact
            for kept in self.steps.values():
                if name in kept.pieces and name not in kept.copied:
                    kept.pieces[name] = copy_piece(kept.pieces[name])
                    kept.copied.add(name)
                    kept.buffers.pop(name, None)
                    kept.nbytes = sum(nbytes(p) for p in kept.pieces.values())
        self.copy_names |= reused
        stored, copied, refs = {}, set(), {}
        for name, piece in pieces.items():
            if name in self.copy_names:
                stored[name] = copy_piece(piece)
                copied.add(name)
            else:
                stored[name], refs[name] = piece, addresses[name]
        size = sum(nbytes(p) for p in stored.values())
        if not self.steps:  # the first step tells what K steps will take
            largest = max(self.channel.allgather(size))
            self.error = too_big(self.depth, largest, self.memory_mb)
            if self.error:
                self.summary = self._summary()
                return
        self.steps[step] = Kept(time, stored, copied, refs, size)
        while len(self.steps) > self.depth:
            self.steps.popitem(last=False)
        self._bound_memory()
        self.summary = self._summary()

    def _bound_memory(self) -> None:
        """Drop the oldest steps while the largest rank's history is over the limit."""
        sizes = self.channel.allgather([k.nbytes for k in self.steps.values()])
        limit = self.memory_mb * 2**20
        while len(self.steps) > 1 and max(sum(s) for s in sizes) > limit:
            self.steps.popitem(last=False)
            sizes = [s[1:] for s in sizes]

    # -- local ----------------------------------------------------------------------------------
    def get(self, step: int) -> Kept:
        if not self.enabled:
            raise ValueError(self.error or "no history is kept: start the engine with history=K")
        if step not in self.steps:
            raise KeyError(
                f"step {step} is not kept (kept: {self._range_text()}); the history keeps "
                f"the last {self.depth} steps"
            )
        return self.steps[step]

    def _range_text(self) -> str:
        if not self.steps:
            return "none yet"
        return f"{next(iter(self.steps))}..{next(reversed(self.steps))}"

    def _summary(self) -> dict:
        steps = list(self.steps)
        return {
            "depth": self.depth,
            "kept": [steps[0], steps[-1]] if steps else None,
            "kept_steps": len(steps),
            "kept_bytes": sum(k.nbytes for k in self.steps.values()),
            "copied_bytes": sum(
                nbytes(p) for k in self.steps.values() for n, p in k.pieces.items() if n in k.copied
            ),
            "copied": sorted(self.copy_names),
            "memory_limit_mb": self.memory_mb,
            "dropped_overwritten": self.dropped_overwritten,
            "error": self.error,
        }
