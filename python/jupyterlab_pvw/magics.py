"""``%pvw``: start, watch and drive the ParaViewWeb engines from a notebook.

Each subcommand is one method with its own ``@magic_arguments`` parser (IPython's, as
ipyparallel's ``%px`` uses); its docstring is its help, the first line its summary in
``%pvw -h``. Adding a subcommand is one more ``@command("name")`` method.
"""

from __future__ import annotations

import json
import math
from typing import Callable

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class
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


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise UsageError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise UsageError(f"expected a number of at least 1, got {value}")
    return value


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


PvwMagics.pvw.__doc__ = _usage()  # %pvw? shows the same list


def load_ipython_extension(ipython) -> None:
    ipython.register_magics(PvwMagics)
