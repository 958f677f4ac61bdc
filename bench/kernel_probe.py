"""Helpers the frontend benchmark's kernel imports (bench/ is put on its sys.path).

``make_demo`` runs on every ipyparallel engine: it registers a small image piece per rank.
``first_frame`` connects a Python wslink client to the engine's own URL and returns the
wall-clock time its first frame arrived.
"""

from __future__ import annotations

import asyncio
import threading
import time


def make_demo():
    import numpy as np
    from mpi4py import MPI

    from jupyterlab_pvw import engine

    rank, size = MPI.COMM_WORLD.Get_rank(), MPI.COMM_WORLD.Get_size()
    n = 32
    extent = (0, n - 1, 0, n - 1, rank * (n - 1) // size, (rank + 1) * (n - 1) // size)
    nz = extent[5] - extent[4] + 1
    values = np.linspace(0.0, 1.0, n * n * nz) + rank
    engine.register("demo", engine.image(extent, point_data={"value": values}))
    return rank


def first_frame(url: str, secret: str, timeout: float = 60.0) -> dict:
    from jupyterlab_pvw.wslink_client import WslinkClient

    out: dict = {}

    async def go():
        loop = asyncio.get_running_loop()
        got = loop.create_future()
        client = WslinkClient(url, secret)

        def on_frame(frame):
            if not got.done():
                got.set_result((time.time(), frame))

        client.subscribe("viewport.image.push.subscription", on_frame)
        out["t_connect"] = time.time()
        await client.connect()
        await client.call("viewport.image.push.observer.add", ["-1"])
        await client.call("viewport.image.push", [{"view": "-1", "size": [600, 600]}])
        t, frame = await asyncio.wait_for(got, timeout)
        out["t_frame"] = t
        out["bytes"] = len(frame["image"])
        out["size"] = frame["size"]
        await client.close()

    def run():
        try:
            asyncio.run(go())
        except BaseException as exc:  # reported to the caller
            out["error"] = repr(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout + 10)
    return out
