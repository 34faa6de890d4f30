"""Prompt recall that hears paraphrases: recall on paraphrased prompts, false speech on unrelated ones.

Every quality scenario (benchmarks/quality/scenarios.py) is replayed the way benchmarks/quality/run.py replays
it (real hooks, real git, the real flush worker, offline summarizer); then, as the next flush would, the word
neighbours store is brought up to date (``neighbours.refresh``). Two sets of prompts are then put to prompt
recall in each replayed repository:

- paraphrased: each search probe's ``paraphrase`` (it shares no content word with the record it must find;
  benchmarks/quality/paraphrase.py checks the rule), asked by the probe's actor. Recall counts when the
  recall block names the probe's session (its short id) or decision (its title pattern).
- unrelated: the prompts of benchmarks/prompt_recall_unrelated.txt (125 coding-assistant prompts on topics
  none of the scenarios records), asked in every scenario's repository. False speech: any recall block.

Scores come from recall.py's own functions in this process, for every threshold at once (the sweep table);
then the real UserPromptSubmit hook (a subprocess, as Claude Code runs it) is run at recall.py's threshold on
every paraphrase and on the unrelated prompts of the first ``--hook-worlds`` repositories, and those figures
are reported apart: they are the ones the threshold reaches through the hook.

How recall.py's figures were chosen (2026-12-03, all 46 scenarios): ``WORD_CAP`` 0.3 (with 0.2 the best at
false speech <= 1% was 7/61 at 0.71%; with no cap and only the words the store knows in the mean, 4/61 at 1.83%),
and ``CLOSE_SCORE`` as the threshold with the best paraphrased recall whose false speech stays at most 1%, half
the goal: 0.12 -> 8/61 and 0.77% (7/61 and 0.70% through the hook), with a mean over fewer than three words
taken over three (``MEAN_OVER``; without it 8/61 and 0.78%).
Since the store also scores related words (index/neighbours.py ``related``, 2026-12-03 evening, 53 scenarios,
68 paraphrases, 6,625 unrelated prompts): without them 0.12 -> 8/68 at 0.77%, 0.13 -> 7/68 at 0.48%; with them
0.12 -> 15/68 at 1.68%, 0.13 -> 11/68 at 0.92%; ``CLOSE_SCORE`` moved to 0.13 by the same rule (at most 1%).

Why a separate script and not a section of quality/run.py: the quality runner scores briefs and search in ~5
minutes; this asks ~6,000 prompts and sweeps thresholds, which only a change to prompt recall needs to pay for.

Usage:
  .venv/bin/python benchmarks/bench_prompt_recall.py                  # all scenarios, 2 jobs
  .venv/bin/python benchmarks/bench_prompt_recall.py --scenarios 6 --hook-worlds 2
  .venv/bin/python benchmarks/bench_prompt_recall.py --json > prompt_recall.json
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sqlite3
import sys
import tempfile
import traceback
import uuid
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from quality import dsl  # noqa: E402
from quality.replay import World, isolated_environment  # noqa: E402
from quality.scenarios import SCENARIOS  # noqa: E402

from gitmem import recall  # noqa: E402
from gitmem.config import state_dir  # noqa: E402
from gitmem.index import embedding, neighbours  # noqa: E402

UNRELATED = Path(__file__).resolve().parent / "prompt_recall_unrelated.txt"
THRESHOLDS = tuple(range(90, 151, 10))


def unrelated_prompts() -> list[str]:
    return [line.strip() for line in UNRELATED.read_text().splitlines() if line.strip() and not line.startswith("#")]


def candidates(state: str, root: str, text: str) -> tuple[list[tuple], list[tuple[int, tuple]]]:
    """What recall.py weighs for ``text``: the lexical rows and every close row (score >= 0), best first."""
    words = recall.content_words(text)
    if len(words) < recall.MIN_TERMS:
        return [], []
    conn = sqlite3.connect(f"file:{state}/{recall.INDEX_FILE}?mode=ro", uri=True)
    try:
        lexical = recall._find_titled(conn, words, root, recall.MAX_HITS)
        try:
            recall.attach_store(conn, f"{state}/{recall.NEIGHBOURS_FILE}")
            close = recall.close_rows(conn, words, root, 20, at_least=0)
        except sqlite3.Error:
            close = []
    finally:
        conn.close()
    return lexical, close


def _names(probe: dsl.Search, sids: dict[str, str], row: tuple) -> bool:
    kind, rid, _sid, title = row[:4]
    if probe.session:
        return kind == "session" and rid == sids.get(probe.session)
    return kind == "decision" and re.search(probe.decision, title or "", re.IGNORECASE) is not None


def _hook_names(probe: dsl.Search, sids: dict[str, str], out: bytes) -> bool:
    if not out.strip():
        return False
    text = json.loads(out)["hookSpecificOutput"]["additionalContext"]
    lines = [x for x in text.splitlines() if x.startswith("- ")]
    if probe.session:
        sid = sids.get(probe.session, "")
        return bool(sid) and any(f" {sid[:8]}:" in x for x in lines)
    return any(re.search(probe.decision, x, re.IGNORECASE) for x in lines)


def _prompt(world: World, actor: str, text: str) -> bytes:
    root = world.root(actor)
    return world.hook(actor, "UserPromptSubmit", {"session_id": f"bench-{uuid.uuid4()}", "cwd": str(root),
                                                  "hook_event_name": "UserPromptSubmit", "prompt": text})


def run_scenario(name: str, base: Path, hook_unrelated: bool) -> dict:
    scenario = next(s for s in SCENARIOS if s.name == name)
    out: dict = {"name": name, "paraphrased": [], "worded": [], "unrelated": [], "error": ""}
    with isolated_environment(base / "home", "offline"):
        world = World(base / "work", scenario)
        try:
            world.build()
            for step in scenario.steps:
                world.step(step)
            for actor in scenario.actors:
                out.setdefault("stores", []).append(neighbours.refresh(world.repo(actor), quick=False).action)
            for probe in scenario.searches:
                actor = world.actor(probe.actor)
                state, root = str(state_dir(world.repo(actor).common_dir)), str(world.root(actor))
                lexical, close = candidates(state, root, probe.query)   # the probe's own words, as a user asks
                out["worded"].append({
                    "prompt": probe.query, "kind": probe.kind,
                    "lexical": [_names(probe, world.sids, r) for r in lexical],
                    "close": [(score, _names(probe, world.sids, r), (r[0], r[1])) for score, r in close],
                    "lexical_ids": [(r[0], r[1]) for r in lexical]})
                if not probe.paraphrase:
                    continue
                lexical, close = candidates(state, root, probe.paraphrase)
                out["paraphrased"].append({
                    "prompt": probe.paraphrase, "kind": probe.kind,
                    "lexical": [_names(probe, world.sids, r) for r in lexical],
                    "close": [(score, _names(probe, world.sids, r), (r[0], r[1])) for score, r in close],
                    "lexical_ids": [(r[0], r[1]) for r in lexical],
                    "hook": _hook_names(probe, world.sids, _prompt(world, actor, probe.paraphrase))})
            actor = world.first
            state, root = str(state_dir(world.repo(actor).common_dir)), str(world.root(actor))
            for text in unrelated_prompts():
                lexical, close = candidates(state, root, text)
                item = {"prompt": text, "lexical": len(lexical), "best": close[0][0] if close else 0}
                if hook_unrelated:
                    item["hook"] = bool(_prompt(world, actor, text).strip())
                out["unrelated"].append(item)
        except Exception as exc:  # noqa: BLE001 - one broken scenario is reported, the others still run
            out["error"] = f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"
        finally:
            world.cleanup()
    return out


def _run_one(args: tuple[str, str, bool]) -> dict:
    name, tmp, hook_unrelated = args
    base = Path(tempfile.mkdtemp(prefix=f"{name[:20]}-", dir=tmp))
    return run_scenario(name, base, hook_unrelated)


def named_at(item: dict, threshold: int) -> bool:
    """Would recall at ``threshold`` name the target? recall.find's order: lexical rows, then close ones."""
    if any(item["lexical"]):
        return True
    room = recall.MAX_HITS - len(item["lexical"])
    seen = {tuple(x) for x in item["lexical_ids"]}
    close = [ok for score, ok, rid in item["close"] if score >= threshold and tuple(rid) not in seen]
    return any(close[:room])


