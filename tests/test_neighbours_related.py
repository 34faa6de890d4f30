"""Prompt recall's related words (index/neighbours.py ``related``): a word scores for a record holding a word
whose nearest vocabulary words include it, the search side's expansion turned around for the model-free hook."""

from __future__ import annotations

import pytest

from gitmem.index import embedding, expansion, neighbours

needs_model = pytest.mark.skipif(not embedding.available(), reason="gitmem[semantic] not installed")


def test_related_rows_join_the_cosine_ones_at_their_score_keeping_the_higher() -> None:
    near = [([2, 0], [0.41, 0.07]), ([], []), ([1], [0.06])]
    rel = [[0, 1], [], [1]]
    out = neighbours.with_related(near, rel)
    r = neighbours.RELATED_SCORE
    assert out[0] == ([2, 0, 1], [0.41, r, r]) and out[1] == ([], []) and out[2] == ([1], [r])


@needs_model
def test_a_word_is_related_to_the_records_holding_its_neighbours_and_a_common_one_to_none() -> None:
    found = [neighbours.Target(10, "session", "s-1", "Cache exchange rates in Redis"),
             neighbours.Target(11, "session", "s-2", "Pin the clock in the flaky login test")]
    # "exchange" and "currency" are each among the other's nearest words; "redis" names its own record
    assert "currency" in expansion.related(["exchange"])[0][1:]
    words = ["currency", "redis", "clock", "banana"]
    rel = neighbours.related(found, words)
    assert rel[0] == [0] and rel[1] == [0] and rel[2] == [1] and rel[3] == []
    many = [neighbours.Target(i, "session", f"s-{i}", f"Cache the rates {i}")
            for i in range(neighbours.MAX_RELATED + 1)]
    assert neighbours.related(many, ["cache"]) == [[]]     # in every record: says nothing about any one
