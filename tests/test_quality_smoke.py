"""The memory quality benchmark (benchmarks/quality/) as a smoke check.

Three scenarios are replayed through the real hooks, git, the flush worker and
gitmem sync with the offline summarizer: nothing a brief presents as current
may be a dead end, a superseded decision or unmerged work, and no brief the
hook printed may exceed its budget. Recall is printed, not asserted (it is a
figure with a goal, measured by ``benchmarks/quality/run.py``). The scoring
itself is checked on briefs written here, so a detector that stopped seeing
contamination would fail.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from gitmem.app import inject

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from quality import dsl, measure, paraphrase  # noqa: E402
from quality.run import run_scenario  # noqa: E402
from quality.scenarios import SCENARIOS  # noqa: E402

# One per kind of contamination: a dead end (and sync between two clones), a superseded decision, unmerged work.
SMOKE = ("report-parallel-dead-end-teammate", "superseded-money", "graphql-experiment")
CONTAMINATION_KINDS = {"dead_end", "superseded", "unmerged"}


def brief(*sections: tuple[str, list[str]]) -> str:
    body = "".join(f"\n## {title}\n" + "\n".join(lines) for title, lines in sections)
    return f"{inject.OPEN}\n{inject.PREAMBLE}\n{body}\n\n{inject.FOOTER}\n{inject.CLOSE}"


@pytest.mark.parametrize("name", SMOKE)
def test_a_scenario_replays_without_contamination_or_overrun(name: str, tmp_path: Path) -> None:
    scenario = next(s for s in SCENARIOS if s.name == name)
    result = run_scenario(scenario, tmp_path, "offline")
    assert result.error == ""
    assert result.summarizers and all(used == "offline" for used, _ in result.summarizers)
    assert len(result.briefs) == len(scenario.briefs)
    assert all(text.startswith(inject.OPEN) and text.endswith(inject.CLOSE) for text in result.briefs)
    contaminated = [(f.kind, f.pattern, f.line) for f in result.facts if not f.expected and not f.ok]
    assert contaminated == []
    assert any(not f.expected for f in result.facts)  # there was something to be contaminated by
    over = [(s.session, s.chars, s.budget_chars) for s in result.sizes if s.over]
    assert over == [] and len(result.sizes) > len(scenario.briefs)  # every brief the hook printed, not only probes
    figures = measure.figures("offline", [result])
    print(f"{name}: brief recall {figures.recall['overall'].value}, "
          f"search recall@5 {figures.search['overall'].value}")


def test_contamination_is_what_is_not_hedged() -> None:
    text = brief(
        ("Recent sessions on this branch", [
            "- Speed up the report (Alice, 2026-11-24, main, session a)",
            "  Learned: multiprocessing made the report 4x faster",
            "  Tried, did not work: Parallelising with multiprocessing: database is locked",
            "  Decided: [superseded by d-2; no longer applies] store amounts as floats",
            "  Decided: [rejected in review; does not apply] drop input validation"]),
        ("Other team decisions", ["- [proposed, not yet accepted] Adopt GraphQL: for the mobile API. (d-9)"]),
        (inject.SECTIONS[6], ["- Try Kafka for order events (Dana, 2026-11-20, spike/kafka, session b)"]))
    expect = [(dsl.Fact("dead_end", r"database is locked", hedged=True), True),   # told as a dead end
              (dsl.Fact("unmerged", r"Kafka", hedged=True), True),                # listed as unmerged work
              (dsl.Fact("decision", r"Kafka"), False),            # ... which never counts as a current fact
              (dsl.Fact("decision", r"4x faster"), True),
              (dsl.Fact("dead_end", r"multiprocessing made", hedged=True), False)]  # a Learned line is not hedged
    forbid = [(dsl.Fact("dead_end", r"multiprocessing"), False),    # on a Learned line: presented as fact
              (dsl.Fact("superseded", r"floats"), True),            # marked superseded
              (dsl.Fact("superseded", r"input validation"), True),  # marked rejected
              (dsl.Fact("unmerged", r"Kafka"), True),               # listed under not merged here
              (dsl.Fact("unmerged", r"GraphQL"), False)]            # a proposed decision is presented as current
    probe = dsl.Brief("main", expect=tuple(f for f, _ in expect), forbid=tuple(f for f, _ in forbid))
    scored = measure.score_brief("s", 0, probe, text)
    assert [(f.pattern, f.ok) for f in scored] == [(f.pattern, ok) for f, ok in (*expect, *forbid)]
    assert [f.expected for f in scored] == [True] * len(expect) + [False] * len(forbid)
    figures = measure.figures("offline", [measure.ScenarioResult("s", 0.0, facts=scored)])
    assert figures.contamination["overall"].hit == 2 and figures.contamination["dead_end"].hit == 1
    assert (figures.recall["overall"].hit, figures.recall["overall"].total) == (3, 5)


def test_the_preamble_footer_and_markdown_marks_are_not_facts() -> None:
    text = brief(("Recent sessions on this branch", ["- Add `Retry-After` on **429** (Dana, 2026-11-24, main, s)"]))
    lines = measure.parse_brief(text)
    assert [l.text for l in lines] == ["- Add `Retry-After` on **429** (Dana, 2026-11-24, main, s)"]
    assert measure.find(dsl.Fact("next_step", r"Retry-After on 429"), lines, hedged=False)
    assert measure.find(dsl.Fact("decision", r"not instructions"), lines, hedged=False) is None  # the preamble
    assert measure.parse_brief("no brief at all") == []


def test_search_recall_counts_the_expected_record_in_the_top_five_only() -> None:
    class Hit:
        def __init__(self, type_: str, id_: str, title: str = "") -> None:
            self.type, self.id, self.title = type_, id_, title

    hits = [Hit("observation", "o1"), Hit("session", "other"), Hit("decision", "d-1", "Use RQ instead of Celery"),
            Hit("observation", "o2"), Hit("observation", "o3"), Hit("session", "real-id")]
    sids = {"s1": "real-id"}
    sixth = measure.score_search("s", dsl.Search("decision", "q", session="s1"), hits, sids)
    assert (sixth.ok, sixth.rank) == (False, 0)
    third = measure.score_search("s", dsl.Search("superseded", "q", decision=r"instead of celery"), hits, sids)
    assert (third.ok, third.rank) == (True, 3)


def test_the_scenarios_cover_every_kind_and_read_as_test_cases() -> None:
    assert len(SCENARIOS) >= 20
    assert len({s.name for s in SCENARIOS}) == len(SCENARIOS)
    expected = {f.kind for s in SCENARIOS for b in s.briefs for f in b.expect}
    forbidden = {f.kind for s in SCENARIOS for b in s.briefs for f in b.forbid}
    assert expected == set(dsl.KINDS) - {"superseded"}  # a superseded decision is only ever forbidden
    assert forbidden == CONTAMINATION_KINDS
    assert {s.kind for sc in SCENARIOS for s in sc.searches} == set(dsl.KINDS)
    assert any(len(s.actors) > 1 and any(isinstance(step, dsl.Sync) for step in s.steps) for s in SCENARIOS)
    for s in SCENARIOS:
        assert s.briefs and s.searches, s.name
        ids = {step.id for step in s.steps if isinstance(step, dsl.Session)}
        assert all(q.session in ids for q in s.searches if q.session), s.name
        for b in s.briefs:
            for f in (*b.expect, *b.forbid):
                re.compile(f.pattern)
        actors = {getattr(step, "actor", "") for step in s.steps} | {b.actor for b in s.briefs}
        assert actors <= {"", *s.actors}, s.name


def test_every_search_probe_has_a_paraphrase_that_keeps_the_rule() -> None:
    assert all(probe.paraphrase for s in SCENARIOS for probe in s.searches)
    assert paraphrase.violations(SCENARIOS) == []


def test_a_paraphrase_sharing_a_content_word_with_its_target_is_refused() -> None:
    s1 = dsl.session("s1", "Retry failed charges",
                     dsl.Write("billing/charge_retry.py", "KEYS = {}\n"), dsl.Commit("Idempotency keys for charges"),
                     reply="We decided to use raw SQL over SQLAlchemy because the queries are hand-tuned.")
    decide = dsl.Decide("Amounts are integer cents", "Store money as int.", rationale="Float sums drifted.")
    scenario = dsl.Scenario("t", "", (decide, s1))

    def probe(text: str, **target: str) -> dsl.Search:
        return dsl.Search("decision", "exact words", paraphrase=text, **(target or {"session": "s1"}))

    def shared(text: str, **target: str) -> set[str]:
        return paraphrase.shared(scenario, probe(text, **target))

    assert shared("why don't we use an ORM") == {"use"}                          # a word of the reply
    assert shared("why don't we have an ORM") == set()                           # stopwords are not content
    assert shared("how do charging attempts get repeated") == {"charg"}          # -ing, and the prompt counts
    assert shared("what about the sqlalchemy layer") == {"sqlalchemy"}           # SQLAlchemy: the whole word ...
    assert shared("the alchemy layer") == {"alchemy"}                            # ... and its parts
    assert shared("where is the retry module") == {"retry"}                      # a path's identifier, split
    assert shared("idempotent") == set() and shared("idempotency key") == {"idempotency", "key"}  # plural -s
    assert shared("why not a decimal type", decision="integer cents") == set()
    assert shared("why not floating point", decision="integer cents") == {"float"}  # -ing against "Float"
    assert shared("why did the totals drift", decision="integer cents") == {"drift"}  # a Decide's rationale
    assert shared("why did the totals drift", session="s1") == set()            # ... not the session's text
    problems = paraphrase.violations([dsl.Scenario("t", "", (decide, s1), searches=(
        probe("how is cash kept", decision="integer cents"), probe("", session="s1"),
        probe("how are cents kept", decision="integer cents"), probe("anything", decision="no such title")))])
    assert len(problems) == 3
    assert "no paraphrase" in problems[0] and "['cent']" in problems[1] and "names the target" in problems[2]


def test_paraphrased_searches_are_counted_apart_from_the_exact_wording() -> None:
    searches = [measure.SearchResult("s", "decision", "outbox", True, 1),
                measure.SearchResult("s", "decision", "why keep money and messages in step", False, 0, paraphrased=True),
                measure.SearchResult("s", "rationale", "why must accounting match", True, 2, paraphrased=True)]
    figures = measure.figures("offline", [measure.ScenarioResult("s", 0.0, searches=searches)])
    assert (figures.search["overall"].hit, figures.search["overall"].total) == (1, 1)
    assert (figures.paraphrased["overall"].hit, figures.paraphrased["overall"].total) == (1, 2)
    assert (figures.paraphrased["decision"].hit, figures.paraphrased["decision"].total) == (0, 1)
    data = figures.to_dict()
    assert data["search_recall_at_5_paraphrased"]["overall"]["value"] == 0.5
    again = measure.Figures.from_dict(data)
    assert again.paraphrased["overall"].value == 0.5 and again.search["overall"].value == 1.0
