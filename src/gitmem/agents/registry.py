"""The coding agents gitmem sets up, one row each: the word of ``gitmem install``, the name sessions record, how
``init`` finds the agent, and its install, uninstall and status.

The CLI, ``status`` and ``uninstall`` loop over ``AGENTS`` instead of naming agents: a new agent adds its row
here (and its modules beside this one). Claude Code's row uses integrations/install.py; its plugin and its two
settings files stay its own business (``init`` and ``uninstall claude`` still treat them apart).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Protocol

from gitmem.agents import codex, copilot, cursor, gemini
from gitmem.agents.codex_install import codex_hooks_status, install_codex, uninstall_codex
from gitmem.agents.copilot_install import copilot_hooks_status, install_copilot, uninstall_copilot
from gitmem.agents.cursor_install import cursor_status, install_cursor, uninstall_cursor
from gitmem.agents.gemini_install import gemini_hooks_status, install_gemini, uninstall_gemini
from gitmem.agents.rules_file import RulesResult
from gitmem.integrations.install import (ClaudeHooksStatus, InstallResult, claude_hooks_status, install_claude,
                                         uninstall_claude)


class HooksStatus(Protocol):
    """What every agent's status says: its problems, whether it is wholly in place, and its JSON."""

    @property
    def problems(self) -> tuple[str, ...]: ...

    @property
    def installed(self) -> bool: ...

    def to_json(self) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class Setup:
    """What one install or uninstall of an agent did: its hooks files, and the brief's rules file where the agent
    reads the brief from one (the caller then renders the brief into it)."""

    hooks: tuple[InstallResult, ...]
    rules: RulesResult | None = None



@dataclass(frozen=True, slots=True)
class Agent:
    """One coding agent gitmem hooks into."""

    name: str                      # `gitmem install <name>`
    agent_id: str                  # what a session's ``agent`` says
    label: str                     # how people call it ("Codex CLI")
    json_key: str                  # its key in `gitmem status --json`
    install_options: frozenset[str]    # the options `gitmem install <name>` takes: shared, force
    uninstall_options: frozenset[str]  # those `gitmem uninstall <name>` takes: shared, local
    found_here: Callable[[Path], str]  # why `gitmem init` sets it up here ('': it does not; Claude Code: always)
    install: Callable[[Path, bool, bool], Setup]    # (root, shared, force)
    uninstall: Callable[[Path], Setup]
    status: Callable[[Path], Any]                   # a HooksStatus; never raises on bad files
    hooked: Callable[[Any], bool]                   # its status: are any of gitmem's hooks for it in place
    summary: Callable[[Any], str]                   # its status in a few words, for `gitmem status`


NOT_RUNNING = "not running (see the problems below)"


def _claude_hooked(st: Any) -> bool:
    return st.plugin is not None or any(st.events.values())


def _claude_summary(st: ClaudeHooksStatus) -> str:
    if st.plugin is not None:
        return f"via the gitmem plugin ({st.plugin.describe()})"
    if st.installed:
        return f"installed in {', '.join(sorted({f for files in st.events.values() for f in files}))}"
    if any(st.events.values()):
        return f"incomplete, missing {', '.join(st.missing)} (run `gitmem install claude`)"
    return "not installed (run `gitmem install claude`)"


AGENTS: tuple[Agent, ...] = (
    Agent("claude", "claude-code", "Claude Code", "claude_hooks", frozenset({"shared", "force"}),
          frozenset({"shared", "local"}), lambda root: "always",
          lambda root, shared, force: Setup((install_claude(root, shared=shared, force=force),)),
          lambda root: Setup(uninstall_claude(root)), claude_hooks_status, _claude_hooked, _claude_summary),
    Agent("codex", "codex", "Codex CLI", "codex_hooks", frozenset(), frozenset(), codex.found_here,
          lambda root, shared, force: Setup((install_codex(root),)),
          lambda root: Setup((uninstall_codex(root),)), codex_hooks_status, lambda st: bool(st.hooked),
          lambda st: "installed in .codex/hooks.json, trusted" if st.installed else NOT_RUNNING),
    Agent("copilot", "copilot", "Copilot CLI", "copilot_hooks", frozenset({"shared"}), frozenset(), copilot.found_here,
          lambda root, shared, force: Setup((install_copilot(root, shared=shared),)),
          lambda root: Setup((uninstall_copilot(root),)), copilot_hooks_status, lambda st: bool(st.hooked),
          lambda st: "installed in .github/hooks/gitmem.json, folder trusted" if st.installed else NOT_RUNNING),
    Agent("cursor", "cursor", "Cursor", "cursor", frozenset({"shared"}), frozenset(), cursor.found_here,
          lambda root, shared, force: Setup(*_pair(install_cursor(root, shared=shared))),
          lambda root: Setup(*_pair(uninstall_cursor(root))), cursor_status, lambda st: bool(st.hooked),
          lambda st: "installed in .cursor/hooks.json, brief in .cursor/rules/gitmem.mdc"
          if st.installed and st.rules_file else "incomplete"),
    Agent("gemini", "gemini-cli", "Gemini CLI", "gemini_hooks", frozenset({"shared"}), frozenset(), gemini.found_here,
          lambda root, shared, force: Setup((install_gemini(root, shared=shared),)),
          lambda root: Setup((uninstall_gemini(root),)), gemini_hooks_status, lambda st: bool(st.hooked),
          lambda st: "installed in .gemini/settings.json, folder trusted" if st.installed else NOT_RUNNING),
)
CLAUDE = AGENTS[0]
OTHERS = AGENTS[1:]   # the agents besides Claude Code: set up when found here, reported when in place
BY_NAME = {a.name: a for a in AGENTS}
NAMES = tuple(BY_NAME)


def _pair(pair: tuple[InstallResult, RulesResult]) -> tuple[tuple[InstallResult, ...], RulesResult]:
    return (pair[0],), pair[1]


def get(name: str) -> Agent:
    """The agent ``gitmem install <name>`` means; KeyError for a word no agent has."""
    return BY_NAME[name]


def choices() -> str:
    """The agents' words for a message: "`claude`, `codex`, ... or `gemini`"."""
    words = [f"`{n}`" for n in NAMES]
    return f"{', '.join(words[:-1])} or {words[-1]}"


def folded(setup: Setup, root: Path) -> InstallResult | None:
    """One result for an uninstall's report: the hooks file's, with what happened to the rules file in its notes;
    None when there was nothing of the agent's here."""
    result = setup.hooks[0]
    rules = setup.rules
    if rules is not None and (rules.changed or rules.notes):
        result = replace(result, unchanged=False, notes=result.notes + rules.notes
                         + ((f"removed the brief from {rules.path.relative_to(root)}",) if rules.changed else ()))
    return None if result.unchanged and not result.notes else result
