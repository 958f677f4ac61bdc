"""ParaView 5.11's own ParaViewWeb server, as stock as wslink 2 allows, on the bench torus.

    python bench/stock_server.py --port 0 --authKey SECRET

One process (ParaView's stock web protocols drive interaction through
``HandleInteractionEvent``, which crashes satellites under MPI), the whole
torus (1e6 triangles by default), a 600x600 view, the protocols a ParaViewWeb
Visualizer-style app registers for remote rendering, ``SetImageEncoding(0)`` with
``ParaViewWebPublishImageDelivery(decode=False)`` (the only combination that yields JPEG
bytes on wslink 2). wslink's defaults otherwise (permessage-deflate on, as a stock
deployment has it). ``--lod``: ParaView's interactive LOD for every dataset (LODThreshold 0;
the protocol renders interactively between a ``down`` and an ``up``), stock at its best.
``--torus NUxNV``: another torus resolution (``100x50``: the 1e4-triangle small scene).

Measurement only, no behaviour change: each published frame gets ``bench_seq`` (the
``seq`` of the newest mouse event handled before the render that produced its image; the
bench page numbers its events) and ``bench_t_render`` (wall-clock ms when that render
started). A ``stale`` frame carries the image of an earlier render (the JPEG of the render
just made is still being encoded on ParaView's worker thread), so both keys follow the
image, not the push.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

# Import the venv's aiohttp and wslink before ParaView puts Debian's dist-packages first.
import aiohttp  # noqa: F401
import wslink  # noqa: F401
from wslink import register as exportRpc
from wslink import server

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import meshes  # noqa: E402
from paraview import simple  # noqa: E402
from paraview.web import protocols as pv_protocols  # noqa: E402
from paraview.web import pv_wslink  # noqa: E402


class BenchImageDelivery(pv_protocols.ParaViewWebPublishImageDelivery):
    """The stock protocol; only records which event each image reflects (see module doc)."""

    last_seq = None

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._renders = []  # (seq, t_render) of each stillRender, newest last

    def stillRender(self, options):
        seq, started = BenchImageDelivery.last_seq, time.time() * 1000.0
        reply = super().stillRender(options)
        if reply is not None:
            self._renders.append((seq, started))
            del self._renders[:-4]
            # stale: the image is the previous render's (its encode finished, this one's not).
            index = -2 if reply.get("stale") and len(self._renders) > 1 else -1
            reply["bench_seq"], reply["bench_t_render"] = self._renders[index]
        return reply

    @exportRpc("viewport.mouse.interaction")
    def mouseInteraction(self, event):
        result = super().mouseInteraction(event)
        if isinstance(event, dict) and event.get("seq") is not None:
            BenchImageDelivery.last_seq = event["seq"]
        return result


class StockServer(pv_wslink.PVServerProtocol):
    authKey = "wslink-secret"
    lod = False
    torus = (meshes.TORUS_NU, meshes.TORUS_NV)

    @staticmethod
    def configure(options):
        StockServer.authKey = options.authKey
        StockServer.lod = options.lod
        StockServer.torus = meshes.parse_resolution(options.torus)

    def port_callback(self, port):
        print(f"STOCK_PORT {port}", flush=True)

    def initialize(self):
        self.registerVtkWebProtocol(pv_protocols.ParaViewWebMouseHandler())
        self.registerVtkWebProtocol(pv_protocols.ParaViewWebViewPort())
        self.registerVtkWebProtocol(BenchImageDelivery(decode=False))
        self.registerVtkWebProtocol(pv_protocols.ParaViewWebViewPortImageDelivery())
        self.updateSecret(StockServer.authKey)
        app = self.getApplication()
        app.SetImageEncoding(0)

        source = simple.PVTrivialProducer(registrationName="torus")
        nu, nv = StockServer.torus
        source.GetClientSideObject().SetOutput(
            meshes.torus_piece(parts=[0, 1], size=2, nu=nu, nv=nv)
        )
        view = simple.GetActiveViewOrCreate("RenderView")
        view.ViewSize = [600, 600]
        view.OrientationAxesVisibility = 1
        if StockServer.lod:
            view.LODThreshold = 0.0  # MB: decimate the torus while interacting
        display = simple.Show(source, view)
        display.Representation = "Surface"
        simple.ColorBy(display, ("POINTS", "wave"))
        lut = simple.GetColorTransferFunction("wave")
        lo, hi = (
            source.GetDataInformation()
            .GetPointDataInformation()
            .GetArrayInformation("wave")
            .GetComponentRange(0)
        )
        lut.AutomaticRescaleRangeMode = "Never"
        lut.RescaleTransferFunction(lo, hi)
        # The same initial camera as our engine's reset: looking down -z, +y up, fitted.
        view.CameraPosition = [0, 0, 1]
        view.CameraFocalPoint = [0, 0, 0]
        view.CameraViewUp = [0, 1, 0]
        simple.ResetCamera(view)
        simple.Render(view)
        print(f"STOCK_INFO cells={source.GetDataInformation().GetNumberOfCells()}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    server.add_arguments(parser)
    parser.add_argument("--lod", action="store_true", help="ParaView's interactive LOD on")
    parser.add_argument(
        "--torus",
        default=f"{meshes.TORUS_NU}x{meshes.TORUS_NV}",
        help="torus resolution NUxNV, 2*NU*NV triangles (default: 1e6 triangles)",
    )
    args = parser.parse_args()
    StockServer.configure(args)
    server.start_webserver(options=args, protocol=StockServer)


if __name__ == "__main__":
    main()
