"""SessionStart hook wall time with 10,000 sessions in the memory ref.

Builds a repository whose memory ref holds N sessions (one bulk fast-import
commit of real records), renders the brief once (what every flush does), then
runs, interleaved in one loop so machine noise hits both alike:
  A: <python> -c pass
  B: <python> -I -S <gitmem>/_hook.py SessionStart   (prints the pre-rendered brief)
and prints the median ratio B/A (goal <= 1.5x, never above 3x). It also times
the stale path (memory changed since the brief was rendered: the hook renders
it on the spot) and the render itself, the cost each flush pays.

Usage: .venv/bin/python benchmarks/bench_inject.py [--sessions 10000] [--runs 30] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from timing import timed  # benchmarks/timing.py, beside this script

import gitmem
from gitmem.app import inject
from gitmem.app.project import init_repository
from gitmem.git import discover
from gitmem.index import index_file
from gitmem.store import memory_ref
from gitmem.store.records import DecisionNote, SessionSummary

LAUNCHER = Path(gitmem.__file__).parent / "_hook.py"
WORDS = ("payment refund ledger outbox webhook retry queue cache index search brief token budget branch merge "
         "decision schema migration parser config timeout deadline worker spool hook summary review").split()


def build(root: Path, n: int) -> None:
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True)
    subprocess.run(["git", "-c", "user.name=B", "-c", "user.email=b@example.com", "commit", "-q", "--allow-empty",
                    "-m", "start"], cwd=root, check=True)
    repo = discover(root)
    init_repository(repo)
    rng = random.Random(7)
    files = {}
    for i in range(n):
        words = " ".join(rng.choice(WORDS) for _ in range(8))
        month = f"2026-{1 + i * 11 // n:02d}"
        s = SessionSummary(
            id=f"bench-{i:05d}", title=f"Session {i}: {words}", started_at=f"{month}-10T10:00:00Z",
            ended_at=f"{month}-10T11:00:00Z", author=f"Dev {i % 20} <dev{i % 20}@example.com>",
            branch="main" if i % 3 else f"feature/{i % 17}", request=words, learned=(words,), completed=(words,),
            next_steps=(f"follow up on {words}",), files_modified=(f"src/{rng.choice(WORDS)}.py",),
            decisions=(DecisionNote(title=f"Use {rng.choice(WORDS)}", rationale=words),), observation_count=20)
        files[f"sessions/{month}/{s.id}/summary.md"] = s.to_text().encode()
    memory_ref.write_files(repo, files, f"{n} sessions", parent=None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    python = sys.executable
    with tempfile.TemporaryDirectory(prefix="gitmem-bench-inject-") as tmp:
        root = Path(tmp) / "repo"
        root.mkdir()
        build(root, args.sessions)
        repo = discover(root)
        started = time.perf_counter()
        index_file.ensure_index(repo)  # built here, in the foreground: a brief of a big memory would not wait for it
        brief = inject.render_brief(repo)
        first_render = time.perf_counter() - started
        started = time.perf_counter()
        inject.render_brief(repo)
        render = time.perf_counter() - started
        env = {**os.environ, "GITMEM_NO_WORKER": "1", "GIT_AUTHOR_NAME": "B", "GIT_AUTHOR_EMAIL": "b@example.com",
               "GIT_COMMITTER_NAME": "B", "GIT_COMMITTER_EMAIL": "b@example.com"}
        payload = json.dumps({"session_id": "bench-start", "hook_event_name": "SessionStart", "source": "startup",
                              "cwd": str(root)}).encode()
        base_cmd, hook_cmd = [python, "-c", "pass"], [python, "-I", "-S", str(LAUNCHER), "SessionStart"]
        timed(hook_cmd, payload, root, env)
        base, fresh = [], []
        for _ in range(args.runs):
            base.append(timed(base_cmd, b"", root, env))
            fresh.append(timed(hook_cmd, payload, root, env))
        stale = []
        for _ in range(3):  # memory changed since the brief was rendered: the hook renders it itself
            brief_file = inject.brief_path(repo)
            brief_file.with_name(brief_file.name + ".stamp").unlink(missing_ok=True)
            stale.append(timed(hook_cmd, payload, root, env))
    b, f, s = statistics.median(base), statistics.median(fresh), statistics.median(stale)
    result = {"sessions": args.sessions, "runs": args.runs, "python_c_pass_ms": b * 1000,
              "session_start_ms": f * 1000, "ratio": f / b, "stale_path_ms": s * 1000, "stale_ratio": s / b,
              "render_ms": render * 1000, "first_render_with_index_build_s": first_render,
              "brief_tokens": brief.tokens}
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"SessionStart with {args.sessions:,} sessions in the memory ref, median of {args.runs} interleaved runs\n")
    print("| figure | value | goal |")
    print("|---|---:|---|")
    print(f"| `python -c pass` | {b * 1000:.1f} ms | |")
    print(f"| SessionStart hook, brief pre-rendered | {f * 1000:.1f} ms = **{f / b:.2f}x** | <= 1.5x, never > 3x |")
    print(f"| SessionStart hook, memory changed since (renders on the spot) | {s * 1000:.0f} ms = {s / b:.1f}x | |")
    print(f"| rendering the brief (each flush pays this) | {render * 1000:.0f} ms | |")
    print(f"| first render, building the search index of {args.sessions:,} sessions | {first_render:.1f} s | |")
    print(f"| brief size | {brief.tokens} tokens | <= 1500 |")
    print("\ncommand: .venv/bin/python benchmarks/bench_inject.py")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
