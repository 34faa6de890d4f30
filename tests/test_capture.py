"""capture: spool lines -> events -> compact observations and session facts.

The real session (tests/data/session-hooks.jsonl) is asserted observation by
observation; tools that session did not use come from synthetic payloads in
tests/data/capture/tools.json.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from gitmem.capture import code_comments, compaction
from gitmem.capture.claude_tools import MAX_COMMAND
from gitmem.capture.compaction import (MAX_STOP_HEAD, MAX_STOP_TAIL, SessionFacts, SpoolEvent, compact_events,
                                       parse_spool_line, session_facts)
from gitmem.capture.payload_fields import MAX_DETAIL, MAX_PATH, MAX_TEXT, clip, rel_path
from gitmem.store.records import Observation, ObservationBatch

DATA = Path(__file__).parent / "data"
ROOT = "/home/dev/payments"
SID = "a0ef3c6b-7e93-4b74-8a0a-36b4de04a3d4"
T0 = 1795996800.0  # 2026-11-30T00:00:00Z
CASES = json.loads((DATA / "capture" / "tools.json").read_text(encoding="utf-8"))


def spool_line(payload: bytes | dict, ts: float, event: str | None = None) -> bytes:
    """A line as hook.py writes it: the raw payload bytes inside the wrapper."""
    raw = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
    if event is None:
        name = json.loads(raw).get("hook_event_name")
        event = name if isinstance(name, str) else "Notification"
    return b'{"ts":%.6f,"event":"%s","payload":%s}\n' % (ts, event.encode(), raw.replace(b"\n", b" "))


def real_lines() -> list[bytes]:
    raw = (DATA / "session-hooks.jsonl").read_bytes().splitlines()
    return [spool_line(line, T0 + i) for i, line in enumerate(raw)]


def events_of(*payloads: dict, start: float = T0) -> list[SpoolEvent]:
    events = [parse_spool_line(spool_line(p, start + i)) for i, p in enumerate(payloads)]
    assert all(e is not None for e in events)
    return events  # type: ignore[return-value]


def one(case: str, root: str | None = ROOT) -> Observation:
    observations = compact_events(events_of(CASES[case]), root)
    assert len(observations) == 1, observations
    return observations[0]


def assert_bounded(observations: list[Observation]) -> None:
    for o in observations:
        assert len(o.text) <= MAX_TEXT and len(o.detail) <= MAX_DETAIL and len(o.command) <= MAX_COMMAND
        assert all(len(f) <= MAX_PATH for f in o.files)
        assert all(isinstance(getattr(o, f), str) for f in ("ts", "kind", "tool", "text", "command", "outcome", "detail"))


# -- the real session -------------------------------------------------------------


def test_real_session_compacts_to_exact_observations():
    events = [parse_spool_line(line) for line in real_lines()]
    assert None not in events
    assert compact_events(events, ROOT) == [
        Observation(ts="2026-11-30T00:00:00.000Z", kind="session", text="start", outcome="startup",
                    event_id=compact_events(events[:1], ROOT)[0].event_id),
        Observation(ts="2026-11-30T00:00:01.000Z", kind="prompt", text="Split the payment service",
                    event_id="p-a5187736-ecd1-4db4-bcea-b302f1315b04"),
        Observation(ts="2026-11-30T00:00:03.000Z", kind="read", tool="Read", text="lines 1-3 of 3", files=("app.py",),
                    outcome="ok", event_id="toolu_10fae17a739643d8a29bb9"),
        Observation(ts="2026-11-30T00:00:05.000Z", kind="edit", tool="Edit", text="replaced 1 occurrence (+1 -1 lines)",
                    files=("app.py",), outcome="ok", detail="- return 1\n+ return 2",
                    event_id="toolu_c5b1dc5b2c5a46c499eeb6"),
        Observation(ts="2026-11-30T00:00:07.000Z", kind="write", tool="Write", text="created (2 lines, 23 bytes)",
                    files=("outbox.py",), outcome="ok", event_id="toolu_03056fee2cfc4c7c951dfe"),
        Observation(ts="2026-11-30T00:00:09.000Z", kind="search", tool="Grep", text='"Outbox" in .', outcome="ok",
                    detail="1 file", event_id="toolu_da0ac8ca5ac64f56acc40f"),
        Observation(ts="2026-11-30T00:00:11.000Z", kind="command", tool="Bash", text="status",
                    command="git status --short", outcome="ok", detail="exit 0",
                    event_id="toolu_a772021c9f374b008227bc"),
        Observation(ts="2026-11-30T00:00:12.000Z", kind="stop",
                    text="Done. We decided to use the outbox pattern because the ledger must stay consistent.",
                    event_id=compact_events(events[12:13], ROOT)[0].event_id),
        Observation(ts="2026-11-30T00:00:13.000Z", kind="session", text="end", outcome="other",
                    event_id=compact_events(events[13:], ROOT)[0].event_id),
    ]


def test_real_session_keeps_no_tool_output():
    text = json.dumps([o.to_dict() for o in compact_events([parse_spool_line(x) for x in real_lines()], ROOT)])
    for bulk in ("def post", "class Outbox", "?? ledger.txt", "originalFile", "structuredPatch"):
        assert bulk not in text


def test_hashed_event_ids_are_distinct_and_stable():
    first = compact_events([parse_spool_line(x) for x in real_lines()], ROOT)
    again = compact_events([parse_spool_line(x) for x in real_lines()], ROOT)
    assert first == again
    ids = [o.event_id for o in first]
    assert len(set(ids)) == len(ids)
    assert [i[:2] for i in ids if not i.startswith(("toolu_", "p-"))] == ["e-", "e-", "e-"]
    later = [parse_spool_line(x) for x in [spool_line(json.loads(real_lines()[0])["payload"], T0 + 100)]]
    assert compact_events(later, ROOT)[0].event_id != first[0].event_id  # same payload, another moment


def test_real_session_facts():
    facts = session_facts([parse_spool_line(x) for x in real_lines()], ROOT)
    assert facts == SessionFacts(
        session_id=SID,
        started_at="2026-11-30T00:00:00.000Z",
        ended_at="2026-11-30T00:00:13.000Z",
        cwd=ROOT,
        transcript_path=f"/home/dev/.claude/projects/-home-dev-payments/{SID}.jsonl",
        prompts=("Split the payment service",),
        files_read=("app.py",),
        files_modified=("app.py", "outbox.py"),
        commands=("git status --short",),
        failures=0,
        last_assistant_message="Done. We decided to use the outbox pattern because the ledger must stay consistent.",
        end_reason="other",
        sources=("startup",),
        tool_counts=(("Bash", 1), ("Edit", 1), ("Grep", 1), ("Read", 1), ("Write", 1)),
    )


def test_without_root_paths_stay_absolute():
    observations = compact_events([parse_spool_line(x) for x in real_lines()], None)
    assert [o.files for o in observations if o.files] == [("/home/dev/payments/app.py",)] * 2 + [
        ("/home/dev/payments/outbox.py",)]
    assert session_facts([parse_spool_line(x) for x in real_lines()], None).files_modified == (
        "/home/dev/payments/app.py", "/home/dev/payments/outbox.py")


def test_observations_round_trip_through_the_yaml_record():
    observations = compact_events([parse_spool_line(x) for x in real_lines()], ROOT)
    observations += compact_events(events_of(*CASES.values()), ROOT)
    batch = ObservationBatch(session_id=SID, seq=1, observations=tuple(observations))
    assert ObservationBatch.from_text(batch.to_text()) == batch


# -- PreToolUse / PostToolUse pairing -------------------------------------------------------


def test_pre_is_dropped_when_its_post_exists_even_if_the_post_comes_first():
    lines = real_lines()
    pre_read, post_read = lines[2], lines[3]
    assert len(compact_events([parse_spool_line(x) for x in (post_read, pre_read)], ROOT)) == 1
    kept = compact_events([parse_spool_line(pre_read)], ROOT)
    assert kept == [Observation(ts="2026-11-30T00:00:02.000Z", kind="read", tool="Read", files=("app.py",),
                                outcome="attempted", event_id="toolu_10fae17a739643d8a29bb9:pre")]


def test_pre_without_post_is_kept_as_attempted():
    obs = one("bash_pre_only")
    assert obs == Observation(ts=obs.ts, kind="command", tool="Bash", text="Apply the migrations",
                              command="make migrate", outcome="attempted", event_id="toolu_01BashPreOnly00000001:pre")
    facts = session_facts(events_of(CASES["bash_pre_only"]), ROOT)
    assert facts.commands == () and facts.tool_counts == ()


def test_duplicate_spool_lines_give_one_observation():
    lines = real_lines()
    twice = [lines[1], lines[3], lines[1].replace(b'"ts":%.6f' % (T0 + 1), b'"ts":%.6f' % (T0 + 50)),
             lines[3].replace(b'"ts":%.6f' % (T0 + 3), b'"ts":%.6f' % (T0 + 51))]
    observations = compact_events([parse_spool_line(x) for x in twice], ROOT)
    assert [o.kind for o in observations] == ["prompt", "read"]


# -- failures ----------------------------------------------------------------------------------


def test_bash_failure_keeps_exit_code_and_the_output_tail():
    obs = one("bash_fail")
    assert (obs.kind, obs.tool, obs.command, obs.text, obs.outcome) == (
        "command", "Bash", "pytest -q tests/test_ledger.py", "Run the ledger tests", "error")
    assert obs.detail.startswith("exit 1: ")
    assert obs.detail.endswith("FAILED tests/test_ledger.py::test_balance - AssertionError: assert 0 == 1\n"
                               "1 failed, 4 passed in 0.12s")
    assert obs.event_id == "toolu_01BashFail0000000001"


def test_bash_failure_with_huge_output_keeps_only_a_bounded_tail():
    payload = dict(CASES["bash_fail"], error="Exit code 2\n" + "noise line\n" * 200_000 + "fatal: the real reason")
    obs = compact_events(events_of(payload), ROOT)[0]
    assert obs.detail.startswith("exit 2: …") and obs.detail.endswith("fatal: the real reason")
    assert len(obs.detail) <= MAX_DETAIL
    no_code = dict(CASES["bash_fail"], error="progress\n" * 1000 + "Command timed out after 2m 0s")
    obs = compact_events(events_of(no_code), ROOT)[0]
    assert obs.detail.startswith("…") and obs.detail.endswith("Command timed out after 2m 0s")


def test_docs_style_bash_failure_message_gives_the_exit_code():
    payload = dict(CASES["bash_fail"], error="Command exited with non-zero status code 127")
    assert compact_events(events_of(payload), ROOT)[0].detail == "exit 127"


def test_interrupted_tool_use():
    obs = one("bash_interrupt")
    assert (obs.kind, obs.command, obs.outcome) == ("command", "sleep 600", "interrupted")
    assert "rejected" in obs.detail
    post = dict(CASES["bash_background"], tool_input={"command": "sleep 9"},
                tool_response={"stdout": "", "stderr": "Command timed out", "interrupted": True})
    assert compact_events(events_of(post), ROOT)[0].outcome == "interrupted"


def test_failed_edit_is_an_error_and_not_a_modified_file():
    obs = one("edit_fail")
    assert (obs.kind, obs.tool, obs.files, obs.outcome) == ("edit", "Edit", ("app.py",), "error")
    assert obs.detail == "<tool_use_error>String to replace not found in file.\nString: return 3</tool_use_error>"
    facts = session_facts(events_of(CASES["edit_fail"], CASES["multiedit"]), ROOT)
    assert facts.files_modified == ("ledger.py",)
    assert facts.failures == 1


def test_failure_without_tool_name_is_an_error_observation():
    payload = {k: v for k, v in CASES["edit_fail"].items() if k != "tool_name"}
    obs = compact_events(events_of(payload), ROOT)[0]
    assert (obs.kind, obs.outcome, obs.tool) == ("error", "error", "")
    assert "String to replace not found" in obs.detail


# -- every tool kind -----------------------------------------------------------------------------


def test_multiedit():
    obs = one("multiedit")
    assert (obs.kind, obs.files, obs.text, obs.outcome) == ("edit", ("ledger.py",), "applied 2 edits (+2 -1 lines)", "ok")
    assert obs.detail == "- balance = 0\n+ balance = Decimal(0)\n(+1 more)"


def test_write_over_an_existing_file_counts_bytes_not_characters():
    obs = one("write_update")
    assert (obs.kind, obs.files, obs.text) == ("write", ("config.py",), "overwrote (1 line, 15 bytes)")
    assert "café" not in obs.to_dict().get("detail", "")


def test_read_of_a_line_range():
    assert one("read_range").text == "lines 100-149 of 420"
    assert one("read_range").files == ("src/ledger/models.py",)


def test_read_outside_root_keeps_the_absolute_path():
    assert one("read_outside").files == ("/home/dev/payments-old/app.py",)  # a sibling sharing the prefix


def test_grep_content_and_count_modes():
    content = one("grep_content")
    assert (content.kind, content.text, content.detail) == ("search", '"def \\w+" in src (glob *.py)', "12 matching lines")
    count = one("grep_count")
    assert (count.text, count.detail) == ('"ledger" in .', "12 matches in 3 files")
    assert content.files == count.files == ()


def test_glob_keeps_the_count_not_the_file_list():
    obs = one("glob")
    assert (obs.kind, obs.tool, obs.text, obs.detail) == ("search", "Glob", '"**/*.py" in .', "100 files (truncated)")


def test_webfetch_keeps_url_status_and_prompt_but_not_the_page():
    obs = one("webfetch")
    assert (obs.kind, obs.text) == ("fetch", "https://docs.python.org/3/library/decimal.html")
    assert obs.detail == "HTTP 200 OK; 248,213 bytes; prompt: How do I quantize to cents?"
    assert "quantize(Decimal" not in json.dumps(obs.to_dict())


def test_websearch_keeps_query_and_result_count():
    obs = one("websearch")
    assert (obs.kind, obs.text, obs.detail) == ("fetch", "transactional outbox pattern postgres",
                                                "2 results; allowed: microservices.io")
    assert "microservices.io/patterns" not in json.dumps(obs.to_dict())


def test_task_keeps_the_request_not_the_subagent_report():
    obs = one("task")
    assert (obs.kind, obs.text, obs.outcome) == ("task", "Find ledger writers", "ok")
    assert obs.detail == ("agent: Explore; 7 tool uses; prompt: Search the codebase for every place that writes "
                          "to the ledger table and report file:line for each.")
    assert "Found 3 writers" not in json.dumps(obs.to_dict())
    renamed = dict(CASES["task"], tool_name="Agent")
    assert compact_events(events_of(renamed), ROOT)[0].kind == "task"


def test_todowrite_keeps_items_with_status():
    obs = one("todowrite")
    assert (obs.kind, obs.text) == ("todo", "3 todos: 1 completed, 1 in progress, 1 pending")
    assert obs.detail == "[x] Add outbox table migration\n[>] Publish events from the outbox\n[ ] Backfill the ledger"
    assert session_facts(events_of(CASES["todowrite"]), ROOT).todos == (
        ("completed", "Add outbox table migration"), ("in_progress", "Publish events from the outbox"),
        ("pending", "Backfill the ledger"))


def test_notebookedit():
    obs = one("notebookedit")
    assert (obs.kind, obs.tool, obs.files, obs.text, obs.detail) == (
        "edit", "NotebookEdit", ("analysis.ipynb",), "replaced cell cell-3", "+ df.groupby('day').sum()")
    assert session_facts(events_of(CASES["notebookedit"]), ROOT).files_modified == ("analysis.ipynb",)


def test_mcp_tool_keeps_server_tool_and_a_bounded_input_summary():
    obs = one("mcp")
    assert (obs.kind, obs.tool, obs.outcome) == ("mcp", "mcp__github__create_issue", "ok")
    assert obs.text.startswith('github.create_issue(owner="acme", repo="payments", title="Ledger drift after retry", '
                               'body="When the publisher retries, the ledger drifts.')
    assert obs.text.endswith('…", labels=[2 items])')
    assert "issues/42" not in json.dumps(obs.to_dict())


def test_unknown_tool_keeps_name_and_input_summary():
    obs = one("unknown")
    assert (obs.kind, obs.tool) == ("tool", "ExitPlanMode")
    assert obs.text == 'ExitPlanMode(plan="1. Add the outbox table 2. Publish from the outbox 3. Backfill")'


def test_background_command():
    obs = one("bash_background")
    assert (obs.command, obs.outcome, obs.detail) == ("npm run dev", "ok", "running in background (bash_1)")


def test_session_events():
    assert one("session_resume") == replace(one("session_resume"), kind="session", text="start", outcome="resume",
                                            detail="model: claude-opus-5-5")
    compact = one("pre_compact")
    assert (compact.kind, compact.text, compact.outcome) == ("session", "compact", "auto")
    assert compact_events(events_of(CASES["notification"], CASES["subagent_stop"]), ROOT) == []
    facts = session_facts([*[parse_spool_line(x) for x in real_lines()], *events_of(CASES["session_resume"], start=T0 + 99)], ROOT)
    assert facts.sources == ("startup", "resume") and facts.model == "claude-opus-5-5"


def test_every_synthetic_case_is_bounded_and_deterministic():
    events = events_of(*CASES.values())
    first = compact_events(events, ROOT)
    assert first == compact_events(events_of(*CASES.values()), ROOT)
    assert len(first) == len(CASES) - 2  # Notification and SubagentStop are not kept
    assert_bounded(first)
    assert len({o.event_id for o in first}) == len(first)


# -- robustness ------------------------------------------------------------------------------------


@pytest.mark.parametrize("line", [
    b"", b"\n", b"   ", b"not json", b"[1, 2]", b"{", b'{"ts": 1, "event": "Stop"}',
    b'{"ts": "1", "event": "Stop", "payload": {}}',
    b'{"ts": true, "event": "Stop", "payload": {}}',
    b'{"ts": NaN, "event": "Stop", "payload": {}}',
    b'{"ts": 1e300, "event": "Stop", "payload": {}}',
    b'{"ts": -5, "event": "Stop", "payload": {}}',
    b'{"ts": 1, "event": "", "payload": {}}',
    b'{"ts": 1, "event": "../../etc/passwd", "payload": {}}',
    b'{"ts": 1, "event": 7, "payload": {}}',
    b'{"ts": 1, "event": "Stop", "payload": 5}',
    b'{"ts": 1, "event": "Stop", "payload": [{"a": 1}]}',
    b'{"ts": 1, "event": "Stop", "payload": null}',
    b'{"ts": 1, "event": "Stop", "payload": "not json either"}',
    b'{"ts": 1, "event": "Stop", "payload": {"prompt": "cut off mid',
    b'{"ts": 1, "event": "Stop", "payload": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    b'{"ts": 1' + b"1" * 5000 + b', "event": "Stop", "payload": {}}',
    "not bytes at all".encode("utf-16"),
])
def test_malformed_lines_are_none(line):
    assert parse_spool_line(line) is None


def test_non_bytes_input_is_none():
    assert parse_spool_line(None) is None  # type: ignore[arg-type]
    assert parse_spool_line(12) is None  # type: ignore[arg-type]


def test_payload_spooled_as_a_json_string_is_accepted():
    ev = parse_spool_line(b'{"ts": 1, "event": "Stop", "payload": "{\\"last_assistant_message\\": \\"ok\\"}"}')
    assert ev == SpoolEvent(1.0, "Stop", {"last_assistant_message": "ok"})


def test_kebab_case_event_name_is_normalized():
    ev = parse_spool_line(b'{"ts": 2, "event": "user-prompt-submit", "payload": {"prompt": "hi"}}')
    assert ev == SpoolEvent(2.0, "UserPromptSubmit", {"prompt": "hi"})
    assert compact_events([ev], ROOT)[0].text == "hi"


def test_fields_of_the_wrong_type_are_treated_as_absent():
    odd = [
        {"hook_event_name": "PostToolUse", "tool_name": "Bash", "tool_input": "ls", "tool_response": [1], "tool_use_id": 5},
        {"hook_event_name": "PostToolUse", "tool_name": "Read", "tool_input": {"file_path": 12},
         "tool_response": {"file": {"startLine": "1", "numLines": None}}, "tool_use_id": "x"},
        {"hook_event_name": "PostToolUse", "tool_name": ["Edit"], "tool_use_id": "y"},
        {"hook_event_name": "UserPromptSubmit", "prompt": {"text": "hi"}, "prompt_id": ["p"]},
        {"hook_event_name": "Stop", "last_assistant_message": 42},
        {"hook_event_name": "PostToolUse", "tool_name": "TodoWrite", "tool_input": {"todos": [1, None, {"content": 3}]},
         "tool_use_id": "z"},
        {"hook_event_name": 9},
        {},
    ]
    observations = compact_events(events_of(*odd), ROOT)
    assert [(o.kind, o.tool, o.text, o.files) for o in observations] == [
        ("command", "Bash", "", ()), ("read", "Read", "", ()), ("prompt", "", "", ()), ("stop", "", "", ()),
        ("todo", "TodoWrite", "0 todos", ())]
    assert_bounded(observations)
    facts = session_facts(events_of(*odd), ROOT)
    assert facts.session_id == "" and facts.prompts == () and facts.tool_counts == (
        ("Bash", 1), ("Read", 1), ("TodoWrite", 1))


def test_huge_tool_response_is_parsed_and_bounded():
    content = "x = 1  # padding\n" * 1_250_000  # about 21 MB
    payload = dict(CASES["read_range"], tool_response={"type": "text", "file": {
        "filePath": "/home/dev/payments/big.py", "content": content, "numLines": 1_250_000, "startLine": 1,
        "totalLines": 1_250_000}})
    bash = dict(CASES["bash_background"], tool_use_id="toolu_big_bash", tool_input={"command": "cat big.py" + " " * 10**6,
                                                                      "description": "Start the dev server"},
                tool_response={"stdout": content, "stderr": "", "interrupted": False})
    write = dict(CASES["write_update"], tool_use_id="toolu_big_write", tool_input={"file_path": "/home/dev/payments/big.py",
                                                                                   "content": content})
    lines = [spool_line(p, T0 + i) for i, p in enumerate((payload, bash, write))]
    assert len(lines[0]) > 20_000_000
    observations = compact_events([parse_spool_line(x) for x in lines], ROOT)
    assert [o.text for o in observations] == ["lines 1-1250000 of 1250000", "Start the dev server",
                                              "overwrote (1,250,000 lines, 21,250,000 bytes)"]
    assert observations[1].detail == "exit 0" and observations[1].command == "cat big.py…"
    assert_bounded(observations)
    assert len(json.dumps([o.to_dict() for o in observations])) < 2000


def test_non_utf8_bytes_in_a_line_are_replaced_not_fatal():
    line = spool_line(b'{"hook_event_name":"UserPromptSubmit","prompt":"fix caf\xe9 \xff\xfe totals","prompt_id":"q1"}', T0,
                      "UserPromptSubmit")
    ev = parse_spool_line(line)
    assert ev is not None and ev.payload["prompt"] == "fix caf\ufffd \ufffd\ufffd totals"
    assert compact_events([ev], ROOT)[0].text == "fix caf\ufffd \ufffd\ufffd totals"


def test_lone_surrogates_and_control_characters_are_cleaned():
    payload = {"hook_event_name": "PostToolUse", "tool_name": "Bash", "tool_use_id": "toolu_ctl",
               "tool_input": {"command": "echo \x1b[31mred\x1b[0m\x00\x07 done", "description": "bad \ud800 chars\r\nhere"},
               "tool_response": {"stdout": "", "stderr": "", "interrupted": False}}
    line = spool_line(json.dumps(payload).encode(), T0)  # ASCII escapes, as JSON.stringify writes them
    obs = compact_events([parse_spool_line(line)], ROOT)[0]
    assert obs.command == "echo red done"
    assert obs.text == "bad ? chars here"
    ObservationBatch.from_text(ObservationBatch(session_id="s", seq=1, observations=(obs,)).to_text())


def test_long_prompt_and_stop_message_are_truncated():
    prompt = "Please " + "refactor the ledger " * 60
    reply = "Done: " + "changed things " * 300 + "In the end we decided to keep the ledger append-only."
    events = events_of({"hook_event_name": "UserPromptSubmit", "prompt": prompt},
                       {"hook_event_name": "Stop", "last_assistant_message": reply})
    prompt_obs, stop_obs = compact_events(events, ROOT)
    assert prompt_obs.text.startswith("Please refac") and MAX_TEXT - 2 <= len(prompt_obs.text) <= MAX_TEXT
    assert prompt_obs.text.endswith("…")
    # a reply keeps its opening and its conclusion, where decisions are stated, within a bound
    assert stop_obs.text.startswith("Done: change") and stop_obs.text.endswith("keep the ledger append-only.")
    assert "… …" in stop_obs.text and len(stop_obs.text) <= MAX_STOP_HEAD + MAX_STOP_TAIL + 1
    facts = session_facts(events, ROOT)
    assert facts.prompts[0] == prompt.strip() and len(facts.last_assistant_message) == 2000


@pytest.mark.parametrize(("path", "root", "cwd", "expected"), [
    ("/home/dev/payments/app.py", "/home/dev/payments", "", "app.py"),
    ("/home/dev/payments/app.py", "/home/dev/payments/", "", "app.py"),
    ("/home/dev/payments", "/home/dev/payments", "", "."),
    ("/home/dev/payments/../secrets/key", "/home/dev/payments", "", "/home/dev/secrets/key"),
    ("/home/dev/payments-old/app.py", "/home/dev/payments", "", "/home/dev/payments-old/app.py"),
    ("src/./a.py", "/home/dev/payments", "/home/dev/payments", "src/a.py"),
    ("../other/a.py", "/home/dev/payments", "/home/dev/payments", "/home/dev/other/a.py"),
    ("src/a.py", "/home/dev/payments", "", "src/a.py"),
    ("/etc/hosts", None, "", "/etc/hosts"),
    ("", "/home/dev/payments", "", ""),
    (None, "/home/dev/payments", "", ""),
])
def test_rel_path(path, root, cwd, expected):
    assert rel_path(path, root, cwd) == expected


def test_clip():
    assert clip("abc", 10) == "abc"
    assert clip("a" * 20, 10) == "a" * 9 + "…"
    assert clip("x" * 10_000 + "END", 10, tail=True) == "…" + "x" * 6 + "END"
    assert clip("  a \n\n b  ", 10, oneline=True) == "a b"
    assert clip(5, 10) == "" and clip("abc", 0) == ""


def test_empty_input():
    assert compact_events([], ROOT) == []
    assert session_facts([], ROOT) == SessionFacts()


def test_secret_straddling_the_clip_is_still_redacted() -> None:
    key = "sk-ant-api03-" + "A1b2C3d4E5f6G7h8" * 6
    command = "x" * 480 + f" ANTHROPIC_API_KEY={key} run"
    ev = compaction.SpoolEvent(ts=1.0, event="PostToolUse", payload={
        "session_id": "s", "hook_event_name": "PostToolUse", "tool_name": "Bash", "tool_use_id": "t",
        "tool_input": {"command": command}, "tool_response": {"stdout": "", "stderr": ""}})
    (obs,) = compaction.compact_events([ev], None)
    assert key[:20] not in obs.command
    assert "sk-ant" not in obs.command


def test_edits_to_sensitive_files_keep_no_excerpt() -> None:
    ev = compaction.SpoolEvent(ts=1.0, event="PostToolUse", payload={
        "session_id": "s", "hook_event_name": "PostToolUse", "tool_name": "Edit", "tool_use_id": "t",
        "tool_input": {"file_path": "/r/.env", "old_string": "DB_USER=app", "new_string": "DB_USER=admin"},
        "tool_response": {}})
    (obs,) = compaction.compact_events([ev], "/r")
    assert obs.files == (".env",)
    assert "admin" not in obs.detail and "app" not in obs.detail


def _tool_event(tool: str, tool_input: dict, response: dict | None = None) -> compaction.SpoolEvent:
    return compaction.SpoolEvent(ts=1.0, event="PostToolUse", payload={
        "session_id": "s", "hook_event_name": "PostToolUse", "tool_name": tool, "tool_use_id": "t",
        "tool_input": tool_input, "tool_response": response or {}})


def test_comments_an_edit_or_a_write_adds_are_kept_and_comments_already_there_are_not() -> None:
    """Issue 17: a reason written only in a code comment never reached the summary."""
    old = "import argon2\n# hashes every password\nhasher = argon2.PasswordHasher()\n"
    new = ("import bcrypt\n# hashes every password\n# bcrypt, not argon2: the FIPS image\n# ships no argon2 backend.\n"
           "hasher = Bcrypt(rounds=12)  // keep 12 rounds: 14 took 900 ms per login\nurl = 'http://x/#frag'\n")
    (edit,) = compaction.compact_events([_tool_event("Edit", {"file_path": "/r/auth/hash.py", "old_string": old,
                                                              "new_string": new})], "/r")
    (write,) = compaction.compact_events([_tool_event("Write", {"file_path": "/r/auth/new.py", "content": new},
                                                      {"type": "create"})], "/r")
    assert code_comments.comments_in(edit.detail) == [
        "bcrypt, not argon2: the FIPS image ships no argon2 backend.",
        "keep 12 rounds: 14 took 900 ms per login"]
    assert code_comments.comments_in(write.detail) == [   # a run of comment lines is one comment
        "hashes every password bcrypt, not argon2: the FIPS image ships no argon2 backend.",
        "keep 12 rounds: 14 took 900 ms per login"]


def test_comments_in_sensitive_files_are_not_kept_and_secrets_in_comments_are_redacted() -> None:
    key = "sk-ant-api03-" + "Zq8xW3vN7rT2yU6iO0pA4sD9fG1hJ5kL" * 2
    (env,) = compaction.compact_events([_tool_event("Write", {"file_path": "/r/.env",
                                                              "content": "# the staging password is hunter2\n"})], "/r")
    (code,) = compaction.compact_events([_tool_event("Write", {"file_path": "/r/a.py",
                                                               "content": f"# old key was {key} here\nx = 1\n"})], "/r")
    assert code_comments.comments_in(env.detail) == [] and "hunter2" not in env.detail
    assert key[:24] not in code.detail and code_comments.comments_in(code.detail)
