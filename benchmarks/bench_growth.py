"""How gitmem's costs grow with the team's memory: 100 / 1,000 / 10,000 sessions (50,000 with --large).

Everything runs as installed: the hooks through the installed launcher (``<python> -I -S <gitmem>/_hook.py``)
with their workers NOT disabled (SessionStart starts its sweep worker, as in real use), the commands through
the venv's ``gitmem`` console script. Each hook or command is timed interleaved with its baseline,
``<python> -c pass``, in the same rounds, so machine noise hits both alike; the figure is the ratio of medians.

Per size it measures:
- SessionStart after ``gitmem sync`` brought a teammate's session (each round: the teammate pushes one
  session, ``gitmem sync`` runs untimed, then the hook is timed): the brief must be pre-rendered by the sync;
- the render with 32 untracked proposed decisions vs with 1 (ratio, and the git processes each starts);
- ``gitmem reindex``: wall time and the peak RSS of the process that rebuilds (``resource.getrusage`` in a child);
- UserPromptSubmit with prompt recall (installed launcher), ``gitmem hook PostToolUse`` (the --shared command)
  and ``gitmem search`` of a word nothing matches (its start-up, almost all of it), each vs ``python -c pass``;
  the same search words only (``--lexical``: no model), and through the typer app as every search ran before
  ``cli.quick_search`` (``python -c 'gitmem.cli.app.main([...])'``), in the same rounds;
- ``gitmem search``'s start-up apart from its query: the console script's path (``entry.main``) run in a child
  whose ``hybrid.query`` ends the process at once (``STARTUP``: a hook of this benchmark only), so the time is
  everything before the first SQL of the query (finding the repository, checking the index is current, imports);
  and the git processes a search of a current index starts (GIT_TRACE).

``--baseline <gitmem src folder>`` (e.g. ``git archive <commit> src | tar -x -C /tmp/base``) adds, in the same
rounds, that code's prompt-recall launcher and its ``gitmem reindex`` (interleaved with this code's, each in a
child of its own): the before/after pairs. The console script must be pip >= 24.3's (no ``import re``; ``make``
installs that pip): an older one is reported, since it makes ``gitmem hook`` a third of a start slower.

Usage: .venv/bin/python benchmarks/bench_growth.py [--sizes 100,1000,10000] [--large] [--runs 15] [--json]
       [--baseline <src folder>]
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
from gitmem.store import memory_ref
from gitmem.store.records import Decision, DecisionNote, Observation, ObservationBatch, SessionSummary

LAUNCHER = Path(gitmem.__file__).parent / "_hook.py"
WORDS = ("payment refund ledger outbox webhook retry queue cache index search brief token budget branch merge "
         "decision schema migration parser config timeout deadline worker spool hook summary review").split()
OBS_PER_SESSION = 10
PROPOSALS = 32
IDENTITY = {"GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
            "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.com"}


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def summary(rng: random.Random, sid: str, month: str, branch: str = "main") -> SessionSummary:
    words = " ".join(rng.choice(WORDS) for _ in range(8))
    return SessionSummary(
        id=sid, title=f"Session {sid}: {words}", started_at=f"{month}-10T10:00:00Z", ended_at=f"{month}-10T11:00:00Z",
        author=f"Dev {rng.randrange(20)} <dev{rng.randrange(20)}@example.com>", branch=branch, request=words,
        learned=(words,), completed=(words,), next_steps=(f"follow up on {words}",),
        files_modified=(f"src/{rng.choice(WORDS)}.py",),
        decisions=(DecisionNote(title=f"Use {rng.choice(WORDS)}", rationale=words),), observation_count=OBS_PER_SESSION)


def build(root: Path, remote: Path, n: int) -> None:
    """A repository whose memory ref holds ``n`` sessions (a summary and ``OBS_PER_SESSION`` observations each),
    set up with ``gitmem init`` and shared through the bare ``remote``."""
    git(root.parent, "init", "-q", "--bare", "-b", "main", str(remote))
    git(root.parent, "init", "-q", "-b", "main", str(root))
    (root / "README.md").write_text("bench\n")
    git(root, "add", "README.md")
    git(root, "commit", "-q", "-m", "start")
    git(root, "remote", "add", "origin", str(remote))
    git(root, "push", "-q", "origin", "main")
    repo = discover(root)
    init_repository(repo)
    rng = random.Random(7)
    files = {}
    for i in range(n):
        month = f"2026-{1 + i * 10 // n:02d}"
        s = summary(rng, f"bench-{i:06d}", month, "main" if i % 3 else f"feature/{i % 17}")
        obs = tuple(Observation(ts=f"{month}-10T10:{k:02d}:00Z", kind="edit", tool="Edit",
                                files=(f"src/{rng.choice(WORDS)}.py",),
                                text=" ".join(rng.choice(WORDS) for _ in range(12))) for k in range(OBS_PER_SESSION))
        folder = f"sessions/{month}/{s.id}"
        files[f"{folder}/summary.md"] = s.to_text().encode()
        files[f"{folder}/obs-0001.yaml"] = ObservationBatch(session_id=s.id, seq=1, observations=obs).to_text().encode()
    memory_ref.write_files(repo, files, f"{n} sessions", parent=None)
    git(root, "push", "-q", "origin", "refs/notes/gitmem:refs/notes/gitmem")


def paired(cases: dict[str, tuple[list[str], bytes]], root: Path, env: dict[str, str], runs: int,
           before_round=None) -> dict[str, float]:
    """Median seconds of each case, the cases run interleaved in each round (``before_round`` untimed first)."""
    for argv, stdin in cases.values():
        timed(argv, stdin, root, env)
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for r in range(runs):
        if before_round is not None:
            before_round(r)
        for name, (argv, stdin) in cases.items():
            samples[name].append(timed(argv, stdin, root, env))
    return {name: statistics.median(v) for name, v in samples.items()}


def git_processes(root: Path, code: str, env: dict[str, str]) -> int:
    """How many git processes ``code`` (run in a child in ``root``) starts, from GIT_TRACE."""
    with tempfile.NamedTemporaryFile(suffix=".trace") as trace:
        subprocess.run([sys.executable, "-c", code], cwd=root, check=True, env={**env, "GIT_TRACE": trace.name},
                       capture_output=True)
        return sum(1 for line in Path(trace.name).read_text().splitlines() if "trace: built-in: " in line)


# gitmem search up to its query: the same path as the console script, ended where the query would start.
STARTUP = ("import os, sys\nsys.argv = ['gitmem', 'search', *sys.argv[1:]]\nimport gitmem.index.hybrid as h\n"
           "h.query = lambda *a, **k: os._exit(0)\nfrom gitmem.entry import main\nsys.exit(main())")
SEARCH = "import sys\nfrom gitmem.entry import main\nsys.argv = ['gitmem', 'search', 'zzqxnomatchword']\nmain()"
RENDER = "from gitmem.app import inject; from gitmem.git import discover; inject.build_brief(discover('.'))"
REINDEX = ("import resource, time; from gitmem.git import discover; from gitmem.index import index_file\n"
           "t = time.perf_counter(); index_file.rebuild_index(discover('.'))\n"
           "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")


def measure(n: int, runs: int, work: Path, baseline: Path | None = None) -> dict[str, float]:
    python = sys.executable
    gitmem_bin = str(Path(python).parent / "gitmem")
    root, remote, mate = work / "repo", work / "remote.git", work / "mate"
    env = {**os.environ, **IDENTITY}
    env.pop("GITMEM_NO_WORKER", None)
    os.environ.update(IDENTITY)
    started = time.perf_counter()
    build(root, remote, n)
    subprocess.run([gitmem_bin, "reindex"], cwd=root, check=True, env=env, capture_output=True)
    inject.render_brief(discover(root))
    out: dict[str, float] = {"sessions": n, "build_s": time.perf_counter() - started}

    # SessionStart after a sync that brought a teammate's session.
    git(work, "clone", "-q", str(remote), str(mate))
    git(mate, "fetch", "-q", "origin", "refs/notes/gitmem:refs/notes/gitmem")
    mate_repo, rng = discover(mate), random.Random(11)

    def teammate_pushes_and_we_sync(r: int) -> None:
        s = summary(rng, f"mate-{n}-{r:03d}", "2026-11")
        memory_ref.write_session(mate_repo, s.id, s.started_at, (), s)
        git(mate, "push", "-q", "origin", "refs/notes/gitmem:refs/notes/gitmem")
        subprocess.run([gitmem_bin, "sync", "--quiet"], cwd=root, check=True, env=env, capture_output=True)

    start_payload = json.dumps({"session_id": "bench-start", "hook_event_name": "SessionStart", "source": "startup",
                                "cwd": str(root)}).encode()
    medians = paired({"base": ([python, "-c", "pass"], b""),
                      "session_start": ([python, "-I", "-S", str(LAUNCHER), "SessionStart"], start_payload)},
                     root, env, runs, teammate_pushes_and_we_sync)
    out["session_start_after_sync_ratio"] = medians["session_start"] / medians["base"]
    out["base_ms"] = medians["base"] * 1000

    # Hooks and commands vs python -c pass, in the same rounds.
    post = json.dumps({"session_id": "bench-post", "hook_event_name": "PostToolUse", "tool_name": "Read",
                       "cwd": str(root), "tool_input": {"file_path": str(root / "README.md")}}).encode()
    prompt = json.dumps({"session_id": "bench-prompt", "hook_event_name": "UserPromptSubmit", "cwd": str(root),
                         "prompt": "How should the ledger outbox retry the webhook queue?"}).encode()
    typer_search = "import sys; from gitmem.cli.app import main; sys.exit(main(sys.argv[1:]))"
    cases = {"base": ([python, "-c", "pass"], b""),
             "recall": ([python, "-I", "-S", str(LAUNCHER), "UserPromptSubmit"], prompt),
             "hook_shared": ([gitmem_bin, "hook", "PostToolUse"], post),
             "search": ([gitmem_bin, "search", "zzqxnomatchword"], b""),
             "search_lexical": ([gitmem_bin, "search", "--lexical", "zzqxnomatchword"], b""),
             "search_typer": ([python, "-c", typer_search, "search", "zzqxnomatchword"], b""),
             "search_lexical_typer": ([python, "-c", typer_search, "search", "--lexical", "zzqxnomatchword"], b""),
             "search_startup": ([python, "-c", STARTUP, "zzqxnomatchword"], b""),
             "search_lexical_startup": ([python, "-c", STARTUP, "--lexical", "zzqxnomatchword"], b"")}
    if baseline is not None:
        cases["recall_before"] = ([python, "-I", "-S", str(baseline / "gitmem" / "_hook.py"), "UserPromptSubmit"],
                                  prompt)
        before_env = {**env, "PYTHONPATH": str(baseline)}
        cases["search_lexical_startup_before"] = (
            ["/usr/bin/env", f"PYTHONPATH={baseline}", python, "-c", STARTUP, "--lexical", "zzqxnomatchword"], b"")
        out["search_git_calls_before"] = git_processes(root, SEARCH, before_env)
    medians = paired(cases, root, env, runs)
    for name in cases:
        if name != "base":
            out[f"{name}_ratio"] = medians[name] / medians["base"]
    out["search_git_calls"] = git_processes(root, SEARCH, env)
    out["search_ms"] = medians["search"] * 1000

    # The render with 1 vs 32 untracked proposed decisions of sessions the brief did not read.
    folder = root / ".gitmem" / "decisions"
    folder.mkdir(parents=True, exist_ok=True)

    def proposals(count: int) -> None:
        for old in folder.glob("2026-01-01-bench-rule-*.md"):
            old.unlink()
        for k in range(count):
            d = Decision(id=f"d-bench{k:04d}", title=f"Keep rule {k}", status="proposed", date="2026-01-01",
                         files=(f"mod{k}.py",), session=f"bench-{k * 3 + 1:06d}", body=f"\nRule {k}.\n")
            (folder / f"2026-01-01-bench-rule-{k}.md").write_text(d.to_text())

    render = [python, "-c", RENDER]
    one, many = [], []
    for _ in range(max(3, runs // 3)):
        proposals(1)
        one.append(timed(render, b"", root, env))
        proposals(PROPOSALS)
        many.append(timed(render, b"", root, env))
    out["render_32_vs_1_ratio"] = statistics.median(many) / statistics.median(one)
    proposals(1)
    out["render_git_calls_1"] = git_processes(root, RENDER, env)
    proposals(PROPOSALS)
    out["render_git_calls_32"] = git_processes(root, RENDER, env)

    # gitmem reindex: wall time and peak RSS, in a child of its own (interleaved with the baseline's, if given).
    def reindex(src: Path | None) -> tuple[float, float]:
        child_env = env if src is None else {**env, "PYTHONPATH": str(src)}
        proc = subprocess.run([python, "-c", REINDEX], cwd=root, check=True, env=child_env, capture_output=True,
                              text=True)
        seconds, kib = proc.stdout.split()
        return float(seconds), int(kib) / 1024

    rounds = 1 if baseline is None else 3
    now, before = [], []
    for _ in range(rounds):
        now.append(reindex(None))
        if baseline is not None:
            before.append(reindex(baseline))
    if baseline is not None:
        reindex(None)   # leave this code's index behind
        out["reindex_before_s"] = statistics.median(s for s, _ in before)
        out["reindex_before_peak_mib"] = max(m for _, m in before)
    out["reindex_s"] = statistics.median(s for s, _ in now)
    out["reindex_peak_mib"] = max(m for _, m in now)
    return out


ROWS = [("SessionStart after `gitmem sync` brought a teammate's session", "session_start_after_sync_ratio", "x",
         "<= 1.5x"),
        ("render with 32 untracked proposals / with 1", "render_32_vs_1_ratio", "x", "flat (1.0x)"),
        ("git processes of that render, 1 / 32 proposals", ("render_git_calls_1", "render_git_calls_32"), "", "equal"),
        ("`gitmem reindex` wall time", "reindex_s", " s", "<= 20 s at 100k observations"),
        ("`gitmem reindex` wall time, baseline code", "reindex_before_s", " s", ""),
        ("`gitmem reindex` peak RSS", "reindex_peak_mib", " MiB", "<= 200 MiB"),
        ("`gitmem reindex` peak RSS, baseline code", "reindex_before_peak_mib", " MiB", ""),
        ("UserPromptSubmit with recall (installed)", "recall_ratio", "x", "<= 1.5x"),
        ("UserPromptSubmit with recall, baseline code", "recall_before_ratio", "x", ""),
        ("`gitmem hook PostToolUse` (--shared)", "hook_shared_ratio", "x", "<= 1.25x"),
        ("`gitmem search` of a word nothing matches", "search_ratio", "x", "start-up <= 2x"),
        ("the same through the typer app (as before quick_search)", "search_typer_ratio", "x", ""),
        ("`gitmem search --lexical` of that word (no model)", "search_lexical_ratio", "x", "start-up <= 2x"),
        ("the same through the typer app", "search_lexical_typer_ratio", "x", ""),
        ("`gitmem search` start-up, to its query (hybrid side)", "search_startup_ratio", "x", "<= 2x"),
        ("`gitmem search --lexical` start-up, to its query", "search_lexical_startup_ratio", "x", "<= 2x"),
        ("the same, baseline code", "search_lexical_startup_before_ratio", "x", ""),
        ("git processes of a search of a current index", ("search_git_calls",), "", "0"),
        ("the same, baseline code", ("search_git_calls_before",), "", ""),
        ]


def table(results: list[dict[str, float]], command: str, load: str) -> str:
    sizes = [f"{int(r['sessions']):,}" for r in results]
    lines = [f"| figure ({OBS_PER_SESSION} observations a session) | {' | '.join(sizes)} | goal |",
             "|---|" + "---:|" * len(results) + "---|"]
    for label, key, unit, goal in ROWS:
        if any(k not in results[0] for k in ((key,) if isinstance(key, str) else key)):
            continue   # a baseline row without --baseline
        if isinstance(key, tuple):
            cells = [" / ".join(str(int(r[k])) for k in key) for r in results]
        else:
            cells = [f"{r[key]:.2f}{unit}" if unit != " s" else f"{r[key]:.1f}{unit}" for r in results]
            if unit == " MiB":
                cells = [f"{r[key]:.0f}{unit}" for r in results]
        lines.append(f"| {label} | {' | '.join(cells)} | {goal} |")
    lines.append(f"\ncommand: `{command}`; load average at the start: {load}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100,1000,10000", help="session counts, comma-separated")
    parser.add_argument("--large", action="store_true", help="add 50,000 sessions")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--baseline", type=Path, help="another gitmem's src folder, run in the same rounds")
    args = parser.parse_args()
    script = Path(sys.executable).parent / "gitmem"
    if "import re" in script.read_text():
        print(f"# warning: {script} imports re (pip < 24.3 wrote it): `gitmem hook` pays ~1/3 of a start more",
              file=sys.stderr)
    sizes = [int(s) for s in args.sizes.split(",") if s] + ([50_000] if args.large else [])
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    results = []
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix=f"gitmem-bench-growth-{n}-") as tmp:
            results.append(measure(n, args.runs, Path(tmp), args.baseline))
            print(f"# {n:,} sessions: {json.dumps(results[-1])}", file=sys.stderr, flush=True)
    if args.json:
        print(json.dumps({"load": load, "results": results}, indent=2))
    else:
        print(table(results, "python benchmarks/bench_growth.py " + " ".join(sys.argv[1:]), load))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
