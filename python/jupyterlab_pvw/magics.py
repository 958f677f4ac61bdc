"""``%pvw``: start, watch and drive the ParaViewWeb engines from a notebook."""

from __future__ import annotations

import argparse
import json
import math

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import MagicArgumentParser
from IPython.display import display
from traitlets import TraitError

from .cluster import EngineError
from .notebook import session


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise UsageError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise UsageError(f"expected a number of at least 1, got {value}")
    return value


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise UsageError(f"expected a finite number, got {text!r}")
    return value


def build_parser() -> MagicArgumentParser:
    parser = MagicArgumentParser(prog="%pvw", description="In-situ ParaViewWeb for MPI engines.")
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", parser_class=MagicArgumentParser
    )
    start = commands.add_parser(
        "start", help="start (or find) the MPI engines and ParaView, show a viewport"
    )
    start.add_argument(
        "-n",
        type=_positive_int,
        default=2,
        help="engines to start when the kernel has none (default 2)",
    )
    where = start.add_mutually_exclusive_group()
    where.add_argument("--profile", help="connect to the engines of this ipyparallel profile")
    where.add_argument("--cluster-id", help="connect to the engines of this ipyparallel cluster id")
    start.add_argument(
        "--host", default="127.0.0.1", help="interface rank 0 listens on (default loopback)"
    )
    start.add_argument(
        "--height", type=_positive_int, default=400, help="viewport height in pixels"
    )
    start.add_argument(
        "--panel", action="store_true", help="also open the session in the side panel"
    )
    stop = commands.add_parser("stop", help="stop ParaView (and the engines %%pvw started)")
    stop.add_argument("--keep-engines", action="store_true", help="leave the engines running")
    commands.add_parser("status", help="datasets per rank, active dataset, clients, frame times")
    view = commands.add_parser("view", help="show another viewport on the running session")
    view.add_argument("--height", type=_positive_int, default=400)
    commands.add_parser(
        "sessions",
        help="every session the Jupyter server can show (any kernel, announced, launched)",
    )
    attach = commands.add_parser(
        "attach", help="show a viewport on session ID (e.g. a simulation started outside Jupyter)"
    )
    attach.add_argument("session_id", metavar="ID")
    attach.add_argument("--height", type=_positive_int, default=400)
    connect = commands.add_parser(
        "connect", help="show an already running engine (forward connection, no start-up)"
    )
    connect.add_argument("url", metavar="URL", help="the engine's ws://host:port/ws")
    connect.add_argument("--secret", required=True, help="the engine's secret")
    connect.add_argument("--name", default="", help="a name for the session list")
    connect.add_argument("--height", type=_positive_int, default=400)
    launch = commands.add_parser(
        "launch", help="start APP through the Jupyter server's launcher, then show it"
    )
    launch.add_argument("application", metavar="APP")
    launch.add_argument(
        "fields", nargs="*", metavar="KEY=VALUE", help="request fields for the app's command"
    )
    launch.add_argument("--height", type=_positive_int, default=400)
    register = commands.add_parser(
        "register", help="on every engine, register that engine's variable VAR as NAME"
    )
    register.add_argument("name", metavar="NAME")
    register.add_argument("variable", metavar="VAR")
    activate = commands.add_parser("activate", help="show dataset NAME")
    activate.add_argument("name", metavar="NAME")
    nxt = commands.add_parser("next", help="swap in every engine's latest pieces (next timestep)")
    nxt.add_argument("time", nargs="?", type=_number, default=None, metavar="TIME")
    add_pipeline_commands(commands)
    return parser


# == Pipeline commands (engine/pipeline.py) ==== self-contained parsers and handlers =========
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


