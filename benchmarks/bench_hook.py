"""Wall time of the installed hook command against a bare interpreter start.

Runs, interleaved in one loop so machine noise hits both alike:
  A: <python> -c pass                                   (the baseline)
  B: <python> -I -S <gitmem>/_hook.py PostToolUse       (the installed fast command)
  C: gitmem hook PostToolUse                            (the portable console script, --shared)
  E: <python> -I -S <gitmem>/_hook.py UserPromptSubmit (prompt-time recall that finds a match, and one that
     stays silent; both read the word neighbours store when the semantic extra built one)
  D: <python> -I -S <gitmem>/_hook.py Stop              (append + detached worker start; worker disabled)
  F: <python> -I -S <gitmem>/_hook.py SessionStart      (HEAD read from the ref files + append + the
                                                          pre-rendered brief printed; once per session)
  then one row per entry of AGENT_ROWS: another agent's installed hook command fed that agent's payload
  (Codex CLI and Copilot CLI: recorded from the real clients, tests/data/codex/hooks/,
  tests/data/copilot/hooks/gitmem-shape/; Cursor: as its documentation describes them, tests/data/cursor/hooks/;
  Gemini CLI: recorded, tests/data/gemini-cli/hooks/, the BeforeAgent row with the escaped brief in front of the
  prompt, taken off before recall).
  A new agent adds one line there.
each fed the real PostToolUse payload from the Claude Code fixture unless its row says otherwise, in an
initialized temporary repository. Prints medians and ratios to the baseline.

Usage: .venv/bin/python benchmarks/bench_hook.py [--runs 40] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from timing import timed  # benchmarks/timing.py, beside this script

import gitmem
from gitmem.app import inject
from gitmem.app.project import init_repository
from gitmem.git import discover
from gitmem.index import neighbours
from gitmem.store import memory_ref
from gitmem.store.records import SessionSummary

HOOK = Path(gitmem.__file__).parent / "_hook.py"
FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "data" / "session-hooks.jsonl"
DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
# (row label, the hook's arguments as that agent's installed command passes them, the payload file it is fed)
AGENT_ROWS = (
    ("Codex: _hook.py PostToolUse (installed)", ("PostToolUse",), "codex/hooks/PostToolUse.json"),
    ("Codex: _hook.py SessionStart (HEAD + append + pre-rendered brief)", ("SessionStart",),
     "codex/hooks/SessionStart-startup.json"),
    ("Copilot: _hook.py PostToolUse copilot (installed)", ("PostToolUse", "copilot"),
     "copilot/hooks/gitmem-shape/PostToolUse.json"),
    ("Copilot: _hook.py SessionStart copilot (HEAD + append + brief reshaped)", ("SessionStart", "copilot"),
     "copilot/hooks/gitmem-shape/SessionStart-new.json"),
    ("Gemini: _hook.py PostToolUse (AfterTool, installed)", ("PostToolUse",),
     "gemini-cli/hooks/AfterTool-run_shell_command.json"),
    ("Gemini: _hook.py UserPromptSubmit (BeforeAgent, brief in front)", ("UserPromptSubmit",),
     "gemini-cli/hooks/BeforeAgent.json"),
    ("Cursor: _hook.py PostToolUse cursor (afterShellExecution)", ("PostToolUse", "cursor"),
     "cursor/hooks/afterShellExecution.json"),
    ("Cursor: _hook.py PostToolUse cursor (afterFileEdit)", ("PostToolUse", "cursor"), "cursor/hooks/afterFileEdit.json"),
    ("Cursor: _hook.py UserPromptSubmit cursor (beforeSubmitPrompt, no recall)", ("UserPromptSubmit", "cursor"),
     "cursor/hooks/beforeSubmitPrompt.json"),
    ("Cursor: _hook.py SessionStart cursor (HEAD + append, brief in the rules file)", ("SessionStart", "cursor"),
     "cursor/hooks/sessionStart.json"),
)


def payload(event: str) -> bytes:
    for line in FIXTURE.read_text().splitlines():
        if json.loads(line)["hook_event_name"] == event:
            return line.encode()
    raise SystemExit(f"no {event} payload in {FIXTURE}")


def agent_payload(rel: str, root: Path) -> bytes:
    """An agent's payload from tests/data/, as one line, its placeholder workspace made the benchmark's repository."""
    return json.dumps(json.loads((DATA / rel).read_text())).replace("/work/repo", str(root)).encode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--other-hook", type=Path, default=None,
                        help="also time the UserPromptSubmit rows with this launcher (e.g. an older gitmem's _hook.py "
                             "copied with its hook.py, recall.py and fence.py) on the same repository")
    args = parser.parse_args()
    python = sys.executable
    gitmem_bin = str(Path(python).parent / "gitmem")
    post, stop = payload("PostToolUse"), payload("Stop")
    with tempfile.TemporaryDirectory(prefix="gitmem-bench-hook-") as tmp:
        root = Path(tmp) / "repo"
        root.mkdir()
        subprocess.run(["git", "init", "-q"], cwd=root, check=True)
        subprocess.run(["git", "-c", "user.name=B", "-c", "user.email=b@example.com", "commit", "-q",
                        "--allow-empty", "-m", "start"], cwd=root, check=True)  # a HEAD for SessionStart to read
        repo = discover(root)
        init_repository(repo)
        summary = SessionSummary(id="bench-1", title="Use the outbox pattern for ledger writes",
                                 started_at="2026-11-24T08:00:00Z", ended_at="2026-11-24T09:00:00Z", branch="main")
        env = {**os.environ, "GITMEM_NO_WORKER": "1", "GIT_AUTHOR_NAME": "B", "GIT_AUTHOR_EMAIL": "b@example.com",
               "GIT_COMMITTER_NAME": "B", "GIT_COMMITTER_EMAIL": "b@example.com"}
        os.environ.update({k: v for k, v in env.items() if k.startswith("GIT_")})
        memory_ref.write_session(repo, summary.id, summary.started_at, (), summary)
        inject.render_brief(repo)  # what a flush does: index, brief, recall settings
        neighbours.refresh(repo)  # and, with the semantic extra, the word neighbours prompt recall reads
        prompt = json.dumps({"session_id": "bench-2", "hook_event_name": "UserPromptSubmit",
                             "prompt": "How should ledger writes go through the outbox?"}).encode()
        quiet = json.dumps({"session_id": "bench-3", "hook_event_name": "UserPromptSubmit",
                            "prompt": "Center the login button on mobile, it drifts left"}).encode()
        cases = {
            "python -c pass": ([python, "-c", "pass"], b""),
            "_hook.py PostToolUse (installed)": ([python, "-I", "-S", str(HOOK), "PostToolUse"], post),
            "gitmem hook PostToolUse (--shared)": ([gitmem_bin, "hook", "PostToolUse"], post),
            "_hook.py Stop (append + flush request)": ([python, "-I", "-S", str(HOOK), "Stop"], stop),
            "_hook.py UserPromptSubmit (append + recall that matches)": (
                [python, "-I", "-S", str(HOOK), "UserPromptSubmit"], prompt),
            "_hook.py UserPromptSubmit (append + recall that stays silent)": (
                [python, "-I", "-S", str(HOOK), "UserPromptSubmit"], quiet),
            "_hook.py SessionStart (HEAD + append + pre-rendered brief)": (
                [python, "-I", "-S", str(HOOK), "SessionStart"], payload("SessionStart")),
        }
        for label, hook_args, rel in AGENT_ROWS:
            cases[label] = ([python, "-I", "-S", str(HOOK), *hook_args], agent_payload(rel, root))
        if args.other_hook is not None:
            cases["other _hook.py UserPromptSubmit (matches)"] = ([python, "-I", "-S", str(args.other_hook),
                                                                   "UserPromptSubmit"], prompt)
            cases["other _hook.py UserPromptSubmit (silent)"] = ([python, "-I", "-S", str(args.other_hook),
                                                                  "UserPromptSubmit"], quiet)
        for argv, stdin in cases.values():  # warm the page cache once
            timed(argv, stdin, root, env)
        samples: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.runs):
            for name, (argv, stdin) in cases.items():
                samples[name].append(timed(argv, stdin, root, env))
    base = statistics.median(samples["python -c pass"])
    results = {name: {"median_ms": statistics.median(v) * 1000, "ratio": statistics.median(v) / base}
               for name, v in samples.items()}
    if args.json:
        print(json.dumps({"runs": args.runs, "python": python, "results": results}, indent=2))
        return 0
    print(f"hook wall time, median of {args.runs} interleaved runs ({python})\n")
    print("| command | median ms | ratio to `python -c pass` |")
    print("|---|---:|---:|")
    for name, r in results.items():
        print(f"| {name} | {r['median_ms']:.1f} | {r['ratio']:.2f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
