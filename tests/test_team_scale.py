"""Costs that grow with the team's memory (issue 20): counted, never timed.

- after a sync the SessionStart hook prints the pre-rendered brief (it does not render in the hook);
- a render reads the sessions behind proposed decisions with one scan, however many proposals there are;
- ``gitmem reindex`` holds a bounded part of the memory at a time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import git, run
from test_inject import LAUNCHER, context_of, first_teammate, session

from gitmem import hook as hook_module
from gitmem.app import inject
from gitmem.app.project import init_repository
from gitmem.git import discover


def session_start(root: Path) -> bytes:
    """The installed SessionStart hook, with rendering made impossible: ``GITMEM_PYTHON`` (the interpreter the hook
    starts to render a stale brief) is ``false``, so only a pre-rendered brief can be printed."""
    env = {**os.environ, "GITMEM_NO_WORKER": "1", "GITMEM_PYTHON": "/bin/false"}
    payload = {"session_id": "next-1", "hook_event_name": "SessionStart", "source": "startup", "cwd": str(root)}
    proc = subprocess.run([sys.executable, "-I", "-S", str(LAUNCHER), "SessionStart"], cwd=root, env=env,
                          input=json.dumps(payload).encode(), capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def hook_finds_brief_fresh(root: Path) -> bool:
    """The hook's own test of a stored brief (``hook.fresh_brief``): the path it takes without rendering."""
    repo = discover(root)
    common, git_dir = bytes(repo.common_dir), bytes(repo.git_dir)
    stamp = hook_module.memory_stamp(common, bytes(root))
    return hook_module.fresh_brief(hook_module.brief_file(common, git_dir), stamp) is not None


def two_teammates(clone) -> tuple[Path, Path]:
    """Alice recorded a session and pushed it; Bob cloned, set up, synced, and holds a fresh brief."""
    alice = first_teammate(clone)
    session(alice, "alice-1", "Choose the queue",
            "We decided to use Postgres SKIP LOCKED instead of Redis because we already run Postgres.", ["queue.py"])
    git(alice, "push", "-q", "origin", "refs/notes/gitmem:refs/notes/gitmem")
    bob = clone("bob")
    init_repository(discover(bob))
    inject.render_brief(discover(bob))
    return alice, bob


def alice_records_more(alice: Path) -> None:
    session(alice, "alice-2", "Retry the ledger writes",
            "We decided to retry ledger writes with exponential backoff because the bank API throttles.",
            ["ledger.py"])
    git(alice, "push", "-q", "origin", "HEAD:main", "refs/notes/gitmem:refs/notes/gitmem")


def test_gitmem_sync_leaves_a_brief_the_session_start_hook_prints_without_rendering(
        clone, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    alice, bob = two_teammates(clone)
    alice_records_more(alice)
    git(bob, "pull", "-q", "--no-rebase", "origin", "main")
    monkeypatch.chdir(bob)
    code, out, err = run(capsys, "sync", "--quiet")
    assert code == 0, err
    assert hook_finds_brief_fresh(bob)
    text = context_of(session_start(bob))
    assert "exponential backoff" in text  # the session the sync brought is in the pre-rendered brief


def test_the_after_push_sync_leaves_a_fresh_brief_too(clone) -> None:
    alice, bob = two_teammates(clone)
    alice_records_more(alice)
    git(bob, "pull", "-q", "--no-rebase", "origin", "main")
    proc = subprocess.run([sys.executable, "-I", "-m", "gitmem.workers", "after-push", "origin"], cwd=bob,
                          capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert hook_finds_brief_fresh(bob)
    assert "exponential backoff" in context_of(session_start(bob))
