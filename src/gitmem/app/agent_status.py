"""Each coding agent's install here and what its hooks delivered: one row per agent, for ``gitmem status``.

Fail loudly: an agent whose hooks are installed but whose events never arrived
shows ``0 events seen``, so an adapter that captures nothing (a client that
skips the hooks, a renamed event, an untrusted hook) cannot pass for one that
works. The agents are agents/registry.py's: each its name as sessions record it,
its label, and the test of whether gitmem's hooks for it are in place.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from gitmem.agents import registry
from gitmem.agents.activity import Activity, activity
from gitmem.config import state_dir
from gitmem.git import Repo

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


def agent_rows(repo: Repo, hooks: Mapping[str, Any] | None = None) -> tuple[AgentRow, ...]:
    """A row for every agent installed here or seen here (an agent uninstalled since still shows its events);
    ``hooks``: the agents' statuses, by their word in `gitmem install`, where the caller has them already."""
    seen = activity(state_dir(repo.common_dir))
    rows = []
    root = Path(repo.root) if repo.root is not None else None
    for agent in registry.AGENTS:
        status = (hooks or {}).get(agent.name)
        if status is None and root is not None:
            status = agent.status(root)
        installed = status is not None and agent.hooked(status)
        if installed or agent.agent_id in seen:
            rows.append(AgentRow(agent.agent_id, agent.label, installed, seen.get(agent.agent_id, Activity())))
    known = {a.agent_id for a in registry.AGENTS}
    rows += [AgentRow(a, LABELS.get(a, a), False, s) for a, s in seen.items() if a not in known]
    return tuple(rows)
