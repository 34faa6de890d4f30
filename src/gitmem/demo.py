"""``make demo``: gitmem's main job on a throw-away repository, offline.

Creates a temporary git repository, records two realistic sessions through
the real store, and shows them with the real ``gitmem log`` and
``gitmem show``. Nothing outside the temporary folder is touched.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from gitmem import store
from gitmem.git import discover
from gitmem.project import init_repository
from gitmem.records import DecisionNote, Observation, SessionSummary

SESSION_1 = "a0ef3c6b-7e93-4b74-8a0a-36b4de04a3d4"
SESSION_2 = "5d2c91e0-1b7f-4c53-9a7e-0c3f6b2d8e11"


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def _make_repo(root: Path) -> None:
    _git(root, "init", "-q", "-b", "main")
    _git(root, "config", "user.name", "Dana Developer")
    _git(root, "config", "user.email", "dana@example.com")
    (root / "app.py").write_text("def post():\n    return 1\n")
    _git(root, "add", "app.py")
    _git(root, "commit", "-q", "-m", "Payment service skeleton")


def _sessions(head: str) -> list[tuple[SessionSummary, tuple[Observation, ...]]]:
    obs1 = (
        Observation(ts="2026-11-23T09:01:10Z", kind="prompt", text="Split the payment service"),
        Observation(ts="2026-11-23T09:01:20Z", kind="read", tool="Read", files=("app.py",)),
        Observation(ts="2026-11-23T09:02:05Z", kind="edit", tool="Edit", files=("app.py",),
                    text="post() returns the new status code"),
        Observation(ts="2026-11-23T09:03:40Z", kind="write", tool="Write", files=("billing/refunds.py",),
                    text="new module billing/refunds.py"),
        Observation(ts="2026-11-23T09:04:12Z", kind="command", tool="Bash", command="pytest -q tests/billing",
                    outcome="error", detail="1 failed: test_refund_rounding"),
        Observation(ts="2026-11-23T09:06:30Z", kind="command", tool="Bash", command="pytest -q tests/billing",
                    outcome="ok"),
    )
    s1 = SessionSummary(
        id=SESSION_1, title="Split refunds out of the payment service", started_at="2026-11-23T09:01:00Z",
        ended_at="2026-11-23T09:07:00Z", author="Dana Developer <dana@example.com>", branch="main",
        head_start=head, head_end=head, request="Split the payment service",
        investigated=("app.py handles both charges and refunds",),
        learned=("Refund amounts are rounded half-even by the bank API; tests must match",),
        completed=("Moved refund logic to billing/refunds.py", "Fixed rounding test"),
        next_steps=("Move the charge webhook handler next",),
        dead_ends=("Rounding with round() in Python: banker's rounding broke cents on .005 amounts",),
        decisions=(DecisionNote(
            title="Refunds live in their own module", decision="billing/refunds.py owns all refund logic",
            context="app.py mixed charges and refunds", rationale="refunds change on a different cadence and need their own tests",
            alternatives=("keep one service with feature flags",), files=("billing/refunds.py", "app.py")),),
        files_read=("app.py",), files_modified=("app.py", "billing/refunds.py"), tags=("payments", "refactor"),
        observation_count=len(obs1), summarizer="offline")
    obs2 = (
        Observation(ts="2026-11-24T08:15:00Z", kind="prompt", text="Add idempotency keys to charges"),
        Observation(ts="2026-11-24T08:16:30Z", kind="search", tool="Grep", text="grep 'charge(' in billing/",
                    files=("billing/charges.py",)),
        Observation(ts="2026-11-24T08:20:02Z", kind="edit", tool="Edit", files=("billing/charges.py",),
                    text="charge() takes an idempotency_key"),
    )
    s2 = SessionSummary(
        id=SESSION_2, title="Idempotency keys for charges", started_at="2026-11-24T08:14:00Z",
        ended_at="2026-11-24T08:25:00Z", author="Sam Teammate <sam@example.com>", branch="feature/idempotency",
        head_start=head, head_end=head, request="Add idempotency keys to charges",
        completed=("charge() accepts and stores an idempotency key",),
        next_steps=("Expire keys after 24 hours",), files_modified=("billing/charges.py",),
        observation_count=len(obs2), summarizer="offline")
    return [(s1, obs1), (s2, obs2)]


def run_demo(workdir: Path) -> int:
    _make_repo(workdir)
    repo = discover(workdir)
    init_repository(repo)
    head = _git(workdir, "rev-parse", "HEAD").strip()
    for summary, observations in _sessions(head):
        store.write_session(repo, summary.id, summary.started_at, observations, summary)
    status_before = _git(workdir, "status", "--porcelain")
    print(f"# a temporary repository: {workdir}")
    print("# two sessions were recorded into refs/notes/gitmem through the store\n")
    cli = [sys.executable, "-m", "gitmem"]
    for title, args in (("gitmem log", ["log"]), (f"gitmem show {SESSION_1[:8]}", ["show", SESSION_1[:8]]),
                        ("gitmem status", ["status"])):
        print(f"$ {title}")
        sys.stdout.flush()
        rc = subprocess.run(cli + args, cwd=workdir).returncode
        if rc != 0:
            return rc
        print()
    assert _git(workdir, "status", "--porcelain") == status_before, "the demo must not touch the work tree"
    print("$ git log --oneline refs/notes/gitmem")
    print(_git(workdir, "log", "--oneline", "refs/notes/gitmem"))
    return 0


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="gitmem-demo-") as tmp:
        return run_demo(Path(tmp))


if __name__ == "__main__":
    raise SystemExit(main())
