"""Reading memory: log, show, search, reindex, context (the brief), why and view (the memory page).

The readers first merge memory a plain `git fetch` brought (``read_repo``)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from gitmem import fence
from gitmem.cli.output import emit_json
from gitmem.cli.repository import current_repo, read_repo

commands = typer.Typer()


@commands.command("log")
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

    repo = read_repo()
    hits = search.search(repo, "", types="session", branch=branch, author=author, since=since, limit=limit)
    counts = search.observation_counts(repo, [h.session_id or h.id for h in hits]) if as_json else {}
    rows = render.session_rows_from_hits(hits, counts)
    if as_json:
        emit_json(fence.scrub([r.to_json() for r in rows]))
    elif not rows:
        typer.echo("no sessions recorded yet.")
    else:
        typer.echo(render.session_table(rows))


@commands.command()
def show(
    session: str = typer.Argument(..., help="A session id or a unique prefix of one."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show one session: its summary and its observations."""
    from gitmem.cli import render
    from gitmem.store import memory_ref

    record = memory_ref.find_session(read_repo(), session)
    if as_json:
        emit_json(render.session_json(record))
    else:
        typer.echo(render.session_text(record))


@commands.command("search")
def search_cmd(
    query: Optional[list[str]] = typer.Argument(None, help="Words to find (all must match); word* for a prefix."),
    type_: Optional[list[str]] = typer.Option(None, "--type", help="session, observation or decision (repeatable)."),
    author: Optional[str] = typer.Option(None, "--author", help="Words of the author's name or email."),
    branch: Optional[str] = typer.Option(None, "--branch", help="The exact branch name."),
    file: Optional[str] = typer.Option(None, "--file", help="A path, folder or glob such as src/*.py."),
    since: Optional[str] = typer.Option(None, "--since", help="7d, 2w, 12h, 3m, 1y or an ISO date."),
    limit: int = typer.Option(20, "--limit", "-n", min=1, help="How many results."),
    lexical: bool = typer.Option(False, "--lexical", help="Words only: no ranking by meaning (gitmem[semantic])."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Search sessions, observations and decisions (SQLite FTS5, fused with meaning when gitmem[semantic] is
    installed)."""
    from gitmem.cli import render
    from gitmem.index import search

    found = search.find(read_repo(), " ".join(query or []), types=type_ or None, author=author, branch=branch,
                        file=file, since=since, limit=limit, lexical=lexical)
    hits = found.hits
    if as_json:
        emit_json(fence.scrub({"hybrid": found.hybrid, "results": [h.to_dict() for h in hits]}))
    elif not hits:
        typer.echo("nothing found.")
    else:
        typer.echo(render.search_text(hits))


@commands.command()
def reindex(
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar (there is none when piped either)."),
) -> None:
    """Rebuild the search index from the memory ref and the decision files (it is a cache)."""
    from gitmem.cli.progress import progress_bar
    from gitmem.index import index_file, neighbours

    repo = current_repo()
    with progress_bar(quiet) as progress:
        update = index_file.rebuild_index(repo, progress)
    neighbours.refresh(repo, quick=False)
    typer.echo(f"search index rebuilt at {update.tip[:10] if update.tip else 'an empty memory ref'}")


@commands.command()
def context(as_json: bool = typer.Option(False, "--json", help="Print the hook JSON Claude Code receives.")) -> None:
    """Print the brief a new Claude Code session in this checkout would receive."""
    from gitmem.app import inject
    from gitmem.app.project import require_initialized

    repo = current_repo()
    require_initialized(repo)
    brief = inject.render_brief(repo)
    if as_json:
        typer.echo(brief.hook_output())
    else:
        typer.echo(brief.text)
        typer.echo(f"\n({brief.tokens} of {brief.budget_chars * 2 // 7} tokens budgeted; "
                   f"{len(brief.items)} items shown, {brief.dropped} left out)", err=True)


@commands.command("why")
def why_cmd(
    path: str = typer.Argument(..., help="A file or folder of this repository."),
    limit: int = typer.Option(20, "--limit", "-n", min=1, help="How many sessions to show."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Which decisions and sessions concern a file, newest first: status, date, id, title."""
    from gitmem.app import why
    from gitmem.app.project import root_of
    from gitmem.cli import render

    repo = read_repo()
    result = why.why(repo, why.repo_path(root_of(repo), Path.cwd(), path), limit=limit)
    if as_json:
        emit_json(fence.scrub(render.why_json(result)))
    else:
        typer.echo(render.why_text(result))


@commands.command("view")
def view_cmd(
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Where to write the page; default: "
                                       "<git-common-dir>/gitmem/memory.html (never committed)."),
    open_: bool = typer.Option(False, "--open", help="Open the page in the default browser."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar (there is none when piped either)."),
    serve: bool = typer.Option(False, "--serve", help="Serve the page on 127.0.0.1 instead, rebuilt when memory "
                               "changes; Ctrl-C stops."),
    port: int = typer.Option(8765, "--port", min=0, max=65535, help="The port for --serve (0: any free one)."),
) -> None:
    """Write the memory as one self-contained HTML page: timeline, decisions, files, activity."""
    from gitmem.cli.progress import progress_bar
    from gitmem.view.build import build_view

    if serve:
        _serve_view(port, open_)
        return
    with progress_bar(quiet) as progress:
        result = build_view(read_repo(), out, progress=progress)
    from gitmem.capture.payload_fields import plural

    left = f", {plural(result.observations_left_out, 'observation')} left out" if result.observations_left_out else ""
    typer.echo(f"wrote {result.path} ({result.bytes / 1024:.0f} KiB: {plural(result.sessions, 'session')}, "
               f"{plural(result.decisions, 'decision')}{left})")
    if open_:
        import webbrowser

        webbrowser.open(result.path.as_uri())


def _serve_view(port: int, open_: bool) -> None:
    from gitmem.team.fetched import merge_fetched_memory
    from gitmem.view.serve import PageServer

    repo = read_repo()
    server = PageServer(repo, port, refresh=lambda: merge_fetched_memory(repo))
    try:
        server.current_page()   # no memory, no work tree: the error now, not on the first request
        typer.echo(f"serving the memory page at {server.url} (rebuilt when memory changes; Ctrl-C stops)")
        if open_:
            import webbrowser

            webbrowser.open(server.url)
        server.serve_forever()
    except KeyboardInterrupt:
        typer.echo("stopped.")
    finally:
        server.server_close()
