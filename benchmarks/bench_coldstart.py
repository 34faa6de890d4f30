"""The first SessionStart in a fresh clone of a big team memory (issue 14, item 8).

For each size N (sessions; default 1,000, 6,000 and 20,000, as a 20-person team writes in a year):
  1. builds a bare remote whose `main` has one commit and whose memory ref holds N sessions of real records
     (two flushes each: 90 observations and a summary, bench_sync.py's builder: 2 commits per session);
  2. clones it, runs the real `gitmem init` and a plain `git fetch` (the refspec init added brings the memory
     into the tracking ref);
  3. runs the SessionStart hook command exactly as `gitmem init` installed it in .claude/settings.local.json,
     with a real payload, and times it against `python -c pass` and the hook's 15 s limit;
  4. waits for the background index build it started, and reports its time and the index size against the
     memory ref's size on disk (`git rev-list --objects --disk-usage`);
  5. runs SessionStart again (the brief pre-rendered by the build).

Usage: .venv/bin/python benchmarks/bench_coldstart.py [--sizes 1000,6000,20000] [--json]
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_sync  # noqa: E402 - the record builder, beside this script

from gitmem.git import discover  # noqa: E402
from gitmem.index import index_build  # noqa: E402
from gitmem.index import index_file

HOOK_LIMIT_SECONDS = 15.0
BUILD_WAIT_SECONDS = 3600


def _git(cwd: Path, *args: str) -> str:
    return bench_sync._git(cwd, *args).decode()


def _session_start_command(clone: Path) -> str:
    settings = json.loads((clone / ".claude" / "settings.local.json").read_text())
    [entry] = settings["hooks"]["SessionStart"]
    return entry["hooks"][0]["command"]


def _run_hook(command: str, clone: Path, sid: str) -> tuple[float, bytes]:
    payload = json.dumps({"session_id": sid, "hook_event_name": "SessionStart", "source": "startup",
                          "cwd": str(clone), "transcript_path": str(clone / "t.jsonl")}).encode()
    env = {**os.environ, "CLAUDE_PROJECT_DIR": str(clone), "GITMEM_NO_WORKER": "1"}
    start = time.perf_counter()
    proc = subprocess.run(command, shell=True, input=payload, cwd=clone, env=env, capture_output=True,
                          timeout=3600)
    return time.perf_counter() - start, proc.stdout


def _python_pass(n: int = 7) -> float:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def bench_size(root: Path, pool: bench_sync.Pool, n: int) -> dict:
    remote, seed, clone = root / "remote.git", root / "seed", root / "clone"
    _git(root, "init", "-q", "--bare", "-b", "main", str(remote))
    _git(root, "init", "-q", "-b", "main", str(seed))
    (seed / "README.md").write_text("hello\n")
    _git(seed, "add", "README.md")
    _git(seed, "commit", "-q", "-m", "start")
    _git(seed, "push", "-q", str(remote), "main")
    rng = random.Random(11)
    commits = []
    for i in range(n):
        commits += pool.session(i, bench_sync._sid(rng), bench_sync._month(i // bench_sync.SESSIONS_PER_MONTH))
    started = time.perf_counter()
    bench_sync._import(remote, "refs/notes/gitmem", commits)
    _git(remote, "gc", "-q")
    build_s = time.perf_counter() - started

    _git(root, "clone", "-q", str(remote), str(clone))
    gitmem = str(Path(sys.executable).parent / "gitmem")
    subprocess.run([gitmem, "init"], cwd=clone, check=True, capture_output=True)
    started = time.perf_counter()
    _git(clone, "fetch", "-q")
    fetch_s = time.perf_counter() - started
    command = _session_start_command(clone)

    first_s, out = _run_hook(command, clone, "cold-1")
    brief = json.loads(out)["hookSpecificOutput"]["additionalContext"] if out.strip() else ""
    repo = discover(clone)
    index = index_file.index_path(repo)
    index_at_brief = index.exists()
    started = time.perf_counter()
    deadline = started + BUILD_WAIT_SECONDS
    while index_build.running(repo) and time.perf_counter() < deadline:
        time.sleep(0.2)
    index_build_s = time.perf_counter() - started
    second_s, out2 = _run_hook(command, clone, "cold-2")
    ref_bytes = int(_git(clone, "rev-list", "--objects", "--disk-usage", "refs/notes/gitmem").strip())
    index_bytes = index.stat().st_size if index.exists() else 0
    return {"sessions": n, "memory_commits": int(_git(clone, "rev-list", "--count", "refs/notes/gitmem")),
            "build_remote_s": build_s, "fetch_s": fetch_s, "first_brief_s": first_s,
            "first_brief_items": brief.count("\n- "), "index_existed_at_first_brief": index_at_brief,
            "background_build_s": index_build_s, "second_brief_s": second_s, "second_brief_ok": bool(out2.strip()),
            "ref_bytes": ref_bytes, "index_bytes": index_bytes,
            "index_to_ref": index_bytes / ref_bytes if ref_bytes else 0.0}


def report(results: list[dict], python_pass: float, argv: list[str]) -> str:
    lines = [f"cold start in a fresh clone (`python -c pass`: {python_pass * 1000:.1f} ms; hook limit "
             f"{HOOK_LIMIT_SECONDS:.0f} s)", "",
             "| sessions | memory commits | first brief | vs `python -c pass` | vs 15 s limit | items | "
             "background index build | index / ref size | next brief |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        lines.append(
            f"| {r['sessions']:,} | {r['memory_commits']:,} | {r['first_brief_s']:.2f} s | "
            f"{r['first_brief_s'] / python_pass:.0f}x | {r['first_brief_s'] / HOOK_LIMIT_SECONDS:.0%} | "
            f"{r['first_brief_items']} | {r['background_build_s']:.1f} s | "
            f"{r['index_bytes'] / 2**20:.0f} / {r['ref_bytes'] / 2**20:.1f} MiB = {r['index_to_ref']:.1f}x | "
            f"{r['second_brief_s'] * 1000:.0f} ms |")
    lines += ["", f"Reproduce: `.venv/bin/python benchmarks/bench_coldstart.py {' '.join(argv)}`".rstrip()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,6000,20000", help="session counts, comma-separated")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
    results = []
    with tempfile.TemporaryDirectory(prefix="gitmem-bench-coldstart-") as tmp:
        bench_sync._isolate(Path(tmp))
        pool = bench_sync.Pool()
        python_pass = _python_pass()
        for n in sizes:
            root = Path(tmp) / f"n{n}"
            root.mkdir()
            results.append(bench_size(root, pool, n))
            print(json.dumps(results[-1]), file=sys.stderr)
    if args.json:
        print(json.dumps({"python_pass_s": python_pass, "results": results}, indent=2))
    else:
        print(report(results, python_pass, sys.argv[1:] if argv is None else argv))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
