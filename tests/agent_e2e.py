"""What the end-to-end tests of the agents besides Claude Code share (tests/test_e2e_codex.py, _copilot.py,
_gemini.py): the repository each test starts from, the harness's life (every process stopped at the end), and
the two checks that one memory serves two agents: a decision made in Claude Code reaches the other agent's next
session, and one made in the other agent reaches Claude Code's."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

from conftest import git, make_repo
from fakes.scripted_model import Script, ToolCall, tool
from test_e2e_claude import E2E, GITMEM, hook_context, run_decide_session, stop_all

H = TypeVar("H", bound=E2E)


def payments_repo(folder: Path, agent: str) -> tuple[Path, str]:
    """A fresh repository with app.py committed, `gitmem init --no-hooks` and `gitmem install <agent>` run in it
    (with the environment as it is now); returns the root and what the install printed."""
    root = make_repo(folder)
    (root / "app.py").write_text("def post():\n    return 1\n")
    git(root, "add", "app.py")
    git(root, "commit", "-q", "-m", "payment service")
    out = ""
    for args in (["init", "--no-hooks"], ["install", agent]):
        proc = subprocess.run([*GITMEM, *args], cwd=root, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        out = proc.stdout
    return root, out


def running(harness: H) -> Iterator[H]:
    """A fixture's body: the harness for the test, then every process it started stopped and its model closed."""
    try:
        yield harness
    finally:
        stop_all(harness)


CROSS_DECISION = ("Done. We decided to use idempotency keys for payment retries because the provider "
                  "may deliver a callback twice.")


def claude_decision_reaches(claude: E2E, other: Any, agent_id: str, read_outbox: ToolCall,
                            brief_of: Callable[[Any, str], str], *args: str) -> None:
    """Claude Code decides on the outbox pattern; the other agent's next session (``args`` added to its command)
    is told, in the brief ``brief_of(model, marker)`` finds in its first request."""
    marker = f"E2E-CROSS-{agent_id.upper()}"
    first = run_decide_session(claude)
    other.model.add(Script(marker, (read_outbox,), "The outbox is there."))
    second = other.run(f"{marker} what is the state of the outbox?", *args)
    brief = brief_of(other.model, marker)
    assert "outbox pattern" in brief and "ledger must stay consistent" in brief, brief
    assert first.session_id[:8] in brief
    other.settle(second.session_id)
    assert claude.show(first.session_id)["summary"]["agent"] == "claude-code"
    assert other.show(second.session_id)["summary"]["agent"] == agent_id


def decision_reaches_claude(claude: E2E, other: Any, agent_id: str, read_app: ToolCall, *args: str) -> None:
    """The other agent decides on idempotency keys; Claude Code's next session is told."""
    other.model.add(Script("E2E-CROSS-DECIDE", (read_app,), CROSS_DECISION))
    first = other.run("E2E-CROSS-DECIDE plan the payment retries", *args)
    other.settle(first.session_id)
    claude.model.add(Script("E2E-CROSS-CLAUDE", (tool("Read", file_path=str(claude.root / "app.py")),), "Checked."))
    second = claude.run("E2E-CROSS-CLAUDE how do payment retries work?")
    brief = hook_context(claude.model.agent_requests("E2E-CROSS-CLAUDE")[0])
    assert "idempotency keys" in brief and "callback twice" in brief, brief
    assert first.session_id[:8] in brief
    claude.settle(second.session_id)
    assert other.show(first.session_id)["summary"]["agent"] == agent_id
