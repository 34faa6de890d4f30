"""Reading a brief the way the benchmark scores it, and adding the scores up.

How a brief is read (``parse_brief``): only the text between ``<gitmem-memory>``
and ``</gitmem-memory>`` counts, without the preamble, the section headings and
the "Details: ..." footer. Each remaining line is *hedged* when it does not
present its content as current fact:

- it is in the section "On other branches, not merged here (may not apply)";
- it is a "Tried, did not work: ..." line (dead ends, told as such);
- it carries a status marker: a bracket opening with "superseded" or "rejected"
  (``[superseded by d-1; no longer applies]``, ``[rejected]``).

Every other line — decisions (accepted or proposed), session titles, "Done:",
"Learned:", "Decided:", open next steps, teammates' work — presents what it
says as current.

Facts are matched case-insensitively against each line with Markdown code and
emphasis marks (`` ` ``, ``**``) removed: a fact is words, not formatting.

- An expected fact is *recalled* when its regex matches an unhedged line, or,
  for a fact marked ``hedged`` (a dead end, an unmerged branch's title), a
  hedged line.
- A forbidden fact is *contamination* when its regex matches any unhedged line.
  Each forbidden fact of each probe counts at most once.
- Brief size: the additionalContext's characters, and tokens estimated as
  characters / 3.5, the estimate gitmem budgets with (``inject.CHARS_PER_TOKEN``;
  real tokenizers give fewer). Over budget: more characters than
  ``brief_budget_tokens`` x 3.5 (capped at 10,000), checked on every brief the
  SessionStart hook printed during the replay, not only on probes.
- Search recall@5: the probe's session (its summary record) or a decision file
  whose title matches is among the first 5 results of ``gitmem search <query>``.
  Counted apart for the probe's exact wording (``query``, the figure as it
  always was) and for its paraphrase (``paraphrase``: no content word shared
  with the target's text, see ``paraphrase.py``), and apart again for
  ``gitmem search`` as it ranks (hybrid when gitmem[semantic] is installed)
  and for ``--lexical`` (words only).
"""

from __future__ import annotations

import math
import re
import statistics
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable

from quality import dsl

from gitmem.app import inject
from gitmem.index import embedding

