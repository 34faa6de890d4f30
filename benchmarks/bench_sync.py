"""Benchmark memory sync: size on the wire and on disk, merge speed, push contention.

Run from the repository root::

    .venv/bin/python benchmarks/bench_sync.py                  # default, about 1 minute here
    .venv/bin/python benchmarks/bench_sync.py --repeat 7 --year --json

What it measures (git runs with an empty global config and no system config):

1. Size. A memory ref built the way gitmem writes it: each session is two
   commits (``obs-0001.yaml`` + ``summary.md`` at a mid-session flush, then
   ``obs-0002.yaml`` + the final summary), about 1,700 sessions a month (a
   20-person team), one fast-import stream. Reported: the packed size of the
   ref (what ``git clone`` transfers for it, a ``pack-objects`` of its
   history) per session, the marginal size of the second half over the first,
   the thin pack one session's push sends, and a year (20,000 sessions):
   extrapolated from ``--sessions`` (default 2,000), or built when ``--year``.
2. Merge. Two divergent memory commits on a common base (one commit per
   new session), merged three ways, interleaved in one run (the order
   alternates; one untimed warm-up each), every method into its own scratch
   ref created at ``ours``: ``gitmem.team.merge.merge_commits`` with its default
   engine (``merge-tree --write-tree``; it needs ``merge-base`` only when the
   merged tree equals one side's, then ``commit-tree`` + ``update-ref`` CAS),
   the same with the diff-based ``union`` engine (its fallback for git <
   2.38: two ``diff-tree`` side by side, one ``fast-import`` from ours /
   merge theirs), and git's own ``merge-tree --write-tree`` + ``commit-tree``
   + ``update-ref``. Typical: 100 + 100 new sessions on 10,000; large:
   5,000 + 5,000 on 5,000. New sessions land in the current month, as they
   do in practice, so both sides change the same month folder. All methods
   must produce the same tree; the script checks it. The tips' trees come
   from the one ``for-each-ref`` a sync reads the tips with (untimed).
3. Contention. ``--clones`` (default 10) clones of one bare remote each
   write a session, then all start ``sync.sync`` (as `gitmem sync --json` does) at the
   same moment (real processes behind a barrier). Reported: the retries each
   needed and whether every session reached the remote.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from gitmem import git as gitcmd
from gitmem.git import discover
from gitmem.store import memory_ref
from gitmem.store.records import DecisionNote, Observation, ObservationBatch, SessionSummary
from gitmem.team import merge, setup, sync

TEMPLATE_ID = "00000000-0000-4000-8000-000000000000"
TEMPLATE_MONTH = "1999-01"
SESSIONS_PER_MONTH = 1700          # 20 people, about 20,000 sessions a year
YEAR_SESSIONS = 20_000
GOALS = {"typical_ratio": 1.0, "large_ratio": 1.0}   # gitmem merge / merge-tree: no slower

_FILES = ["src/billing/charges.py", "src/billing/refunds.py", "src/api/routes.py", "src/api/auth.py",
          "tests/billing/test_refunds.py", "tests/api/test_routes.py", "src/db/models.py", "docs/architecture.md",
          "src/workers/queue.py", "src/workers/retry.py", "web/src/components/Checkout.tsx", "pyproject.toml"]
_SENTENCES = [
    "The bank API rounds half-even, so amounts ending in .005 must be rounded the same way in tests",
    "Connection pool exhaustion came from a session that was never closed in the retry path",
    "Webhook tests were flaky because they depended on wall-clock ordering of two events",
    "Idempotency keys are stored for 24 hours in the charges table with a unique index",
    "The refresh token endpoint returns 401 instead of 403 when the token is expired",
    "Moving refund logic out of app.py made both modules testable on their own",
    "The queue worker acknowledges a message only after the database transaction commits",
]
_THINGS = ["refund rounding", "idempotency keys", "the retry queue", "auth token refresh", "checkout validation",
           "connection pooling", "flaky webhook tests", "the invoice migration", "API rate limits"]
_COMMANDS = ["pytest -q tests/billing", "ruff check src", "git diff --stat", "mypy src/billing", "npm test"]


# -- records ---------------------------------------------------------------------------------------


def _observations(rng: random.Random, count: int) -> tuple[Observation, ...]:
    out = []
    for i in range(count):
        ts = f"{TEMPLATE_MONTH}-14T09:{i // 60 % 60:02d}:{i % 60:02d}Z"
        kind = rng.choice(["prompt", "read", "edit", "command", "search"])
        if kind == "prompt":
            out.append(Observation(ts=ts, kind=kind, text=f"Fix {rng.choice(_THINGS)}"))
        elif kind == "read":
            out.append(Observation(ts=ts, kind=kind, tool="Read", files=(rng.choice(_FILES),)))
        elif kind == "edit":
            out.append(Observation(ts=ts, kind=kind, tool="Edit", files=(rng.choice(_FILES),),
                                   text=rng.choice(_SENTENCES)[:80], event_id=f"toolu_{rng.getrandbits(64):016x}"))
        elif kind == "command":
            out.append(Observation(ts=ts, kind=kind, tool="Bash", command=rng.choice(_COMMANDS), outcome="ok",
                                   event_id=f"toolu_{rng.getrandbits(64):016x}"))
        else:
            out.append(Observation(ts=ts, kind=kind, tool="Grep", text=f"grep '{rng.choice(_THINGS).split()[-1]}'",
                                   files=tuple(rng.sample(_FILES, 2))))
    return tuple(out)


def _summary(rng: random.Random, count: int, ended: str) -> SessionSummary:
    pick = lambda n: tuple(rng.sample(_SENTENCES, n))  # noqa: E731
    title = f"Fix {rng.choice(_THINGS)}"
    files = tuple(rng.sample(_FILES, 3))
    return SessionSummary(
        id=TEMPLATE_ID, title=title, started_at=f"{TEMPLATE_MONTH}-14T09:00:00Z", ended_at=ended,
        author="Dana Developer <dana@example.com>", branch="main", head_start=f"{rng.getrandbits(160):040x}",
        head_end=f"{rng.getrandbits(160):040x}", commits=(f"{rng.getrandbits(160):040x}",),
        request=title + " and make sure the tests cover it", investigated=pick(2), learned=pick(3),
        completed=pick(2), next_steps=pick(1), dead_ends=pick(1),
        decisions=(DecisionNote(title=f"Keep {rng.choice(_THINGS)} in one module", decision=rng.choice(_SENTENCES),
                                rationale=rng.choice(_SENTENCES), files=files[:2]),),
        files_read=files, files_modified=files[:2], tags=("billing",), observation_count=count,
        summarizer="anthropic", model="claude-haiku-4-5", tokens_in=rng.randint(3000, 20000),
        tokens_out=rng.randint(300, 900))


class Pool:
    """Texts of real records with a placeholder id and month, substituted per session (PyYAML is slow)."""

    def __init__(self, size: int = 40, seed: int = 7) -> None:
        rng = random.Random(seed)
        self.items = []
        for _ in range(size):
            first, second = _observations(rng, 60), _observations(rng, 30)
            mid = _summary(rng, 60, f"{TEMPLATE_MONTH}-14T09:40:00Z")
            end = _summary(rng, 90, f"{TEMPLATE_MONTH}-14T10:10:00Z")
            self.items.append(tuple(t.encode() for t in (
                ObservationBatch(session_id=TEMPLATE_ID, seq=1, observations=first).to_text(), mid.to_text(),
                ObservationBatch(session_id=TEMPLATE_ID, seq=2, observations=second).to_text(), end.to_text())))

    def session(self, i: int, sid: str, month: str) -> list[dict[str, bytes]]:
        """The two commits of one session: [{obs-0001, summary}, {obs-0002, summary}]."""
        o1, s1, o2, s2 = (t.replace(TEMPLATE_ID.encode(), sid.encode()).replace(TEMPLATE_MONTH.encode(),
                                                                               month.encode())
                          for t in self.items[i % len(self.items)])
        folder = f"sessions/{month}/{sid}"
        return [{f"{folder}/obs-0001.yaml": o1, f"{folder}/summary.md": s1},
                {f"{folder}/obs-0002.yaml": o2, f"{folder}/summary.md": s2}]


def _month(index: int) -> str:
    year, month = divmod(index, 12)
    return f"{2026 + year}-{month + 1:02d}"


def _sid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


# -- git ---------------------------------------------------------------------------------------------


def _git(cwd: Path, *args: str, input: bytes | None = None) -> bytes:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, input=input,
                          timeout=600).stdout


def _isolate(home: Path) -> None:
    cfg = home / "gitconfig"
    cfg.write_text("")
    for name in list(os.environ):
        if name.startswith(("GIT_", "GITMEM_")):
            del os.environ[name]
    os.environ.update({"GIT_CONFIG_GLOBAL": str(cfg), "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(home),
                       "GIT_AUTHOR_NAME": "Bench Mark", "GIT_AUTHOR_EMAIL": "bench@example.com",
                       "GIT_COMMITTER_NAME": "Bench Mark", "GIT_COMMITTER_EMAIL": "bench@example.com",
                       "GIT_ALLOW_PROTOCOL": "file", "GITMEM_HOME": str(home / "gitmem-home")})


def _stream(ref: str, commits: list[dict[str, bytes]], parent: str | None, when: int) -> bytes:
    """One fast-import stream of many commits on ``ref``, each adding the given files."""
    out = []
    for n, files in enumerate(commits):
        msg = b"gitmem: bench session\n"
        out.append(f"commit {ref}\ncommitter Bench Mark <bench@example.com> {when + n} +0000\n".encode())
        out.append(b"data %d\n%s" % (len(msg), msg))
        if n == 0 and parent:
            out.append(f"from {parent}\n".encode())
        for path, data in files.items():
            out.append(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")
        out.append(b"\n")
    return b"".join(out)


def _import(repo: Path, ref: str, commits: list[dict[str, bytes]], parent: str | None = None) -> str:
    _git(repo, "fast-import", "--quiet", "--date-format=raw", input=_stream(ref, commits, parent, 1_780_000_000))
    return _git(repo, "rev-parse", ref).decode().strip()


def _pack_bytes(repo: Path, revs: str, thin: bool = False) -> int:
    args = ["pack-objects", "--revs", "--stdout", "-q"] + (["--thin"] if thin else [])
    return len(_git(repo, *args, input=revs.encode()))


# -- 1. size -------------------------------------------------------------------------------------------


def bench_size(root: Path, pool: Pool, sessions: int) -> dict:
    repo = root / "size"
    _git(root, "init", "-q", "--bare", str(repo))
    rng = random.Random(11)
    half = sessions // 2
    commits = []
    for i in range(sessions):
        commits += pool.session(i, _sid(rng), _month(i // SESSIONS_PER_MONTH))
    t0 = time.perf_counter()
    mid = _import(repo, "refs/notes/gitmem", commits[:2 * half])
    tip = _import(repo, "refs/notes/gitmem", commits[2 * half:], parent=mid)
    build_s = time.perf_counter() - t0
    full = _pack_bytes(repo, tip + "\n")
    first = _pack_bytes(repo, mid + "\n")
    # One more session after the ref holds `sessions`: the thin pack its push sends.
    extra = pool.session(sessions, _sid(rng), _month(sessions // SESSIONS_PER_MONTH))
    after = _import(repo, "refs/notes/gitmem", extra, parent=tip)
    push_one = _pack_bytes(repo, f"{after}\n^{tip}\n", thin=True)
    raw_files = sum(len(v) for c in extra for v in c.values())
    return {"sessions": sessions, "build_s": build_s, "pack_bytes": full, "per_session": full / sessions,
            "marginal_per_session": (full - first) / (sessions - half), "push_one_session": push_one,
            "raw_bytes_one_session": raw_files, "commits_per_session": 2,
            "year_extrapolated": (full - first) / (sessions - half) * YEAR_SESSIONS}


def bench_year(root: Path, pool: Pool) -> dict:
    """Build 20,000 sessions for real (slow: minutes)."""
    (root / "year").mkdir()
    return bench_size(root / "year", pool, YEAR_SESSIONS) | {"built": True}


# -- 2. merge vs merge-tree ----------------------------------------------------------------------------------


def build_divergence(root: Path, pool: Pool, name: str, base_n: int, side_n: int) -> tuple[Path, str, str]:
    repo = root / name
    _git(root, "init", "-q", str(repo))
    rng = random.Random(base_n * 31 + side_n)
    base_files: dict[str, bytes] = {}
    months_base = max(1, -(-base_n // SESSIONS_PER_MONTH))
    for i in range(base_n):
        for files in pool.session(i, _sid(rng), _month(i * months_base // base_n)):
            base_files.update(files)
    base = _import(repo, "refs/notes/gitmem", [base_files])
    sides = []
    for side in ("ours", "theirs"):
        commits = []
        for i in range(side_n):
            month = _month(months_base - 1 + i // SESSIONS_PER_MONTH)  # the current month, then the next
            # one commit per session: both flushes of it
            files = {}
            for c in pool.session(i, _sid(rng), month):
                files.update(c)
            commits.append(files)
        sides.append(_import(repo, f"refs/bench/{side}", commits, parent=base))
    _git(repo, "repack", "-adq")
    return repo, sides[0], sides[1]


def _merge_tree_commit(gm, ours: str, theirs: str, ref: str) -> str:
    """git's own: merge-tree --write-tree, commit-tree, update-ref (CAS)."""
    merged = gitcmd.merge_tree(gm, ours, theirs)
    assert not merged.conflicts, merged.conflicts
    commit = gm.git("commit-tree", merged.tree, "-p", ours, "-p", theirs, "-m", "merge-tree merge").strip()
    gm.update_ref(ref, commit, ours)
    return commit


