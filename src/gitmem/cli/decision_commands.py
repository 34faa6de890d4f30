"""Decision notes (issue 8): decide, decisions (list, accept, reject, supersede) and check."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from gitmem import fence
from gitmem.cli.output import emit_json, warn
from gitmem.cli.repository import current_repo
from gitmem.errors import ExitCode, GitmemError

commands = typer.Typer()


def _render_edits(result) -> None:
    from gitmem.cli import render

    for line in render.edit_lines(result):
        typer.echo(line)
    for warning in result.warnings:
        warn(warning)


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


@commands.command()
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

    repo = current_repo()
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
commands.add_typer(decisions_app, name="decisions")


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

    root = root_of(current_repo())
    everything = decision_files.read_decisions(root)
    found = decision_files.list_decisions(root, statuses=status or (), files=file or (), tags=tag or (), found=everything)
    superseded_by = everything.superseded_by()
    if as_json:
        emit_json(fence.scrub([render.decision_json(f, superseded_by) for f in found.files]))
    elif not found.files:
        typer.echo("no decisions match." if status or file or tag else
                   'no decisions yet; write one with `gitmem decide "..."`.')
    else:
        typer.echo(render.decision_table(found.files, superseded_by))
    for err in found.errors:
        warn(f"skipped {err.message} (run `gitmem check`)")


@decisions_app.command("accept")
def decisions_accept(ref: str = typer.Argument(..., help="Decision id, unique id prefix, or file name.")) -> None:
    """Set a decision's status to accepted (and the decisions it supersedes to superseded)."""
    from gitmem.app.project import root_of
    from gitmem.decisions import lifecycle

    _render_edits(lifecycle.accept(root_of(current_repo()), ref))


@decisions_app.command("reject")
def decisions_reject(ref: str = typer.Argument(..., help="Decision id, unique id prefix, or file name.")) -> None:
    """Set a decision's status to rejected."""
    from gitmem.app.project import root_of
    from gitmem.decisions import lifecycle

    _render_edits(lifecycle.reject(root_of(current_repo()), ref))


@decisions_app.command("supersede")
def decisions_supersede(
    ref: str = typer.Argument(..., help="The decision that no longer holds: id, id prefix or file name."),
    by: Optional[str] = typer.Option(None, "--by", help="The decision that replaces it; it lists the old id in "
                                     "its supersedes and is accepted."),
) -> None:
    """Mark a decision superseded, by the decision named with --by."""
    from gitmem.app.project import root_of
    from gitmem.decisions import lifecycle

    _render_edits(lifecycle.supersede(root_of(current_repo()), ref, by))


@commands.command("check")
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

    result = check_module.check(root_of(current_repo()), files)
    if as_json:
        emit_json({"checked": list(result.checked), "problems": [p.to_dict() for p in result.problems]})
    else:
        typer.echo(render.check_text(result))
    if result.errors or (strict and result.warnings):
        raise typer.Exit(int(ExitCode.ERROR))
