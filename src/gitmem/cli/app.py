"""The ``gitmem`` command: the typer app, its global options, the one error renderer and ``main``.

Core modules raise ``GitmemError``; ``error_handler`` is the one place that
turns an exception into a message and an exit code. No command calls
``sys.exit``; a command that picks its own status raises ``typer.Exit``.

The commands live in one module per group, as README.md lists them: each
defines its commands on its own ``commands`` typer, and ``app`` below adds
those typers, in the order ``gitmem --help`` shows them, in one place.
"""

from __future__ import annotations

import contextlib
import logging
import platform
import sys
from pathlib import Path
from typing import Iterator, Optional

import typer
from typer.exceptions import TyperException

from gitmem import __version__
from gitmem.cli import (capture_commands, decision_commands, memory_commands, output, setup_commands,
                        team_commands)
from gitmem.errors import ExitCode, GitmemError

logger = logging.getLogger("gitmem")

app = typer.Typer(
    name="gitmem",
    help="Memory for AI coding assistants, kept in your git repository.",
    pretty_exceptions_show_locals=False,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    add_completion=False,
)
# Unnamed: each group's commands join the top level (`gitmem log`, not `gitmem memory log`).
app.add_typer(setup_commands.commands)     # init, install, uninstall, status, doctor, mcp
app.add_typer(memory_commands.commands)    # log, show, search, reindex, context, why, view
app.add_typer(capture_commands.commands)   # hook, flush, watch
app.add_typer(team_commands.commands)      # sync, remote, forget
app.add_typer(decision_commands.commands)  # decide, decisions, check


def _write_crash_log(exc: BaseException) -> Path:
    from gitmem.app.crash_log import append_crash
    from gitmem.git import git_version

    return append_crash(exc, f"gitmem {__version__}, {git_version()}, Python {platform.python_version()}, "
                             f"argv {sys.argv[1:]}")


@contextlib.contextmanager
def error_handler() -> Iterator[list[int]]:
    """Render any exception once and record the exit code in the yielded cell."""
    code = [int(ExitCode.OK)]
    try:
        yield code
    except GitmemError as exc:
        output.error(exc.message)
        if exc.hint:
            typer.echo(f"hint: {exc.hint}", err=True)
        code[0] = int(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        typer.echo("gitmem: interrupted", err=True)
        code[0] = int(ExitCode.INTERRUPTED)
    except TyperException as exc:
        # typer's own click errors (usage, bad parameter) know how to show themselves.
        exc.show()  # type: ignore[attr-defined]
        code[0] = int(getattr(exc, "exit_code", ExitCode.USAGE))
    except Exception as exc:  # noqa: BLE001 - the last resort that keeps tracebacks off the terminal
        path = _write_crash_log(exc)
        typer.echo(f"gitmem: unexpected error ({type(exc).__name__}), details in {path}", err=True)
        typer.echo("hint: please report it with that file attached.", err=True)
        code[0] = int(ExitCode.UNEXPECTED)


def main(argv: Optional[list[str]] = None) -> int:
    with error_handler() as code:
        result = app(args=argv, prog_name="gitmem", standalone_mode=False)
        if isinstance(result, int):
            code[0] = result
    return code[0]


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"gitmem {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log debug details to stderr."),
    version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING,
                        format="gitmem: %(levelname)s: %(name)s: %(message)s", stream=sys.stderr)
