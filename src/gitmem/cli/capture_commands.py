"""Recording sessions: hook (one Claude Code event), flush (the spool into the memory ref now) and watch
(file changes, for editors and agents without hooks)."""

from __future__ import annotations

import contextlib
import sys
from typing import Optional

import typer

from gitmem.cli.output import error
from gitmem.cli.repository import current_repo
from gitmem.errors import ExitCode, GitmemError

commands = typer.Typer()


@commands.command()
def hook(event: str = typer.Argument(..., help="The Claude Code hook event, e.g. PostToolUse or post-tool-use."),
         agent: Optional[str] = typer.Argument(None, help="The agent whose hook file runs it, when not Claude "
                                               "Code (copilot; cursor: recorded, nothing printed).")) -> None:
    """Record one Claude Code hook event from stdin (what the installed hooks run)."""
    from gitmem import hook as hook_module

    hook_module.main(["gitmem-hook", event] + ([agent] if agent else []))


@commands.command()
def flush(
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar (there is none when piped either)."),
) -> None:
    """Write every spooled session into the memory ref now, in the foreground."""
    from gitmem.app import flush as flush_module
    from gitmem.app.project import require_initialized
    from gitmem.cli.progress import progress_bar

    repo = current_repo()
    require_initialized(repo)
    with progress_bar(quiet) as progress:
        report = flush_module.flush_now(repo.common_dir, progress=progress)
    if not report.ran:
        typer.echo("a flush worker is already running in this repository; it will take the work.")
        return
    for s in report.sessions:
        typer.echo(f"session {s.session_id[:8]}: {s.new_observations} new observations"
                   + (f", {s.skipped_duplicates} already recorded" if s.skipped_duplicates else "")
                   + (f", {s.bad_lines} unreadable lines kept aside" if s.bad_lines else ""))
    if not report.sessions and not report.errors:
        typer.echo("nothing to flush.")
    for err in report.errors:
        error(err)
    if report.errors:
        raise typer.Exit(int(ExitCode.ERROR))


@commands.command("watch")
def watch_cmd(
    session: Optional[str] = typer.Option(None, "--session", help="NAME in the session ids, watch-NAME-<start "
                                          "time> (default: this machine's host name)."),
    idle: float = typer.Option(10.0, "--idle", help="Minutes without changes after which the session is "
                               "flushed into memory; the next change starts a new one."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No status line, for a process supervisor (errors "
                               "still go to stderr)."),
) -> None:
    """Record file changes in this work tree as sessions (for editors and agents without hooks) and re-index
    decision notes as they change; Ctrl-C or SIGTERM flushes and stops."""
    import os
    import signal
    import stat
    import threading
    import time

    from gitmem.app.project import require_initialized
    from gitmem.integrations import watch, watch_status

    if idle <= 0:
        raise typer.BadParameter("must be more than 0 minutes", param_hint="--idle")
    repo = current_repo()
    require_initialized(repo)
    try:
        name = watch_status.session_name(session)
    except GitmemError as exc:
        raise typer.BadParameter(exc.message, param_hint="--session") from None
    outputs = []
    for fd in (1, 2):
        with contextlib.suppress(OSError):
            outputs.append(os.fstat(fd))
    options = watch_status.WatchOptions(session_name=name, idle=idle * 60,
                                 skip_files=tuple((st.st_dev, st.st_ino) for st in outputs
                                                  if stat.S_ISREG(st.st_mode)))
    stop = threading.Event()
    signals: list[int] = []
    tty = sys.stdout.isatty()
    shown = [""]
    muted = [quiet]

    def on_signal(signum: int, frame: object) -> None:
        if signals and signum == signal.SIGINT:
            raise KeyboardInterrupt  # a second Ctrl-C stops the flush; the spool keeps everything for later
        signals.append(signum)
        stop.set()

    def say(text: str) -> None:
        try:
            typer.echo(text)
        except OSError:  # the terminal went away (SIGHUP): keep flushing, stop talking
            muted[0] = True

    def show(status) -> None:
        if muted[0]:
            return
        if not tty:
            line = watch_status.describe(status)  # without "last 3 s ago": a line only when something changed
            if line != shown[0]:
                say(line)
            shown[0] = line
            return
        import shutil

        line = watch_status.describe(status, time.time(), width=shutil.get_terminal_size().columns - 1)
        try:
            sys.stdout.write("\r\x1b[2K" + line)
            sys.stdout.flush()
        except OSError:
            muted[0] = True
        shown[0] = line

    handled = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)  # a closed terminal flushes too
    previous = {s: signal.signal(s, on_signal) for s in handled}
    try:
        final = watch.run(repo, options, stop, show, interval=1.0 if tty else 0.5)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if tty and shown[0] and not muted[0]:
            say("")
    if not muted[0]:
        import dataclasses

        say(watch_status.describe(dataclasses.replace(final, error="")))
    if final.error:
        error(final.error)
        raise typer.Exit(int(ExitCode.ERROR))
    if signals and signals[0] == signal.SIGINT:
        raise typer.Exit(int(ExitCode.INTERRUPTED))
