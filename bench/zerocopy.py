"""``register()`` cost against array size: time and resident-memory growth, in one process.

    python bench/zerocopy.py 1e6,1e7,1e8 [repeats]

For each size: allocate and touch a float64 field, then time ``engine.image(...)`` (wrapping
the numpy memory as VTK arrays) and ``DatasetRegistry.register`` separately, and read the
resident set size (/proc/self/statm) before and after. ``copy=True`` is measured once per
size for contrast. Prints one ``BENCH_ZEROCOPY <json>`` line.
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import sys
import time

import numpy as np

from jupyterlab_pvw.engine import image
from jupyterlab_pvw.engine.registry import DatasetRegistry

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def cube_extent(values: int):
    n = max(2, round(values ** (1 / 3)))
    nz = max(1, values // (n * n))
    return (0, n - 1, 0, n - 1, 0, nz - 1), n * n * nz


def measure(values: int, repeats: int):
    extent, count = cube_extent(values)
    registry = DatasetRegistry()
    keep = []  # nothing is freed until the end: a late free would hide a copy
    wraps, registers, growth = [], [], []
    for i in range(repeats):
        field = np.empty(count, dtype=np.float64)
        field.fill(float(i))  # touch every page: the field is resident before we start
        gc.collect()
        before = rss_bytes()
        t0 = time.perf_counter()
        piece = image(extent, point_data={"f": field})
        t1 = time.perf_counter()
        registry.register(f"field{i}", piece)
        t2 = time.perf_counter()
        after = rss_bytes()
        wraps.append((t1 - t0) * 1e3)
        registers.append((t2 - t1) * 1e3)
        growth.append((after - before) / 1e6)
        keep.append((field, piece))
    # For contrast: the same with copy=True (a deep copy of the piece).
    field = np.empty(count, dtype=np.float64)
    field.fill(1.0)
    piece = image(extent, point_data={"f": field})
    gc.collect()
    before = rss_bytes()
    t0 = time.perf_counter()
    registry.register("copied", piece, copy=True)
    copy_ms = (time.perf_counter() - t0) * 1e3
    copy_growth = (rss_bytes() - before) / 1e6
    keep.append((field, piece))
    del keep, field, piece, registry
    gc.collect()
    return {
        "values": count,
        "array_mb": count * 8 / 1e6,
        "image_wrap_ms": statistics.median(wraps),
        "register_ms": statistics.median(registers),
        "register_ms_max": max(registers),
        "rss_growth_mb": statistics.median(growth),
        "rss_growth_mb_max": max(growth),
        "copy_register_ms": copy_ms,
        "copy_rss_growth_mb": copy_growth,
        "repeats": repeats,
        "dtype": "float64",
    }


def main(argv):
    sizes = [int(float(s)) for s in (argv[0] if argv else "1e6,1e7,1e8").split(",")]
    repeats = int(argv[1]) if len(argv) > 1 else 3
    image((0, 1, 0, 1, 0, 1), point_data={"f": np.zeros(8)})  # import VTK once, untimed
    rows = [measure(values, repeats) for values in sizes]
    print("BENCH_ZEROCOPY " + json.dumps(rows), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