def spoke_at(item: dict, threshold: int) -> bool:
    return item["lexical"] > 0 or item["best"] >= threshold


def sweep(results: list[dict]) -> list[dict]:
    para = [p for r in results for p in r["paraphrased"]]
    worded = [p for r in results for p in r["worded"]]
    unrel = [u for r in results for u in r["unrelated"]]
    rows = []
    for t in THRESHOLDS:
        rows.append({"threshold": t, "recall": sum(named_at(p, t) for p in para), "paraphrased": len(para),
                     "worded_recall": sum(named_at(p, t) for p in worded), "worded": len(worded),
                     "false_speech": sum(spoke_at(u, t) for u in unrel), "unrelated": len(unrel)})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenarios", type=int, default=0, help="only the first N scenarios (0: all)")
    parser.add_argument("--jobs", type=int, default=2, help="scenarios replayed in parallel")
    parser.add_argument("--hook-worlds", type=int, default=8,
                        help="repositories whose unrelated prompts also go through the real hook")
    parser.add_argument("--json", action="store_true", help="print every prompt's outcome as JSON")
    args = parser.parse_args(argv)
    if not embedding.available():
        print(f"the semantic extra is not installed; prompt recall is lexical only ({embedding.INSTALL_HINT})",
              file=sys.stderr)
    chosen = [s.name for s in SCENARIOS if any(p.paraphrase for p in s.searches)]
    if args.scenarios:
        chosen = chosen[:args.scenarios]
    with tempfile.TemporaryDirectory(prefix="gitmem-prompt-recall-") as tmp:
        work = [(name, tmp, n < args.hook_worlds) for n, name in enumerate(chosen)]
        if args.jobs <= 1:
            results = [_run_one(w) for w in work]
        else:
            with ProcessPoolExecutor(max_workers=args.jobs) as pool:
                results = list(pool.map(_run_one, work))
    errors = [r for r in results if r["error"]]
    for r in errors:
        print(f"=== {r['name']} failed\n{r['error']}", file=sys.stderr)
    table = sweep(results)
    para = [p for r in results for p in r["paraphrased"]]
    hooked = [u for r in results for u in r["unrelated"] if "hook" in u]
    hook = {"threshold": recall.CLOSE_SCORE, "recall": sum(p["hook"] for p in para), "paraphrased": len(para),
            "lexical_only_recall": sum(any(p["lexical"]) for p in para),
            "false_speech": sum(u["hook"] for u in hooked), "unrelated": len(hooked)}
    if args.json:
        print(json.dumps({"sweep": table, "hook": hook, "results": results}, indent=1))
        return 1 if errors else 0
    print(f"{len(chosen)} scenarios, {len(para)} paraphrased prompts, {len(unrelated_prompts())} unrelated prompts "
          f"in each repository")
    worded = [p for r in results for p in r["worded"]]
    print(f"the probes' own wording (search queries asked as prompts): the title rule alone names the target in "
          f"{sum(any(p['lexical']) for p in worded)}/{len(worded)}")
    print("| threshold | paraphrased recall | own-wording recall | false speech on unrelated |\n"
          "| --- | --- | --- | --- |")
    for row in table:
        mark = " (recall.py)" if row["threshold"] == recall.CLOSE_SCORE else ""
        print(f"| {row['threshold'] / 1000:.3f}{mark} | {row['recall']}/{row['paraphrased']} = "
              f"{row['recall'] / max(1, row['paraphrased']):.2f} | {row['worded_recall']}/{row['worded']} = "
              f"{row['worded_recall'] / max(1, row['worded']):.2f} | {row['false_speech']}/{row['unrelated']} = "
              f"{row['false_speech'] / max(1, row['unrelated']):.2%} |")
    print(f"\nthrough the real hook at {hook['threshold'] / 1000:.3f}: paraphrased recall {hook['recall']}/"
          f"{hook['paraphrased']} (lexical rule alone {hook['lexical_only_recall']}), false speech "
          f"{hook['false_speech']}/{hook['unrelated']} = {hook['false_speech'] / max(1, hook['unrelated']):.2%}")
    with contextlib.suppress(Exception):
        worst = sorted((u for r in results for u in r["unrelated"]), key=lambda u: -u["best"])[:8]
        print("\nclosest unrelated prompts:", *(f"{u['best']} {u['prompt']}" for u in worst), sep="\n  ")
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