METHODS = ("gitmem", "gitmem-union", "merge-tree")


def bench_merge(repo: Path, ours: str, theirs: str, repeat: int) -> dict:
    """Each method merges the same two commits into its own scratch ref (created at ``ours``, untimed)."""
    gm = discover(repo)
    # A sync reads both tips and their trees with one for-each-ref, which it needs anyway (untimed for all).
    tips = merge.read_tips(gm, "refs/bench/ours", "refs/bench/theirs")
    trees = (tips["refs/bench/ours"][1], tips["refs/bench/theirs"][1])
    times: dict[str, list[float]] = {m: [] for m in METHODS}
    results = set()
    for which in METHODS:  # warm-up, untimed: the first merge of a run pays for cold caches
        gm.update_ref(f"refs/bench/warm-{which}", ours, None)
        if which == "merge-tree":
            _merge_tree_commit(gm, ours, theirs, f"refs/bench/warm-{which}")
        else:
            merge.merge_commits(gm, ours, theirs, ref=f"refs/bench/warm-{which}", trees=trees,
                               engine="merge-tree" if which == "gitmem" else "union")
    for r in range(repeat):
        order = list(METHODS) if r % 2 == 0 else list(reversed(METHODS))
        for which in order:
            ref = f"refs/bench/{which}-{r}"
            gm.update_ref(ref, ours, None)
            t0 = time.perf_counter()
            if which == "merge-tree":
                commit = _merge_tree_commit(gm, ours, theirs, ref)
            else:
                engine = "merge-tree" if which == "gitmem" else "union"
                result = merge.merge_commits(gm, ours, theirs, ref=ref, label="bench", engine=engine, trees=trees)
                assert result.kind == "merge", result
                commit = result.commit
            times[which].append(time.perf_counter() - t0)
            assert gm.resolve(ref) == commit
            results.add(gm.git("rev-parse", f"{commit}^{{tree}}").strip())
    med = {k: statistics.median(v) for k, v in times.items()}
    union = med.get("gitmem-union", float("nan"))
    return {"gitmem_s": med["gitmem"], "union_s": union, "merge_tree_s": med["merge-tree"],
            "ratio": med["gitmem"] / med["merge-tree"], "union_ratio": union / med["merge-tree"],
            "same_tree": len(results) == 1, "runs": {k: [round(x, 4) for x in v] for k, v in times.items()}}


