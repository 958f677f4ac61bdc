"""``%pvw``: start, watch and drive the ParaViewWeb engines from a notebook."""

from __future__ import annotations

import json
import math

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class
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
    _add_budget_parser(commands)
    return parser


# -- %pvw budget: the render budget (a self-contained group: parser + handler) ----------------
def _add_budget_parser(commands) -> None:
    budget = commands.add_parser(
        "budget",
        help="fraction of time rendering may take while the simulation steps (no value: show it)",
    )
    budget.add_argument("fraction", nargs="?", type=_number, default=None, metavar="FRACTION")
    budget.add_argument(
        "--lod",
        choices=("on", "off"),
        default=None,
        help="reduced frames (LOD, smaller size) while dragging; off: full detail",
    )


def _budget_command(args) -> None:
    lod = None if args.lod is None else args.lod == "on"
    result = session.budget(args.fraction, lod)
    state = "simulation stepping" if result["stepping"] else "no simulation stepping"
    print(
        f"pvw: render budget {result['budget']:.0%} while stepping, {result['in_force']:.0%} "
        f"now ({state}); reduced drag frames {'on' if result['interactive_lod'] else 'off'}"
    )


@magics_class
class PvwMagics(Magics):
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

    def _budget(self, args):
        _budget_command(args)

    def _next(self, args):
        result = session.next_timestep(args.time)
        print(f"pvw: timestep {result['timestep']} (time {result['time']:g})")


def load_ipython_extension(ipython) -> None:
    ipython.register_magics(PvwMagics)
