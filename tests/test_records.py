"""Records: exact text round trips, stable ids, and errors that name the path and line."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from gitmem.errors import RecordError
from gitmem import yaml_text
from gitmem.store.records import (SCHEMA_VERSION, Decision, DecisionNote, Observation, ObservationBatch, SessionSummary,
                                  content_id, new_decision_id)
from gitmem.yaml_text import dump_yaml

ROUND_TRIP = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Strings that break naive YAML or front matter handling.
TRICKY = [
    "", " ", "  leading", "trailing  ", "\t", "a\tb", "\n", "\n\n", "x\n", "x\n\n", "\nx", "\r\n", "a\r\nb\r\n",
    "\r", "---", "\n---\n", "a\n---\nb", "---\n", "...", "a\n...\nb", "--- a", "yes", "no", "on", "off",
    "true", "False", "null", "~", "Null", "2026-11-24", "2026-11-24T08:00:00Z", "1e3", "0x10", "0o17", "010",
    "1_000", "190:20:30", ".inf", "-.nan", "+1", "3.0", "=", "<<", "&anchor", "*alias", "!tag", "%YAML",
    "@at", "`tick", "#comment", "a #b", "key: value", "- item", "? q", "[a, b]", "{a: b}", "|", ">", "'",
    '"', "\\", "\x00", "a\x00b", "\x01\x1f\x7f", "\x85", "a\x85b", "a\nb\x85c", "\u2028", "a\u2029b",
    "\ufeff", "\ufeffbom", "\ufffe\uffff", "😀", "👩‍💻 emoji zwj", "\U0010ffff", "مرحبا بالعالم",
    "\u202eRTL override", "עברית\nsecond", "e\u0301", "\u00a0nbsp\u00a0", " \n ", "a \nb", "a\n b", "\n\n\nx",
]

odd_text = st.one_of(
    st.sampled_from(TRICKY),
    st.text(max_size=30),
    st.text(st.characters(codec="utf-8"), max_size=30),
    st.lists(st.sampled_from(TRICKY) | st.text(max_size=5), max_size=6).map("".join),
)
# Very long lines: repeat a fragment past 10,000 characters.
long_text = st.builds(lambda frag, n: frag * (10_001 // max(len(frag), 1) + n),
                      st.sampled_from(["x", "ab ", "é", "😀", "---", "a: b ", "\t"]), st.integers(0, 3))
# Records have dozens of text fields and pure-Python YAML is slow on huge scalars, so the record
# strategies use short odd text; test_very_long_lines_round_trip covers >10k-character lines.
any_text = odd_text
texts = st.lists(any_text, max_size=3).map(tuple)
counts = st.integers(min_value=0, max_value=2**63)

observations = st.builds(Observation, ts=any_text, kind=any_text, tool=any_text, text=any_text, files=texts,
                         command=any_text, outcome=any_text, detail=any_text, event_id=any_text)
batches = st.builds(ObservationBatch, session_id=any_text, seq=counts,
                    observations=st.lists(observations, max_size=3).map(tuple))
decision_notes = st.builds(DecisionNote, title=any_text, decision=any_text, context=any_text,
                           rationale=any_text, alternatives=texts, files=texts)
summaries = st.builds(
    SessionSummary, id=any_text, title=any_text, started_at=any_text, ended_at=any_text, author=any_text,
    agent=any_text, branch=any_text, head_start=any_text, head_end=any_text, commits=texts, request=any_text,
    investigated=texts, learned=texts, completed=texts, next_steps=texts, dead_ends=texts,
    decisions=st.lists(decision_notes, max_size=2).map(tuple), files_read=texts, files_modified=texts,
    tags=texts, observation_count=counts, summarizer=any_text, model=any_text, tokens_in=counts,
    tokens_out=counts, fallback_reason=any_text)
decisions = st.builds(Decision, id=any_text, title=any_text, status=st.sampled_from(
    ["proposed", "accepted", "superseded", "rejected"]), date=any_text, authors=texts, supersedes=texts,
    files=texts, tags=texts, session=any_text, body=any_text)


# -- round trips ---------------------------------------------------------------------------


@ROUND_TRIP
@given(summaries)
@example(SessionSummary(id="s", title="a\x85b", started_at="2026-11-24", request="x\n\x85y"))
def test_session_summary_text_round_trip_is_exact(summary):
    text = summary.to_text()
    assert text.startswith("---\n")
    _assert_front_matter_cannot_close_early(summary.to_dict())
    assert SessionSummary.from_text(text, "summary.md") == summary
    assert SessionSummary.from_dict(summary.to_dict()) == summary


@ROUND_TRIP
@given(batches)
def test_observation_batch_text_round_trip_is_exact(batch):
    assert ObservationBatch.from_text(batch.to_text(), "obs-0001.yaml") == batch
    assert ObservationBatch.from_dict(batch.to_dict()) == batch


@ROUND_TRIP
@given(decisions)
@example(Decision(id="d", title="t", body="---\nnot front matter\n---\n"))
@example(Decision(id="d", title="t", body="...\n"))
@example(Decision(id="d", title="x\n\n", body="\r\nbody with CRLF\r\n"))
def test_decision_text_round_trip_keeps_the_body_byte_for_byte(decision):
    text = decision.to_text()
    _assert_front_matter_cannot_close_early(decision.front_matter())
    back = Decision.from_text(text, "decision.md")
    assert back == decision
    assert back.body == decision.body
    assert text.endswith(decision.body)


def _assert_front_matter_cannot_close_early(data):
    # split_front_matter stops at the first `---` or `...` line; dumped YAML must never contain one.
    lines = dump_yaml(data).split("\n")
    assert not [line for line in lines if line.rstrip("\r") in ("---", "...")]


@settings(max_examples=12, deadline=None)
@given(long_text, long_text, st.sampled_from(TRICKY))
def test_very_long_lines_round_trip(long, other, tricky):
    obs = Observation(ts=tricky, kind="k", text=long, files=(other, tricky + long))
    assert ObservationBatch.from_text(ObservationBatch("s", 1, (obs,)).to_text()).observations[0] == obs
    summary = SessionSummary(id="s", title=long, started_at=tricky, learned=(other, long + "\n" + tricky))
    assert SessionSummary.from_text(summary.to_text()) == summary
    decision = Decision(id="d", title=other, body=long + "\n---\n" + tricky)
    assert Decision.from_text(decision.to_text()) == decision


def test_text_round_trip_survives_utf8_encoding():
    # The store writes records as UTF-8 bytes; every odd string above must survive that too.
    summary = SessionSummary(id="s", title="t", started_at="2026-11-24T08:00:00Z", learned=tuple(TRICKY),
                             request="x" * 20_000)
    data = summary.to_text().encode("utf-8")
    assert SessionSummary.from_text(data.decode("utf-8")) == summary
    batch = ObservationBatch("s", 1, tuple(Observation(ts=t, kind=t, text=t, files=(t,)) for t in TRICKY))
    assert ObservationBatch.from_text(batch.to_text().encode("utf-8").decode("utf-8")) == batch


def test_yaml_lookalike_strings_stay_strings():
    for value in ["yes", "null", "2026-11-24", "1e3", "0x10", "~", "true", "190:20:30", "="]:
        obs = Observation(ts=value, kind=value, text=value, files=(value,))
        back = ObservationBatch.from_text(ObservationBatch("s", 1, (obs,)).to_text()).observations[0]
        assert back == obs
        assert type(back.text) is str and back.text == value


def test_nel_line_separator_round_trips():
    # A YAML reader turns NEL (U+0085) into "\n" inside literal and single-quoted scalars.
    for value in ["a\x85b", "a\nb\x85c", "line\u2028sep", "para\u2029sep\n"]:
        obs = Observation(ts="t", kind="k", text=value)
        text = ObservationBatch("s", 1, (obs,)).to_text()
        assert ObservationBatch.from_text(text).observations[0].text == value


def test_nul_and_control_characters_are_representable():
    obs = Observation(ts="t", kind="k", text="a\x00b\x01c\x1b[31m\x7f")
    text = ObservationBatch("s", 1, (obs,)).to_text()
    assert "\x00" not in text and "\x1b" not in text  # escaped, so the file stays text
    assert ObservationBatch.from_text(text).observations[0] == obs


def test_lone_surrogates_are_normalized_at_construction():
    # Lone surrogates (e.g. from a JSON payload's broken "\ud83d" escape) cannot be written as
    # UTF-8. Records replace them with U+FFFD when built; a split pair becomes its character.
    obs = Observation(ts="t", kind="k", text="a\ud800b", files=("\udfff",))
    assert obs.text == "a\ufffdb"
    assert obs.files == ("\ufffd",)
    assert Observation(ts="t", kind="k", text="\ud83d\ude00").text == "😀"
    summary = SessionSummary(id="s", title="x\udc80", started_at="2026-11-24",
                             decisions=(DecisionNote(title="\ud800"),))
    assert summary.title == "x\ufffd" and summary.decisions[0].title == "\ufffd"
    assert Decision(id="d", title="t", body="\ud800").body == "\ufffd"
    encoded = summary.to_text().encode("utf-8")  # would raise UnicodeEncodeError with a lone surrogate
    assert SessionSummary.from_text(encoded.decode("utf-8")) == summary
    assert obs.id == Observation(ts="t", kind="k", text="a\ufffdb", files=("\ufffd",)).id


@ROUND_TRIP
@given(st.text(st.characters(codec="utf-16", categories=["Cs", "Ll"]), max_size=20))
def test_records_never_hold_text_that_utf8_cannot_encode(value):
    obs = Observation(ts=value, kind="k", text=value, files=(value,))
    obs.text.encode("utf-8")
    obs.files[0].encode("utf-8")
    assert ObservationBatch.from_text(ObservationBatch("s", 1, (obs,)).to_text()).observations[0] == obs


# -- ids ---------------------------------------------------------------------------------------


@ROUND_TRIP
@given(observations)
def test_observation_id_is_stable_for_equal_records(obs):
    copy = Observation.from_dict(obs.to_dict())
    assert copy == obs and copy is not obs
    assert copy.id == obs.id
    assert obs.id.startswith("o1-") and len(obs.id) == 3 + 16


@ROUND_TRIP
@given(observations, observations)
def test_observation_id_differs_for_different_records(a, b):
    assert (a.id == b.id) == (a == b)


@ROUND_TRIP
@given(observations, st.sampled_from([f.name for f in dataclasses.fields(Observation)]), any_text)
def test_changing_any_observation_field_changes_its_id(obs, name, value):
    if name == "files":
        value = (*obs.files, value)
    changed = dataclasses.replace(obs, **{name: value})
    assert (changed.id == obs.id) == (changed == obs)


def test_ids_are_pinned_across_processes_and_versions():
    # Ids are stored in the ref and compared across machines: a change here is a format change.
    obs = Observation(ts="2026-11-24T08:00:00Z", kind="prompt", text="hello")
    assert obs.id == content_id("o1-", {"kind": "prompt", "text": "hello", "ts": "2026-11-24T08:00:00Z"})
    assert obs.id == "o1-" + PINNED_OBSERVATION_DIGEST
    assert content_id("v1:", {"b": [1, 2], "a": "é"}) == content_id("v1:", {"a": "é", "b": [1, 2]})
    assert new_decision_id("Use SQLite", "2026-11-24", ("Ada",)) == new_decision_id("Use SQLite", "2026-11-24",
                                                                                   ("Ada",))
    assert new_decision_id("Use SQLite", "2026-11-24", ("Ada",)) != new_decision_id("Use SQLite", "2026-11-25",
                                                                                   ("Ada",))


PINNED_OBSERVATION_DIGEST = "020fea963fe325f3"


# -- damaged text -> RecordError with path and line ------------------------------------------------


def _error(cls, text, path="sessions/2026-11/s/summary.md"):
    with pytest.raises(RecordError) as info:
        cls.from_text(text, path)
    err = info.value
    assert err.path == path
    assert str(err).startswith(f"{path}:{err.line}: ")
    return err


GOOD_SUMMARY = SessionSummary(id="s1", title="fine", started_at="2026-11-24T08:00:00Z", tokens_in=3).to_text()


def _replace_line(text: str, key: str, new: str) -> tuple[str, int]:
    lines = text.split("\n")
    (i,) = [n for n, line in enumerate(lines) if line.startswith(key + ":")]
    lines[i] = new
    return "\n".join(lines), i + 1


def test_broken_yaml_names_the_line():
    text, line = _replace_line(GOOD_SUMMARY, "branch", "branch: [unclosed")
    err = _error(SessionSummary, text)
    assert "invalid YAML" in err.message
    assert err.line in (line, line + 1)  # the scanner reports where it noticed
    text, line = _replace_line(GOOD_SUMMARY, "author", "author: a: b")
    assert _error(SessionSummary, text).line == line


def test_unknown_field_names_its_line():
    text, line = _replace_line(GOOD_SUMMARY, "branch", "brnach: main")
    err = _error(SessionSummary, text)
    assert "unknown field `brnach`" in err.message
    assert err.line == line


def test_wrong_type_names_its_line():
    text, line = _replace_line(GOOD_SUMMARY, "tokens_in", "tokens_in: many")
    err = _error(SessionSummary, text)
    assert "tokens_in must be a whole number" in err.message
    assert err.line == line
    text, line = _replace_line(GOOD_SUMMARY, "tags", "tags: {a: 1}")
    assert _error(SessionSummary, text).line == line


def test_missing_front_matter_is_line_one():
    err = _error(SessionSummary, "# just markdown\n\nno front matter\n")
    assert err.line == 1 and "front matter" in err.message
    err = _error(SessionSummary, "---\nid: s\ntitle: t\n")
    assert err.line == 1 and "not closed" in err.message
    err = _error(SessionSummary, "")
    assert err.line == 1


def test_missing_required_field_is_reported():
    text, _ = _replace_line(GOOD_SUMMARY, "title", "")
    err = _error(SessionSummary, text)
    assert "missing required field `title`" in err.message
    assert err.line == 2  # the first front matter line


def test_newer_schema_names_the_schema_line():
    text, line = _replace_line(GOOD_SUMMARY, "schema", f"schema: {SCHEMA_VERSION + 1}")
    text = text.replace("tokens_out:", "tokens_future: 1\ntokens_out:")  # a newer field is not the error
    err = _error(SessionSummary, text)
    assert "newer" in err.message and err.hint.startswith("upgrade")
    assert err.line == line + 1


def test_control_character_in_hand_edited_yaml_names_the_line():
    text, line = _replace_line(GOOD_SUMMARY, "branch", "branch: ma\x00in")
    err = _error(SessionSummary, text)
    assert err.line == line and "0x00" in err.message


@pytest.mark.parametrize("libyaml", [True, False], ids=["libyaml", "pure-python"])
def test_deeply_nested_yaml_is_an_error_naming_the_files_line(libyaml, monkeypatch):
    if libyaml and yaml_text._FAST_LOADER is None:
        pytest.skip("this PyYAML was built without libyaml")
    if not libyaml:
        monkeypatch.setattr(yaml_text, "_FAST_LOADER", None)
    text, line = _replace_line(GOOD_SUMMARY, "branch", "branch: " + "[" * 1500 + "]" * 1500)
    err = _error(SessionSummary, text)
    # libyaml < 6.0.4 parses the nesting and the field check refuses it; libyaml >= 6.0.4 and the
    # pure-Python parser stop on depth. Each way, the line is the file's line of the field.
    assert "nested too deeply" in err.message or "branch must be text" in err.message
    assert err.line == line


@pytest.mark.parametrize("libyaml", [True, False], ids=["libyaml", "pure-python"])
def test_deep_block_nesting_names_a_line_inside_the_nesting(libyaml, monkeypatch):
    if not libyaml:
        monkeypatch.setattr(yaml_text, "_FAST_LOADER", None)
    nested = "\n".join("  " * i + "-" for i in range(1, 1500))
    text, line = _replace_line(GOOD_SUMMARY, "branch", "branch:\n" + nested)
    err = _error(SessionSummary, text)
    assert "nested too deeply" in err.message
    assert line < err.line < line + 1500


@pytest.mark.parametrize("libyaml", [True, False], ids=["libyaml", "pure-python"])
def test_syntax_errors_name_the_same_file_line_with_either_parser(libyaml, monkeypatch):
    if not libyaml:
        monkeypatch.setattr(yaml_text, "_FAST_LOADER", None)
    text, line = _replace_line(GOOD_SUMMARY, "branch", "branch: [unclosed")
    assert _error(SessionSummary, text).line in (line, line + 1)
    text, line = _replace_line(GOOD_SUMMARY, "branch", "branch: ma\x00in")
    assert _error(SessionSummary, text).line == line


def test_crlf_front_matter_reads_and_lines_still_count():
    crlf = GOOD_SUMMARY.replace("\n", "\r\n")
    assert SessionSummary.from_text(crlf) == SessionSummary.from_text(GOOD_SUMMARY)
    text, line = _replace_line(GOOD_SUMMARY, "tokens_in", "tokens_in: many")
    assert _error(SessionSummary, text.replace("\n", "\r\n")).line == line


def test_observation_errors_point_into_the_list():
    batch = ObservationBatch("s", 1, (Observation(ts="t1", kind="prompt", text="a"),
                                      Observation(ts="t2", kind="tool", tool="Bash", command="ls")))
    lines = batch.to_text().split("\n")
    i = lines.index("  tool: Bash")
    path = "sessions/2026-11/s/obs-0001.yaml"
    bad = lines[:i] + ["  bogus: 1"] + lines[i + 1:]
    err = _error(ObservationBatch, "\n".join(bad), path)
    assert "unknown field `observations[1].bogus`" in err.message
    assert err.line == i + 1
    bad = lines[:i] + ["  tool: [1, 2]"] + lines[i + 1:]
    err = _error(ObservationBatch, "\n".join(bad), path)
    assert "observations[1].tool must be text" in err.message
    assert err.line == i + 1
    j = lines.index("- ts: t2")
    bad = lines[:j] + ["- kind: tool"] + lines[j + 1:]
    err = _error(ObservationBatch, "\n".join(bad), path)
    assert "missing required field `observations[1].ts`" in err.message
    assert err.line == j + 1


def test_decision_errors_name_their_lines():
    text = Decision(id="d-1", title="Use SQLite", status="accepted", body="Because.\n").to_text()
    bad, line = _replace_line(text, "status", "status: maybe")
    err = _error(Decision, bad, ".gitmem/decisions/2026-11-24-sqlite.md")
    assert "status `maybe`" in err.message and err.line == line
    bad, line = _replace_line(text, "tags", "body: inline")
    err = _error(Decision, bad, ".gitmem/decisions/x.md")
    assert "`body` is not a front matter field" in err.message and err.line == line


def test_hand_written_scalars_are_coerced_to_text():
    text = "---\nid: d\ntitle: 2026\ndate: 2026-11-24\ntags: solo\n---\nbody\n"
    d = Decision.from_text(text)
    assert (d.title, d.date, d.tags, d.body) == ("2026", "2026-11-24", ("solo",), "body\n")
    err = _error(Decision, "---\nid: d\ntitle: yes\n---\n", "x.md")
    assert "title must be text, not bool" in err.message and err.line == 3


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.lists(st.sampled_from(
    ["---\n", "...\n", "id: s\n", "title: t\n", "started_at: 2026\n", "tags:\n", "- x\n", "  - y\n", "schema: 9\n",
     "tokens_in: many\n", "observations:\n", "- ts: 1\n", "  kind: k\n", "[", "{", ": ", "\x00", "\t", "'", "&a ",
     "*a\n", "!!binary x\n", "!!python/object:os.system\n", "? [a]\n", "a: !!set {x}\n"]), max_size=12).map("".join)))
def test_any_text_either_parses_or_raises_record_error(text):
    for cls in (SessionSummary, ObservationBatch, Decision):
        try:
            cls.from_text(text, "f")
        except RecordError as err:
            assert err.path == "f"
            assert err.line is not None and 1 <= err.line <= text.count("\n") + 2
