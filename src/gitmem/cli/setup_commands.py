"""Setting gitmem up and checking on it: init, install, uninstall, status, doctor, and the MCP server
Claude Code starts (`gitmem mcp`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from gitmem.cli.output import emit_json, warn
from gitmem.cli.repository import current_repo, read_repo
from gitmem.errors import ExitCode

if TYPE_CHECKING:  # for annotations only: commands import what they use when they run
    from gitmem.integrations.mcp_config import McpConfigResult

commands = typer.Typer()


def _install_agent(repo, agent, shared: bool, force: bool = False) -> None:
    """Install one agent's hooks and render what changed; an agent that reads the brief from a rules file gets the
    brief as it is now."""
    from gitmem.app.project import root_of

    done = agent.install(root_of(repo), shared and "shared" in agent.install_options, force)
    if done.rules is not None:
        from gitmem.app import inject

        inject.refresh_brief(repo)  # renders the brief, which rewrites the rules file's block
    _render_install(done.hooks)
    if done.rules is not None:
        _render_rules(done.rules, "the brief, rewritten at every flush and sync")


def _render_rules(rules, done: str) -> None:
    import os

    if rules.changed:
        typer.echo(f"{os.path.relpath(rules.path)}: {done}")
    for note in rules.notes:
        typer.echo(f"note: {note}")


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


@commands.command()
def init(
    shared: bool = typer.Option(False, "--shared", help="Write portable `gitmem hook` commands to "
                                "the committed .claude/settings.json instead of .claude/settings.local.json."),
    no_hooks: bool = typer.Option(False, "--no-hooks", help="Do not install any agent's hooks (Claude Code, "
                                  "Codex CLI, Copilot CLI, Cursor, Gemini CLI)."),
    force: bool = typer.Option(False, "--force", help="Install the hooks even where the gitmem plugin is "
                               "enabled (each event is then recorded twice)."),
    fetch: bool = typer.Option(True, "--fetch/--no-fetch", help="Before creating .gitmem/, fetch the branch "
                               "you pull from, so files your team already pushed are pulled, not copied."),
) -> None:
    """Set up gitmem in this repository: settings, decision folder, local state, and the hooks of each agent it
    finds (Claude Code always; the Codex CLI when the repository has .codex/ or `codex` is on PATH; the Copilot CLI
    when it has .github/copilot-instructions.md or .github/hooks/, or `copilot` is on PATH; Cursor when it has
    .cursor/ or `cursor-agent` is on PATH; the Gemini CLI when it has .gemini/ or `gemini` is on PATH)."""
    from gitmem.agents.registry import OTHERS
    from gitmem.app.project import init_repository
    from gitmem.integrations.claude_plugin import enabled_plugin
    from gitmem.integrations.install import SHARED_SETTINGS, install_claude
    from gitmem.team.setup import setup_sync

    repo = current_repo()
    result = init_repository(repo, shared=shared, fetch=fetch)
    if result.created:
        for item in result.created:
            typer.echo(f"created {item}")
    else:
        typer.echo("gitmem is already set up here.")
    for note in result.notes():
        typer.echo(f"note: {note}")
    setup = setup_sync(repo, write=False)  # report only: init_repository did the work
    if setup.instruction:
        typer.echo(f"note: {setup.instruction}")
    for note in setup.notes:
        typer.echo(f"note: {note}")
    plugin = None if no_hooks or force else enabled_plugin(result.root)
    agents = []
    if plugin is not None:
        typer.echo(f"claude hooks: via the gitmem plugin ({plugin.describe()}); not installed again "
                   "(`gitmem install claude --force` would record every event twice)")
        agents.append("Claude Code (its gitmem plugin)")
    elif not no_hooks and not (shared and SHARED_SETTINGS in result.awaiting_pull):
        _render_install([install_claude(result.root, shared=shared, force=force)])
        agents.append("Claude Code")
    for agent in OTHERS:
        why = "" if no_hooks else agent.found_here(result.root)
        if why:
            _install_agent(repo, agent, shared)
            agents.append(f"{agent.label} ({why})")
    typer.echo(f"agents set up: {', '.join(agents) or 'none (--no-hooks)'}")
    typer.echo(f"memory ref: refs/notes/gitmem; local state: {result.state_dir}")
    if result.identity_warning:
        warn(result.identity_warning)


@commands.command()
def install(
    target: str = typer.Argument(..., help="What to hook gitmem into: claude, codex, copilot, cursor or gemini."),
    shared: bool = typer.Option(False, "--shared", help="Portable `gitmem hook` commands in "
                                ".claude/settings.json (copilot: .github/hooks/gitmem.json; cursor: "
                                ".cursor/hooks.json and the rules file; gemini: .gemini/settings.json), not "
                                "git-ignored, for the team to commit (costs 1.25x a Python start per tool call "
                                "against 0.83x for the default)."),
    force: bool = typer.Option(False, "--force", help="Install even where the gitmem plugin is enabled."),
) -> None:
    """Hook gitmem into Claude Code (`gitmem install claude`), the Codex CLI (`gitmem install codex`), the
    Copilot CLI (`gitmem install copilot`), Cursor (`gitmem install cursor`: .cursor/hooks.json, and the brief
    in .cursor/rules/gitmem.mdc) or the Gemini CLI (`gitmem install gemini`) here."""
    from gitmem.agents import registry
    from gitmem.app.project import init_repository

    if target not in registry.NAMES:
        raise typer.BadParameter(f"choose {registry.choices()}", param_hint="TARGET")
    agent = registry.get(target)
    given = [option for option, on in (("shared", shared), ("force", force)) if on]
    wrong = [f"--{option}" for option in given if option not in agent.install_options]
    if wrong:
        raise typer.BadParameter(f"{' and '.join(wrong)} {'goes' if len(wrong) == 1 else 'go'} with "
                                 "`gitmem install claude`")
    repo = current_repo()
    init_repository(repo, shared=shared)  # the hook records nothing without the state folder
    _install_agent(repo, agent, shared, force)


@commands.command()
def uninstall(
    target: Optional[str] = typer.Argument(None, help="claude: only the Claude Code hooks and the .mcp.json "
                                           "entry; codex: only the Codex CLI hooks and their trust entries; "
                                           "copilot: only .github/hooks/gitmem.json's hooks; "
                                           "cursor: only .cursor/hooks.json's gitmem hooks and the brief's rules "
                                           "file; gemini: only the Gemini CLI hooks. "
                                           "Without it: everything `gitmem init` set up."),
    shared: bool = typer.Option(False, "--shared", help="With claude: only .claude/settings.json."),
    local: bool = typer.Option(False, "--local", help="With claude: only .claude/settings.local.json."),
    purge_memory: bool = typer.Option(False, "--purge-memory", help="Also delete the memory ref "
                                      "refs/notes/gitmem, teammates' fetched memory and sessions not yet flushed."),
) -> None:
    """Remove what gitmem set up here: hooks, .mcp.json entry, pre-push hook, refspecs, config, local state."""
    from gitmem.agents import registry
    from gitmem.app.project import root_of

    if target is not None and target not in registry.NAMES:
        raise typer.BadParameter(f"choose {registry.choices()}", param_hint="TARGET")
    agent = registry.get(target) if target is not None else None
    if agent is not None and not agent.uninstall_options:
        if shared or local or purge_memory:
            raise typer.BadParameter(f"--shared, --local and --purge-memory do not go with `{target}`")
        done = agent.uninstall(root_of(current_repo()))
        _render_install(done.hooks, unchanged="no gitmem hooks here")
        if done.rules is not None:
            _render_rules(done.rules, "removed the brief")
        return
    if shared and local:
        raise typer.BadParameter("choose one of --shared and --local")
    if target is None and (shared or local):
        raise typer.BadParameter("--shared and --local go with `gitmem uninstall claude`")
    if target is not None and purge_memory:
        raise typer.BadParameter("--purge-memory goes with `gitmem uninstall` (everything)")
    repo = current_repo()
    root = root_of(repo)
    if target is None:
        from gitmem.app.project import uninstall_repository

        result = uninstall_repository(repo, purge_memory=purge_memory)
        mcp: McpConfigResult | None = result.mcp
        claude = result.claude + result.agents
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


@commands.command()
def status(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Is gitmem set up here, and how much memory is there."""
    from gitmem.app.project import repository_status
    from gitmem.cli import render

    st = repository_status(read_repo())
    if as_json:
        emit_json(render.status_json(st))
    else:
        typer.echo(render.status_text(st))


@commands.command()
def doctor(
    dry_run: bool = typer.Option(False, "--dry-run", help="Only report what is wrong and what a repair would do."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Check the memory ref (every object under it), its lock, the tracking refs and the spool; repair what is
    broken from the reflog, the teammates' copies and the spool. Exit 1 when something is left broken."""
    from gitmem.app import doctor as doctor_module
    from gitmem.app.project import require_initialized

    repo = current_repo()
    require_initialized(repo)
    report = doctor_module.run_doctor(repo, dry_run=dry_run)
    if as_json:
        emit_json(report.to_dict())
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


@commands.command()
def mcp(
    repo: Optional[Path] = typer.Option(None, "--repo", help="The repository to serve (default: the current "
                                        "folder, which is where Claude Code starts it)."),
) -> None:
    """Run gitmem's MCP server on stdio for Claude Code (`gitmem init` registers it in .mcp.json)."""
    from gitmem.integrations.mcp_server import serve

    serve(repo)  # blocks until the client closes stdin
