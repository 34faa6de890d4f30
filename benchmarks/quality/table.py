"""Markdown tables of the quality figures, for the README.

``markdown(figures, skipped)`` is what ``run.py`` prints. Run on its own, this
file turns a saved ``run.py --json`` report into the same tables:

  .venv/bin/python benchmarks/quality/run.py --json > quality.json
  .venv/bin/python benchmarks/quality/table.py quality.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from quality import dsl  # noqa: E402
from quality.measure import Figures, Ratio  # noqa: E402

GOALS = {"recall": {"offline": 0.7, "anthropic": 0.9}, "search": 0.9}
COMMAND = ".venv/bin/python benchmarks/quality/run.py"


def _ratio(r: Ratio) -> str:
    return "–" if r.value is None else f"{r.value:.2f} ({r.hit}/{r.total})"


def _count(r: Ratio) -> str:
    return "–" if not r.total else f"{r.hit} of {r.total}"


def _label(f: Figures) -> str:
    return "offline summarizer" if f.summarizer == "offline" else f"{f.summarizer} summarizer"


def _mode(figures: list[Figures]) -> str:
    """How `gitmem search` ranked in the run: hybrid (words fused with meaning) or words alone."""
    if not figures:
        return ""
    return ", hybrid: words + meaning" if all(f.hybrid for f in figures) else ", words only: gitmem[semantic] absent"


def summary(figures: list[Figures], skipped: dict[str, str]) -> str:
    """One row per figure, one column per summarizer, and the goal."""
    cols = [_label(f) for f in figures] + [f"{name} summarizer" for name in skipped]
    head = "| figure | " + " | ".join(cols) + " | goal |"
    rule = "|---|" + "---|" * len(cols) + "---|"
    skip = [f"skipped ({why})" for why in skipped.values()]

    def row(name: str, cells: list[str], goal: str) -> str:
        return f"| {name} | " + " | ".join(cells + skip) + f" | {goal} |"

    recall_goal = "≥ 0.7 offline, ≥ 0.9 with a model"
    lines = [head, rule,
             row("brief recall (expected facts in the SessionStart brief)", [_ratio(f.recall["overall"]) for f in figures],
                 recall_goal),
             row("search recall@5 (`gitmem search`" + _mode(figures) + ")", [_ratio(f.search["overall"]) for f in figures],
                 "≥ 0.95"),
             row("search recall@5, paraphrased (no content word shared with the target)" + _mode(figures),
                 [_ratio(f.paraphrased.get("overall", Ratio())) for f in figures], "≥ 0.9"),
             row("search recall@5, words only (`gitmem search --lexical`)",
                 [_ratio(f.lexical.get("overall", Ratio())) for f in figures], "≥ 0.95"),
             row("search recall@5, paraphrased, words only (`--lexical`)",
                 [_ratio(f.lexical_paraphrased.get("overall", Ratio())) for f in figures], ""),
             row("unrelated questions given a hit by meaning alone (benchmarks/data/unrelated_queries.txt)",
                 [_ratio(f.unrelated) for f in figures], "low"),
             row("contamination (facts presented as current that are not)",
                 [_count(f.contamination["overall"]) for f in figures], "0"),
             row("briefs over budget", [f"{f.over_budget} of {f.briefs}" for f in figures], "0"),
             row("brief size, tokens: median probe / largest (budget)",
                 [f"{f.tokens_median} / {f.tokens_max} ({f.budget_tokens:,})" for f in figures], "≤ budget"),
             row("sessions summarized by that summarizer (no fallback)",
                 [f"{f.by_backend} of {f.sessions}" for f in figures], "all"),
             row("scenarios (seconds)", [f"{f.scenarios} ({f.seconds:.0f} s)" for f in figures], "")]
    return "\n".join(lines)


def by_kind(figures: list[Figures]) -> str:
    """Per fact kind: brief recall, search recall@5 (exact wording, paraphrased), contamination, per summarizer."""
    multi = len(figures) > 1
    cols = []
    for f in figures:
        tag = f" ({f.summarizer})" if multi else ""
        cols += [f"brief recall{tag}", f"search recall@5{tag}", f"paraphrased{tag}", f"lexical / paraphrased{tag}",
                 f"contamination{tag}"]
    lines = ["| fact kind | " + " | ".join(cols) + " |", "|---|" + "---|" * len(cols)]
    for kind in (*dsl.KINDS, "overall"):
        cells = []
        for f in figures:
            cells += [_ratio(f.recall[kind]), _ratio(f.search[kind]), _ratio(f.paraphrased.get(kind, Ratio())),
                      f"{_ratio(f.lexical.get(kind, Ratio()))} / {_ratio(f.lexical_paraphrased.get(kind, Ratio()))}",
                      _count(f.contamination[kind])]
        name = f"**{kind}**" if kind == "overall" else kind.replace("_", " ")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def markdown(figures: list[Figures], skipped: dict[str, str]) -> str:
    parts = [summary(figures, skipped)]
    if figures:
        parts.append(by_kind(figures))
    parts.append(f"Reproduce: `{COMMAND}` (offline; the anthropic column runs when `ANTHROPIC_API_KEY` is set). "
                 "Contamination counts forbidden facts found on brief lines that are not marked "
                 "\"Tried, did not work\" or \"[superseded …]\"/\"[rejected …]\", or listed under "
                 "\"not merged here\" (benchmarks/quality/measure.py).")
    for f in figures:
        for err in f.errors:
            parts.append(f"error ({f.summarizer}): {err.splitlines()[0]}")
        for why in f.fallbacks[:5]:
            parts.append(f"fell back to offline ({f.summarizer}): {why}")
    return "\n\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    report = json.loads(Path(args[0]).read_text())
    figures = [Figures.from_dict(run["figures"]) for run in report["runs"].values()]
    print(markdown(figures, report.get("skipped", {})))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
