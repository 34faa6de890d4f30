"""The offline summarizer reads every sentence, bullet and table row of the transcript's replies and the user's
whole prompts, and knows a choice by its structure (issue 17). The sentences here are written for these tests."""

from __future__ import annotations

import pytest

from gitmem.capture.transcript import Turn
from gitmem.compress.draft import SessionInput
from gitmem.compress.offline import kind_of, sentences, summarize_offline
from gitmem.store.records import Observation


def offline(*turns: Turn) -> object:
    obs = (Observation(ts="2026-01-01T00:00:00.000Z", kind="prompt", text=turns[0].text[:300], event_id="p"),)
    return summarize_offline(SessionInput("s-1", obs, transcript=turns))


@pytest.mark.parametrize(("sentence", "title", "alternative", "why"), [
    ("Keep the session tokens in memory, not in a cookie.", "Keep the session tokens in memory", "in a cookie", ""),
    ("Thumbnails are rendered on upload, not on first view, since cold renders time out.",
     "Thumbnails are rendered on upload", "on first view", "cold renders time out"),
    ("We picked Caddy over nginx because it renews certificates by itself.", "Caddy over nginx", "nginx",
     "it renews certificates by itself"),
    ("I prefer a monorepo over three repositories.", "I prefer a monorepo over three repositories",
     "three repositories", ""),
])
def test_a_choice_against_an_alternative_is_a_decision(sentence: str, title: str, alternative: str, why: str) -> None:
    assert kind_of(sentence) == "decision"
    draft = offline(Turn("user", "Tidy the service up"), Turn("assistant", sentence))
    (note,) = draft.decisions
    assert (note.title, note.alternatives, note.rationale) == (title, (alternative,), why)


@pytest.mark.parametrize("sentence", [
    "The build passes now, not sure why it failed before.",
    "The payload travels over the network twice per request.",
    "Latency got better over time after the cache warmed.",
])
def test_the_same_words_in_another_structure_are_no_decision(sentence: str) -> None:
    assert kind_of(sentence) != "decision"


def test_every_table_row_is_a_candidate_and_its_header_and_rule_are_not() -> None:
    reply = ("Options I compared:\n\n| Store | Verdict |\n|:---|---:|\n"
             "| SQLite | chosen because it ships inside Python |\n| Postgres | too heavy for a CLI |\n")
    assert sentences(reply) == ["Options I compared:", "SQLite: chosen because it ships inside Python.",
                                "Postgres: too heavy for a CLI."]


def test_a_choice_in_an_earlier_reply_and_a_rule_in_a_long_prompt_are_seen() -> None:
    prompt = ("Please move the nightly export into its own job. " + "Some background on the export. " * 12 +
              "Write the files as Parquet, not CSV, because the analysts load them into DuckDB.")
    assert len(prompt) > 300  # past what the hook's prompt observation keeps
    draft = offline(
        Turn("user", prompt),
        Turn("assistant", "Plan:\n- read the exporter\n- split the job\n- Went with hourly runs over nightly ones, so a "
                          "failed run loses one hour of data.\n- add a test"),
        Turn("assistant", "Done. The export is its own job now."))
    titles = {d.title: d for d in draft.decisions}
    assert titles["Write the files as Parquet"].alternatives == ("CSV",)
    assert titles["Write the files as Parquet"].rationale == "the analysts load them into DuckDB"
    hourly = titles["Went with hourly runs over nightly ones"]
    assert (hourly.alternatives, hourly.rationale) == (("nightly ones",), "a failed run loses one hour of data")
    assert draft.completed[0] == "The export is its own job now"


def test_a_choice_taken_back_later_in_the_session_is_a_dead_end_and_the_return_is_the_decision() -> None:
    draft = offline(
        Turn("user", "Cache the exchange rates"),
        Turn("assistant", "We decided to use memcached for the rate cache because it is already deployed."),
        Turn("assistant", "Memcached evicts the rates under load. We went back to the in-process LRU because "
                          "eviction broke the invariants."),
        Turn("assistant", "Done: the LRU holds the rates for five minutes."))
    assert [(d.title, d.rationale) for d in draft.decisions] == [
        ("Went back to the in-process LRU", "eviction broke the invariants")]
    assert any(d.startswith("We decided to use memcached") and "taken back" in d for d in draft.dead_ends)
    assert not any("memcached" in c for c in draft.completed)


def test_a_reversal_within_one_sentence_keeps_only_the_return() -> None:
    draft = offline(Turn("user", "Push rate updates to the browser"),
                    Turn("assistant", "Went with gRPC streaming for a day, then back to plain REST polling since "
                                      "the proxies drop streams."))
    (note,) = draft.decisions
    assert (note.title, note.rationale) == ("Back to plain REST polling", "the proxies drop streams")
    assert "gRPC" not in note.title + note.decision
    assert draft.dead_ends == ("Went with gRPC streaming for a day (taken back: back to plain REST polling since "
                               "the proxies drop streams)",)
