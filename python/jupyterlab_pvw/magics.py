"""``%pvw``: start, watch and drive the ParaViewWeb engines from a notebook.

Each subcommand is one method with its own ``@magic_arguments`` parser (IPython's, as
ipyparallel's ``%px`` uses); its docstring is its help, the first line its summary in
``%pvw -h``. Adding a subcommand is one more ``@command("name")`` method.
"""

from __future__ import annotations

import argparse
import json
import math
from typing import Callable

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments
from IPython.display import display
from IPython.utils.process import arg_split

from .cluster import EngineError, EnginesLost
from .notebook import InputError, session
from .widget import MAX_HEIGHT, MIN_HEIGHT

HELP_FLAGS = ("-h", "--help")

# name -> (method, one-line summary), in the order the commands are defined.
COMMANDS: dict[str, tuple[Callable, str]] = {}


def command(name: str):
    """Make a method the ``%pvw NAME`` subcommand; stack ``@argument``s below it."""

    def register(method):
        summary = (method.__doc__ or "").strip().splitlines()[0]
        method = magic_arguments(f"pvw {name}")(method)
        COMMANDS[name] = (method, summary)
        return method

    return register


def _whole_number(text: str, minimum: int, what: str = "a number") -> int:
    try:
        value = int(text)
    except ValueError:
        raise UsageError(f"expected a whole number, got {text!r}") from None
    if value < minimum:
        raise UsageError(f"expected {what} of at least {minimum}, got {value}")
    return value


def _positive_int(text: str) -> int:
    return _whole_number(text, 1)


def _height(text: str) -> int:
    value = _positive_int(text)
    if not MIN_HEIGHT <= value <= MAX_HEIGHT:
        raise UsageError(
            f"height must be between {MIN_HEIGHT} and {MAX_HEIGHT} pixels, got {value}"
        )
    return value


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise UsageError(f"expected a finite number, got {text!r}")
    return value


def _history(text: str) -> int:
    return _whole_number(text, 0, "a number of steps (0: off)")


def _step_or_live(text: str):
    if text == "live":
        return text
    try:
        return int(text)
    except ValueError:
        raise UsageError(f"goto takes a step number or 'live', got {text!r}") from None


def _print_run_state(state: dict) -> None:
    behind = state["live_step"] - state["step"]
    where = f"step {state['step']}" + (f", {behind} behind live" if behind else "")
    kept = f", kept {state['kept'][0]}..{state['kept'][1]}" if state.get("kept") else ""
    print(f"pvw: {'paused' if state['paused'] else 'running'} at {where}{kept}")


