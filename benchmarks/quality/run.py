"""Memory quality benchmark: replay scripted multi-session scenarios, then score what gitmem tells.

Each scenario (benchmarks/quality/scenarios.py) is replayed through gitmem's real
hooks, real git (a bare remote and one clone per teammate when there are
several) and the real flush worker, with the summarizer chosen. Then:

1. brief recall: expected facts present in the SessionStart brief, taken from
   the real SessionStart hook's stdout (its JSON's additionalContext), default budget;
2. search recall@5: probe queries whose expected record is in the top 5 of
   ``gitmem search``, for the probe's exact wording and, apart, for its
   paraphrase (no content word shared with the target; paraphrase.py checks
   every probe before a run); each both as ``gitmem search`` ranks (hybrid:
   words fused with meaning when gitmem[semantic] is installed) and with
   ``--lexical`` (words only), side by side;
3. contamination: dead ends, superseded or rejected decisions and unmerged-branch
   work presented as current fact (measure.py defines "presented" exactly);
4. brief size in tokens against the budget, on every brief the hook printed;
5. false meaning hits: ``UNRELATED_PER_SCENARIO`` questions of benchmarks/data/unrelated_queries.txt (off-topic
   coding questions, not taken from the scenarios; a different slice per scenario) searched in each replayed
   repository: the share that gets a hit found by meaning alone (hybrid only).

Usage:
  .venv/bin/python benchmarks/quality/run.py                       # offline, and anthropic if ANTHROPIC_API_KEY is set
  .venv/bin/python benchmarks/quality/run.py --summarizer offline --scenarios 3
  .venv/bin/python benchmarks/quality/run.py --set first            # the first 36 (the README's table); --set styled
  .venv/bin/python benchmarks/quality/run.py --json > results.json  # then: benchmarks/quality/table.py results.json
  .venv/bin/python benchmarks/quality/run.py --only superseded-money --show   # print the briefs and misses
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import tempfile
import time
import traceback
import zlib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from quality import dsl, measure, paraphrase, table  # noqa: E402
from quality.replay import World, isolated_environment  # noqa: E402
from quality.scenarios import SCENARIOS  # noqa: E402
from quality.scenarios_styled import STYLED  # noqa: E402

from gitmem.config import load_config  # noqa: E402
from gitmem.index import embedding, search  # noqa: E402

SUMMARIZERS = ("offline", "anthropic")
UNRELATED_FILE = Path(__file__).resolve().parents[1] / "data" / "unrelated_queries.txt"
UNRELATED_PER_SCENARIO = 20


def unrelated_questions(name: str) -> list[str]:
    """The slice of the unrelated questions asked in scenario ``name`` (fixed per name, rotating over the file)."""
    lines = [x.strip() for x in UNRELATED_FILE.read_text(encoding="utf-8").splitlines()]
    questions = [x for x in lines if x and not x.startswith("#")]
    start = zlib.crc32(name.encode()) % len(questions)
    return [questions[(start + i) % len(questions)] for i in range(min(UNRELATED_PER_SCENARIO, len(questions)))]


def run_scenario(scenario: dsl.Scenario, base: Path, summarizer: str = "offline",
                 keep_env: dict[str, str] | None = None) -> measure.ScenarioResult:
    """Replay one scenario in ``base`` (a fresh folder) and score its probes; never raises."""
    started = time.perf_counter()
    result = measure.ScenarioResult(scenario.name, 0.0)
    with isolated_environment(base / "home", summarizer, keep_env):
        world = World(base / "work", scenario)
        try:
            world.build()
            for step in scenario.steps:
                world.step(step)
            probe_sessions = set()
            for n, probe in enumerate(scenario.briefs):
                text = world.brief(probe, n)
                probe_sessions.add(world.printed[-1].session)
                result.briefs.append(text)
                result.facts += measure.score_brief(scenario.name, n, probe, text)
            for probe in scenario.searches:
                for lexical in (False, True):   # as `gitmem search` ranks (hybrid with the extra), and words only
                    result.searches.append(measure.score_search(scenario.name, probe, world.search(probe, lexical=lexical),
                                                                world.sids, lexical=lexical))
                    if probe.paraphrase:
                        hits = world.search(dataclasses.replace(probe, query=probe.paraphrase), lexical=lexical)
                        result.searches.append(measure.score_search(scenario.name, probe, hits, world.sids, True,
                                                                    lexical=lexical))
            if embedding.available():
                asker = scenario.searches[0].actor if scenario.searches else ""
                for question in unrelated_questions(scenario.name):
                    hits = search.search(world.repo(asker), question, limit=5)   # as World.search asks
                    result.unrelated.append(any(h.found_by == "meaning" for h in hits))
            result.summarizers = [list(x) for x in world.summarized]
            budget = load_config(world.root("")).brief_budget_tokens
            for p in world.printed:
                result.sizes.append(measure.Size(scenario.name, p.session, p.session in probe_sessions, len(p.text),
                                                 measure.tokens(len(p.text)), budget, p.budget_chars))
        except Exception as exc:  # noqa: BLE001 - one broken scenario is reported, the others still run
            result.error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"
        finally:
            world.cleanup()
    result.seconds = time.perf_counter() - started
    return result


def _run_one(args: tuple[str, str, str, dict[str, str] | None]) -> dict:
    name, tmp, summarizer, keep = args
    scenario = next(s for s in SCENARIOS if s.name == name)
    base = Path(tempfile.mkdtemp(prefix=f"{name[:20]}-", dir=tmp))
    return run_scenario(scenario, base, summarizer, keep).to_dict()


def run_all(scenarios: list[dsl.Scenario], summarizer: str, jobs: int,
            keep_env: dict[str, str] | None = None) -> list[measure.ScenarioResult]:
    with tempfile.TemporaryDirectory(prefix="gitmem-quality-") as tmp:
        work = [(s.name, tmp, summarizer, keep_env) for s in scenarios]
        if jobs <= 1:
            out = [_run_one(w) for w in work]
        else:
            with ProcessPoolExecutor(max_workers=jobs) as pool:
                out = list(pool.map(_run_one, work))
    return [measure.ScenarioResult.from_dict(d) for d in out]


def show(results: list[measure.ScenarioResult]) -> str:
    """Every brief, every miss and every contamination, for looking into a figure."""
    out = []
    for r in results:
        out.append(f"=== {r.name} ({r.seconds:.1f} s)")
        if r.error:
            out.append(r.error)
        for n, text in enumerate(r.briefs):
            out.append(f"--- brief {n} ({len(text)} chars)\n{text}")
        for f in r.facts:
            if not f.ok:
                what = "MISSED" if f.expected else "CONTAMINATION"
                out.append(f"{what} [{f.kind}] /{f.pattern}/ (probe {f.probe})" + (f"\n    in: {f.line}" if f.line else ""))
        for s in r.searches:
            if not s.ok:
                wording = ("LEXICAL " if s.lexical else "") + ("PARAPHRASED " if s.paraphrased else "")
                out.append(f"{wording}SEARCH MISSED [{s.kind}] {s.query!r}: top 5 = {s.top}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenarios", type=int, default=0, help="run only the first N scenarios (0: all)")
    parser.add_argument("--only", action="append", default=[], help="run this scenario (repeatable)")
    parser.add_argument("--set", choices=("all", "first", "styled"), default="all",
                        help="all scenarios (default), the first ones (the README's figures), or only those written "
                             "later in other styles (scenarios_styled.py)")
    parser.add_argument("--summarizer", choices=(*SUMMARIZERS, "all"), default="all",
                        help="all (default): offline, and anthropic when ANTHROPIC_API_KEY is set")
    parser.add_argument("--jobs", type=int, default=min(os.cpu_count() or 1, 4), help="scenarios run in parallel")
    parser.add_argument("--json", action="store_true", help="print the figures and per-scenario results as JSON")
    parser.add_argument("--show", action="store_true", help="also print every brief and every miss")
    args = parser.parse_args(argv)
    cheats = paraphrase.violations(SCENARIOS)
    if cheats:
        print("paraphrased probes that break the rule (benchmarks/quality/paraphrase.py):", *cheats, sep="\n  ",
              file=sys.stderr)
        return 2

    styled = {s.name for s in STYLED}
    chosen = [s for s in SCENARIOS if (not args.only or s.name in args.only)
              and args.set in ("all", "styled" if s.name in styled else "first")]
    if args.only and len(chosen) != len(set(args.only)):
        parser.error(f"unknown scenario; known: {', '.join(s.name for s in SCENARIOS)}")
    if args.scenarios:
        chosen = chosen[:args.scenarios]
    wanted = SUMMARIZERS if args.summarizer == "all" else (args.summarizer,)
    report: dict = {"scenarios": [s.name for s in chosen], "runs": {}, "skipped": {}}
    all_figures: list[measure.Figures] = []
    for summarizer in wanted:
        keep = None
        if summarizer == "anthropic":
            key = os.environ.get("ANTHROPIC_API_KEY")
            if not key:
                report["skipped"][summarizer] = "ANTHROPIC_API_KEY is not set"
                print(f"anthropic: skipped (ANTHROPIC_API_KEY is not set)", file=sys.stderr)
                continue
            keep = {k: v for k, v in os.environ.items() if k.startswith("ANTHROPIC_") or k == "GITMEM_MODEL"}
        started = time.perf_counter()
        results = run_all(chosen, summarizer, args.jobs, keep)
        figures = measure.figures(summarizer, results)
        figures.seconds = time.perf_counter() - started
        all_figures.append(figures)
        report["runs"][summarizer] = {"figures": figures.to_dict(), "results": [r.to_dict() for r in results]}
        if args.show:
            print(show(results), file=sys.stderr if args.json else sys.stdout)
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        print(table.markdown(all_figures, report["skipped"]))
    # A scenario that broke, or a model run whose sessions fell back to offline, does not give the figures asked for.
    failed = any(f.errors or f.fallbacks for f in all_figures)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