NOT_MERGED_SECTION = inject.SECTIONS[6]
DEAD_END_PREFIX = "Tried, did not work:"
STATUS_MARKER = re.compile(r"\[(?:superseded|rejected)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Line:
    section: str
    text: str
    hedged: bool


def parse_brief(text: str) -> list[Line]:
    """The brief's content lines, each with its section and whether it is hedged (see the module doc)."""
    if inject.OPEN not in text:
        return []
    body = text.split(inject.OPEN, 1)[1].split(inject.CLOSE, 1)[0]
    lines: list[Line] = []
    section = ""
    for raw in body.split("\n"):
        line = raw.strip()
        if not line or line == inject.PREAMBLE or line == inject.FOOTER:
            continue
        if line.startswith("## "):
            section = line[3:].strip()
            continue
        if not section:
            continue  # before the first section: the preamble
        item = line[2:] if line.startswith("- ") else line
        hedged = (section == NOT_MERGED_SECTION or item.startswith(DEAD_END_PREFIX)
                  or STATUS_MARKER.search(item) is not None)
        lines.append(Line(section, line, hedged))
    return lines


def find(fact: dsl.Fact, lines: Iterable[Line], hedged: bool) -> str | None:
    """The first line of the wanted kind (hedged or not) the fact's regex matches."""
    rx = re.compile(fact.pattern, re.IGNORECASE)
    return next((l.text for l in lines if l.hedged == hedged and rx.search(plain(l.text))), None)


def plain(text: str) -> str:
    return text.replace("`", "").replace("**", "")


def tokens(chars: int) -> int:
    return math.ceil(chars / inject.CHARS_PER_TOKEN)


# -- results ------------------------------------------------------------------------------------------


@dataclass
class FactResult:
    scenario: str
    probe: int
    kind: str
    pattern: str
    expected: bool          # True: must be told; False: must not be told as current fact
    ok: bool                # recalled / not contaminated
    line: str = ""          # where it was found (recall) or the contaminating line


@dataclass
class SearchResult:
    scenario: str
    kind: str
    query: str
    ok: bool
    rank: int               # 1-based, 0 when not in the top 5
    top: list[str] = field(default_factory=list)
    paraphrased: bool = False   # the query was the probe's paraphrase, not its exact wording
    lexical: bool = False       # ranked by words only (`gitmem search --lexical`)


@dataclass
class Size:
    scenario: str
    session: str
    probe: bool
    chars: int
    tokens: int
    budget_tokens: int
    budget_chars: int

    @property
    def over(self) -> bool:
        return self.chars > self.budget_chars


@dataclass
class ScenarioResult:
    name: str
    seconds: float
    facts: list[FactResult] = field(default_factory=list)
    searches: list[SearchResult] = field(default_factory=list)
    sizes: list[Size] = field(default_factory=list)
    briefs: list[str] = field(default_factory=list)
    summarizers: list[list[str]] = field(default_factory=list)   # [summarizer, fallback reason] per session
    unrelated: list[bool] = field(default_factory=list)   # per unrelated question: a hit found by meaning alone?
    error: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ScenarioResult":
        return cls(name=data["name"], seconds=data["seconds"], facts=[FactResult(**f) for f in data["facts"]],
                   searches=[SearchResult(**s) for s in data["searches"]], sizes=[Size(**s) for s in data["sizes"]],
                   briefs=list(data.get("briefs", [])), summarizers=[list(x) for x in data.get("summarizers", [])],
                   unrelated=list(data.get("unrelated", [])), error=data.get("error", ""))


def score_brief(scenario: str, n: int, probe: dsl.Brief, text: str) -> list[FactResult]:
    lines = parse_brief(text)
    out = []
    for fact in probe.expect:
        line = find(fact, lines, hedged=fact.hedged)
        out.append(FactResult(scenario, n, fact.kind, fact.pattern, True, line is not None, line or ""))
    for fact in probe.forbid:
        line = find(fact, lines, hedged=False)
        out.append(FactResult(scenario, n, fact.kind, fact.pattern, False, line is None, line or ""))
    return out


def score_search(scenario: str, probe: dsl.Search, hits: list, sids: dict[str, str],
                 paraphrased: bool = False, lexical: bool = False) -> SearchResult:
    def wanted(h) -> bool:
        if probe.session:
            return h.type == "session" and h.id == sids.get(probe.session)
        return h.type == "decision" and re.search(probe.decision, h.title, re.IGNORECASE) is not None

    rank = next((i + 1 for i, h in enumerate(hits[:5]) if wanted(h)), 0)
    return SearchResult(scenario, probe.kind, probe.paraphrase if paraphrased else probe.query, rank > 0, rank,
                        [f"{h.type} {h.title[:60]}" for h in hits[:5]], paraphrased, lexical)


# -- adding up ------------------------------------------------------------------------------------------


@dataclass
class Ratio:
    hit: int = 0
    total: int = 0

    @property
    def value(self) -> float | None:
        return self.hit / self.total if self.total else None

    def add(self, ok: bool) -> None:
        self.hit += int(ok)
        self.total += 1


@dataclass
class Figures:
    """The four figures, overall and per fact kind, for one summarizer; search recall for exact and paraphrased
    wording apart."""

    summarizer: str
    scenarios: int
    seconds: float
    recall: dict[str, Ratio]
    search: dict[str, Ratio]
    contamination: dict[str, Ratio]     # hit = contaminated, total = forbidden facts checked
    briefs: int
    over_budget: int
    tokens_median: int
    tokens_max: int
    budget_tokens: int
    errors: list[str]
    sessions: int = 0          # sessions replayed
    by_backend: int = 0        # ... summarized by the summarizer asked for (the rest fell back to offline)
    fallbacks: list[str] = field(default_factory=list)
    paraphrased: dict[str, Ratio] = field(default_factory=dict)   # search recall@5 of the paraphrased probes
    lexical: dict[str, Ratio] = field(default_factory=dict)       # ... of the exact wording, words only (--lexical)
    lexical_paraphrased: dict[str, Ratio] = field(default_factory=dict)   # ... of the paraphrases, words only
    hybrid: bool = False       # gitmem search fused meaning in (gitmem[semantic] installed)
    unrelated: Ratio = field(default_factory=Ratio)   # unrelated questions given a hit by meaning alone

    def to_dict(self) -> dict[str, Any]:
        def ratios(d: dict[str, Ratio]) -> dict[str, dict[str, Any]]:
            return {k: {"hit": r.hit, "total": r.total, "value": r.value} for k, r in d.items()}

        return {"summarizer": self.summarizer, "scenarios": self.scenarios, "seconds": round(self.seconds, 1),
                "brief_recall": ratios(self.recall), "search_recall_at_5": ratios(self.search),
                "contamination": ratios(self.contamination), "briefs": self.briefs,
                "over_budget": self.over_budget, "tokens_median": self.tokens_median,
                "tokens_max": self.tokens_max, "budget_tokens": self.budget_tokens, "errors": self.errors,
                "sessions": self.sessions, "by_backend": self.by_backend, "fallbacks": self.fallbacks,
                "search_recall_at_5_paraphrased": ratios(self.paraphrased),
                "search_recall_at_5_lexical": ratios(self.lexical),
                "search_recall_at_5_paraphrased_lexical": ratios(self.lexical_paraphrased), "hybrid": self.hybrid,
                "unrelated_meaning_hits": {"hit": self.unrelated.hit, "total": self.unrelated.total,
                                           "value": self.unrelated.value}}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Figures":
        def ratios(x: dict[str, dict[str, Any]]) -> dict[str, Ratio]:
            return {k: Ratio(v["hit"], v["total"]) for k, v in x.items()}

        return cls(d["summarizer"], d["scenarios"], d["seconds"], ratios(d["brief_recall"]),
                   ratios(d["search_recall_at_5"]), ratios(d["contamination"]), d["briefs"], d["over_budget"],
                   d["tokens_median"], d["tokens_max"], d["budget_tokens"], list(d["errors"]), d.get("sessions", 0),
                   d.get("by_backend", 0), list(d.get("fallbacks", [])),
                   ratios(d.get("search_recall_at_5_paraphrased", {})), ratios(d.get("search_recall_at_5_lexical", {})),
                   ratios(d.get("search_recall_at_5_paraphrased_lexical", {})), bool(d.get("hybrid", False)),
                   Ratio(**{k: v for k, v in d.get("unrelated_meaning_hits", {}).items() if k != "value"}))


def figures(summarizer: str, results: list[ScenarioResult]) -> Figures:
    recall: dict[str, Ratio] = {}
    found: dict[str, Ratio] = {}
    paraphrased: dict[str, Ratio] = {}
    lexical: dict[str, Ratio] = {}
    lexical_paraphrased: dict[str, Ratio] = {}
    contamination: dict[str, Ratio] = {}
    for kind in ("overall", *dsl.KINDS):
        recall[kind], found[kind], paraphrased[kind], contamination[kind] = Ratio(), Ratio(), Ratio(), Ratio()
        lexical[kind], lexical_paraphrased[kind] = Ratio(), Ratio()
    for r in results:
        for f in r.facts:
            if f.expected:
                recall[f.kind].add(f.ok)
                recall["overall"].add(f.ok)
            else:
                contamination[f.kind].add(not f.ok)
                contamination["overall"].add(not f.ok)
        for s in r.searches:
            if s.lexical:
                by_wording = lexical_paraphrased if s.paraphrased else lexical
            else:
                by_wording = paraphrased if s.paraphrased else found
            by_wording[s.kind].add(s.ok)
            by_wording["overall"].add(s.ok)
    sizes = [s for r in results for s in r.sizes]
    probe_tokens = [s.tokens for s in sizes if s.probe] or [0]
    return Figures(
        summarizer=summarizer, scenarios=len(results), seconds=sum(r.seconds for r in results),
        recall=recall, search=found, paraphrased=paraphrased, contamination=contamination, briefs=len(sizes),
        lexical=lexical, lexical_paraphrased=lexical_paraphrased, hybrid=embedding.available(),
        over_budget=sum(s.over for s in sizes), tokens_median=int(statistics.median(probe_tokens)),
        tokens_max=max([s.tokens for s in sizes] or [0]),
        budget_tokens=max([s.budget_tokens for s in sizes] or [0]),
        errors=[f"{r.name}: {r.error}" for r in results if r.error],
        sessions=sum(len(r.summarizers) for r in results),
        by_backend=sum(1 for r in results for used, _ in r.summarizers if used == summarizer),
        fallbacks=sorted({f"{r.name}: {why}" for r in results for used, why in r.summarizers if used != summarizer}),
        unrelated=Ratio(sum(x for r in results for x in r.unrelated), sum(len(r.unrelated) for r in results)))
