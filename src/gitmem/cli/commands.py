"""The ``gitmem`` command: parse, call one core function, render.

Core modules raise ``GitmemError``; ``error_handler`` is the one place that
turns an exception into a message and an exit code. No command calls
``sys.exit``; a command that picks its own status raises ``typer.Exit``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import platform
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Optional

import typer
from typer.exceptions import TyperException

from gitmem import __version__, fence
from gitmem.errors import ExitCode, GitmemError

if TYPE_CHECKING:  # for annotations only: commands import what they use when they run
    from gitmem.integrations.mcp_config import McpConfigResult

logger = logging.getLogger("gitmem")

app = typer.Typer(
    name="gitmem",
    help="Memory for AI coding assistants, kept in your git repository.",
    pretty_exceptions_show_locals=False,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    add_completion=False,
)


def _log_path() -> Path:
    """Where unexpected errors are logged: the repository's state folder, else GITMEM_HOME."""
    from gitmem.config import gitmem_home, state_dir
    from gitmem.git import discover

    try:
        repo = discover()
        folder = state_dir(repo.common_dir)
        if folder.is_dir():
            return folder / "gitmem.log"
    except Exception:  # noqa: BLE001 - the log path must be found even when git is broken
        pass
    return gitmem_home() / "gitmem.log"


