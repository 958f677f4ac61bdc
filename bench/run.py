"""Every benchmark of jupyterlab-pvw on this machine: one table, one JSON file.

    make bench                       # = scripts/with-display.sh .venv/bin/python bench/run.py
    .venv/bin/python bench/run.py --only interaction,insitu   (under scripts/with-display.sh)

Sections (bench/README.md says what each figure means and how it is measured):
  machine      CPU, cores, memory, ParaView / OpenMPI / Chromium / Mesa versions, date
  interaction  a 10 s scripted drag in headless Chromium, 600x600, 1e6 triangles on 2 ranks,
               against our engine and against stock ParaViewWeb + vtk.js RemoteView; and
               ours driven by a Python client (no browser on the engine's cores)
  small        the same drag on a 1e4-triangle torus: ours (2 ranks) | stock at its best;
               ours with the Python client
  profile      where a 1e6-triangle frame's time goes (StillRender, capture, LOD, encode)
  insitu       next_timestep() -> frame painted in the browser, 1e5/1e6/1e7 cells, 1/2/4 ranks
  zerocopy     register() time and resident-memory growth, 1e6..1e8 float64 values
  overhead     examples/heat.py steps/s: no engine, engine idle, engine + a dragging viewer
  frontend     labextension JS raw/gzipped, %pvw start -> first frame in a real kernel

Nothing here asserts on timings; the targets are printed beside the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import gzip
import json
import math
import os
import platform
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import meshes  # bench/meshes.py (this script's directory is on the path)

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PY = sys.executable
RESULTS = BENCH / "results"
SECTIONS = [
    "machine",
    "interaction",
    "small",
    "profile",
    "insitu",
    "pipeline",
    "zerocopy",
    "overhead",
    "frontend",
]


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- processes ---------------------------------------------------------------------------
class Proc:
    """A child process whose output lines are collected by a thread (``expect`` waits)."""

    def __init__(self, args, name: str, env=None, cwd=None):
        self.name = name
        self.proc = subprocess.Popen(
            [str(a) for a in args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            env=env,
            cwd=cwd,
            start_new_session=True,  # its own process group: we can end it and its children
        )
        self.lines: queue.Queue = queue.Queue()
        self.log: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.log.append(line)
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def expect(self, prefix: str, timeout: float = 120.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                raise TimeoutError(
                    f"{self.name}: no {prefix!r} within {timeout:.0f} s; last output:\n"
                    + "".join(self.log[-25:])
                ) from None
            if line is None:
                raise RuntimeError(
                    f"{self.name} ended (rc {self.proc.poll()}) before {prefix!r}; output:\n"
                    + "".join(self.log[-25:])
                )
            if prefix in line:
                return line[line.index(prefix) + len(prefix) :].strip()

    def expect_json(self, tag: str, timeout: float = 120.0):
        return json.loads(self.expect(f"BENCH_{tag} ", timeout))

    def send(self, line: str) -> None:
        try:
            self.proc.stdin.write(line + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, ValueError):
            pass

    def finish(self, command: str | None = "stop", timeout: float = 60.0) -> int:
        if self.proc.poll() is None and command:
            self.send(command)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return -9

    def terminate(self, timeout: float = 20.0) -> int:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return -9

    def kill(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(10)


def mpiexec(n: int, script: Path, *args, bind_none: bool = False, env: dict | None = None):
    extra = ["--bind-to", "none"] if bind_none else []
    for key, value in (env or {}).items():
        extra += ["-x", f"{key}={value}"]
    return ["mpiexec", *extra, "-n", str(n), PY, "-u", str(script), *map(str, args)]


def run_browser(options: dict, timeout: float = 120.0) -> dict:
    """Run bench/browser.mjs to completion; returns what it recorded."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        out = f.name
    options = {**options, "out": out}
    proc = subprocess.run(
        ["node", str(BENCH / "browser.mjs"), json.dumps(options)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    try:
        data = json.loads(Path(out).read_text())
    except (OSError, json.JSONDecodeError):
        raise RuntimeError(
            f"browser run failed: {proc.stdout[-2000:]} {proc.stderr[-2000:]}"
        ) from None
    finally:
        Path(out).unlink(missing_ok=True)
    if data.get("error"):
        raise RuntimeError(f"browser: {data['error']}\n{proc.stderr[-2000:]}")
    return data


class BrowserListener:
    """bench/browser.mjs in listen mode: records frames until told to stop."""

    def __init__(self, options: dict):
        fd, self.out = tempfile.mkstemp(suffix=".json")
        os.close(fd)
        self.proc = Proc(
            [
                "node",
                BENCH / "browser.mjs",
                json.dumps({**options, "mode": "listen", "out": self.out}),
            ],
            "browser",
        )

    def ready(self, timeout=90.0):
        self.proc.expect("READY", timeout)

    def stop(self, timeout=60.0) -> dict:
        self.proc.send("stop")
        self.proc.expect("DONE", timeout)
        self.proc.finish(None, 20)
        data = json.loads(Path(self.out).read_text())
        Path(self.out).unlink(missing_ok=True)
        if data.get("error"):
            raise RuntimeError(f"browser: {data['error']}")
        return data


# -- background load: other processes' CPU while we measure --------------------------------
class LoadMonitor:
    """Samples, once a second, the CPU used by processes outside this run's process tree.

    This machine may be shared (other test suites, builds): their CPU use is recorded per
    section so a figure taken under load can be recognised as such.
    """

    def __init__(self, interval: float = 1.0):
        import psutil

        self.psutil = psutil
        self.interval = interval
        self.samples: list[tuple[float, float, str]] = []  # (time, % of one core, top process)
        self._stop = threading.Event()
        self._last: dict = {}
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _ours(self) -> set:
        me = self.psutil.Process(os.getpid())
        try:
            return {me.pid} | {c.pid for c in me.children(recursive=True)}
        except self.psutil.Error:
            return {me.pid}

    def _run(self):
        last_t = time.monotonic()
        while not self._stop.wait(self.interval):
            ours = self._ours()
            now = time.monotonic()
            used, top = {}, ("", 0.0)
            current = {}
            for proc in self.psutil.process_iter(["name", "cpu_times"]):
                try:
                    t = proc.info["cpu_times"]
                    total = t.user + t.system
                except (self.psutil.Error, TypeError, AttributeError):
                    continue
                current[proc.pid] = total
                if proc.pid in ours or proc.pid not in self._last:
                    continue
                delta = max(0.0, total - self._last[proc.pid])
                used[proc.pid] = delta
                if delta > top[1]:
                    top = (proc.info["name"], delta)
            if self._last:
                elapsed = now - last_t
                self.samples.append((time.time(), 100.0 * sum(used.values()) / elapsed, top[0]))
            self._last, last_t = current, now

    def since(self, t0: float) -> dict:
        recent = [s for s in self.samples if s[0] >= t0]
        if not recent:
            return {"mean_pct_of_core": None, "max_pct_of_core": None}
        names: dict = {}
        for _, pct_core, name in recent:
            if pct_core > 10 and name:
                names[name] = names.get(name, 0) + 1
        return {
            "mean_pct_of_core": rnd(sum(s[1] for s in recent) / len(recent)),
            "max_pct_of_core": rnd(max(s[1] for s in recent)),
            "busiest_others": sorted(names, key=names.get, reverse=True)[:3],
        }

    def wait_quiet(self, threshold: float, timeout: float) -> float:
        """Wait (up to ``timeout`` s) for 3 quiet samples in a row; returns seconds waited."""
        start = time.time()
        while time.time() - start < timeout:
            recent = self.samples[-3:]
            if (
                len(recent) == 3
                and all(s[1] < threshold for s in recent)
                and recent[0][0] >= start - 5
            ):
                break
            time.sleep(self.interval)
        return time.time() - start

    def stop(self):
        self._stop.set()
        self._thread.join(5)


# -- statistics --------------------------------------------------------------------------
def pct(values, q):
    """The q-th percentile (linear), or None."""
    vals = sorted(v for v in values if v is not None)
    if not vals:
        return None
    k = (len(vals) - 1) * q / 100.0
    lo, hi = math.floor(k), math.ceil(k)
    return vals[lo] + (vals[hi] - vals[lo]) * (k - lo)


def median(values):
    return pct(values, 50)


def rnd(x, digits=1):
    return None if x is None else round(float(x), digits)


# -- setup -------------------------------------------------------------------------------
def ensure_node() -> None:
    """npm ci in bench/ when its lockfile changed, and the page bundles when stale."""
    stamp = BENCH / "node_modules" / ".bench-npm-stamp"
    lock = BENCH / "package-lock.json"
    if not stamp.exists() or stamp.stat().st_mtime < lock.stat().st_mtime:
        log("npm ci in bench/")
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=BENCH, check=True
        )
        stamp.touch()
    dist = [BENCH / "web" / "dist" / f"{p}.js" for p in ("ours", "stock")]
    sources = list((BENCH / "web").glob("*.js")) + [lock]
    newest = max(p.stat().st_mtime for p in sources)
    if not all(d.exists() and d.stat().st_mtime >= newest for d in dist):
        log("bundling the bench pages (esbuild)")
        subprocess.run(["npm", "run", "--silent", "build"], cwd=BENCH, check=True)


def _cmd(args, timeout=30) -> str:
    try:
        out = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
        return (out.stdout or out.stderr).strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def machine() -> dict:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    pkgs = {}
    for pkg in ("paraview", "openmpi-bin", "chromium", "libgl1-mesa-dri", "python3-mpi4py"):
        pkgs[pkg] = _cmd(["dpkg-query", "-W", "-f", "${Version}", pkg]) or None
    renderer = next(
        (
            line.split(":", 1)[1].strip()
            for line in _cmd(["glxinfo", "-B"]).splitlines()
            if "OpenGL renderer string" in line
        ),
        None,
    )
    chromium = _cmd(["/usr/bin/chromium", "--version"]).splitlines()
    import importlib.metadata as md

    def version(dist):
        try:
            return md.version(dist)
        except md.PackageNotFoundError:
            return None

    npm_versions = {}
    for name in ("@kitware/vtk.js", "wslink", "playwright-core", "esbuild"):
        try:
            npm_versions[name] = json.loads(
                (BENCH / "node_modules" / name / "package.json").read_text()
            )["version"]
        except OSError:
            npm_versions[name] = None
    commit = _cmd(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    dirty = bool(_cmd(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"]))
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "os": _cmd(["sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"]),
        "paraview": pkgs["paraview"],
        "openmpi": pkgs["openmpi-bin"],
        "mpi4py": pkgs["python3-mpi4py"],
        "chromium": chromium[-1] if chromium else pkgs["chromium"],
        "mesa": pkgs["libgl1-mesa-dri"],
        "opengl_renderer": renderer,
        "python": platform.python_version(),
        "wslink_py": version("wslink"),
        "aiohttp": version("aiohttp"),
        "node": _cmd(["node", "--version"]),
        "npm": npm_versions,
        "commit": commit + ("+dirty" if dirty else ""),
        "display": os.environ.get("DISPLAY"),
    }


# -- 1. interaction ------------------------------------------------------------------------
def analyze_drag(data: dict, kind: str) -> dict:
    frames, moves = data["frames"], data["moves"]
    if len(moves) < 3:
        raise RuntimeError(f"{kind}: the page sent only {len(moves)} mouse events")
    t0, t1 = moves[0]["t_send"], moves[-1]["t_send"]  # press .. release
    seconds = (t1 - t0) / 1000.0
    inside = [f for f in frames if t0 <= f["t_recv"] <= t1]
    painted_inside = [f for f in frames if f.get("t_paint") and t0 <= f["t_paint"] <= t1]
    drag = moves[1:-1]  # the moves (ours: action "move"; RemoteView: "down" with a button held)
    painted = sorted(
        (f for f in frames if f.get("t_paint") and f.get("bench_seq") is not None),
        key=lambda f: f["t_paint"],
    )
    observed_until = max([f["t_paint"] for f in painted] + [t1])
    latencies, unanswered, parts = [], 0, {"wait": [], "server": [], "deliver": [], "paint": []}
    for m in drag:
        answer = next(
            (f for f in painted if f["bench_seq"] >= m["seq"] and f["t_paint"] >= m["t_send"]),
            None,
        )
        if answer is None:
            unanswered += 1
            latencies.append(observed_until - m["t_send"])  # at least this long
            continue
        latencies.append(answer["t_paint"] - m["t_send"])
        if answer.get("bench_t_render"):
            work = answer.get("workTime") or 0
            parts["wait"].append(answer["bench_t_render"] - m["t_send"])
            parts["server"].append(work)
            parts["deliver"].append(answer["t_recv"] - answer["bench_t_render"] - work)
            parts["paint"].append(answer["t_paint"] - answer["t_recv"])
    acks = [m["t_ack"] - m["t_send"] for m in moves if m.get("t_ack")]
    # The full-quality still that ends the drag (frames that say whether they are stills).
    still = next((f for f in frames if f.get("still") and (f.get("t_paint") or 0) > t1), None)
    render = [f.get("bench_render_ms") for f in inside if f.get("bench_render_ms") is not None]
    encode = [f.get("bench_encode_ms") for f in inside if f.get("bench_encode_ms") is not None]
    return {
        "drag_seconds": rnd(seconds, 2),
        "events_sent": len(drag),
        "events_per_s": rnd(len(drag) / seconds),
        "frames_received": len(inside),
        "frames_painted": len(painted_inside),
        "fps_received": rnd(len(inside) / seconds, 2),
        "fps_painted": rnd(len(painted_inside) / seconds, 2),
        "latency_p50_ms": rnd(pct(latencies, 50)),
        "latency_p95_ms": rnd(pct(latencies, 95)),
        "latency_unanswered": unanswered,
        "latency_parts_p50_ms": {k: rnd(median(v)) for k, v in parts.items()},
        "server_work_ms_p50": rnd(median([f.get("workTime") for f in inside])),
        "server_render_ms_p50": rnd(median(render)) if render else None,
        "server_encode_ms_p50": rnd(median(encode)) if encode else None,
        "bytes_per_frame_p50": rnd(median([f["bytes"] for f in inside]), 0),
        "stale_frames": sum(1 for f in inside if f.get("stale")),
        "rpc_ack_ms_p50": rnd(median(acks)),
        "rpc_ack_ms_p95": rnd(pct(acks, 95)),
        "frames_after_release": sum(1 for f in frames if f["t_recv"] > t1),
        "still_after_release_ms": rnd(still["t_paint"] - t1) if still else None,
    }


def drag_ours(
    duration: float, bind_none: bool = True, env: dict | None = None, torus: str | None = None
):
    """Our engine, 2 ranks, the 1e6-triangle torus (``torus``: another resolution, "NUxNV")
    split in two; one scripted drag.

    Unbound ranks by default: in one A/B each (5 s drags, load average ~12 on 2 cores),
    ``--bind-to none`` gave 13.4 painted fps (render p50 33 ms) where OpenMPI's default
    core binding gave 4.0 (114 ms); ``LP_NUM_THREADS=1`` with binding 5.4, unbound with
    ``LP_NUM_THREADS=2`` 11.2: llvmpipe's threads need the free core, not a thread count."""
    driver = Proc(
        mpiexec(
            2,
            BENCH / "engine_driver.py",
            "torus",
            *([torus] if torus else []),
            bind_none=bind_none,
            env=env,
        ),
        "engine",
    )
    try:
        info = driver.expect_json("INFO", 180)
        data = run_browser(
            {
                "page": "ours",
                "url": info["url"],
                "secret": info["secret"],
                "mode": "drag",
                "duration": duration,
                "hz": 60,
                "interactive": 60,
                "still": 100,
            },
            timeout=duration + 120,
        )
        driver.send("status")
        status = driver.expect_json("STATUS", 60)
    finally:
        driver.finish("stop", 60)
    result = analyze_drag(data, "ours")
    result.update(
        ranks=info["ranks"],
        cells=info["cells"],
        points=info["points"],
        status_datasets=status.get("datasets"),
        status_last_render_ms=status.get("last_render_ms"),
        status_last_encode_ms=status.get("last_encode_ms"),
        native_render=status.get("native_render"),
        browser=data.get("browser"),
        quality_setting=data.get("quality"),
    )
    return result, data


def drag_ours_python(duration: float, torus: str | None = None) -> tuple[dict, dict]:
    """``drag_ours`` with no browser on the machine: the same engine and torus, the drag
    driven by ``DragViewer`` (a Python wslink client, one call in flight) for ``duration`` s.
    Headless Chromium and its node driver take ~60% of a core during a drag on the engine's
    2 cores; in real use the browser runs on the user's machine, not the compute node."""
    driver = Proc(
        mpiexec(
            2, BENCH / "engine_driver.py", "torus", *([torus] if torus else []), bind_none=True
        ),
        "engine",
    )
    viewer = None
    try:
        info = driver.expect_json("INFO", 180)
        viewer = DragViewer(info["url"], info["secret"], record=True)
        time.sleep(duration)
        viewer.stop()
        if viewer.thread.is_alive() or viewer.error:
            raise RuntimeError(f"Python client: {viewer.error or 'did not finish'}")
        driver.send("status")
        status = driver.expect_json("STATUS", 60)
    finally:
        if viewer is not None:
            viewer.stop()
        driver.finish("stop", 60)
    data = {"frames": viewer.frames, "moves": viewer.moves}
    result = analyze_drag(data, "ours, Python client")
    result.update(
        ranks=info["ranks"],
        cells=info["cells"],
        status_last_render_ms=status.get("last_render_ms"),
        native_render=status.get("native_render"),
    )
    return result, data


def drag_stock(duration: float, best: bool = False, torus: str | None = None) -> tuple[dict, dict]:
    """ParaView's own paraview.web protocols + vtk.js RemoteView, the same torus (``torus``:
    "NUxNV" as for ``drag_ours``), one drag.

    ``best``: stock at its best instead: ParaView's interactive LOD on, and a page
    (web/stock_best.js) that drives the protocols as their animation loop expects (down,
    moves with the button held, up); images are counted once however often pushed."""
    secret = "bench-" + os.urandom(8).hex()
    stock = Proc(
        [PY, "-u", BENCH / "stock_server.py", "--host", "127.0.0.1", "--port", "0",
         "--authKey", secret, "--timeout", "0", *(["--lod"] if best else []),
         *(["--torus", torus] if torus else [])],
        "stock server",
    )  # fmt: skip
    try:
        cells = int(stock.expect("STOCK_INFO cells=", 120))
        port = int(stock.expect("STOCK_PORT ", 60))
        data = run_browser(
            {
                "page": "stock_best" if best else "stock",
                "url": f"ws://127.0.0.1:{port}/ws",
                "secret": secret,
                "mode": "drag",
                "duration": duration,
                "hz": 60,
            },
            timeout=duration + 150,
        )
    finally:
        stock.terminate()
    if best:
        data["frames"] = distinct_images(data["frames"])
    result = analyze_drag(data, "stock_best" if best else "stock")
    result.update(ranks=1, cells=cells)
    return result, data


def distinct_images(frames: list[dict]) -> list[dict]:
    """The frames whose image differs from the one before (the stock animation loop pushes
    the same image again while the render it waits for is being encoded)."""
    out, last = [], None
    for frame in frames:
        if frame.get("digest") != last:
            out.append(frame)
        last = frame.get("digest")
    return out


def bench_interaction(cfg) -> dict:
    """``cfg.interaction_repeats`` drags per stack, interleaved; the run with the most frames
    painted counts (other load only ever slows a run down); every run is listed."""
    duration = cfg.drag_seconds
    out: dict = {"size": [600, 600], "drag_seconds": duration, "hz": 60, "runs": {}, "_raw": {}}
    for repeat in range(cfg.interaction_repeats):
        for kind, fn, what in (
            ("ours", drag_ours, "our engine, 2 ranks, 1e6 triangles"),
            (
                "ours_python",
                drag_ours_python,
                "our engine, 2 ranks, 1e6 triangles, Python client (no browser)",
            ),
            ("stock", drag_stock, "stock ParaViewWeb + vtk.js RemoteView, 1 process, same torus"),
            (
                "stock_best",
                lambda d: drag_stock(d, best=True),
                "stock ParaViewWeb at its best (LOD, down/move/up driver), 1 process",
            ),
        ):
            log(f"interaction: {what} ({repeat + 1}/{cfg.interaction_repeats})")
            result, data = fn(duration)
            out["runs"].setdefault(kind, []).append(
                {
                    k: result[k]
                    for k in (
                        "fps_painted",
                        "latency_p50_ms",
                        "latency_p95_ms",
                        "server_work_ms_p50",
                    )
                }  # fmt: skip
            )
            if kind not in out or result["fps_painted"] > out[kind]["fps_painted"]:
                out[kind] = result
                out["_raw"][kind] = {k: data.get(k) for k in ("frames", "moves", "window")}
    o, s = out["ours"], out["stock"]
    out["ratios_ours_over_stock"] = {
        "fps_received": ratio(o["fps_received"], s["fps_received"]),
        "fps_painted": ratio(o["fps_painted"], s["fps_painted"]),
        "latency_p50": ratio(o["latency_p50_ms"], s["latency_p50_ms"]),
        "latency_p95": ratio(o["latency_p95_ms"], s["latency_p95_ms"]),
        "bytes_per_frame": ratio(o["bytes_per_frame_p50"], s["bytes_per_frame_p50"]),
    }
    b = out["stock_best"]
    out["ratios_ours_over_stock_best"] = {
        "fps_painted": ratio(o["fps_painted"], b["fps_painted"]),
        "latency_p50": ratio(o["latency_p50_ms"], b["latency_p50_ms"]),
        "latency_p95": ratio(o["latency_p95_ms"], b["latency_p95_ms"]),
    }
    return out


def ratio(a, b):
    return rnd(a / b, 2) if a is not None and b else None


def bench_small(cfg) -> dict:
    """The drag on a small scene (the 1e4-triangle torus): ours (2 ranks) against stock at
    its best, ``cfg.interaction_repeats`` drags each, interleaved; the run with the most
    frames painted counts, as in ``bench_interaction``."""
    duration, torus = cfg.drag_seconds, "x".join(map(str, meshes.SMALL_TORUS))
    out: dict = {
        "size": [600, 600],
        "drag_seconds": duration,
        "hz": 60,
        "torus": torus,
        "runs": {},
        "_raw": {},
    }
    for repeat in range(cfg.interaction_repeats):
        for kind, fn, what in (
            ("ours", lambda d: drag_ours(d, torus=torus), "our engine, 2 ranks"),
            (
                "ours_python",
                lambda d: drag_ours_python(d, torus=torus),
                "our engine, 2 ranks, Python client (no browser)",
            ),
            (
                "stock_best",
                lambda d: drag_stock(d, best=True, torus=torus),
                "stock ParaViewWeb at its best (LOD, down/move/up driver), 1 process",
            ),
        ):
            log(f"small: {what}, {torus} torus ({repeat + 1}/{cfg.interaction_repeats})")
            result, data = fn(duration)
            out["runs"].setdefault(kind, []).append(
                {k: result[k] for k in ("fps_painted", "latency_p50_ms", "latency_p95_ms")}
            )
            if kind not in out or result["fps_painted"] > out[kind]["fps_painted"]:
                out[kind] = result
                out["_raw"][kind] = {k: data.get(k) for k in ("frames", "moves", "window")}
    o, b = out["ours"], out["stock_best"]
    out["ratios_ours_over_stock_best"] = {
        "fps_painted": ratio(o["fps_painted"], b["fps_painted"]),
        "latency_p50": ratio(o["latency_p50_ms"], b["latency_p50_ms"]),
        "latency_p95": ratio(o["latency_p95_ms"], b["latency_p95_ms"]),
    }
    return out


# -- profile: where a frame's time goes ----------------------------------------------------
def bench_profile(cfg) -> dict:
    out = {}
    runs = [
        ("1 rank (mpiexec, bound to a core)", 1, False, None),
        ("2 ranks (mpiexec default binding)", 2, False, None),
        ("2 ranks (bound, LP_NUM_THREADS=1)", 2, False, {"LP_NUM_THREADS": 1}),
        ("2 ranks (--bind-to none)", 2, True, None),
    ]
    for label, n, unbound, env in runs:
        log(f"profile: {label}")
        proc = Proc(
            mpiexec(n, BENCH / "profile_render.py", 10, bind_none=unbound, env=env), "profile"
        )
        try:
            out[label] = proc.expect_json("PROFILE", 180)
        finally:
            proc.finish(None, 60)
    log("profile: 1 process, no mpiexec (as the stock server runs)")
    proc = Proc([PY, "-u", BENCH / "profile_render.py", 10], "profile")
    try:
        out["1 process, no mpiexec"] = proc.expect_json("PROFILE", 180)
    finally:
        proc.finish(None, 60)
    blocks = {}
    for n in (1, 2):
        log(f"profile: in-situ step of a 1e6-cell block, {n} rank(s)")
        proc = Proc(mpiexec(n, BENCH / "profile_render.py", "block", "1e6", 6), "profile block")
        try:
            blocks[f"{n} rank(s)"] = proc.expect_json("PROFILE", 180)
        finally:
            proc.finish(None, 60)
    return {"torus": out, "block_1e6": blocks}


# -- 2. in-situ latency --------------------------------------------------------------------
def bench_pipeline(cfg) -> dict:
    """next_timestep() -> painted frame at 1e6 cells on 2 ranks: plain surface, then an
    outline + slice + contour pipeline (its cost per step: the frame's ``pipelineMs``)."""
    plain = bench_insitu(cfg, mode="insitu", ranks_list=[2], sizes=[1e6], budget_ab=False)
    piped = bench_insitu(cfg, mode="pipeline", ranks_list=[2], sizes=[1e6], budget_ab=False)
    return {
        "rows": [{"view": "surface", **r} for r in plain["rows"]]
        + [{"view": "outline+slice+contour", **r} for r in piped["rows"]],
        "_raw": {"surface": plain["_raw"], "pipeline": piped["_raw"]},
    }


def insitu_passes(sizes, ranks: int, cfg, budget_ab: bool) -> str:
    """The driver's size list for ``ranks``: with ``budget_ab``, the goal's case (1e6 cells
    on 2 ranks) runs a second time right after the first, at ``cfg.insitu_ab_budget``."""
    items = []
    for cells in sizes:
        if ranks > 2 and cells > cfg.insitu_max_oversubscribed:
            continue
        items.append(f"{cells:g}")
        if budget_ab and cfg.insitu_ab_budget and ranks == 2 and abs(cells - 1e6) < 1:
            items.append(f"{cells:g}@{cfg.insitu_ab_budget:g}")
    return ",".join(items)


def bench_insitu(cfg, mode: str = "insitu", ranks_list=None, sizes=None, budget_ab=True) -> dict:
    """Per size: how often a step got a frame of its own (the render budget skips a step's
    first frame when its allowance is spent), the latency to that frame, and the latency to
    the first frame of that step or a newer one (what a viewer waits for anything new)."""
    sizes = sizes or cfg.insitu_sizes
    rows = []
    raw = {}
    for ranks in ranks_list or cfg.insitu_ranks:
        label = insitu_passes(sizes, ranks, cfg, budget_ab)
        log(f"{mode}: {ranks} rank(s), cells {label}")
        driver = Proc(
            mpiexec(ranks, BENCH / "engine_driver.py", mode, label, cfg.insitu_steps, 2),
            f"{mode} {ranks} ranks",
        )
        browser = None
        try:
            info = driver.expect_json("INFO", 240)
            driver.expect_json("READY", 240)
            browser = BrowserListener(
                {"page": "ours", "url": info["url"], "secret": info["secret"], "still": 90}
            )
            browser.ready()
            driver.send("go")
            steps, paces = [], {}
            while True:
                line = driver.expect("BENCH_", 600)
                tag, _, payload = line.partition(" ")
                if tag == "STEP":
                    steps.append(json.loads(payload))
                elif tag == "PACE":
                    p = json.loads(payload)
                    paces[p["pass"]] = p["pace_s"]
                elif tag == "DONE":
                    break
            time.sleep(1.0)
            data = browser.stop()
            raw[f"{ranks} ranks"] = {"steps": steps, "frames": data.get("frames")}
            browser = None
        finally:
            if browser is not None:
                browser.proc.kill()
            driver.finish("stop", 120)
        painted = sorted(
            (f for f in data["frames"] if f.get("t_paint")), key=lambda f: f["t_paint"]
        )
        by_pass: dict = {}
        for step in steps:
            if step["warmup"]:
                continue
            after = [f for f in painted if f["t_paint"] >= step["t_call"]]
            # Anything of this step or newer (a skipped step is answered by a later one) ...
            answer = next((f for f in after if f.get("timestep", -1) >= step["timestep"]), None)
            # ... and a frame of this very step (its first frame, or its full still later).
            own = next((f for f in after if f.get("timestep") == step["timestep"]), None)
            entry = by_pass.setdefault(
                step["pass"],
                {
                    "cells": step["cells"],
                    "budget": step["budget"],
                    "own": [],
                    "lat": [],
                    "swap": [],
                    "queue": [],
                    "render": [],
                    "deliver": [],
                    "paint": [],
                    "pipeline": [],
                    "missing": 0,
                    "surface": step["surface_cells"],
                    "requested": step["requested_cells"],
                },
            )
            entry["swap"].append(step["t_return"] - step["t_call"])
            if own is not None:
                entry["own"].append(own["t_paint"] - step["t_call"])
            if answer is None:
                entry["missing"] += 1
                continue
            entry["lat"].append(answer["t_paint"] - step["t_call"])
            if answer.get("bench_t_render"):
                entry["queue"].append(answer["bench_t_render"] - step["t_call"])
                entry["render"].append(answer.get("workTime"))
                entry["deliver"].append(
                    answer["t_recv"] - answer["bench_t_render"] - answer["workTime"]
                )
                entry["paint"].append(answer["t_paint"] - answer["t_recv"])
                if answer.get("pipelineMs") is not None:
                    entry["pipeline"].append(answer["pipelineMs"])
        for index, e in sorted(by_pass.items()):
            n = len(e["lat"]) + e["missing"]
            rows.append(
                {
                    "ranks": ranks,
                    "cells": e["cells"],
                    "requested_cells": e["requested"],
                    "budget": e["budget"],
                    "surface_quads_drawn": e["surface"],
                    "steps": n,
                    "missing_frames": e["missing"],
                    "pace_s": rnd(paces.get(index), 2),
                    # Steps painted with a frame of their own, and how soon (those steps only).
                    "own_frames": len(e["own"]),
                    "own_frame_fraction": rnd(len(e["own"]) / n, 2) if n else None,
                    "own_latency_p50_ms": rnd(pct(e["own"], 50)),
                    "own_latency_p95_ms": rnd(pct(e["own"], 95)),
                    # Until a frame of this step or a newer one is painted (every step).
                    "latency_p50_ms": rnd(pct(e["lat"], 50)),
                    "latency_p95_ms": rnd(pct(e["lat"], 95)),
                    "next_timestep_return_ms_p50": rnd(median(e["swap"])),
                    "call_to_render_start_ms_p50": rnd(median(e["queue"])),
                    "render_encode_ms_p50": rnd(median(e["render"])),
                    "deliver_ms_p50": rnd(median(e["deliver"])),
                    "decode_paint_ms_p50": rnd(median(e["paint"])),
                    # Part of render_encode: the pipeline's update (filters, ranges) before it.
                    "pipeline_update_ms_p50": rnd(median(e["pipeline"])),
                }
            )
    return {
        "rows": rows,
        "oversubscribed_note": "more ranks than cores share cores (oversubscribed)",
        "_raw": raw,
    }


# -- 3. zero copy ----------------------------------------------------------------------------
def bench_zerocopy(cfg) -> dict:
    log("zero copy: register() against array size")
    proc = Proc([PY, "-u", BENCH / "zerocopy.py", "1e6,1e7,1e8", 3], "zerocopy")
    try:
        rows = proc.expect_json("ZEROCOPY", 300)
    finally:
        proc.finish(None, 60)
    return {"rows": rows}


# -- 4. overhead on the simulation ------------------------------------------------------------
class DragViewer:
    """A Python wslink client that keeps dragging at ``hz`` in its own thread, one call in
    flight (each mouse RPC's answer is awaited, as the frontend's CoalescingSender does).

    It records what the bench page records (``moves``: {seq, action, t_send, t_ack};
    ``frames``: the frame messages' metadata, ``t_paint`` = ``t_recv`` since nothing is
    painted), so ``analyze_drag`` reads it. ``record``: act like the bench page around the
    drag (JPEG qualities 100 still / 60 interactive, press 1 s after the first frame, stay
    1.5 s after the release for the still that ends the drag); off, it presses at once and
    closes at once (the overhead section)."""

    def __init__(self, url: str, secret: str, hz: float = 60.0, record: bool = False):
        self.url, self.secret, self.hz, self.record = url, secret, hz, record
        self.frames: list[dict] = []
        self.moves: list[dict] = []
        self.events = 0
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._first_frame: asyncio.Event | None = None
        self.error = None
        self.thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)
        self.thread.start()
        if not self._connected.wait(90):
            raise RuntimeError(f"viewer could not connect: {self.error}")

    def _on_frame(self, msg):
        if not msg or not msg.get("image"):
            return
        now = time.time() * 1000.0
        frame = {
            "t_recv": now,
            "t_paint": now,
            "bytes": len(msg["image"]),
            "size": msg.get("size"),
            "still": msg.get("still"),
            "stale": msg.get("stale"),
            "workTime": msg.get("workTime"),
        }
        for key in ("bench_seq", "bench_t_render", "bench_render_ms", "bench_encode_ms"):
            if key in msg:
                frame[key] = msg[key]
        self.frames.append(frame)
        if self._first_frame is not None:
            self._first_frame.set()

    async def _send(self, client, event: dict):
        move = {"seq": len(self.moves) + 1, "action": event["action"], "t_ack": None}
        self.moves.append(move)
        move["t_send"] = time.time() * 1000.0
        await client.call("viewport.mouse.interaction", [{**event, "seq": move["seq"]}])
        move["t_ack"] = time.time() * 1000.0

    async def _run(self):
        sys.path.insert(0, str(ROOT / "python"))
        from jupyterlab_pvw.wslink_client import WslinkClient

        self._first_frame = asyncio.Event()
        client = WslinkClient(self.url, self.secret)
        client.subscribe("viewport.image.push.subscription", self._on_frame)
        try:
            await client.connect()
            if self.record:
                await client.call("pvw.quality", [100, 60])
            await client.call("viewport.image.push.observer.add", ["-1"])
            await client.call("viewport.image.push", [{"view": "-1", "size": [600, 600]}])
            if self.record:
                await asyncio.wait_for(self._first_frame.wait(), 60)
                await asyncio.sleep(1.0)
            base = {
                "view": "-1",
                "buttonLeft": True,
                "buttonMiddle": False,
                "buttonRight": False,
                "shiftKey": False,
                "ctrlKey": False,
                "altKey": False,
                "metaKey": False,
            }
            x, y = 0.5, 0.5
            await self._send(client, {**base, "action": "down", "x": x, "y": y})
            self._connected.set()
            start = time.monotonic()
            k = 0
            while not self._stop.is_set():
                k += 1
                t = time.monotonic() - start
                x = 0.5 + 0.3 * math.sin(2 * math.pi * t / 4.0)
                y = 0.5 + 0.15 * math.sin(2 * math.pi * t / 2.6)
                await self._send(client, {**base, "action": "move", "x": x, "y": y})
                self.events += 1
                await asyncio.sleep(max(0.0, start + k / self.hz - time.monotonic()))
            # The release after the last move (sent in order: one call in flight).
            await self._send(client, {**base, "action": "up", "x": x, "y": y, "buttonLeft": False})
            if self.record:
                await asyncio.sleep(1.5)  # the full-quality still that ends the drag
        except Exception as exc:
            self.error = repr(exc)
            self._connected.set()
        finally:
            await client.close()

    def stop(self):
        self._stop.set()
        self.thread.join(30)


# The same glibc malloc settings for every mode: freed memory stays in the heap (no trim,
# arrays up to 32 MB never mmapped). With glibc's defaults heat.py without the engine gave
# its heap top back to the kernel every step and faulted it in again (~1300 minor faults
# per step at size 96, ~2-3 ms of a ~5 ms step), while the engine, holding each registered
# array until the next one, kept the heap top in use and spared the simulation most of
# them: the "engine makes the simulation faster" of earlier runs (bench/README.md, 4.).
HEAT_MALLOC_ENV = {"MALLOC_MMAP_THRESHOLD_": 32 * 2**20, "MALLOC_TRIM_THRESHOLD_": 2**40}
HEAT_MODES = ("none", "idle", "viewer")


def bench_overhead(cfg) -> dict:
    """Each mode runs ``cfg.heat_repeats`` times, interleaved (the order reversed every other
    round, so no mode always comes first); the best window counts (other processes on a
    shared machine only ever slow a window down)."""
    size, seconds = cfg.heat_size, cfg.heat_seconds
    out = {
        "size": size,
        "ranks": 2,
        "every": 10,
        "seconds": seconds,
        "malloc_env": HEAT_MALLOC_ENV,
        "runs": {},
        "all": {},
    }
    for repeat in range(cfg.heat_repeats):
        for mode in HEAT_MODES if repeat % 2 == 0 else HEAT_MODES[::-1]:
            log(
                f"overhead: heat.py --size {size}, 2 ranks, mode {mode} ({repeat + 1}/{cfg.heat_repeats})"
            )
            result = heat_window(mode, size, seconds)
            out["all"].setdefault(mode, []).append(result)
            best = out["runs"].get(mode)
            if best is None or result["steps_per_s"] > best["steps_per_s"]:
                out["runs"][mode] = result
    base = out["runs"]["none"]["steps_per_s"]
    out["idle_ratio"] = rnd(out["runs"]["idle"]["steps_per_s"] / base, 3)
    out["viewer_ratio"] = rnd(out["runs"]["viewer"]["steps_per_s"] / base, 3)
    out["steps_per_s_all"] = {m: [rnd(r["steps_per_s"]) for r in out["all"][m]] for m in HEAT_MODES}
    return out


def heat_window(mode: str, size: int, seconds: float) -> dict:
    """One window of one mode: every mode with OpenMPI's default binding (a core per rank),
    the same allocator settings, the same loop and a 1 s untimed warm-up."""
    driver = Proc(
        mpiexec(2, BENCH / "heat_driver.py", mode, size, seconds, 10, 1.0, env=HEAT_MALLOC_ENV),
        f"heat {mode}",
    )
    viewer = None
    try:
        info = driver.expect_json("INFO", 180)
        if mode == "viewer":
            viewer = DragViewer(info["url"], info["secret"])
            if viewer.error:
                raise RuntimeError(f"viewer: {viewer.error}")
            time.sleep(1.0)
        driver.send("go")
        result = driver.expect_json("HEAT", seconds + 120)
        if viewer is not None:
            viewer.stop()
            result["viewer_frames"] = len(viewer.frames)
            result["viewer_fps"] = rnd(len(viewer.frames) / result["seconds"], 2)
            result["viewer_events"] = viewer.events
            viewer = None
        if mode != "none":
            status = driver.expect_json("STATUS", 60)
            result["frames_rendered"] = status.get("frames")
            result["last_render_ms"] = status.get("last_render_ms")
        return result
    finally:
        if viewer is not None:
            viewer.stop()
        driver.finish(None, 120)


# -- 5. frontend weight and first frame ------------------------------------------------------
KERNEL_CODE = [
    (
        "setup",
        "import sys, time, json\nsys.path.insert(0, {bench!r})\nimport kernel_probe\n_t = {{}}",
    ),
    (
        "load_ext",
        "_t['load_ext_start'] = time.time()\n%load_ext jupyterlab_pvw\n_t['load_ext_end'] = time.time()",
    ),
    ("start", "_t['start'] = time.time()\n_w = %pvw start -n 2\n_t['started'] = time.time()"),
    (
        "register",
        "from jupyterlab_pvw.notebook import session\n"
        "import inspect\nexec(inspect.getsource(kernel_probe.make_demo))  # defined here: sent by value\n"
        "session.cluster.run(make_demo)\n_t['registered'] = time.time()",
    ),
    ("activate", "%pvw activate demo\n_t['activated'] = time.time()"),
    (
        "frame",
        "_f = kernel_probe.first_frame(session.info['url'], session.info['secret'])\n"
        "print('BENCH_KERNEL ' + json.dumps({{**_t, **_f, 'ranks': session.info.get('ranks')}}))",
    ),
    ("stop", "%pvw stop"),
]


def bench_frontend(cfg) -> dict:
    out: dict = {}
    static = ROOT / "python" / "jupyterlab_pvw" / "labextension" / "static"
    files = sorted(p for p in static.glob("*.js")) if static.exists() else []
    raw = sum(p.stat().st_size for p in files)
    gz = sum(len(gzip.compress(p.read_bytes(), compresslevel=9)) for p in files)
    mode = None
    build_log = static.parent / "build_log.json"
    if build_log.exists():
        text = build_log.read_text()
        mode = (
            "production"
            if '"mode": "production"' in text
            else ("development" if '"mode": "development"' in text else "unknown")
        )
    out["js"] = {
        "files": [p.name for p in files],
        "raw_kb": rnd(raw / 1024),
        "gzip_kb": rnd(gz / 1024),
        "build_mode": mode,
        "built": datetime.datetime.fromtimestamp(
            max((p.stat().st_mtime for p in files), default=0)
        ).isoformat(timespec="seconds"),
    }
    if files:
        try:
            est = json.loads(
                subprocess.run(
                    ["node", str(BENCH / "minify_estimate.mjs"), *map(str, files)],
                    capture_output=True,
                    text=True,
                    check=True,
                    timeout=120,
                ).stdout
            )
            out["js"]["minified_estimate_kb"] = rnd(est["min"] / 1024)
            out["js"]["minified_estimate_gzip_kb"] = rnd(est["min_gzip"] / 1024)
        except (subprocess.SubprocessError, ValueError, KeyError) as exc:
            out["js"]["minified_estimate_error"] = str(exc)
    log("frontend: a kernel runs %load_ext + %pvw start -n 2 + activate, then waits for a frame")
    try:
        out["first_frame"] = first_frame_in_kernel(out)
    except Exception as exc:
        out["error"] = f"{type(exc).__name__}: {exc}"
    return out


def first_frame_in_kernel(out: dict) -> dict:
    from jupyter_client.manager import start_new_kernel

    with tempfile.TemporaryDirectory(prefix="pvw-bench-kernel-") as tmp:
        env = {
            **os.environ,
            "JUPYTER_RUNTIME_DIR": os.path.join(tmp, "runtime"),
            "IPYTHONDIR": os.path.join(tmp, "ipython"),
        }
        saved = {k: os.environ.get(k) for k in ("JUPYTER_RUNTIME_DIR", "IPYTHONDIR")}
        os.environ.update({k: env[k] for k in saved})
        km = kc = None
        try:
            t_kernel = time.time()
            km, kc = start_new_kernel(kernel_name="python3", env=env, startup_timeout=120)
            out["kernel_start_s"] = rnd(time.time() - t_kernel, 2)
            captured = []
            progress = []  # (wall time, "pvw: ..." progress line of %pvw start)

            def hook(msg):
                if msg["msg_type"] in ("display_data", "update_display_data"):
                    text = msg["content"].get("data", {}).get("text/plain", "")
                    if text.startswith("pvw:"):
                        progress.append((time.time(), text))
                if msg["msg_type"] == "stream":
                    captured.append(msg["content"]["text"])
                elif msg["msg_type"] == "error":
                    captured.append(
                        "ERROR " + msg["content"]["ename"] + ": " + msg["content"]["evalue"]
                    )

            for name, code in KERNEL_CODE:
                reply = kc.execute_interactive(
                    code.format(bench=str(BENCH)), timeout=300, output_hook=hook
                )
                if reply["content"]["status"] != "ok":
                    # Leave no engines behind: stop the session (and the cluster it started).
                    kc.execute_interactive(
                        "try:\n    %pvw stop\nexcept Exception:\n    pass\n"
                        "from jupyterlab_pvw.notebook import session as _s\n"
                        "if _s.cluster is not None and _s.cluster.owned:\n    _s.cluster.stop()",
                        timeout=120,
                    )
                    raise RuntimeError(f"kernel cell {name!r} failed: {''.join(captured)[-2000:]}")
            text = "".join(captured)
            line = next(ln for ln in text.splitlines() if ln.startswith("BENCH_KERNEL "))
            t = json.loads(line.split(" ", 1)[1])
            if t.get("error"):
                raise RuntimeError(f"first frame: {t['error']}")
            return {
                "start_to_first_frame_s": rnd(t["t_frame"] - t["start"], 2),
                "pvw_start_s": rnd(t["started"] - t["start"], 2),
                "register_s": rnd(t["registered"] - t["started"], 2),
                "activate_s": rnd(t["activated"] - t["registered"], 2),
                "connect_to_frame_s": rnd(t["t_frame"] - t["t_connect"], 2),
                "load_ext_s": rnd(t["load_ext_end"] - t["load_ext_start"], 2),
                "frame_bytes": t.get("bytes"),
                "ranks": t.get("ranks"),
                # When each progress line of %pvw start arrived, in s after the start.
                "start_timeline": [[rnd(when - t["start"], 2), text] for when, text in progress],
            }
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
            if kc is not None:
                kc.stop_channels()
            if km is not None:
                km.shutdown_kernel(now=False)


# -- the table ---------------------------------------------------------------------------
def fmt(v, unit="", digits=1):
    if v is None:
        return "n/a"
    if isinstance(v, float):
        v = f"{v:.{digits}f}"
    return f"{v}{unit}"


def table(results: dict) -> str:
    rows: list[tuple[str, str, str]] = []

    def section(title, key=None):
        rows.append((f"== {title}", "", ""))
        load = (results.get(key) or {}).get("background_load") if key else None
        if load and load.get("mean_pct_of_core") is not None:
            others = ", ".join(load.get("busiest_others") or []) or "-"
            rows.append(
                (
                    "other processes' CPU meanwhile",
                    f"mean {load['mean_pct_of_core']}%, max {load['max_pct_of_core']}% of a core ({others})",
                    "",
                )
            )

    def row(name, value, target=""):
        rows.append((name, value, target))

    def no_browser_rows(sec):
        """Ours driven by a Python client: the drag without Chromium on the engine's cores."""
        p = sec.get("ours_python")
        if not p:
            return
        row(
            "no browser on this machine, Python client (ours only): frames/s received",
            fmt(p["fps_received"]),
        )
        row(
            "  same: input -> new frame p50 / p95 (ms)",
            f"{fmt(p['latency_p50_ms'])} / {fmt(p['latency_p95_ms'])}",
        )
        row("  same: server render ms p50", fmt(p["server_render_ms_p50"]))
        row(
            "  same, every run: fps received, p50 ms",
            ", ".join(
                f"{fmt(r['fps_painted'])} fps {fmt(r['latency_p50_ms'], digits=0)}"
                for r in sec.get("runs", {}).get("ours_python", [])
            ),
        )

    m = results.get("machine", {})
    if m:
        section("machine")
        row("date", m.get("date", "?"))
        row("cpu", f"{m.get('cpu')} x {m.get('cores')} cores, {m.get('memory_gb')} GB")
        row(
            "ParaView / OpenMPI / mpi4py",
            f"{m.get('paraview')} / {m.get('openmpi')} / {m.get('mpi4py')}",
        )
        row("Chromium / node", f"{m.get('chromium')} / {m.get('node')}")
        row("OpenGL", f"{m.get('opengl_renderer')} (Mesa {m.get('mesa')})")
        row(
            "wslink py / npm, vtk.js",
            f"{m.get('wslink_py')} / {m.get('npm', {}).get('wslink')}, {m.get('npm', {}).get('@kitware/vtk.js')}",
        )
        row("commit", m.get("commit", "?"))
    it = results.get("interaction")
    if isinstance(it, dict) and "ours" in it:
        o, s, r = it["ours"], it["stock"], it["ratios_ours_over_stock"]
        section(
            f"1. interaction: best of {len(it.get('runs', {}).get('ours', [])) or 1} {it['drag_seconds']:.0f} s drags at 60 Hz, 600x600, ~1e6 triangles (ours | stock | ours/stock)",
            key="interaction",
        )
        row("cells rendered (ours 2 ranks | stock 1 process)", f"{o['cells']} | {s['cells']}")
        row(
            "frames/s received",
            f"{fmt(o['fps_received'])} | {fmt(s['fps_received'])} | x{fmt(r['fps_received'], digits=2)}",
        )
        row(
            "frames/s painted",
            f"{fmt(o['fps_painted'])} | {fmt(s['fps_painted'])} | x{fmt(r['fps_painted'], digits=2)}",
            ">= 30",
        )
        if "stock_best" in it:
            b, rb = it["stock_best"], it["ratios_ours_over_stock_best"]
            row(
                "stock at its best (LOD, down/move/up driver): distinct frames/s painted",
                f"{fmt(o['fps_painted'])} | {fmt(b['fps_painted'])} | x{fmt(rb['fps_painted'], digits=2)}",
                ">= 10x stock at its best",
            )
            row(
                "stock at its best: input -> new frame p50 / p95 (ms)",
                f"{fmt(o['latency_p50_ms'])} / {fmt(o['latency_p95_ms'])} | "
                f"{fmt(b['latency_p50_ms'])} / {fmt(b['latency_p95_ms'])}",
            )
        row(
            "input -> new frame p50 (ms)",
            f"{fmt(o['latency_p50_ms'])} | {fmt(s['latency_p50_ms'])} | x{fmt(r['latency_p50'], digits=2)}",
            "<= 60",
        )
        row(
            "input -> new frame p95 (ms)",
            f"{fmt(o['latency_p95_ms'])} | {fmt(s['latency_p95_ms'])} | x{fmt(r['latency_p95'], digits=2)}",
            "<= 120",
        )
        no_browser_rows(it)
        row(
            "full still painted after the release (ms, ours)",
            fmt(o.get("still_after_release_ms")),
            "<= 400",
        )
        row(
            "moves never answered during observation",
            f"{o['latency_unanswered']} of {o['events_sent']} | {s['latency_unanswered']} of {s['events_sent']}",
        )
        row(
            "server render / encode ms p50 (ours)",
            f"{fmt(o['server_render_ms_p50'])} / {fmt(o['server_encode_ms_p50'])}",
        )
        row(
            "server work per frame ms p50 (workTime)",
            f"{fmt(o['server_work_ms_p50'])} | {fmt(s['server_work_ms_p50'])}",
        )
        lo, ls = o["latency_parts_p50_ms"], s["latency_parts_p50_ms"]
        row(
            "latency parts p50 wait/server/deliver/paint",
            f"{lo['wait']}/{lo['server']}/{lo['deliver']}/{lo['paint']} | {ls['wait']}/{ls['server']}/{ls['deliver']}/{ls['paint']}",
        )
        row(
            "bytes per frame p50",
            f"{fmt(o['bytes_per_frame_p50'], digits=0)} | {fmt(s['bytes_per_frame_p50'], digits=0)}",
            "<= 25000",
        )
        row("mouse events sent per s", f"{fmt(o['events_per_s'])} | {fmt(s['events_per_s'])}")
        runs = it.get("runs", {})
        if runs:
            row(
                "every run: fps painted, p50 ms",
                " | ".join(
                    ", ".join(
                        f"{fmt(r['fps_painted'])} fps {fmt(r['latency_p50_ms'], digits=0)}"
                        for r in runs.get(k, [])
                    )
                    for k in ("ours", "stock")
                ),
            )
        row(
            "mouse RPC ack ms p50 / p95",
            f"{fmt(o['rpc_ack_ms_p50'])} / {fmt(o['rpc_ack_ms_p95'])} | {fmt(s['rpc_ack_ms_p50'])} / {fmt(s['rpc_ack_ms_p95'])}",
        )
    elif isinstance(it, dict) and "error" in it:
        section("1. interaction")
        row("error", it["error"].splitlines()[0][:120])
    sm = results.get("small")
    if isinstance(sm, dict) and "ours" in sm:
        o, b, rb = sm["ours"], sm["stock_best"], sm["ratios_ours_over_stock_best"]
        section(
            f"1b. small scene: best of {len(sm['runs'].get('ours', []))} {sm['drag_seconds']:.0f} s drags at 60 Hz, 600x600, ~1e4 triangles (ours | stock at its best | ours/stock)",
            key="small",
        )
        row("cells rendered (ours 2 ranks | stock 1 process)", f"{o['cells']} | {b['cells']}")
        row(
            "frames/s painted",
            f"{fmt(o['fps_painted'])} | {fmt(b['fps_painted'])} | x{fmt(rb['fps_painted'], digits=2)}",
            ">= 60",
        )
        row(
            "input -> new frame p50 (ms)",
            f"{fmt(o['latency_p50_ms'])} | {fmt(b['latency_p50_ms'])} | x{fmt(rb['latency_p50'], digits=2)}",
            "<= 25",
        )
        row(
            "input -> new frame p95 (ms)",
            f"{fmt(o['latency_p95_ms'])} | {fmt(b['latency_p95_ms'])} | x{fmt(rb['latency_p95'], digits=2)}",
        )
        no_browser_rows(sm)
        row(
            "moves never answered during observation",
            f"{o['latency_unanswered']} of {o['events_sent']} | {b['latency_unanswered']} of {b['events_sent']}",
        )
        lo, lb = o["latency_parts_p50_ms"], b["latency_parts_p50_ms"]
        row(
            "latency parts p50 wait/server/deliver/paint",
            f"{lo['wait']}/{lo['server']}/{lo['deliver']}/{lo['paint']} | {lb['wait']}/{lb['server']}/{lb['deliver']}/{lb['paint']}",
        )
        row(
            "server render / encode ms p50 (ours)",
            f"{fmt(o['server_render_ms_p50'])} / {fmt(o['server_encode_ms_p50'])}",
        )
        row(
            "bytes per frame p50",
            f"{fmt(o['bytes_per_frame_p50'], digits=0)} | {fmt(b['bytes_per_frame_p50'], digits=0)}",
        )
        row(
            "every run: fps painted, p50 ms",
            " | ".join(
                ", ".join(
                    f"{fmt(r['fps_painted'])} fps {fmt(r['latency_p50_ms'], digits=0)}"
                    for r in sm["runs"].get(k, [])
                )
                for k in ("ours", "stock_best")
            ),
        )
    elif isinstance(sm, dict) and "error" in sm:
        section("1b. small scene")
        row("error", sm["error"].splitlines()[0][:120])
    pr = results.get("profile")
    if isinstance(pr, dict) and "torus" in pr:
        section(
            "profile: one 600x600 frame of the 1e6-triangle torus, ms p50 (Mesa llvmpipe)",
            key="profile",
        )
        for label, p in pr["torus"].items():
            row(
                label,
                f"StillRender {p['still_render_ms']}, capture {p['capture_ms']}, JPEG {p['encode_ms']}, LOD render {p['interactive_render_ms']}",
            )
        for label, p in pr["block_1e6"].items():
            row(
                f"in-situ step, 1e6-cell block, {label}",
                f"range {p['range']}, update {p['update_pipeline']}, render after update {p['render_after_update']}, "
                f"capture new data {p['capture_new_data']} / same data {p['capture_same_data']}",
            )
    ins = results.get("insitu")
    if isinstance(ins, dict) and "rows" in ins:
        section(
            "2. in-situ: next_timestep() -> frame painted (image-data blocks, Surface)",
            key="insitu",
        )
        row(
            "ranks, cells, render budget",
            "steps with a frame of their own: p50 / p95 ms over those | until a frame of the step or newer: p50 / p95",
        )
        for r in ins["rows"]:
            target = (
                "p50 <= 100" if (r["ranks"] == 2 and abs(r["requested_cells"] - 1e6) < 1) else ""
            )
            row(
                f"{r['ranks']} rank(s), {r['cells']:.2e} cells, budget {fmt(r.get('budget'), digits=2)}",
                f"own {r.get('own_frames')}/{r['steps']}: {fmt(r.get('own_latency_p50_ms'))} / {fmt(r.get('own_latency_p95_ms'))} | "
                f"{fmt(r['latency_p50_ms'])} / {fmt(r['latency_p95_ms'])} ms  (render {fmt(r['render_encode_ms_p50'])}, swap {fmt(r['next_timestep_return_ms_p50'])}, pace {fmt(r.get('pace_s'), digits=2)} s{', missing ' + str(r['missing_frames']) if r['missing_frames'] else ''})",
                target,
            )
    elif isinstance(ins, dict) and "error" in ins:
        section("2. in-situ")
        row("error", ins["error"].splitlines()[0][:120])
    zc = results.get("zerocopy")
    if isinstance(zc, dict) and "rows" in zc:
        section("3. zero copy: register() (float64 point field)", key="zerocopy")
        for r in zc["rows"]:
            row(
                f"{r['values']:.2e} values ({r['array_mb']:.0f} MB)",
                f"register {r['register_ms']:.3f} ms, +{r['rss_growth_mb']:.2f} MB RSS (image() wrap {r['image_wrap_ms']:.2f} ms; copy=True {r['copy_register_ms']:.0f} ms, +{r['copy_rss_growth_mb']:.0f} MB)",
                "< 1 ms, < 1 MB",
            )
    ov = results.get("overhead")
    if isinstance(ov, dict) and "runs" in ov and "viewer_ratio" in ov:
        section(
            f"4. overhead: heat.py --size {ov['size']}, 2 ranks, best of {len(ov['all']['none'])} {ov['seconds']:.0f} s windows",
            key="overhead",
        )
        rr = ov["runs"]
        row("steps/s without the engine", fmt(rr["none"]["steps_per_s"]))
        row(
            "steps/s engine idle (ratio)",
            f"{fmt(rr['idle']['steps_per_s'])} ({fmt(ov['idle_ratio'] * 100)}%)",
            ">= 97%",
        )
        row(
            "steps/s viewer dragging (ratio)",
            f"{fmt(rr['viewer']['steps_per_s'])} ({fmt(ov['viewer_ratio'] * 100)}%), viewer got {fmt(rr['viewer'].get('viewer_fps'))} fps",
            ">= 80%",
        )
        row(
            "  steps/s of every window (none | idle | viewer)",
            " | ".join(
                ", ".join(fmt(v) for v in ov["steps_per_s_all"][m])
                for m in ("none", "idle", "viewer")
            ),
        )
        for mode in HEAT_MODES:
            r = rr[mode]
            row(
                f"  {mode}: step / halo wait / next_timestep call ms",
                f"{fmt(r.get('step_ms'), digits=2)} / {fmt(r.get('exchange_ms'), digits=2)} / {fmt(r.get('engine_call_ms'))} (engine calls {fmt(100 * (r.get('engine_share') or 0))}% of the time; rank 0: step CPU {fmt(r.get('rank0_compute_cpu_ms'), digits=2)} ms, page faults/step {fmt(r.get('rank0_minor_faults_per_step'))})",
            )
        parts = rr["idle"].get("rank0_engine_parts_ms") or {}
        if parts:
            row(
                "  idle, rank 0, ms per call",
                "; ".join(f"{k.strip()} {v[1]}" for k, v in parts.items() if v[0]),
            )
    elif isinstance(ov, dict) and "error" in ov:
        section("4. overhead")
        row("error", ov["error"].splitlines()[0][:120])
    fe = results.get("frontend")
    if isinstance(fe, dict) and "js" in fe:
        section("5. frontend", key="frontend")
        js = fe["js"]
        row(
            f"labextension JS ({js['build_mode']} build, {len(js['files'])} files)",
            f"{js['raw_kb']} KB raw, {js['gzip_kb']} KB gzipped",
            "< 500 KB gzipped",
        )
        if js.get("minified_estimate_gzip_kb") is not None:
            row(
                "  the same chunks minified (esbuild), estimate",
                f"{js['minified_estimate_kb']} KB, {js['minified_estimate_gzip_kb']} KB gzipped",
            )
        ff = fe.get("first_frame")
        if ff:
            row(
                "%pvw start -> first frame (s)",
                f"{ff['start_to_first_frame_s']} (start {ff['pvw_start_s']}, register {ff['register_s']}, activate {ff['activate_s']}, connect+frame {ff['connect_to_frame_s']})",
                "<= 15",
            )
        if fe.get("error"):
            row("error", fe["error"].splitlines()[0][:120])
    width = max((len(r[0]) for r in rows if not r[0].startswith("==")), default=10)
    vwidth = min(max((len(r[1]) for r in rows if not r[0].startswith("==")), default=10), 110)
    lines = []
    for name, value, target in rows:
        if name.startswith("=="):
            lines.append(f"\n{name}")
        else:
            t = f"  [target {target}]" if target else ""
            lines.append(f"  {name:<{width}}  {value:<{vwidth}}{t}")
    return "\n".join(lines)


# -- main --------------------------------------------------------------------------------
def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--only", default=",".join(SECTIONS), help=f"comma-separated sections of {SECTIONS}"
    )
    parser.add_argument("--out", default=str(RESULTS / "latest.json"))
    parser.add_argument("--drag-seconds", type=float, default=10.0)
    parser.add_argument("--interaction-repeats", type=int, default=2)
    parser.add_argument("--insitu-ranks", default="1,2,4")
    parser.add_argument("--insitu-sizes", default="1e5,1e6,1e7")
    parser.add_argument("--insitu-steps", type=int, default=8)
    parser.add_argument(
        "--insitu-ab-budget",
        type=float,
        default=1.0,
        help="in-situ: 1e6 cells on 2 ranks again at this render budget (0: not)",
    )
    parser.add_argument(
        "--insitu-max-oversubscribed",
        type=float,
        default=1e7,
        help="largest size run on more ranks than cores (default 1e7)",
    )
    parser.add_argument("--heat-size", type=int, default=96)
    parser.add_argument("--heat-seconds", type=float, default=6.0)
    parser.add_argument("--heat-repeats", type=int, default=3)
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=60.0,
        help="wait up to this many s for other processes to use < 25%% of a core",
    )
    cfg = parser.parse_args(argv)
    cfg.insitu_ranks = [int(x) for x in cfg.insitu_ranks.split(",")]
    cfg.insitu_sizes = [float(x) for x in cfg.insitu_sizes.split(",")]
    only = [s.strip() for s in cfg.only.split(",") if s.strip()]
    unknown = set(only) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections {sorted(unknown)}")
    if not os.environ.get("DISPLAY") or not shutil.which("mpiexec"):
        parser.error("run under scripts/with-display.sh (needs DISPLAY and mpiexec): `make bench`")
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    started = time.time()
    ensure_node()
    results: dict = {"sections": only}
    monitor = LoadMonitor()
    if cfg.wait_quiet > 0:
        time.sleep(3.5)
        waited = monitor.wait_quiet(25.0, cfg.wait_quiet)
        results["waited_for_quiet_s"] = rnd(waited, 1)
        if waited > 3:
            log(f"waited {waited:.0f} s for other processes to quieten down")
    funcs = {
        "machine": lambda c: machine(),
        "interaction": bench_interaction,
        "small": bench_small,
        "profile": bench_profile,
        "insitu": bench_insitu,
        "pipeline": bench_pipeline,
        "zerocopy": bench_zerocopy,
        "overhead": bench_overhead,
        "frontend": bench_frontend,
    }
    for name in SECTIONS:
        if name not in only:
            continue
        t = time.time()
        try:
            results[name] = funcs[name](cfg)
        except Exception as exc:  # one broken section must not hide the others
            import traceback

            log(f"{name} failed: {exc}")
            results[name] = {
                "error": f"{type(exc).__name__}: {exc}",
                "traceback": traceback.format_exc(),
            }
        if isinstance(results[name], dict):
            results[name]["section_seconds"] = rnd(time.time() - t, 1)
            results[name]["background_load"] = monitor.since(t)
        log(f"{name} done in {time.time() - t:.0f} s")
    monitor.stop()
    results["wall_seconds"] = rnd(time.time() - started, 1)
    out = Path(cfg.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    raw = {k: v.pop("_raw") for k, v in results.items() if isinstance(v, dict) and "_raw" in v}
    out.write_text(json.dumps(results, indent=1))
    # Every frame and event behind the figures, for a second look (same directory).
    out.with_name(out.stem + "-raw.json").write_text(json.dumps(raw))
    print(table(results))
    print(f"\nwall time {results['wall_seconds']:.0f} s; figures in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