def add_pipeline_commands(commands) -> None:
    """The %pvw subcommands of the live pipeline."""
    flt = commands.add_parser(
        "filter",
        help="add a ParaView filter: %%pvw filter Slice T --name cut SliceType.Normal=0,0,1",
    )
    flt.add_argument("kind", metavar="KIND", help="ParaView's name: Slice, Clip, Contour, ...")
    flt.add_argument("input", metavar="INPUT", help="a dataset or another filter")
    flt.add_argument("--name", default=None, help="the new item's name (default KIND1, ...)")
    flt.add_argument(
        "props", nargs=argparse.REMAINDER, metavar="PROP=VALUE", help="ParaView properties"
    )
    st = commands.add_parser(
        "set", help="change a filter's properties: %%pvw set cut Isosurfaces=0.5"
    )
    st.add_argument("name", metavar="NAME")
    st.add_argument("props", nargs="+", metavar="PROP=VALUE")
    color = commands.add_parser(
        "color", help="colour an item: %%pvw color cut T --preset Viridis (matplotlib)"
    )
    color.add_argument("name", metavar="NAME")
    color.add_argument("array", nargs="?", default=None, metavar="ARRAY")
    color.add_argument("--cells", action="store_true", help="a cell array (default: point)")
    color.add_argument("--preset", nargs="+", default=None, help="a ParaView colour map preset")
    color.add_argument("--range", nargs=2, type=_number, default=None, metavar=("MIN", "MAX"))
    color.add_argument("--mode", choices=["grow", "step", "fixed"], default=None)
    color.add_argument("--log", action="store_true", default=None, help="log scale")
    color.add_argument("--linear", dest="log", action="store_false", help="linear scale")
    color.add_argument("--component", default=None, help="Magnitude, X, Y, Z or an index")
    color.add_argument("--solid", nargs=3, type=_number, default=None, metavar=("R", "G", "B"))
    for verb, text in (("show", "show an item"), ("hide", "hide an item")):
        commands.add_parser(verb, help=text).add_argument("name", metavar="NAME")
    rm = commands.add_parser("remove", help="delete a filter")
    rm.add_argument("name", metavar="NAME")
    rm.add_argument("-r", "--recursive", action="store_true", help="and the filters fed by it")
    legend = commands.add_parser("legend", help="show or hide an item's colour legend")
    legend.add_argument("name", metavar="NAME")
    legend.add_argument("state", choices=["on", "off"], nargs="?", default="on")
    pipe = commands.add_parser(
        "pipeline", help="list the pipeline; save/load it as JSON; code: as a pvbatch script"
    )
    pipe.add_argument("action", nargs="?", choices=["list", "save", "load", "code"], default="list")
    pipe.add_argument("file", nargs="?", default=None, metavar="FILE")
    pipe.add_argument("--replace", action="store_true", help="load: replace existing filters")


class PipelineMagics:
    """Handlers of the pipeline subcommands (mixed into PvwMagics)."""

    def _filter(self, args):
        props, name = list(args.props), args.name
        if "--name" in props:  # after the properties too
            at = props.index("--name")
            if at + 1 >= len(props):
                raise UsageError("--name needs a value")
            name = props[at + 1]
            del props[at : at + 2]
        name = session.pipeline(
            "add",
            kind=args.kind,
            input=args.input,
            name=name,
            properties=_assignments(props),
        )["name"]
        print(f"pvw: added {name}")

    def _set(self, args):
        session.pipeline("set", name=args.name, properties=_assignments(args.props))

    def _color(self, args):
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

    def _show(self, args):
        session.pipeline("show", name=args.name)

    def _hide(self, args):
        session.pipeline("hide", name=args.name)

    def _remove(self, args):
        gone = session.pipeline("remove", name=args.name, recursive=args.recursive)
        print(f"pvw: removed {', '.join(gone)}")

    def _legend(self, args):
        session.pipeline("scalar_bar", name=args.name, visible=args.state == "on")

    def _pipeline(self, args):
        if args.action in ("save", "load") and not args.file:
            raise UsageError(f"%pvw pipeline {args.action} needs a FILE")
        if args.action == "save":
            items = session.pipeline("list")
            with open(args.file, "w") as f:
                json.dump(items, f, indent=1)
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
            for item in session.pipeline("list"):
                c = item["coloring"]
                colour = (
                    f"{c['array']} [{c['range'][0]:g}, {c['range'][1]:g}]"
                    if c and c.get("range")
                    else "solid"
                )
                eye = "shown" if item["visible"] else "hidden"
                feeds = f" <- {item['input']}" if item["input"] else ""
                print(f"{item['name']:<16} {item['kind']:<14}{feeds:<14} {eye:<7} {colour}")

    @cell_magic("pvw")
    def pvw_cell(self, line: str, cell: str):
        """``%%pvw pipeline``: run the cell's paraview.simple code on every engine, against
        the live sources (``sources["T"]``, ``Show``, ``Slice``, ... are in scope)."""
        if line.split() != ["pipeline"]:
            raise UsageError("the cell magic is %%pvw pipeline (the cell: paraview.simple code)")
        try:
            result = session.pipeline("run_code", code=cell)
        except (EngineError, ValueError, TypeError) as exc:
            raise UsageError(str(exc)) from None
        return result