# -- 3. contention ------------------------------------------------------------------------------------------


_WORKER = """
import json, os, sys, time
go = sys.argv[1]
from gitmem.team import sync
from gitmem.git import discover
while not os.path.exists(go):
    time.sleep(0.002)
result = sync.sync(discover(), None)
sys.stdout.write(json.dumps(result.to_dict(), sort_keys=True) + "\\n")
sys.exit(0 if result.ok else 1)
"""


def bench_contention(root: Path, clones: int, rounds: int) -> dict:
    remote = root / "contention.git"
    _git(root, "init", "-q", "--bare", "-b", "main", str(remote))
    seed = root / "seed"
    _git(root, "clone", "-q", str(remote), str(seed))
    (seed / "README.md").write_text("x\n")
    _git(seed, "add", "README.md")
    _git(seed, "commit", "-qm", "seed")
    _git(seed, "push", "-q", "origin", "main")
    paths = []
    for i in range(clones):
        path = root / f"clone-{i}"
        _git(root, "clone", "-q", str(remote), str(path))
        setup.setup_sync(discover(path))
        paths.append(path)
    retries: list[int] = []
    failures = 0
    wall = []
    for rnd in range(rounds):
        expected = set()
        for i, path in enumerate(paths):
            sid = f"r{rnd}-c{i}-{uuid.uuid4().hex[:8]}"
            s = SessionSummary(id=sid, title=f"session {i}", started_at="2026-11-24T08:00:00Z",
                               ended_at="2026-11-24T09:00:00Z")
            memory_ref.write_session(discover(path), sid, s.started_at,
                                (Observation(ts=s.started_at, kind="prompt", text="hello"),), s)
            expected.add(sid)
        go = root / f"go-{rnd}"
        procs = [subprocess.Popen([sys.executable, "-c", _WORKER, str(go)], cwd=p, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE) for p in paths]
        time.sleep(1.5)  # let every interpreter import gitmem and wait at the barrier
        t0 = time.perf_counter()
        go.touch()
        for proc in procs:
            out, err = proc.communicate(timeout=600)
            if proc.returncode != 0:
                failures += 1
                sys.stderr.write(err.decode())
                continue
            retries.append(json.loads(out)["retries"])
        wall.append(time.perf_counter() - t0)
        landed = _git(remote, "ls-tree", "-r", "-d", "--name-only", "refs/notes/gitmem").decode().split()
        got = {p.rsplit("/", 1)[-1] for p in landed if p.count("/") == 2}
        failures += len(expected - got)
    return {"clones": clones, "rounds": rounds, "retries": retries, "max_retries": max(retries, default=0),
            "median_retries": statistics.median(retries) if retries else 0, "failures": failures,
            "limit": sync.MAX_PUSH_ATTEMPTS - 1, "wall_s": statistics.median(wall)}


