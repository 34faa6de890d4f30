"""Score acceptance rules for meaning hits offline: paraphrase targets found against unrelated questions hit.

Replays every scenario once (as run.py does), dumps each probe's index lines (``units``) and target, then scores
a rule over many floors without replaying again: targets = paraphrased probes whose target is among the first 5
sources found by meaning; unrelated = share of (scenario index, question) pairs given any meaning hit, for the
questions of benchmarks/data/unrelated_queries.txt against every scenario's index. How the floors of
gitmem.index.hybrid were chosen (see the semantic search decision's "Paraphrase round").

Usage:
  .venv/bin/python benchmarks/quality/meaning_rules.py dump.json          # replay and dump (~1-2 min), then score
  .venv/bin/python benchmarks/quality/meaning_rules.py dump.json --scored  # score an existing dump
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from quality.replay import World, isolated_environment  # noqa: E402
from quality.run import UNRELATED_FILE  # noqa: E402
from quality.scenarios import SCENARIOS  # noqa: E402

from gitmem.index import embedding, index_file, search, vectors  # noqa: E402


def dump_one(name: str) -> dict:
    scenario = next(s for s in SCENARIOS if s.name == name)
    with tempfile.TemporaryDirectory(prefix="meaning-") as tmp, isolated_environment(Path(tmp) / "home", "offline"):
        world = World(Path(tmp) / "work", scenario)
        try:
            world.build()
            for step in scenario.steps:
                world.step(step)
            probes = []
            for probe in scenario.searches:
                repo = world.repo(probe.actor)
                search.search(repo, probe.query, limit=5)   # the index made current, its lines embedded
                conn = sqlite3.connect(index_file.index_path(repo))
                sources = conn.execute("SELECT s.fid, s.session_id, r.type, r.title FROM sources s "
                                       "JOIN records r ON r.rowid = s.first").fetchall()
                units = conn.execute("SELECT fid, unit, text FROM units ORDER BY fid").fetchall()
                conn.close()
                if probe.session:
                    targets = [f for f, sid, t, _ in sources if t == "session" and sid == world.sids.get(probe.session)]
                else:
                    targets = [f for f, _, t, title in sources
                               if t == "decision" and re.search(probe.decision, title, re.IGNORECASE)]
                probes.append({"paraphrase": probe.paraphrase, "targets": targets, "units": units})
            return {"name": name, "probes": probes}
        finally:
            world.cleanup()


def score(data: list[dict], line_floors: list[float], whole_floors: list[float]) -> list[str]:
    numpy = embedding.numpy_module()
    questions = [x.strip() for x in UNRELATED_FILE.read_text(encoding="utf-8").splitlines()
                 if x.strip() and not x.startswith("#")]
    texts = sorted({u[2] for sc in data for p in sc["probes"] for u in p["units"]})
    vec = dict(zip(texts, embedding.encode(texts)))

    def found(units: list, q: "numpy.ndarray", line: float, whole: float) -> list[int]:
        best: dict[int, float] = {}
        for fid, unit, text in units:
            sim = float(vec[text] @ q)
            if sim >= (whole if unit == vectors.WHOLE else line):
                best[fid] = max(best.get(fid, -2.0), sim)
        return sorted(best, key=lambda f: -best[f])[:5]

    probes = [p for sc in data for p in sc["probes"] if p["targets"]]
    pq = embedding.encode([p["paraphrase"] for p in probes])
    uq = embedding.encode(questions)
    out = []
    for line in line_floors:
        for whole in whole_floors:
            hit = sum(any(t in found(p["units"], q, line, whole) for t in p["targets"]) for p, q in zip(probes, pq))
            false = sum(bool(found(sc["probes"][-1]["units"], q, line, whole)) for sc in data for q in uq)
            out.append(f"line >= {line:.2f}, lines together >= {whole:.2f}: targets {hit / len(probes):.2f} "
                       f"({hit}/{len(probes)}), unrelated {false / (len(data) * len(questions)):.3f}")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dump", type=Path)
    parser.add_argument("--scored", action="store_true", help="score an existing dump, do not replay")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    if not embedding.available():
        print("gitmem[semantic] is not installed", file=sys.stderr)
        return 2
    if not args.scored:
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            args.dump.write_text(json.dumps(list(pool.map(dump_one, [s.name for s in SCENARIOS]))))
    data = json.loads(args.dump.read_text())
    print("\n".join(score(data, [0.15, 0.16, 0.18, 0.20, 9.0], [0.14, 0.15, 0.16, 9.0])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