# == end of the pipeline commands ==========================================================


@magics_class
class PvwMagics(PipelineMagics, Magics):
    parser = build_parser()

    @line_magic
    def pvw(self, line: str):
        """Run ``%pvw -h`` for the commands; ``%pvw COMMAND -h`` for one command's options."""
        args = self.parser.parse_args(line.split())
        if args.command is None:
            raise UsageError(
                "%pvw needs a command: start, stop, status, view, register, activate, next (see %pvw -h)"
            )
        try:
            return getattr(self, f"_{args.command}")(args)
        except (EngineError, TraitError, ValueError, TypeError) as exc:
            raise UsageError(str(exc)) from None

    def _progress(self):
        handle = display({"text/plain": "pvw: ..."}, raw=True, display_id=True)

        def update(message: str):
            handle.update({"text/plain": f"pvw: {message}"}, raw=True)

        return update

    def _start(self, args):
        session.start(
            n=args.n,
            profile=args.profile,
            cluster_id=args.cluster_id,
            host=args.host,
            namespace=self.shell.user_ns,
            progress=self._progress(),
        )
        return session.viewport(height=args.height, open_panel=args.panel)

    def _stop(self, args):
        session.stop(keep_engines=args.keep_engines)
        print("pvw: stopped")

    def _status(self, args):
        status = session.status()
        status["sessions"] = session.sessions()  # every session the server lists, with this one
        print(json.dumps(status, indent=1))

    def _view(self, args):
        return session.viewport(height=args.height)

    def _sessions(self, args):
        print(json.dumps(session.sessions(), indent=1))

    def _attach(self, args):
        return session.viewport(height=args.height, session_id=args.session_id)

    def _connect(self, args):
        session_id = session.connect(args.url, args.secret, name=args.name)
        return session.viewport(height=args.height, session_id=session_id)

    def _launch(self, args):
        fields = {}
        for item in args.fields:
            key, sep, value = item.partition("=")
            if not sep or not key:
                raise UsageError(f"launch fields are KEY=VALUE, got {item!r}")
            fields[key] = value
        try:
            answer = session.launch(args.application, fields)
        except RuntimeError as exc:
            raise UsageError(str(exc)) from None
        print(f"pvw: launched {args.application} as session {answer['id']}")
        return session.viewport(height=args.height, session_id=answer["id"])

    def _register(self, args):
        session.register(args.name, args.variable)

    def _activate(self, args):
        session.activate(args.name)

    def _next(self, args):
        result = session.next_timestep(args.time)
        print(f"pvw: timestep {result['timestep']} (time {result['time']:g})")


def load_ipython_extension(ipython) -> None:
    ipython.register_magics(PvwMagics)
