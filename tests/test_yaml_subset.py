"""The YAML subset reader (``gitmem.yaml_subset``): the same values as PyYAML for everything it reads, and no
value at all (PyYAML then reads the text) for anything outside the shape gitmem's dumper writes."""

from __future__ import annotations

import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from gitmem import yaml_subset
from gitmem.store.records import DecisionNote, Observation, ObservationBatch, SessionSummary
from gitmem.yaml_text import dump_yaml, load_yaml, split_front_matter

TRICKY = list("ab :-#'\"\n\t\r |>{}[],&*!%@`?=<~0123456789.eE+_xoTtrueYyNnl") + [
    "\x85", "\u2028", "\xa0", "é", "\ufeff", "😀", "\x00", "\x7f"]
TEXT = st.text(st.sampled_from(TRICKY), max_size=12) | st.text(max_size=12)
KEY = st.sampled_from(["a", "ts", "files", "on", "no", "x_1", "null", "y"])
VALUE = st.recursive(TEXT | st.integers(-5, 5000) | st.booleans() | st.none() | st.floats(allow_nan=False),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEY, inner, max_size=3),
                     max_leaves=8)


@settings(max_examples=600, suppress_health_check=list(HealthCheck), deadline=None)
@given(st.dictionaries(KEY, VALUE, min_size=1, max_size=4))
def test_what_the_dumper_writes_reads_back_as_pyyaml_reads_it(data: dict) -> None:
    text = dump_yaml(data)
    for variant in (text, text.rstrip("\n")):   # a front matter is cut without its last line feed
        fast = yaml_subset.load(variant)
        if fast is not None:   # repr: True and 1, 1.0 and 1 differ
            assert repr(fast) == repr(yaml.safe_load(variant)), variant


HAND_WRITTEN = ["a: yes", "a: 012", "a: 1_000", "a: 0x1f", "a: -1", "a: 1.5", "a: 2026-01-01", "a: ~", "a:",
                "on: 1", "a: b # note", "a:\tb", 'a: "x"', "a: 'x", "a: 'x' 'y'", "a:\n- b\n - c",
                "a: |2\n   x\n", "a: >\n  x\n", "a: &x 1\nb: *x", "- a", "a: [1, 2]", "a: {b: 1}",
                "a: b\n\nc: d", "a:\n  b: 1\n   c: 2", "a: |\n  x\n b", "%YAML 1.1\n---\na: 1", "a: x: y",
                "a: |+\n  x\n", "a: |\n  x", "? a\n: b", "a: !!str 1", "a: b\r\nc: d"]


def test_shapes_it_does_not_know_are_left_to_pyyaml_and_still_read() -> None:
    for text in HAND_WRITTEN:
        assert yaml_subset.load(text) is None, text
        try:
            expected = yaml.safe_load(text)
        except yaml.YAMLError:
            continue
        assert repr(load_yaml(text, "hand.yaml")) == repr(expected), text


def test_records_gitmem_writes_are_read_by_the_subset_with_their_exact_values() -> None:
    obs = (Observation(ts="2026-11-24T08:00:00Z", kind="edit", tool="Edit", text="line one\nline two\n",
                       files=("src/a b.py", "#odd.py", "yes"), command="grep -n 'x: y' a", detail="  indented"),
           Observation(ts="2026-11-24T08:00:01Z", kind="note", text="ends without a line feed\nsecond",
                       outcome="2026-01-01", detail="Straße 😀 café"),
           Observation(ts="2026-11-24T08:00:02Z", kind="note", text="kept\n\n\n", command="it's"))
    batch = ObservationBatch(session_id="s-1", seq=3, observations=obs)
    summary = SessionSummary(id="s-1", title="Pick: the queue", started_at="2026-11-24T08:00:00Z",
                             learned=("one", "two\nlines"), decisions=(DecisionNote(
                                 title="Use SKIP LOCKED", rationale="no new service", alternatives=("Redis",)),),
                             tokens_in=12, observation_count=3)
    front, _body, _first = split_front_matter(summary.to_text(), "summary.md")
    for text, record in ((batch.to_text(), batch), (front, summary)):
        fast = yaml_subset.load(text)
        assert fast is not None and fast == yaml.safe_load(text), text
        assert type(record).from_dict(fast) == record