# -- the live pipeline's value parsing (engine/pipeline.py) ---------------------------------
def _value(text: str):
    """A property value from the command line: JSON, a comma list, or plain text."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    if "," in text:
        return [_value(part) for part in text.split(",")]
    return text


def _assignments(items) -> dict:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(
                f"properties are NAME=VALUE (e.g. SliceType.Normal=0,0,1), got {item!r}"
            )
        out[key] = _value(value)
    return out


def _print_pipeline(items: list) -> None:
    for item in items:
        c = item["coloring"]
        colour = (
            f"{c['array']} [{c['range'][0]:g}, {c['range'][1]:g}]"
            if c and c.get("range")
            else "solid"
        )
        eye = "shown" if item["visible"] else "hidden"
        feeds = f" <- {item['input']}" if item["input"] else ""
        print(f"{item['name']:<16} {item['kind']:<14}{feeds:<14} {eye:<7} {colour}")


height_option = argument(
    "--height", type=_height, default=400, help="viewport height in pixels (default 400)"
)


def _usage() -> str:
    width = max(map(len, COMMANDS))
    lines = [f"  {name:<{width}}  {summary}" for name, (_, summary) in COMMANDS.items()]
    return (
        "%pvw COMMAND [options]: in-situ ParaViewWeb for the kernel's MPI engines.\n\n"
        "Commands:\n" + "\n".join(lines) + "\n\n%pvw COMMAND -h shows one command's options."
    )


class _Progress:
    """One output line that says how a start goes, and always ends saying how it went."""

    def __init__(self):
        self.handle = display({"text/plain": "pvw: ..."}, raw=True, display_id=True)

    def __call__(self, message: str) -> None:
        self.handle.update({"text/plain": f"pvw: {message}"}, raw=True)

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if exc is not None:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else kind.__name__
            self(f"start failed: {first}")


@magics_class
class PvwMagics(Magics):
    @line_magic
    def pvw(self, line: str):
        """In-situ ParaViewWeb: ``%pvw COMMAND [options]``; ``%pvw -h`` lists the commands."""
        try:
            argv = arg_split(line, posix=True)  # shell-like quoting
        except ValueError as exc:  # e.g. an unclosed quote
            raise UsageError(f"cannot split {line!r}: {exc}") from None
        if not argv:
            raise UsageError(f"%pvw needs a command: {', '.join(COMMANDS)} (see %pvw -h)")
        name, rest = argv[0], argv[1:]
        if name in HELP_FLAGS:
            print(_usage())
            return None
        if name not in COMMANDS:
            raise UsageError(
                f"unknown %pvw command {name!r}: choose from {', '.join(COMMANDS)} (see %pvw -h)"
            )
        method, _ = COMMANDS[name]
        options = rest[: rest.index("--")] if "--" in rest else rest
        if any(flag in options for flag in HELP_FLAGS):
            print(method.parser.format_help())
            return None
        args = method.parser.parse_args(rest)
        try:
            return method(self, args)
        except (InputError, EnginesLost) as exc:
            raise UsageError(str(exc)) from None
        except EngineError as exc:
            if exc.is_input_error:
                raise UsageError(str(exc)) from None
            raise

    @command("start")
    @argument(
        "-n",
        type=_positive_int,
        default=None,
        help="engines to start when the kernel has none (default 2)",
    )
    @argument("--profile", help="connect to the engines of this ipyparallel profile")
    @argument("--cluster-id", help="connect to the engines of this ipyparallel cluster id")
    @argument("--host", default="127.0.0.1", help="interface rank 0 listens on (default loopback)")
    @height_option
    @argument("--panel", action="store_true", help="also open the session in the side panel")
    @argument(
        "--history",
        type=_history,
        default=0,
        metavar="K",
        help="keep the last K steps on every rank to look back at (default 0: off)",
    )
    def _start(self, args):
        """Start (or find) the MPI engines and ParaView, and show a live viewport.

        Uses the kernel's ipyparallel client if it has one, the engines of --profile or
        --cluster-id if given, or else starts -n MPI engines (stopped with %pvw stop, and when
        the kernel dies). A progress line says how far it got.
        """
        if args.profile and args.cluster_id:
            raise UsageError("give --profile or --cluster-id, not both")
        if session.running:
            session.start(n=args.n)  # says so when -n differs from what runs
        else:
            with _Progress() as progress:
                session.start(
                    n=args.n,
                    profile=args.profile,
                    cluster_id=args.cluster_id,
                    host=args.host,
                    namespace=self.shell.user_ns,
                    progress=progress,
                    **({"history": args.history} if args.history else {}),
                )
        return session.viewport(height=args.height, open_panel=args.panel)

    @command("stop")
    @argument("--keep-engines", action="store_true", help="leave the engines running")
    def _stop(self, args):
        """Stop ParaView, and the engines %pvw started (unless --keep-engines)."""
        print(f"pvw: {session.stop(keep_engines=args.keep_engines)}")

    @command("status")
    def _status(self, args):
        """Datasets per rank, active dataset, clients, frame times, and every listed session."""
        status = session.status()
        status["sessions"] = session.sessions()  # every session the server lists, with this one
        print(json.dumps(status, indent=1))

    @command("view")
    @height_option
    def _view(self, args):
        """Show another viewport on the running session."""
        return session.viewport(height=args.height)

    @command("register")
    @argument("name", metavar="NAME", help="the dataset name")
    @argument("variable", metavar="VAR", help="a variable defined on every engine")
    def _register(self, args):
        """On every engine, register that engine's variable VAR as dataset NAME."""
        session.register(args.name, args.variable)

    @command("activate")
    @argument("name", metavar="NAME")
    def _activate(self, args):
        """Show dataset NAME, coloured by its first array."""
        session.activate(args.name)

    @command("next")
    @argument("time", nargs="?", type=_number, default=None, metavar="TIME")
    def _next(self, args):
        """Swap in every engine's latest pieces (next timestep, optional TIME value)."""
        result = session.next_timestep(args.time)
        print(f"pvw: timestep {result['timestep']} (time {result['time']:g})")

    @command("sessions")
    def _sessions(self, args):
        """Every session the Jupyter server can show (any kernel, announced, launched)."""
        print(json.dumps(session.sessions(), indent=1))

    @command("attach")
    @argument("session_id", metavar="ID")
    @height_option
    def _attach(self, args):
        """Show a viewport on session ID (e.g. a simulation started outside Jupyter)."""
        return session.viewport(height=args.height, session_id=args.session_id)

    @command("connect")
    @argument("url", metavar="URL", help="the engine's ws://host:port/ws")
    @argument("--secret", required=True, help="the engine's secret")
    @argument("--name", default="", help="a name for the session list")
    @height_option
    def _connect(self, args):
        """Show an already running engine (forward connection, no start-up)."""
        session_id = session.connect(args.url, args.secret, name=args.name)
        return session.viewport(height=args.height, session_id=session_id)

    @command("launch")
    @argument("application", metavar="APP")
    @argument("fields", nargs="*", metavar="KEY=VALUE", help="request fields for the app's command")
    @height_option
    def _launch(self, args):
        """Start APP through the Jupyter server's launcher, then show it."""
        fields = {}
        for item in args.fields:
            key, sep, value = item.partition("=")
            if not sep or not key:
                raise UsageError(f"launch fields are KEY=VALUE, got {item!r}")
            fields[key] = value
        try:
            answer = session.launch(args.application, fields)
        except RuntimeError as exc:
            # The launcher's answer (unknown app, bad field, no free resource) is one line.
            raise UsageError(str(exc)) from None
        print(f"pvw: launched {args.application} as session {answer['id']}")
        return session.viewport(height=args.height, session_id=answer["id"])

    # Pause, step, resume and goto go straight to rank 0 over wslink (not through the
    # engines), so they work while the engines are busy running the simulation's loop.
    @command("pause")
    def _pause(self, args):
        """Hold the run at its next step; viewers stay interactive."""
        import jupyterlab_pvw

        _print_run_state(jupyterlab_pvw.pause())

    @command("step")
    def _step(self, args):
        """While paused, let exactly one step through."""
        import jupyterlab_pvw

        _print_run_state(jupyterlab_pvw.step())

    @command("resume")
    def _resume(self, args):
        """Let the paused run go on."""
        import jupyterlab_pvw

        _print_run_state(jupyterlab_pvw.resume())

    @command("goto")
    @argument("step", type=_step_or_live, metavar="STEP|live", help="a kept step, or 'live'")
    def _goto(self, args):
        """Show kept step STEP (start with --history K), or go back to 'live'."""
        import jupyterlab_pvw

        _print_run_state(jupyterlab_pvw.goto(args.step))

    # == The live pipeline (engine/pipeline.py): collective on every engine ================
    @command("filter")
    @argument("kind", metavar="KIND", help="ParaView's name: Slice, Clip, Contour, ...")
    @argument("input", metavar="INPUT", help="a dataset or another filter")
    @argument("--name", default=None, help="the new item's name (default KIND1, ...)")
    @argument("props", nargs=argparse.REMAINDER, metavar="PROP=VALUE", help="ParaView properties")
    def _filter(self, args):
        """Add a ParaView filter: %pvw filter Slice T --name cut SliceType.Normal=0,0,1"""
        props, name = list(args.props), args.name
        if "--name" in props:  # after the properties too
            at = props.index("--name")
            if at + 1 >= len(props):
                raise UsageError("--name needs a value")
            name = props[at + 1]
            del props[at : at + 2]
        name = session.pipeline(
            "add", kind=args.kind, input=args.input, name=name, properties=_assignments(props)
        )["name"]
        print(f"pvw: added {name}")

    @command("set")
    @argument("name", metavar="NAME")
    @argument("props", nargs="+", metavar="PROP=VALUE", help="ParaView properties")
    def _set(self, args):
        """Change a filter's properties (all or nothing): %pvw set cut Isosurfaces=0.5"""
        session.pipeline("set", name=args.name, properties=_assignments(args.props))

    @command("color")
    @argument("name", metavar="NAME")
    @argument("array", nargs="?", default=None, metavar="ARRAY")
    @argument("--cells", action="store_true", help="a cell array (default: point)")
    @argument("--preset", nargs="+", default=None, help="a ParaView colour map preset")
    @argument("--range", nargs=2, type=_number, default=None, metavar=("MIN", "MAX"))
    @argument("--mode", choices=["grow", "step", "fixed"], default=None, help="range mode")
    @argument("--log", action="store_true", default=None, help="log scale")
    @argument("--linear", dest="log", action="store_false", help="linear scale")
    @argument("--component", default=None, help="Magnitude, X, Y, Z or an index")
    @argument("--solid", nargs=3, type=_number, default=None, metavar=("R", "G", "B"))
    def _color(self, args):
        """Colour an item: %pvw color cut T --preset "Viridis (matplotlib)" --mode step"""
        component = args.component
        if component is not None and component.lstrip("-").isdigit():
            component = int(component)
        result = session.pipeline(
            "color_by",
            name=args.name,
            array=args.array,
            association="CELLS" if args.cells else None,
            preset=" ".join(args.preset) if args.preset else None,
            range=args.range,
            log=args.log,
            mode=args.mode,
            component=component,
            solid=args.solid,
        )
        if result:
            lo, hi = result["range"]
            print(f"pvw: {args.name} coloured by {result['array']} [{lo:g}, {hi:g}]")

    @command("show")
    @argument("name", metavar="NAME")
    def _show(self, args):
        """Show a pipeline item."""
        session.pipeline("show", name=args.name)

    @command("hide")
    @argument("name", metavar="NAME")
    def _hide(self, args):
        """Hide a pipeline item."""
        session.pipeline("hide", name=args.name)

    @command("remove")
    @argument("name", metavar="NAME")
    @argument("-r", "--recursive", action="store_true", help="and the filters fed by it")
    def _remove(self, args):
        """Delete a filter (-r: and the filters fed by it)."""
        gone = session.pipeline("remove", name=args.name, recursive=args.recursive)
        print(f"pvw: removed {', '.join(gone)}")

    @command("legend")
    @argument("name", metavar="NAME")
    @argument("state", choices=["on", "off"], nargs="?", default="on")
    def _legend(self, args):
        """Show or hide an item's colour legend."""
        session.pipeline("scalar_bar", name=args.name, visible=args.state == "on")

    @command("pipeline")
    @argument(
        "action",
        nargs="?",
        choices=["list", "save", "load", "code"],
        default="list",
        help="list (default); save/load FILE as JSON; code: as a pvbatch script",
    )
    @argument("file", nargs="?", default=None, metavar="FILE")
    @argument("--replace", action="store_true", help="load: replace existing filters")
    def _pipeline(self, args):
        """List the pipeline; save/load it as JSON; code: print it as a pvbatch script.

        The cell magic %%pvw pipeline runs its cell's paraview.simple code on every engine
        against the live sources (sources["T"], Show, Slice, ... are in scope).
        """
        if args.action in ("save", "load") and not args.file:
            raise UsageError(f"%pvw pipeline {args.action} needs a FILE")
        if args.action == "save":
            items = session.pipeline("list")
            try:
                with open(args.file, "w") as f:
                    json.dump(items, f, indent=1)
            except OSError as exc:
                raise UsageError(f"cannot save the pipeline to {args.file}: {exc}") from None
            print(f"pvw: saved {len(items)} items to {args.file}")
        elif args.action == "load":
            try:
                with open(args.file) as f:
                    description = json.load(f)
            except (OSError, ValueError) as exc:
                raise UsageError(f"cannot read a pipeline from {args.file}: {exc}") from None
            result = session.pipeline("load", description=description, replace=args.replace)
            print(f"pvw: loaded {', '.join(result['loaded'])}")
        elif args.action == "code":
            print(session.pipeline("code"))
        else:
            _print_pipeline(session.pipeline("list"))

    @cell_magic("pvw")
    def pvw_cell(self, line: str, cell: str):
        """``%%pvw pipeline``: run the cell's paraview.simple code on every engine, against
        the live sources (``sources["T"]``, ``Show``, ``Slice``, ... are in scope)."""
        if line.split() != ["pipeline"]:
            raise UsageError("the cell magic is %%pvw pipeline (the cell: paraview.simple code)")
        try:
            return session.pipeline("run_code", code=cell)
        except (InputError, EngineError) as exc:
            raise UsageError(str(exc)) from None

    # == end of the pipeline commands ========================================================

    @command("budget")
    @argument(
        "fraction",
        nargs="?",
        type=_number,
        default=None,
        metavar="FRACTION",
        help="the new budget, a fraction in (0, 1]; none: show the current one",
    )
    @argument(
        "--lod",
        choices=("on", "off"),
        default=None,
        help="reduced frames (LOD, smaller size) while dragging; off: full detail",
    )
    def _budget(self, args):
        """Fraction of time rendering may take while the simulation steps (no value: show it)."""
        lod = None if args.lod is None else args.lod == "on"
        result = session.budget(args.fraction, lod)
        state = "simulation stepping" if result["stepping"] else "no simulation stepping"
        print(
            f"pvw: render budget {result['budget']:.0%} while stepping, "
            f"{result['in_force']:.0%} now ({state}); "
            f"reduced drag frames {'on' if result['interactive_lod'] else 'off'}"
        )


PvwMagics.pvw.__doc__ = _usage()  # %pvw? shows the same list


def load_ipython_extension(ipython) -> None:
    ipython.register_magics(PvwMagics)
