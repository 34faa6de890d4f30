"""Benchmark what a new process pays for its first hybrid query (every ``gitmem search`` is a new process).

Run from the repository root (needs gitmem[semantic])::

    .venv/bin/python benchmarks/bench_first_query.py --baseline 19adebd      # 100,000 observations, 10 rounds

It builds a ``bench_search.py --hybrid`` index (sessions of 30 observations; ``--index`` keeps and reuses it),
then in interleaved rounds starts one process per side that opens the index read-only (no migration: the
baseline side reads the same file) and times, in this order, the first ``expansion.sources`` of a question (the
word index and the vocabulary, the model loaded first and not counted), another question's (warm), then the
first ``hybrid.query`` (the vector matrix besides, as ``gitmem search`` runs it). ``--baseline REV``: the other side runs ``src/`` of that commit (``git archive``'d
into a temporary folder). Reported: the medians per side and their ratio. Both sides share the state folder,
so the model's cached weights (and this version's cached vocabulary, written by a warm-up run) are there for
both, as they are for any search after the first.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_search  # noqa: E402

QUESTION = "how do we keep the retry budget of failing webhooks"
OTHER = "why is the deploy of the search server slow"
FIGURES = ("expansion_first_ms", "expansion_next_ms", "hybrid_first_ms")
_CHILD = """
import json, sqlite3, sys, time
from pathlib import Path
from gitmem.index import embedding, expansion, hybrid
path = Path(sys.argv[1])
embedding.keep_weights_in(path.parent)
conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
embedding.model()                                   # the tokenizer and the mapped weights: not what is measured
t0 = time.perf_counter()
found = expansion.sources(conn, sys.argv[2])
t1 = time.perf_counter()
expansion.sources(conn, sys.argv[3])
t2 = time.perf_counter()
hybrid.query(conn, sys.argv[2], worktree=sys.argv[4])
t3 = time.perf_counter()
print(json.dumps({"expansion_first_ms": (t1 - t0) * 1e3, "expansion_next_ms": (t2 - t1) * 1e3,
                  "hybrid_first_ms": (t3 - t2) * 1e3, "found": found}))
"""


def build(path: Path, observations: int, seed: int) -> None:
    corpus = bench_search.Corpus(seed)
    n = max(1, observations // bench_search.HYBRID_OBS_PER_SESSION)
    sessions = [corpus.session(i, observations=bench_search.HYBRID_OBS_PER_SESSION) for i in range(n)]
    from gitmem.index import index_file

    index_file.build_index_file(path, tip=None, sessions=sessions, worktree="/bench")


def run(src: Path, path: Path) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    out = subprocess.run([sys.executable, "-c", _CHILD, str(path), QUESTION, OTHER, "/bench"], env=env, check=True,
                         capture_output=True, text=True, timeout=600).stdout
    return json.loads(out)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--observations", type=int, default=100_000)
    p.add_argument("--rounds", type=int, default=10)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--baseline", help="a commit whose src/ runs as the other side")
    p.add_argument("--index", type=Path, help="keep the index here (built when missing)")
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="gitmem-first-") as tmp:
        path = args.index or Path(tmp) / "state" / "index.sqlite"
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            print(f"building {args.observations:,} observations ...", file=sys.stderr, flush=True)
            build(path, args.observations, args.seed)
        sides = {"this": HERE.parent / "src"}
        if args.baseline:
            blob = subprocess.run(["git", "archive", args.baseline, "src"], cwd=HERE.parent, check=True,
                                  capture_output=True).stdout
            with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
                tar.extractall(Path(tmp) / "baseline", filter="data")
            sides["baseline"] = Path(tmp) / "baseline" / "src"
        found = {name: run(src, path)["found"] for name, src in sides.items()}    # warm-up: caches written
        figures: dict[str, dict[str, list[float]]] = {name: {k: [] for k in FIGURES} for name in sides}
        for _ in range(args.rounds):
            for name, src in sides.items():
                result = run(src, path)
                for k in FIGURES:
                    figures[name][k].append(float(result[k]))  # type: ignore[arg-type]
        report = {name: {k: round(statistics.median(v), 1) for k, v in f.items()} for name, f in figures.items()}
        if args.baseline:
            report["same_sources"] = found["this"] == found["baseline"]   # type: ignore[assignment]
            report["ratio"] = {k: round(report["this"][k] / report["baseline"][k], 3)   # type: ignore[index]
                               for k in FIGURES}
        print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
