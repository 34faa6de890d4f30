"""Benchmark the search index against the goals in MEASUREMENTS.md (goal 6).

Run from the repository root::

    .venv/bin/python benchmarks/bench_search.py                    # 100,000 observations, 100 queries
    .venv/bin/python benchmarks/bench_search.py --observations 20000 --repeat 5 --json
    .venv/bin/python benchmarks/bench_search.py --hybrid --git-observations 0   # words fused with meaning

What it does:

1. Generates sessions deterministically (seeded RNG): 100 observations each
   plus a summary, with a realistic vocabulary: Zipf-distributed English and
   programming words, rare project terms, snake_case / camelCase / dotted
   identifiers, file paths and shell commands.
2. Builds the index from those record objects with ``index_file.build_index_file``
   (the function ``rebuild_index`` uses after reading the ref): the "full
   rebuild" figure, without git and YAML.
3. Picks a fixed mix of queries by their measured document frequency: rare
   words, mid-frequency words, common words, 3-5 character prefixes and
   two-word queries. Each query runs through ``query_index`` on an open
   connection and, interleaved, as the same FTS5 query written by hand in raw
   ``sqlite3`` (same MATCH expression, ``bm25`` with the same weights, the
   same ``snippet``, ``ORDER BY`` score, ``LIMIT 20``; and once more without
   the snippet). Reported: median and p95 over the queries of each query's
   median time, and the ratio gitmem / raw. One query in five runs again
   with a filter (type, author, since, branch or a file glob).
4. ``search.search`` end to end on a real repository whose memory ref the
   index reflects: adds the freshness check (one ``rev-parse``, a ``scandir``
   of the decision files, opening the file).
5. Indexing 100 new rows (one session: a summary and 99 observations) with
   ``tables.index_sessions``; and the refresh after one new session is
   committed to the ref (``write_session``, then ``ensure_index``: diff-tree,
   ls-tree, cat-file, YAML, SQL).
6. ``rebuild_index`` end to end from a real ref holding ``--git-observations``
   observations, written with one ``fast-import`` (git read + YAML parsing +
   indexing): the rebuild a user waits for.

``--hybrid`` (needs gitmem[semantic]): sessions of ``HYBRID_OBS_PER_SESSION`` observations, so the index
embeds as many lines as real memory of that size would (each session's title, prompt, learned, dead-end,
next-step and decided lines); the index build embeds them, and the timed query is ``hybrid.query`` (the
lexical ranking fused with a cosine ranking over every embedded line), the one ``gitmem search`` runs.

Absolute times are noisy on shared 2-core machines; the ratio is measured
side by side and is the figure to trust.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import random
import shlex
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from gitmem.git import discover
from gitmem.index import embedding, hybrid, index_file, search, tables
from gitmem.index.query import BM25_WEIGHTS, SNIPPET_TOKENS, fts_expression, query_index
from gitmem.index.rows import decisions_signature
from gitmem.recall import STOPWORDS
from gitmem.store import layout, memory_ref
from gitmem.store.records import DecisionNote, Observation, ObservationBatch, SessionSummary

GOALS = {
    "query_median_ms": 15.0,
    "query_p95_ms": 50.0,
    "ratio_to_raw": 2.0,
    "index_100_rows_ms": 20.0,
    "rebuild_s": 20.0,
}
OBS_PER_SESSION = 100
HYBRID_OBS_PER_SESSION = 30
LIMIT = 20

# -- a deterministic, realistic corpus ------------------------------------------------------------

_ENGLISH = """
the a to of and in is it that for on with this be are as not we but was can if by from or have at
error test file function module import config cache index query search session commit branch merge push
pull fetch remote hook install update build run fix bug issue feature refactor rename move delete create
write read parse format check validate load save open close start stop flush spool summary decision note
memory record observation tool command output input result value type class method field table column row
schema migration version release deploy server client request response token budget timeout retry lock race
thread process worker queue event handler callback path directory folder tree blob object hash key secret
redact private public user author date time log debug warning failing passing flaky slow fast timing
benchmark profile latency throughput memory leak crash exception traceback stack frame assert expected actual
missing unknown invalid broken works working changed added removed renamed moved copied skipped ignored
because should would could might need needs want tried trying looks seems maybe probably actually instead
again still already then later first second last next previous before after during while until since
small large empty full partial whole single multiple many few every each other same different similar
""".split()
_SYLLABLES = ["ka", "to", "ri", "mo", "ne", "sa", "lu", "fi", "de", "po", "gra", "bel", "tor", "vin", "qua",
              "zen", "mar", "lix", "dor", "pex", "sti", "bro", "nak", "ulm", "yev", "osk"]
_DIRS = ["src/gitmem", "src/gitmem/commands", "tests", "tests/data", "benchmarks", "docs", "src/app/api",
         "src/app/models", "src/app/services", "web/src/components", "scripts", "migrations"]
_EXTS = ["py", "py", "py", "md", "yaml", "ts", "tsx", "json", "toml", "sql"]
_TOOLS = ["Bash", "Read", "Edit", "Grep", "Write", "Glob"]


class Corpus:
    """Word pools and a seeded generator of observations and summaries."""

    def __init__(self, seed: int) -> None:
        self.rng = rng = random.Random(seed)
        rare = sorted({"".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(12000)})
        rng.shuffle(rare)
        self.english = list(dict.fromkeys(_ENGLISH))
        self.rare = rare
        words = self.english + rare
        self.words = words
        self.cum = list(itertools.accumulate(1.0 / (i + 1) ** 1.07 for i in range(len(words))))
        self.identifiers = [self._identifier() for _ in range(4000)]
        self.id_cum = list(itertools.accumulate(1.0 / (i + 1) ** 0.9 for i in range(len(self.identifiers))))
        self.paths = list(dict.fromkeys(
            f"{rng.choice(_DIRS)}/{self._stem()}.{rng.choice(_EXTS)}" for _ in range(3000)))
        self.path_cum = list(itertools.accumulate(1.0 / (i + 1) ** 0.8 for i in range(len(self.paths))))

    def _stem(self) -> str:
        a, b = self.word(), self.word()
        return f"{a}_{b}" if self.rng.random() < 0.5 else a

    def _identifier(self) -> str:
        a, b = self.word(), self.word()
        r = self.rng.random()
        if r < 0.45:
            return f"{a}_{b}"
        if r < 0.75:
            return a.capitalize() + b.capitalize()
        return f"{a}.{b}"

    def word(self) -> str:
        return self.rng.choices(self.words, cum_weights=self.cum)[0]

    def identifier(self) -> str:
        return self.rng.choices(self.identifiers, cum_weights=self.id_cum)[0]

    def path(self) -> str:
        return self.rng.choices(self.paths, cum_weights=self.path_cum)[0]

    def text(self, lo: int, hi: int) -> str:
        out = []
        for _ in range(self.rng.randint(lo, hi)):
            r = self.rng.random()
            out.append(self.identifier() if r < 0.12 else self.path() if r < 0.18 else self.word())
        return " ".join(out)

    def observation(self, ts: str) -> Observation:
        rng = self.rng
        r = rng.random()
        if r < 0.30:
            cmd = rng.choice(["pytest -q", "git diff --stat", "rg", "python -m", "make", "ruff check", "git log -n 5"])
            return Observation(ts=ts, kind="command", tool="Bash", command=f"{cmd} {self.path()} {self.identifier()}",
                               outcome="error" if rng.random() < 0.15 else "ok", detail=self.text(0, 12))
        if r < 0.50:
            return Observation(ts=ts, kind="read", tool="Read", files=(self.path(),))
        if r < 0.70:
            return Observation(ts=ts, kind="edit", tool="Edit", files=(self.path(),), text=self.text(6, 24))
        if r < 0.80:
            return Observation(ts=ts, kind="search", tool="Grep", text=self.identifier(),
                               files=tuple(self.path() for _ in range(rng.randint(1, 3))))
        if r < 0.92:
            return Observation(ts=ts, kind="prompt", text=self.text(8, 40))
        return Observation(ts=ts, kind="stop", text=self.text(15, 60))

    def session(self, n: int, observations: int = OBS_PER_SESSION) -> memory_ref.SessionRecord:
        rng = self.rng
        day = 1 + n % 365
        month = f"2026-{min(12, 1 + day // 31):02d}"
        start = f"{month}-{1 + day % 28:02d}T{rng.randint(8, 18):02d}:00:00Z"
        sid = f"bench-{n:06d}-{rng.getrandbits(32):08x}"
        obs = tuple(self.observation(start[:14] + f"{i // 60 % 60:02d}:{i % 60:02d}Z") for i in range(observations))
        files = tuple(dict.fromkeys(self.path() for _ in range(4)))
        summary = SessionSummary(
            id=sid, title=self.text(4, 9), started_at=start, ended_at=start, author=rng.choice(
                ["Alice Example", "Bob Builder", "Carol Coder", "Dana Developer"]),
            branch=rng.choice(["main", "main", "feature/search", "fix/hook"]), request=self.text(10, 30),
            learned=(self.text(8, 20), self.text(8, 20)), completed=(self.text(6, 15),),
            next_steps=(self.text(5, 12),), dead_ends=(self.text(6, 14),),
            decisions=(DecisionNote(title=self.text(4, 8), rationale=self.text(8, 20), files=files[:1]),),
            files_read=files, files_modified=files[:2], tags=(self.word(), self.word()),
            observation_count=len(obs))
        batch = ObservationBatch(session_id=sid, seq=1, observations=obs)
        return memory_ref.SessionRecord(sid, f"{layout.SESSIONS_DIR}/{month}/{sid}", summary, (batch,))


# -- the query mix -----------------------------------------------------------------------------------


def doc_freq(conn: sqlite3.Connection, expr: str) -> int:
    return conn.execute("SELECT count(*) FROM records_fts WHERE records_fts MATCH ?", (expr,)).fetchone()[0]


def pick_queries(conn: sqlite3.Connection, corpus: Corpus, total_rows: int, count: int,
                 seed: int) -> list[tuple[str, str, int]]:
    """(class, query, matching rows): a fixed mix chosen by measured document frequency."""
    rng = random.Random(seed)
    candidates = [w for w in corpus.english + corpus.rare[:3000] if w not in STOPWORDS and len(w) >= 3]
    rng.shuffle(candidates)
    bands = {"rare": (1, total_rows * 0.001), "mid": (total_rows * 0.003, total_rows * 0.03),
             "common": (total_rows * 0.05, total_rows)}
    share = {"rare": 0.30, "mid": 0.25, "common": 0.15, "prefix": 0.15, "two words": 0.15}
    want = {k: max(1, round(v * count)) for k, v in share.items()}
    picked: dict[str, list[tuple[str, int]]] = {k: [] for k in share}
    freq: dict[str, int] = {}
    for w in candidates:
        if all(len(picked[b]) >= want[b] for b in bands):
            break
        df = freq[w] = doc_freq(conn, fts_expression(w))
        for band, (lo, hi) in bands.items():
            if lo <= df <= hi and len(picked[band]) < want[band]:
                picked[band].append((w, df))
    prefixes = sorted({w[:rng.randint(3, 5)] for w in candidates[:400] if len(w) >= 6})
    rng.shuffle(prefixes)
    for p in prefixes[:want["prefix"]]:
        picked["prefix"].append((p + "*", doc_freq(conn, fts_expression(p + "*"))))
    mids = [w for w, _ in picked["mid"]] + [w for w, _ in picked["common"]]
    rares = [w for w, _ in picked["rare"]]
    for i in range(want["two words"]):
        q = f"{rng.choice(mids)} {rng.choice(mids if i % 2 else rares)}"
        picked["two words"].append((q, doc_freq(conn, fts_expression(q))))
    mix = [(cls, q, df) for cls, items in picked.items() for q, df in items]
    spare = [w for w in candidates if w not in {q for _, q, _ in mix} and w in freq and freq[w] > 0]
    mix += [("mid", w, freq[w]) for w in spare[: max(0, count - len(mix))]]   # a short band is topped up
    return mix[:count]


# -- measuring -------------------------------------------------------------------------------------------


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


@dataclass
class Figures:
    observations: int = 0
    sessions: int = 0
    rows: int = 0
    index_mb: float = 0.0
    generate_s: float = 0.0
    rebuild_s: float = 0.0
    queries: int = 0
    query_median_ms: float = 0.0
    query_p95_ms: float = 0.0
    raw_median_ms: float = 0.0
    raw_p95_ms: float = 0.0
    bare_median_ms: float = 0.0          # raw ranking without snippets
    bare_p95_ms: float = 0.0
    filtered_median_ms: float = 0.0      # one in five queries again with a filter (type, author, since, ...)
    filtered_p95_ms: float = 0.0
    ratio_to_raw: float = 0.0            # gitmem median / raw median
    ratio_p95: float = 0.0
    search_median_ms: float = 0.0        # search() end to end, with the freshness check
    search_p95_ms: float = 0.0
    index_100_rows_ms: float = 0.0
    refresh_after_commit_ms: float = 0.0
    git_rebuild_observations: int = 0
    git_rebuild_s: float = 0.0
    by_class: dict[str, dict[str, float]] = field(default_factory=dict)
    hybrid: bool = False                 # the timed query fused meaning in (``--hybrid``)
    embedded_lines: int = 0              # lines with a vector in the index


def measure(args: argparse.Namespace, work: Path) -> Figures:
    log = (lambda *a: print(*a, file=sys.stderr, flush=True)) if not args.quiet else (lambda *a: None)
    figs = Figures()
    corpus = Corpus(args.seed)
    per_session = HYBRID_OBS_PER_SESSION if args.hybrid else OBS_PER_SESSION
    n_sessions = max(1, args.observations // per_session)
    t0 = time.perf_counter()
    sessions = [corpus.session(i, observations=per_session) for i in range(n_sessions)]
    figs.generate_s = time.perf_counter() - t0
    figs.sessions, figs.observations = n_sessions, n_sessions * per_session
    log(f"generated {figs.observations} observations in {figs.generate_s:.1f} s")

    # A real repository whose memory ref holds one session; the index claims that tip, so search() is "current".
    repo_dir = work / "repo"
    repo_dir.mkdir()
    subprocess.run(["git", "init", "-q", str(repo_dir)], check=True)
    repo = discover(repo_dir)
    seed_session = corpus.session(10**6, observations=3)
    assert seed_session.summary is not None
    tip = memory_ref.write_session(repo, seed_session.session_id, seed_session.summary.started_at,
                              seed_session.observations, seed_session.summary).commit
    path = index_file.index_path(repo)
    t0 = time.perf_counter()
    figs.rows = index_file.build_index_file(path, tip=tip, sessions=[*sessions, seed_session],
                                            worktree=str(repo.root), decisions_sig=decisions_signature(repo.root))
    figs.rebuild_s = time.perf_counter() - t0
    figs.index_mb = path.stat().st_size / 1e6
    log(f"built the index: {figs.rows} rows in {figs.rebuild_s:.1f} s, {figs.index_mb:.0f} MB")
    assert index_file.ensure_index(repo).action == "current"

    conn = index_file.connect_index(path)
    raw = sqlite3.connect(path)
    figs.hybrid = args.hybrid
    figs.embedded_lines = conn.execute("SELECT count(*) FROM units u JOIN vectors v ON v.key = u.key").fetchone()[0]
    if args.hybrid:
        log(f"{figs.embedded_lines} embedded lines; first hybrid query loads the model and the matrix")
        hybrid.query(conn, "warm up", worktree=str(repo.root))

    def ours_query(q: str, **kw: object) -> object:
        if args.hybrid:
            return hybrid.query(conn, q, limit=LIMIT, worktree=str(repo.root), **kw)  # type: ignore[arg-type]
        return query_index(conn, q, limit=LIMIT, worktree=str(repo.root), **kw)  # type: ignore[arg-type]

    weights = ", ".join(str(w) for w in BM25_WEIGHTS)
    # The FTS5 query gitmem ranks with, as one would write it by hand: same MATCH, weights, snippet and limit.
    raw_sql = (f"SELECT rowid, bm25(records_fts, {weights}) AS score, snippet(records_fts, -1, '**', '**', '…', "
               f"{SNIPPET_TOKENS}) FROM records_fts WHERE records_fts MATCH ? ORDER BY score LIMIT {LIMIT}")
    bare_sql = (f"SELECT rowid, bm25(records_fts, {weights}) AS score FROM records_fts WHERE records_fts MATCH ? "
                f"ORDER BY score LIMIT {LIMIT}")
    queries = pick_queries(conn, corpus, figs.rows, args.queries, args.seed)
    figs.queries = len(queries)
    log(f"running {len(queries)} queries x {args.repeat} (gitmem and raw sqlite3, interleaved)")
    ours: dict[str, list[float]] = {q: [] for _, q, _ in queries}
    base: dict[str, list[float]] = {q: [] for _, q, _ in queries}
    bare: dict[str, list[float]] = {q: [] for _, q, _ in queries}
    filtered: list[float] = []
    for _ in range(args.repeat):
        for _cls, q, _df in queries:
            expr = fts_expression(q)
            ours[q].append(timed(lambda: ours_query(q)))
            base[q].append(timed(lambda: raw.execute(raw_sql, (expr,)).fetchall()))
            bare[q].append(timed(lambda: raw.execute(bare_sql, (expr,)).fetchall()))
        for i, (_cls, q, _df) in enumerate(queries[::5]):
            kw = [{"types": "session"}, {"author": "bob"}, {"since": "2026-11-01"}, {"branch": "fix/hook"},
                  {"file": "src/gitmem/*.py"}][i % 5]
            filtered.append(timed(lambda: ours_query(q, **kw)))
    med_ours = {q: statistics.median(v) for q, v in ours.items()}
    med_base = {q: statistics.median(v) for q, v in base.items()}
    figs.bare_median_ms = statistics.median(statistics.median(v) for v in bare.values())
    figs.bare_p95_ms = pct([statistics.median(v) for v in bare.values()], 0.95)
    figs.filtered_median_ms, figs.filtered_p95_ms = statistics.median(filtered), pct(filtered, 0.95)
    ratios = [med_ours[q] / max(med_base[q], 1e-3) for q in med_ours]
    figs.query_median_ms = statistics.median(med_ours.values())
    figs.query_p95_ms = pct(list(med_ours.values()), 0.95)
    figs.raw_median_ms = statistics.median(med_base.values())
    figs.raw_p95_ms = pct(list(med_base.values()), 0.95)
    figs.ratio_to_raw = figs.query_median_ms / max(figs.raw_median_ms, 1e-3)
    figs.ratio_p95 = pct(ratios, 0.95)
    for cls in dict.fromkeys(c for c, _, _ in queries):
        qs = [q for c, q, _ in queries if c == cls]
        dfs = [df for c, _, df in queries if c == cls]
        figs.by_class[cls] = {
            "queries": len(qs), "matching_rows_median": statistics.median(dfs),
            "gitmem_median_ms": statistics.median(med_ours[q] for q in qs),
            "gitmem_max_ms": max(med_ours[q] for q in qs),
            "raw_median_ms": statistics.median(med_base[q] for q in qs),
            "raw_max_ms": max(med_base[q] for q in qs)}

    log("search() end to end")
    e2e = [timed(lambda: search.search(repo, q, limit=LIMIT, lexical=not args.hybrid)) for _, q, _ in queries]
    figs.search_median_ms, figs.search_p95_ms = statistics.median(e2e), pct(e2e, 0.95)

    log("indexing 100 new rows")
    adds = []
    for i in range(args.repeat * 2):
        rec = corpus.session(2 * 10**6 + i, observations=99)
        adds.append(timed(lambda: tables.index_sessions(conn, [rec])))
    figs.index_100_rows_ms = statistics.median(adds)

    log("refresh after one new session commit")
    refresh = []
    for i in range(args.repeat):
        rec = corpus.session(3 * 10**6 + i, observations=99)
        assert rec.summary is not None
        memory_ref.write_session(repo, rec.session_id, rec.summary.started_at, rec.observations, rec.summary)
        refresh.append(timed(lambda: index_file.ensure_index(repo)))
    figs.refresh_after_commit_ms = statistics.median(refresh)
    conn.close()
    raw.close()

    if args.git_observations:
        log(f"rebuild_index from a real ref with {args.git_observations} observations")
        git_dir = work / "git-rebuild"
        git_dir.mkdir()
        subprocess.run(["git", "init", "-q", str(git_dir)], check=True)
        grepo = discover(git_dir)
        files: dict[str, bytes] = {}
        for rec in sessions[: max(1, args.git_observations // per_session)]:
            assert rec.summary is not None
            files[f"{rec.path}/{layout.SUMMARY_FILE}"] = rec.summary.to_text().encode()
            for b in rec.batches:
                files[f"{rec.path}/{layout.obs_file_name(b.seq)}"] = b.to_text().encode()
        memory_ref.write_files(grepo, files, "bench: sessions", parent=None)
        figs.git_rebuild_observations = (len(files) // 2) * per_session
        figs.git_rebuild_s = timed(lambda: index_file.rebuild_index(grepo)) / 1000
    return figs


# -- output ------------------------------------------------------------------------------------------------


def _ok(value: float, goal: float) -> str:
    return "yes" if value <= goal else "**no**"


def to_markdown(f: Figures, command: str) -> str:
    mode = (f"hybrid (`hybrid.query`: words fused with meaning over {f.embedded_lines:,} embedded lines)"
            if f.hybrid else "words only (`query_index`)")
    lines = [
        f"Search index, {f.observations:,} observations in {f.sessions:,} sessions ({f.rows:,} rows, "
        f"{f.index_mb:.0f} MB); {f.queries} queries, medians of each query's runs; {mode}.",
        "",
        "| figure | measured | goal | met |",
        "| --- | --- | --- | --- |",
        f"| query, median ({'`hybrid.query`' if f.hybrid else '`query_index`'}, open index) | {f.query_median_ms:.2f} ms "
        f"| ≤ {GOALS['query_median_ms']:.0f} ms | {_ok(f.query_median_ms, GOALS['query_median_ms'])} |",
        f"| query, p95 | {f.query_p95_ms:.2f} ms | ≤ {GOALS['query_p95_ms']:.0f} ms "
        f"| {_ok(f.query_p95_ms, GOALS['query_p95_ms'])} |",
        f"| same FTS5 query in raw sqlite3 (MATCH, bm25, snippet, LIMIT {LIMIT}), median / p95 | "
        f"{f.raw_median_ms:.2f} / {f.raw_p95_ms:.2f} ms | | |",
        f"| raw ranking alone (no snippet), median / p95 | {f.bare_median_ms:.2f} / {f.bare_p95_ms:.2f} ms | | |",
        f"| ratio gitmem / raw, of medians (p95 of the per-query ratios) | {f.ratio_to_raw:.2f}x ({f.ratio_p95:.2f}x) "
        f"| ≤ {GOALS['ratio_to_raw']:.0f}x | {_ok(f.ratio_to_raw, GOALS['ratio_to_raw'])} |",
        f"| filtered queries (type, author, since, branch, file glob), median / p95 | {f.filtered_median_ms:.2f} / "
        f"{f.filtered_p95_ms:.2f} ms | | |",
        f"| `search()` end to end (+ rev-parse, scandir, open), median / p95 | {f.search_median_ms:.2f} / "
        f"{f.search_p95_ms:.2f} ms | | |",
        f"| index 100 new rows (`index_sessions`) | {f.index_100_rows_ms:.2f} ms "
        f"| ≤ {GOALS['index_100_rows_ms']:.0f} ms | {_ok(f.index_100_rows_ms, GOALS['index_100_rows_ms'])} |",
        f"| refresh after one new session commit (`ensure_index`: git + YAML + SQL) | "
        f"{f.refresh_after_commit_ms:.1f} ms | | |",
        f"| full rebuild from record objects (`build_index_file`: rows + SQL) | {f.rebuild_s:.2f} s "
        f"| ≤ {GOALS['rebuild_s']:.0f} s | {_ok(f.rebuild_s, GOALS['rebuild_s'])} |",
    ]
    if f.git_rebuild_observations:
        lines.append(f"| full rebuild from a real ref (`rebuild_index`: git + YAML + SQL), "
                     f"{f.git_rebuild_observations:,} observations | {f.git_rebuild_s:.2f} s | "
                     f"≤ {GOALS['rebuild_s']:.0f} s | {_ok(f.git_rebuild_s, GOALS['rebuild_s'])} |")
    lines += ["", "| query class | queries | matching rows (median) | gitmem median / max | raw median / max |",
              "| --- | --- | --- | --- | --- |"]
    for cls, c in f.by_class.items():
        lines.append(f"| {cls} | {c['queries']} | {c['matching_rows_median']:,.0f} | {c['gitmem_median_ms']:.2f} / "
                     f"{c['gitmem_max_ms']:.2f} ms | {c['raw_median_ms']:.2f} / {c['raw_max_ms']:.2f} ms |")
    lines += ["", f"Command: `{command}`",
              f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {platform.machine()}, "
              f"{os.cpu_count()} CPUs."]
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--observations", type=int, default=100_000, help="observations in the index (default: 100000)")
    p.add_argument("--queries", type=int, default=100, help="queries in the mix (default: 100)")
    p.add_argument("--repeat", type=int, default=3, help="runs of each query (default: 3)")
    p.add_argument("--git-observations", type=int, default=100_000,
                   help="observations in the real-ref rebuild, at most --observations; 0 skips it (default: 100000)")
    p.add_argument("--seed", type=int, default=20261124)
    p.add_argument("--hybrid", action="store_true", help=f"time hybrid search (gitmem[semantic]): sessions of "
                   f"{HYBRID_OBS_PER_SESSION} observations, their lines embedded")
    p.add_argument("--json", action="store_true", help="print JSON instead of a Markdown table")
    p.add_argument("--keep", action="store_true", help="keep the temporary repositories and print where")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress lines on stderr")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.hybrid and not embedding.available():
        print("--hybrid needs the semantic extra: pip install \"gitmem[semantic]\"", file=sys.stderr)
        return 2
    command = " ".join([".venv/bin/python", "benchmarks/bench_search.py", *map(shlex.quote, sys.argv[1:])])
    env = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "Bench",
           "GIT_AUTHOR_EMAIL": "bench@example.com", "GIT_COMMITTER_NAME": "Bench",
           "GIT_COMMITTER_EMAIL": "bench@example.com"}
    os.environ.update(env)
    work = Path(tempfile.mkdtemp(prefix="gitmem-bench-search-"))
    try:
        figs = measure(args, work)
    finally:
        if args.keep:
            print(f"repositories kept in {work}", file=sys.stderr)
        else:
            subprocess.run(["rm", "-rf", str(work)], check=False)
    if args.json:
        print(json.dumps({"command": command, "goals": GOALS, **asdict(figs)}, indent=2))
    else:
        print(to_markdown(figs, command))
    return 0


if __name__ == "__main__":
    sys.exit(main())
