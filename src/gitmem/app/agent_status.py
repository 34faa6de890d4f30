"""Each coding agent's install here and what its hooks delivered: one row per agent, for ``gitmem status``.

Fail loudly: an agent whose hooks are installed but whose events never arrived
shows ``0 events seen``, so an adapter that captures nothing (a client that
skips the hooks, a renamed event, an untrusted hook) cannot pass for one that
works. A new agent adds one line to ``AGENTS``: its name as sessions record it,
its label, and the test of whether gitmem's hooks for it are in place.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from gitmem.agents.activity import Activity, activity
from gitmem.agents.codex_install import codex_hooks_status
from gitmem.agents.copilot_install import copilot_hooks_status
from gitmem.agents.cursor_install import cursor_status
from gitmem.agents.gemini_install import gemini_hooks_status
from gitmem.config import state_dir
from gitmem.git import Repo
from gitmem.integrations.install import claude_hooks_status


def _claude_hooked(root: Path) -> bool:
    st = claude_hooks_status(root)
    return st.plugin is not None or any(st.events.values())


# (agent as sessions record it, label, are gitmem's hooks for it in place here)
AGENTS: tuple[tuple[str, str, Callable[[Path], bool]], ...] = (
    ("claude-code", "Claude Code", _claude_hooked),
    ("codex", "Codex CLI", lambda root: bool(codex_hooks_status(root).hooked)),
    ("copilot", "Copilot CLI", lambda root: bool(copilot_hooks_status(root).hooked)),
    ("cursor", "Cursor", lambda root: bool(cursor_status(root).hooked)),
    ("gemini-cli", "Gemini CLI", lambda root: bool(gemini_hooks_status(root).hooked)),
)
LABELS = {"watch": "gitmem watch"}


@dataclass(frozen=True, slots=True)
class AgentRow:
    """One agent: are its hooks installed here, and what did they deliver."""

    agent: str
    label: str
    installed: bool
    seen: Activity

    @property
    def silent(self) -> bool:
        """Installed, yet not one event arrived: the adapter captures nothing."""
        return self.installed and self.seen.events == 0

    def to_json(self) -> dict[str, Any]:
        return {"agent": self.agent, "label": self.label, "installed": self.installed, **self.seen.to_json()}


def agent_rows(repo: Repo) -> tuple[AgentRow, ...]:
    """A row for every agent installed here or seen here (an agent uninstalled since still shows its events)."""
    seen = activity(state_dir(repo.common_dir))
    rows = []
    root = Path(repo.root) if repo.root is not None else None
    for agent, label, hooked in AGENTS:
        installed = root is not None and hooked(root)
        if installed or agent in seen:
            rows.append(AgentRow(agent, label, installed, seen.get(agent, Activity())))
    known = {a for a, _, _ in AGENTS}
    rows += [AgentRow(a, LABELS.get(a, a), False, s) for a, s in seen.items() if a not in known]
    return tuple(rows)