# -- report -------------------------------------------------------------------------------------------------


def _kib(n: float) -> str:
    return f"{n / 1024:,.1f} KiB" if n < 1024 * 1024 else f"{n / 1024 / 1024:,.1f} MiB"


def report(res: dict, argv: list[str]) -> str:
    size, year = res["size"], res.get("year")
    lines = [f"gitmem sync benchmark — {platform.node() or 'host'}, Python {platform.python_version()}, "
             f"{gitcmd.git_version()}", "",
             "| measure | value |", "|---|---|",
             f"| one typical session ({size['commits_per_session']} commits, "
             f"{_kib(size['raw_bytes_one_session'])} of records), pushed as a thin pack | "
             f"{_kib(size['push_one_session'])} |",
             f"| one session in a packed memory ref (marginal, at {size['sessions']:,} sessions) | "
             f"{_kib(size['marginal_per_session'])} |",
             f"| {size['sessions']:,} sessions, packed (what a fresh clone fetches) | {_kib(size['pack_bytes'])} |",
             f"| a year of a 20-person team ({YEAR_SESSIONS:,} sessions) in a fresh clone, extrapolated | "
             f"{_kib(size['year_extrapolated'])} |"]
    if year:
        lines.append(f"| the same year, built for real ({year['build_s']:.0f} s to build) | {_kib(year['pack_bytes'])} |")
    for key, label in (("typical", "typical merge: 100 + 100 sessions on 10,000"),
                       ("large", "large merge: 5,000 + 5,000 sessions on 5,000")):
        if key in res:
            m = res[key]
            lines.append(f"| {label}: gitmem `merge_commits` / git's `merge-tree --write-tree` + `commit-tree` + "
                         f"`update-ref` (median) | {m['gitmem_s'] * 1000:.0f} / {m['merge_tree_s'] * 1000:.0f} ms = "
                         f"**{m['ratio']:.2f}x**{'' if m['same_tree'] else ' (TREES DIFFER)'} |")
            lines.append(f"| {label}: diff-based union engine (fallback for git < 2.38) / the same | "
                         f"{m['union_s'] * 1000:.0f} / {m['merge_tree_s'] * 1000:.0f} ms = {m['union_ratio']:.2f}x |")
    c = res.get("contention")
    if c:
        lines.append(f"| contention: {c['clones']} clones sync at once, x{c['rounds']} rounds: retries "
                     f"(median / max / limit) | {c['median_retries']:g} / {c['max_retries']} / {c['limit']}, "
                     f"{c['failures']} lost, {c['wall_s']:.1f} s for all |")
    lines += ["", "command: `" + " ".join(shlex.quote(a) for a in [".venv/bin/python", "benchmarks/bench_sync.py",
                                                                    *argv]) + "`"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=2000, help="sessions in the size build (default 2000)")
    parser.add_argument("--year", action="store_true", help="also build 20,000 sessions for real")
    parser.add_argument("--repeat", type=int, default=9, help="merge runs per method (default 9)")
    parser.add_argument("--clones", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2, help="contention rounds (default 2)")
    parser.add_argument("--skip", default="", help="comma list of parts to skip: size,typical,large,contention")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))
    res: dict = {}
    with tempfile.TemporaryDirectory(prefix="gitmem-bench-sync-") as tmp:
        root = Path(tmp)
        _isolate(root)
        pool = Pool()
        if "size" not in skip:
            res["size"] = bench_size(root, pool, args.sessions)
            if args.year:
                res["year"] = bench_year(root, pool)
        if "typical" not in skip:
            res["typical"] = bench_merge(*build_divergence(root, pool, "typical", 10_000, 100), args.repeat)
        if "large" not in skip:
            res["large"] = bench_merge(*build_divergence(root, pool, "large", 5_000, 5_000), args.repeat)
        if "contention" not in skip:
            res["contention"] = bench_contention(root, args.clones, args.rounds)
    if args.json:
        sys.stdout.write(json.dumps(res, indent=2, default=str) + "\n")
    if "size" in res:
        sys.stdout.write(report(res, argv) + "\n")
    else:
        sys.stdout.write(json.dumps(res, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
