"""This rank's registered pieces: a name -> VTK dataset map, written by the simulation."""

from __future__ import annotations

import threading

from ..wire import DATASET_NAME, DATASET_NAME_MAX
from .datasets import check_piece, copy_piece


def check_name(name) -> str:
    if not isinstance(name, str):
        raise TypeError(f"dataset names are strings, got {type(name).__name__}")
    if not DATASET_NAME.match(name) or len(name) > DATASET_NAME_MAX:
        raise ValueError(
            f"invalid dataset name {name!r}: use letters, digits, '_', '.', '-' "
            f"(starting with a letter or '_'), at most {DATASET_NAME_MAX} characters"
        )
    return name


class DatasetRegistry:
    """Holds a reference to each registered piece (zero copy); safe from any thread."""

    def __init__(self):
        self._pieces: dict = {}
        self._lock = threading.Lock()

    def register(self, name: str, piece, copy: bool = False) -> None:
        check_name(name)
        check_piece(piece)
        if copy:
            piece = copy_piece(piece)
        with self._lock:
            self._pieces[name] = piece

    def unregister(self, name: str) -> None:
        with self._lock:
            if name not in self._pieces:
                raise KeyError(
                    f"no dataset named {name!r}; registered: {sorted(self._pieces) or 'none'}"
                )
            del self._pieces[name]

    def snapshot(self) -> dict:
        """The current pieces, as one consistent step."""
        with self._lock:
            return dict(self._pieces)

    def names(self) -> list[str]:
        with self._lock:
            return sorted(self._pieces)
