"""Team memory: sync, which remotes receive memory (remote, remote add, remote disable), and forget."""

from __future__ import annotations

import sys
from typing import Optional

import typer

from gitmem.cli.output import emit_json, error
from gitmem.cli.repository import current_repo
from gitmem.errors import ExitCode

commands = typer.Typer()


@commands.command("sync")
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
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress meter (there is none when piped either)."),
) -> None:
    """Fetch teammates' memory, merge it into yours and push the result (what runs after every `git push`)."""
    from gitmem.app import inject
    from gitmem.app.project import require_initialized
    from gitmem.cli.progress import progress_bar
    from gitmem.team import sharing, sync
    from gitmem.team.setup import default_remote

    if hold and release:
        raise typer.BadParameter("choose one of --hold and --release")
    repo = current_repo()
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
        fetch_recent_memory(repo, remote or default_remote(repo), depth=depth, since=since,
                            progress=not as_json and not quiet and sys.stderr.isatty())
    with progress_bar(quiet or as_json) as steps:
        result = sync.sync(repo, remote, steps=steps)
    inject.refresh_stale_brief(repo)  # the next SessionStart prints it pre-rendered, not rendered in the hook
    if as_json:
        emit_json(result.to_dict())
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
        error(result.error)
        raise typer.Exit(int(ExitCode.ERROR))


remote_app = typer.Typer(help="Which remotes receive this clone's memory.", no_args_is_help=False)
commands.add_typer(remote_app, name="remote")


@remote_app.callback(invoke_without_command=True)
def remote_list(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List the remotes and whether memory is pushed to each; `add` and `disable` change it."""
    if ctx.invoked_subcommand is not None:
        return
    from gitmem.team import sharing

    repo = current_repo()
    states = sharing.remote_states(repo)
    if as_json:
        emit_json({"held": sharing.is_held(repo), "remotes": [r.to_dict() for r in states]})
        return
    for line in sharing.status_lines(states, sharing.is_held(repo)):
        typer.echo(line)


@remote_app.command("add")
def remote_add(name: str = typer.Argument(..., help="A remote from `git remote`.")) -> None:
    """Share memory with a remote: its fetch refspec, and memory pushed there after `git push`."""
    from gitmem.team import sharing

    done = sharing.enable_remote(current_repo(), name)
    for item in done:
        typer.echo(f"added {item}")
    if not done:
        typer.echo(f"memory is already shared with {name}.")


@remote_app.command("disable")
def remote_disable(name: str = typer.Argument(..., help="A remote from `git remote`.")) -> None:
    """Never push memory to a remote (e.g. one that refuses refs/notes/*); its memory can still be fetched."""
    from gitmem.team import sharing

    done = sharing.disable_remote(current_repo(), name)
    for item in done:
        typer.echo(f"set {item}")
    if not done:
        typer.echo(f"memory is already not pushed to {name}.")


@commands.command("forget")
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

    repo = current_repo()
    require_initialized(repo)
    targets = target or []
    result = forget.forget(repo, sessions=[t for t in targets if not t.startswith("o1-")],
                           observations=[t for t in targets if t.startswith("o1-")], grep=grep, remote=remote,
                           local_only=local)
    if as_json:
        emit_json(result.to_dict())
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
        error(result.push_error)
        raise typer.Exit(int(ExitCode.ERROR))