def _write_crash_log(exc: BaseException) -> Path:
    from gitmem.git import git_version

    path = _log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(f"--- gitmem {__version__}, {git_version()}, Python {platform.python_version()}, "
                     f"argv {sys.argv[1:]}\n")
            fh.write("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    except OSError:
        pass
    return path


@contextlib.contextmanager
def error_handler() -> Iterator[list[int]]:
    """Render any exception once and record the exit code in the yielded cell."""
    code = [int(ExitCode.OK)]
    try:
        yield code
    except GitmemError as exc:
        typer.echo(f"gitmem: error: {exc.message}", err=True)
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


def _repo():
    from gitmem.app.project import open_repo

    return open_repo()


def _read_repo():
    """The repository, with memory a plain `git fetch`/`git pull` brought merged in: what every reader sees."""
    from gitmem.team.fetched import merge_fetched_memory

    repo = _repo()
    merge_fetched_memory(repo)
    return repo


def _emit_json(data: object) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _render_install(results, unchanged: str = "gitmem's hooks already up to date") -> None:
    import os

    for r in results:
        rel = os.path.relpath(r.path)
        if r.unchanged:
            typer.echo(f"{rel}: {unchanged}")
        for label, events in (("added", r.added), ("updated", r.replaced), ("removed", r.removed)):
            if events:
                typer.echo(f"{rel}: {label} hooks for {', '.join(events)}")
        for note in r.notes:
            typer.echo(f"note: {note}")


@app.command()
def init(
    shared: bool = typer.Option(False, "--shared", help="Write portable `gitmem hook` commands to "
                                "the committed .claude/settings.json instead of .claude/settings.local.json."),
    no_hooks: bool = typer.Option(False, "--no-hooks", help="Do not install the Claude Code hooks."),
    force: bool = typer.Option(False, "--force", help="Install the hooks even where the gitmem plugin is "
                               "enabled (each event is then recorded twice)."),
    fetch: bool = typer.Option(True, "--fetch/--no-fetch", help="Before creating .gitmem/, fetch the branch "
                               "you pull from, so files your team already pushed are pulled, not copied."),
) -> None:
    """Set up gitmem in this repository: settings, decision folder, local state, Claude Code hooks."""
    from gitmem.app.project import init_repository
    from gitmem.integrations.claude_plugin import enabled_plugin
    from gitmem.integrations.install import SHARED_SETTINGS, install_claude
    from gitmem.team import sync

    repo = _repo()
    result = init_repository(repo, shared=shared, fetch=fetch)
    if result.created:
        for item in result.created:
            typer.echo(f"created {item}")
    else:
        typer.echo("gitmem is already set up here.")
    for note in result.notes():
        typer.echo(f"note: {note}")
    setup = sync.setup_sync(repo, write=False)  # report only: init_repository did the work
    if setup.instruction:
        typer.echo(f"note: {setup.instruction}")
    for note in setup.notes:
        typer.echo(f"note: {note}")
    plugin = None if no_hooks or force else enabled_plugin(result.root)
    if plugin is not None:
        typer.echo(f"claude hooks: via the gitmem plugin ({plugin.describe()}); not installed again "
                   "(`gitmem install claude --force` would record every event twice)")
    elif not no_hooks and not (shared and SHARED_SETTINGS in result.awaiting_pull):
        _render_install([install_claude(result.root, shared=shared, force=force)])
    typer.echo(f"memory ref: refs/notes/gitmem; local state: {result.state_dir}")
    if result.identity_warning:
        typer.echo(f"gitmem: warning: {result.identity_warning}", err=True)


@app.command()
def install(
    target: str = typer.Argument(..., help="What to hook gitmem into: claude."),
    shared: bool = typer.Option(False, "--shared", help="Portable `gitmem hook` commands in "
                                ".claude/settings.json, for the team to commit (costs 1.25x a Python start "
                                "per tool call against 0.83x for the default)."),
    force: bool = typer.Option(False, "--force", help="Install even where the gitmem plugin is enabled."),
) -> None:
    """Hook gitmem into Claude Code for this repository (`gitmem install claude`)."""
    from gitmem.app.project import init_repository, root_of
    from gitmem.integrations.install import install_claude

    if target != "claude":
        raise typer.BadParameter("only `claude` is supported", param_hint="TARGET")
    repo = _repo()
    init_repository(repo, shared=shared)  # the hook records nothing without the state folder
    _render_install([install_claude(root_of(repo), shared=shared, force=force)])


@app.command()
def uninstall(
    target: Optional[str] = typer.Argument(None, help="claude: only the Claude Code hooks and the .mcp.json "
                                           "entry. Without it: everything `gitmem init` set up."),
    shared: bool = typer.Option(False, "--shared", help="With claude: only .claude/settings.json."),
    local: bool = typer.Option(False, "--local", help="With claude: only .claude/settings.local.json."),
    purge_memory: bool = typer.Option(False, "--purge-memory", help="Also delete the memory ref "
                                      "refs/notes/gitmem, teammates' fetched memory and sessions not yet flushed."),
) -> None:
    """Remove what gitmem set up here: hooks, .mcp.json entry, pre-push hook, refspecs, config, local state."""
    from gitmem.app.project import root_of

    if target not in (None, "claude"):
        raise typer.BadParameter("only `claude` is supported", param_hint="TARGET")
    if shared and local:
        raise typer.BadParameter("choose one of --shared and --local")
    if target is None and (shared or local):
        raise typer.BadParameter("--shared and --local go with `gitmem uninstall claude`")
    if target is not None and purge_memory:
        raise typer.BadParameter("--purge-memory goes with `gitmem uninstall` (everything)")
    repo = _repo()
    root = root_of(repo)
    if target is None:
        from gitmem.app.project import uninstall_repository

        result = uninstall_repository(repo, purge_memory=purge_memory)
        mcp: McpConfigResult | None = result.mcp
        claude = result.claude
    else:
        from gitmem.integrations.install import uninstall_claude
        from gitmem.integrations.mcp_config import unregister_mcp_server

        claude = uninstall_claude(root, shared=True if shared else False if local else None)
        mcp = unregister_mcp_server(root) if not shared and not local else None
    _render_install(claude, unchanged="no gitmem hooks here")
    if mcp is not None and mcp.action == "removed":
        typer.echo(".mcp.json: removed MCP server gitmem")
    for note in mcp.notes if mcp is not None else ():
        typer.echo(f"note: {note}")
    if target is None:
        for line in result.removed:
            typer.echo(f"removed {line}")
        for line in result.kept:
            typer.echo(f"kept {line}")


@app.command("log")
def log_cmd(
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    limit: int = typer.Option(50, "--limit", "-n", min=1, help="How many sessions to show."),
    branch: Optional[str] = typer.Option(None, "--branch", help="Only sessions on this branch."),
    author: Optional[str] = typer.Option(None, "--author", help="Only sessions by this author (name or email words)."),
    since: Optional[str] = typer.Option(None, "--since", help="Only sessions since: 7d, 2w, 12h or an ISO date."),
) -> None:
    """List recorded sessions, newest first: date, author, branch, title, id."""
    from gitmem.cli import render
    from gitmem.index import search

    repo = _read_repo()
    hits = search.search(repo, "", types="session", branch=branch, author=author, since=since, limit=limit)
    counts = search.observation_counts(repo, [h.session_id or h.id for h in hits]) if as_json else {}
    rows = render.session_rows_from_hits(hits, counts)
    if as_json:
        _emit_json(fence.scrub([r.to_json() for r in rows]))
    elif not rows:
        typer.echo("no sessions recorded yet.")
    else:
        typer.echo(render.session_table(rows))


@app.command()
def show(
    session: str = typer.Argument(..., help="A session id or a unique prefix of one."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show one session: its summary and its observations."""
    from gitmem.cli import render
    from gitmem.store import memory_ref

    record = memory_ref.find_session(_read_repo(), session)
    if as_json:
        _emit_json(render.session_json(record))
    else:
        typer.echo(render.session_text(record))


@app.command("search")
def search_cmd(
    query: Optional[list[str]] = typer.Argument(None, help="Words to find (all must match); word* for a prefix."),
    type_: Optional[list[str]] = typer.Option(None, "--type", help="session, observation or decision (repeatable)."),
    author: Optional[str] = typer.Option(None, "--author", help="Words of the author's name or email."),
    branch: Optional[str] = typer.Option(None, "--branch", help="The exact branch name."),
    file: Optional[str] = typer.Option(None, "--file", help="A path, folder or glob such as src/*.py."),
    since: Optional[str] = typer.Option(None, "--since", help="7d, 2w, 12h, 3m, 1y or an ISO date."),
    limit: int = typer.Option(20, "--limit", "-n", min=1, help="How many results."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Search sessions, observations and decisions (a SQLite FTS5 index kept in step with the ref)."""
    from gitmem.cli import render
    from gitmem.index import search

    hits = search.search(_read_repo(), " ".join(query or []), types=type_ or None, author=author, branch=branch,
                         file=file, since=since, limit=limit)
    if as_json:
        _emit_json(fence.scrub([h.to_dict() for h in hits]))
    elif not hits:
        typer.echo("nothing found.")
    else:
        typer.echo(render.search_text(hits))


@app.command()
def reindex() -> None:
    """Rebuild the search index from the memory ref and the decision files (it is a cache)."""
    from gitmem.index import search

    update = search.rebuild_index(_repo())
    typer.echo(f"search index rebuilt at {update.tip[:10] if update.tip else 'an empty memory ref'}")


@app.command()
def status(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Is gitmem set up here, and how much memory is there."""
    from gitmem.app.project import repository_status
    from gitmem.cli import render

    st = repository_status(_read_repo())
    if as_json:
        _emit_json(render.status_json(st))
    else:
        typer.echo(render.status_text(st))


@app.command()
def context(as_json: bool = typer.Option(False, "--json", help="Print the hook JSON Claude Code receives.")) -> None:
    """Print the brief a new Claude Code session in this checkout would receive."""
    from gitmem.app import inject
    from gitmem.app.project import require_initialized

    repo = _repo()
    require_initialized(repo)
    brief = inject.render_brief(repo)
    if as_json:
        typer.echo(brief.hook_output())
    else:
        typer.echo(brief.text)
        typer.echo(f"\n({brief.tokens} of {brief.budget_chars * 2 // 7} tokens budgeted; "
                   f"{len(brief.items)} items shown, {brief.dropped} left out)", err=True)


@app.command()
def mcp(
    repo: Optional[Path] = typer.Option(None, "--repo", help="The repository to serve (default: the current "
                                        "folder, which is where Claude Code starts it)."),
) -> None:
    """Run gitmem's MCP server on stdio for Claude Code (`gitmem init` registers it in .mcp.json)."""
    from gitmem.integrations.mcp_server import serve

    serve(repo)  # blocks until the client closes stdin


@app.command()
def hook(event: str = typer.Argument(..., help="The Claude Code hook event, e.g. PostToolUse or post-tool-use.")) -> None:
    """Record one Claude Code hook event from stdin (what the installed hooks run)."""
    from gitmem import hook as hook_module

    hook_module.main(["gitmem-hook", event])


@app.command()
def flush() -> None:
    """Write every spooled session into the memory ref now, in the foreground."""
    from gitmem.app import flush as flush_module
    from gitmem.app.project import require_initialized

    repo = _repo()
    require_initialized(repo)
    report = flush_module.flush_now(repo.common_dir)
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
        typer.echo(f"gitmem: error: {err}", err=True)
    if report.errors:
        raise typer.Exit(int(ExitCode.ERROR))


@app.command()
def doctor(
    dry_run: bool = typer.Option(False, "--dry-run", help="Only report what is wrong and what a repair would do."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Check the memory ref (every object under it), its lock, the tracking refs and the spool; repair what is
    broken from the reflog, the teammates' copies and the spool. Exit 1 when something is left broken."""
    from gitmem.app import doctor as doctor_module
    from gitmem.app.project import require_initialized

    repo = _repo()
    require_initialized(repo)
    report = doctor_module.run_doctor(repo, dry_run=dry_run)
    if as_json:
        _emit_json(report.to_dict())
    else:
        for problem in report.problems:
            typer.echo(f"problem: {problem}")
        for action in report.actions:
            typer.echo(f"{'would' if dry_run else 'done'}: {action}")
        for left in report.unresolved:
            typer.echo(f"left: {left}")
        if report.healthy and not report.actions:
            typer.echo("memory ref, its lock, tracking refs and spool: all good.")
    if report.unresolved or (dry_run and report.problems):
        raise typer.Exit(int(ExitCode.ERROR))


@app.command("sync")
def sync_cmd(
    remote: Optional[str] = typer.Argument(None, help="A configured remote (default: the branch's remote, else "
                                           "origin)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
    depth: Optional[int] = typer.Option(None, "--depth", min=1, help="Fetch only this many of the newest memory "
                                        "commits (the repository becomes shallow; code history stays whole)."),
    since: Optional[str] = typer.Option(None, "--since", help="Fetch memory commits back to this age or date "
                                        "only: 6m, 2w or an ISO date (like --depth)."),
    hold: bool = typer.Option(False, "--hold", help="Stop pushing memory from this clone (after `git push` too) "
                              "until --release, e.g. to review it first; fetching still works."),
    release: bool = typer.Option(False, "--release", help="Undo --hold, then sync."),
) -> None:
    """Fetch teammates' memory, merge it into yours and push the result (what runs after every `git push`)."""
    from gitmem.app.project import require_initialized
    from gitmem.team import sharing, sync

    if hold and release:
        raise typer.BadParameter("choose one of --hold and --release")
    repo = _repo()
    require_initialized(repo)
    if hold:
        changed = sharing.set_held(repo, True)
        typer.echo("memory pushes are held in this clone" + ("" if changed else " (already)")
                   + "; `gitmem sync --release` lets them go.")
        return
    if release and sharing.set_held(repo, False):
        typer.echo("memory pushes released.")
    if depth is not None or since is not None:
        from gitmem.team.shallow import fetch_recent_memory

        if depth is not None and since is not None:
            raise typer.BadParameter("give --depth or --since, not both")
        fetch_recent_memory(repo, remote or sync.default_remote(repo), depth=depth, since=since,
                            progress=not as_json and sys.stderr.isatty())
    result = sync.sync(repo, remote, progress=not as_json and sys.stderr.isatty())
    if as_json:
        _emit_json(result.to_dict())
    else:
        how = ", merged" if result.merged else ", fast-forward" if result.fast_forward else ""
        retries = f", {result.retries} retr{'y' if result.retries == 1 else 'ies'}" if result.retries else ""
        forced = ", a rewrite pushed with a lease" if result.forced else ""
        typer.echo(f"{result.remote}: {result.fetched} session(s) in, {result.pushed} out{how}{retries}{forced}")
        for c in result.conflicts:
            lost = f"; the other version ({c.lost[:10]}) stays in history" if c.lost else ""
            typer.echo(f"conflict: {c.path}: {c.rule}{lost}")
        for entry in result.skipped:
            typer.echo(f"skipped invalid entry from {result.remote}: {entry}")
        if result.dropped:
            typer.echo(f"forgotten: {result.dropped} file(s) dropped (a teammate ran `gitmem forget`)")
        if result.not_pushed:
            typer.echo(f"not pushed: {result.not_pushed}")
    if result.error:
        typer.echo(f"gitmem: error: {result.error}", err=True)
        raise typer.Exit(int(ExitCode.ERROR))


remote_app = typer.Typer(help="Which remotes receive this clone's memory.", no_args_is_help=False)
app.add_typer(remote_app, name="remote")


@remote_app.callback(invoke_without_command=True)
def remote_list(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List the remotes and whether memory is pushed to each; `add` and `disable` change it."""
    if ctx.invoked_subcommand is not None:
        return
    from gitmem.team import sharing

    repo = _repo()
    states = sharing.remote_states(repo)
    if as_json:
        _emit_json({"held": sharing.is_held(repo), "remotes": [r.to_dict() for r in states]})
        return
    for line in sharing.status_lines(states, sharing.is_held(repo)):
        typer.echo(line)


@remote_app.command("add")
def remote_add(name: str = typer.Argument(..., help="A remote from `git remote`.")) -> None:
    """Share memory with a remote: its fetch refspec, and memory pushed there after `git push`."""
    from gitmem.team import sharing

    done = sharing.enable_remote(_repo(), name)
    for item in done:
        typer.echo(f"added {item}")
    if not done:
        typer.echo(f"memory is already shared with {name}.")


@remote_app.command("disable")
def remote_disable(name: str = typer.Argument(..., help="A remote from `git remote`.")) -> None:
    """Never push memory to a remote (e.g. one that refuses refs/notes/*); its memory can still be fetched."""
    from gitmem.team import sharing

    done = sharing.disable_remote(_repo(), name)
    for item in done:
        typer.echo(f"set {item}")
    if not done:
        typer.echo(f"memory is already not pushed to {name}.")


@app.command("forget")
def forget_cmd(
    target: Optional[list[str]] = typer.Argument(None, help="Session ids (or unique prefixes) and observation "
                                                 "ids (o1-...) to remove."),
    grep: Optional[str] = typer.Option(None, "--grep", help="Remove every session summary, observation and commit "
                                       "note that contains this text (case-sensitive)."),
    remote: Optional[str] = typer.Option(None, "--remote", help="Where to push the rewrite (default: the "
                                         "branch's remote, else origin)."),
    local: bool = typer.Option(False, "--local", help="Rewrite this clone only: no fetch, no push."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Take memory back: rewrite refs/notes/gitmem without it, push the rewrite with a lease, prune old objects."""
    from gitmem.app import forget
    from gitmem.app.project import require_initialized

    repo = _repo()
    require_initialized(repo)
    targets = target or []
    result = forget.forget(repo, sessions=[t for t in targets if not t.startswith("o1-")],
                           observations=[t for t in targets if t.startswith("o1-")], grep=grep, remote=remote,
                           local_only=local)
    if as_json:
        _emit_json(result.to_dict())
    else:
        typer.echo(f"forgotten: {len(result.sessions)} session(s), {len(result.files)} other file(s) "
                   f"({result.observations} observation(s)); tombstone {result.tombstone}")
        typer.echo(f"memory ref rewritten: {result.old_tip[:10]} -> {result.new_tip[:10]} (no parent: the old "
                   f"history is gone from this clone{'' if result.pruned else ' once pruned'})")
        if result.pushed:
            typer.echo(f"pushed to {result.remote} with --force-with-lease; teammates drop it at their next sync")
        if result.not_pushed:
            typer.echo(f"not pushed: {result.not_pushed}")
        for path in result.spool_files:
            typer.echo(f"note: the spool still holds it in {path} (a session not flushed yet)")
        typer.echo("note: copies teammates or mirrors fetched before this cannot be recalled; change the secret.")
    if result.push_error:
        typer.echo(f"gitmem: error: {result.push_error}", err=True)
        raise typer.Exit(int(ExitCode.ERROR))


# -- decision notes (issue 8): decide, decisions, check, why ---------------------------------------------


def _render_edits(result) -> None:
    from gitmem.cli import render

    for line in render.edit_lines(result):
        typer.echo(line)
    for warning in result.warnings:
        typer.echo(f"gitmem: warning: {warning}", err=True)


def _wants_editor(edit: Optional[bool]) -> bool:
    import os

    if edit is not None:
        return edit
    return sys.stdin.isatty() and bool(os.environ.get("VISUAL") or os.environ.get("EDITOR"))


def _run_editor(path: Path) -> None:
    """Open ``$VISUAL`` or ``$EDITOR`` on ``path`` and wait, run through the shell as git runs its editor."""
    import os
    import subprocess

    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    proc = subprocess.run(["sh", "-c", f'{editor} "$@"', editor, str(path)], check=False)
    if proc.returncode != 0:
        raise GitmemError(f"the editor `{editor}` exited with code {proc.returncode}",
                          hint=f"the decision is saved in {path}; edit it there, then run `gitmem check`.")


@app.command()
def decide(
    title: str = typer.Argument(..., help="The decision as a short sentence, e.g. \"Use SQLite for the index\"."),
    status: str = typer.Option("proposed", "--status", help="proposed, accepted, superseded or rejected."),
    file: Optional[list[str]] = typer.Option(None, "--file", "-f", help="A path or glob it concerns (repeatable)."),
    tag: Optional[list[str]] = typer.Option(None, "--tag", "-t", help="A tag (repeatable)."),
    supersedes: Optional[list[str]] = typer.Option(None, "--supersedes", help="A decision it replaces: id, id "
                                                   "prefix or file name (repeatable)."),
    context: str = typer.Option("", "--context", help="Why a decision was needed: the problem and its forces."),
    decision: str = typer.Option("", "--decision", help="What was decided."),
    consequences: str = typer.Option("", "--consequences", help="What follows from it, good and bad."),
    alternative: Optional[list[str]] = typer.Option(None, "--alternative", help="An alternative that was "
                                                    "considered (repeatable)."),
    author: Optional[list[str]] = typer.Option(None, "--author", help="Who decided (repeatable; default: your "
                                               "git identity)."),
    date: Optional[str] = typer.Option(None, "--date", help="The day it was decided, yyyy-mm-dd (default: today)."),
    edit: Optional[bool] = typer.Option(None, "--edit/--no-edit", help="Open $VISUAL or $EDITOR on the new file "
                                        "(default: when stdin is a terminal and an editor is set)."),
) -> None:
    """Write a new decision note to .gitmem/decisions/, then open it in your editor when interactive.

    The note needs the decision itself: give it with --decision, or write it in the editor (--edit)."""
    from gitmem.app.project import root_of
    from gitmem.cli import render
    from gitmem.decisions import check as check_module
    from gitmem.decisions import lifecycle
    from gitmem.store.identity import recorded_author

    repo = _repo()
    root = root_of(repo)
    editing = _wants_editor(edit)
    if not decision.strip() and not editing:
        raise GitmemError("no decision text: a decision note needs to say what was decided",
                          hint=f'gitmem decide "{title}" --decision "What we do, in a sentence or two." '
                               '(or --edit to write it in your editor).')
    result = lifecycle.decide(
        root, title, status=status, date=date, authors=author or [recorded_author(repo)], files=file or [],
        tags=tag or [], supersedes=supersedes or [], context=context, decision=decision,
        consequences=consequences, alternatives=alternative or [])
    created = result.edits[0]
    _render_edits(result)
    if editing:
        _run_editor(root / created.path)
        problems = check_module.check(root, [created.path])
        if problems.problems:
            typer.echo(render.check_text(problems), err=True)
        if problems.errors:
            raise typer.Exit(int(ExitCode.ERROR))


decisions_app = typer.Typer(help="List decision notes; accept, reject or supersede one.", no_args_is_help=False)
app.add_typer(decisions_app, name="decisions")


@decisions_app.callback(invoke_without_command=True)
def decisions_list(
    ctx: typer.Context,
    status: Optional[list[str]] = typer.Option(None, "--status", "-s", help="Only this status (repeatable)."),
    file: Optional[list[str]] = typer.Option(None, "--file", "-f", help="Only decisions whose files or globs "
                                             "cover this path (repeatable)."),
    tag: Optional[list[str]] = typer.Option(None, "--tag", "-t", help="Only decisions with this tag (repeatable)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List decision notes, newest first: status, date, id, title. Subcommands change a decision's status."""
    if ctx.invoked_subcommand is not None:
        return
    from gitmem.app.project import root_of
    from gitmem.cli import render
    from gitmem.decisions import decision_files

    root = root_of(_repo())
    everything = decision_files.read_decisions(root)
    found = decision_files.list_decisions(root, statuses=status or (), files=file or (), tags=tag or (), found=everything)
    superseded_by = everything.superseded_by()
    if as_json:
        _emit_json(fence.scrub([render.decision_json(f, superseded_by) for f in found.files]))
    elif not found.files:
        typer.echo("no decisions match." if status or file or tag else
                   'no decisions yet; write one with `gitmem decide "..."`.')
    else:
        typer.echo(render.decision_table(found.files, superseded_by))
    for err in found.errors:
        typer.echo(f"gitmem: warning: skipped {err.message} (run `gitmem check`)", err=True)


@decisions_app.command("accept")
def decisions_accept(ref: str = typer.Argument(..., help="Decision id, unique id prefix, or file name.")) -> None:
    """Set a decision's status to accepted (and the decisions it supersedes to superseded)."""
    from gitmem.app.project import root_of
    from gitmem.decisions import lifecycle

    _render_edits(lifecycle.accept(root_of(_repo()), ref))


@decisions_app.command("reject")
def decisions_reject(ref: str = typer.Argument(..., help="Decision id, unique id prefix, or file name.")) -> None:
    """Set a decision's status to rejected."""
    from gitmem.app.project import root_of
    from gitmem.decisions import lifecycle

    _render_edits(lifecycle.reject(root_of(_repo()), ref))


@decisions_app.command("supersede")
def decisions_supersede(
    ref: str = typer.Argument(..., help="The decision that no longer holds: id, id prefix or file name."),
    by: Optional[str] = typer.Option(None, "--by", help="The decision that replaces it; it lists the old id in "
                                     "its supersedes and is accepted."),
) -> None:
    """Mark a decision superseded, by the decision named with --by."""
    from gitmem.app.project import root_of
    from gitmem.decisions import lifecycle

    _render_edits(lifecycle.supersede(root_of(_repo()), ref, by))


@app.command("check")
def check_cmd(
    files: Optional[list[str]] = typer.Argument(None, help="Report only on these files (every decision file is "
                                                "still read for the checks across files); default: all of .gitmem/."),
    strict: bool = typer.Option(False, "--strict", help="Exit 1 on warnings too."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Validate the decision notes and .gitmem/config.yaml: each problem with file, line and fix; exit 1 on errors."""
    from gitmem.app.project import root_of
    from gitmem.cli import render
    from gitmem.decisions import check as check_module

    result = check_module.check(root_of(_repo()), files)
    if as_json:
        _emit_json({"checked": list(result.checked), "problems": [p.to_dict() for p in result.problems]})
    else:
        typer.echo(render.check_text(result))
    if result.errors or (strict and result.warnings):
        raise typer.Exit(int(ExitCode.ERROR))


@app.command("why")
def why_cmd(
    path: str = typer.Argument(..., help="A file or folder of this repository."),
    limit: int = typer.Option(20, "--limit", "-n", min=1, help="How many sessions to show."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Which decisions and sessions concern a file, newest first: status, date, id, title."""
    from gitmem.app import why
    from gitmem.app.project import root_of
    from gitmem.cli import render

    repo = _read_repo()
    result = why.why(repo, why.repo_path(root_of(repo), Path.cwd(), path), limit=limit)
    if as_json:
        _emit_json(fence.scrub(render.why_json(result)))
    else:
        typer.echo(render.why_text(result))


# -- gitmem watch (issue 9) ------------------------------------------------------------------------------


@app.command("watch")
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
    from gitmem.integrations import watch

    if idle <= 0:
        raise typer.BadParameter("must be more than 0 minutes", param_hint="--idle")
    repo = _repo()
    require_initialized(repo)
    try:
        name = watch.session_name(session)
    except GitmemError as exc:
        raise typer.BadParameter(exc.message, param_hint="--session") from None
    outputs = []
    for fd in (1, 2):
        with contextlib.suppress(OSError):
            outputs.append(os.fstat(fd))
    options = watch.WatchOptions(session_name=name, idle=idle * 60,
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
            line = watch.describe(status)  # without "last 3 s ago": a line only when something changed
            if line != shown[0]:
                say(line)
            shown[0] = line
            return
        import shutil

        line = watch.describe(status, time.time(), width=shutil.get_terminal_size().columns - 1)
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

        say(watch.describe(dataclasses.replace(final, error="")))
    if final.error:
        typer.echo(f"gitmem: error: {final.error}", err=True)
        raise typer.Exit(int(ExitCode.ERROR))
    if signals and signals[0] == signal.SIGINT:
        raise typer.Exit(int(ExitCode.INTERRUPTED))
