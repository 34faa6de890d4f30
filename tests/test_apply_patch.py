"""apply_patch edits (capture/apply_patch.py): the patch format read from what the real Codex CLI (0.171.0) and
Copilot CLI (1.0.102) sent their hooks (tests/data/codex/hooks/, tests/data/copilot/hooks/), one file-edit
observation per file, and malformed patches kept as an unknown tool with the reason."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from gitmem.agents import copilot
from gitmem.capture import compaction
from gitmem.capture.apply_patch import parse_patch, patch_text

DATA = Path(__file__).parent / "data"
CODEX_HOOKS = DATA / "codex" / "hooks"
COPILOT_HOOKS = DATA / "copilot" / "hooks"
ROOT = "/work/repo"   # the recordings' repository placeholder (their cwd)


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def spooled(payloads: list[tuple[str, dict]], agent: str = "") -> list[compaction.SpoolEvent]:
    return [compaction.SpoolEvent(1796310000.0 + n, event, payload, "", agent)
            for n, (event, payload) in enumerate(payloads)]


def codex_calls() -> list[tuple[str, dict]]:
    return [("PostToolUse", load(CODEX_HOOKS / f"PostToolUse-apply_patch-{n}.json")) for n in (1, 2, 3)]


def copilot_calls(shape: str) -> list[tuple[str, dict]]:
    """The recorded calls, spooled under the event gitmem's hook command names (PascalCase) in either dialect."""
    post, failure = ("PostToolUse", "PostToolUseFailure") if shape == "gitmem-shape" else \
        ("postToolUse", "postToolUseFailure")
    calls = [("PostToolUse", load(COPILOT_HOOKS / shape / f"{post}-apply_patch-{n}.json")) for n in (1, 2, 3)]
    return calls + [("PostToolUseFailure", load(COPILOT_HOOKS / shape / f"{failure}-apply_patch-1.json"))]


def observed(observations: list) -> list[tuple]:
    return [(o.kind, o.tool, o.files, o.text, o.outcome) for o in observations]


# -- the parser, on real recorded patches ----------------------------------------------------------------------


def test_the_recorded_codex_patches_name_every_file_and_what_became_of_it() -> None:
    first, moved, deleted = (parse_patch(patch_text(p["tool_input"])) for _, p in codex_calls())
    assert first.problem == moved.problem == deleted.problem == ""
    assert [(c.op, c.path, c.added, c.removed) for c in first.files] == [("update", "app.py", 1, 1),
                                                                        ("add", "notes.md", 2, 0)]
    assert first.files[0].old == ["    return 1"] and first.files[0].new == ["    return 2"]
    assert [(c.op, c.path, c.move_to) for c in moved.files] == [("update", "notes.md", "docs/notes.md")]
    assert [(c.op, c.path) for c in deleted.files] == [("delete", "docs/notes.md")]


@pytest.mark.parametrize("shape", ["gitmem-shape", "native"])
def test_the_recorded_copilot_patches_arrive_as_bare_text_and_parse_the_same(shape: str) -> None:
    texts = [copilot.claude_shaped(p)["tool_input"]["command"] for _, p in copilot_calls(shape)]
    assert all(t.startswith("*** Begin Patch\n") for t in texts)
    files = [[(c.op, c.path, c.move_to) for c in parse_patch(t).files] for t in texts]
    assert files == [[("update", "app.py", ""), ("add", "docs/plan.md", "")],
                     [("update", "docs/plan.md", "docs/retries.md")], [("delete", "docs/retries.md", "")],
                     [("update", "missing.py", "")]]


@pytest.mark.parametrize("text, problem", [
    ("", "it does not begin with '*** Begin Patch'"),
    ("diff --git a/app.py b/app.py\n--- a/app.py\n+++ b/app.py\n", "it does not begin with '*** Begin Patch'"),
    ("*** Begin Patch\n*** Update File: app.py\n@@\n-x\n+y\n", "no '*** End Patch' line"),
    ("*** Begin Patch\n*** End Patch\n", "it names no file"),
    ("*** Begin Patch\n*** Add File: \n+x\n*** End Patch\n", "line 2: a file header without a path"),
    ("*** Begin Patch\n*** Add File: a.py\nx = 1\n*** End Patch\n", "line 3: 'x = 1' in the add of a.py"),
    ("*** Begin Patch\n*** Delete File: a.py\n+x\n*** End Patch\n", "line 3: '+x' in the delete of a.py"),
    ("*** Begin Patch\n*** Update File: a.py\n~x\n*** End Patch\n", "line 3: '~x' in the update of a.py"),
    ("*** Begin Patch\nhello\n*** Add File: a.py\n+x\n*** End Patch\n",
     "line 2: 'hello' where a file header should be"),
    ("*** Begin Patch\n*** Add File: a.py\n+x\n*** End Patch\nmore\n", "line 5: text after '*** End Patch'"),
])
def test_a_malformed_patch_says_the_first_thing_wrong_with_it(text: str, problem: str) -> None:
    assert parse_patch(text).problem == problem


def test_a_patch_that_is_not_text_is_malformed_not_an_error() -> None:
    for value in (None, 3, ["*** Begin Patch"], {"command": "x"}):
        assert parse_patch(value).problem == "the patch is not text"
    assert patch_text("*** Begin Patch") == "" and patch_text({"command": 3}) == ""


def test_a_patch_wrapped_as_a_here_document_and_with_blank_context_lines_is_read() -> None:
    text = ("<<'EOF'\n*** Begin Patch\n*** Update File: a.py\n@@ def f():\n x = 1\n\n-y = 2\n+y = 3\n"
            "*** End of File\n*** End Patch\nEOF\n")
    patch = parse_patch(text)
    assert patch.problem == "" and [(c.path, c.added, c.removed) for c in patch.files] == [("a.py", 1, 1)]


# -- flush: one observation per file ---------------------------------------------------------------------------


def test_a_codex_apply_patch_call_becomes_one_file_edit_per_file_and_the_session_lists_them() -> None:
    events = spooled(codex_calls())
    obs = compaction.compact_events(events, ROOT)
    assert observed(obs) == [
        ("edit", "apply_patch", ("app.py",), "patched (+1 -1 lines)", "ok"),
        ("write", "apply_patch", ("notes.md",), "created (2 lines)", "ok"),
        ("edit", "apply_patch", ("docs/notes.md", "notes.md"), "moved from notes.md (+1 -1 lines)", "ok"),
        ("edit", "apply_patch", ("docs/notes.md",), "deleted", "ok")]
    assert obs[0].detail == "- return 1\n+ return 2"   # as Claude Code's Edit excerpts read
    assert len({o.event_id for o in obs}) == 4 and obs[0].event_id == "call_scripted_000018#1"
    facts = compaction.session_facts(events, ROOT, obs)
    assert facts.files_modified == ("app.py", "notes.md", "docs/notes.md")
    assert facts.tool_counts == (("apply_patch", 4),)
    # the same spool lines flushed again keep each file's observation once
    assert [o.event_id for o in compaction.compact_events(events + events, ROOT)] == [o.event_id for o in obs]


@pytest.mark.parametrize("shape", ["gitmem-shape", "native"])
def test_a_copilot_apply_patch_call_becomes_the_same_file_edits_and_a_failed_one_says_why(shape: str) -> None:
    events = copilot.claude_shaped_events(spooled(copilot_calls(shape), agent="copilot"))
    obs = compaction.compact_events(events, ROOT)
    assert observed(obs[:4]) == [
        ("edit", "apply_patch", ("app.py",), "patched (+1 -1 lines)", "ok"),
        ("write", "apply_patch", ("docs/plan.md",), "created (2 lines)", "ok"),
        ("edit", "apply_patch", ("docs/retries.md", "docs/plan.md"), "moved from docs/plan.md (+1 -1 lines)", "ok"),
        ("edit", "apply_patch", ("docs/retries.md",), "deleted", "ok")]
    [failed] = obs[4:]
    assert (failed.kind, failed.files, failed.outcome) == ("edit", ("missing.py",), "error")
    assert "Failed to read file to update" in failed.detail
    facts = compaction.session_facts(events, ROOT, obs)
    assert facts.files_modified == ("app.py", "docs/plan.md", "docs/retries.md")
    assert facts.failures == 1


def test_a_codex_patch_that_exits_non_zero_is_an_error_on_each_of_its_files() -> None:
    _, payload = codex_calls()[0]
    payload = dict(payload, tool_response="Exit code: 1\nWall time: 0.1 seconds\nOutput:\npatch rejected\n")
    obs = compaction.compact_events(spooled([("PostToolUse", payload)]), ROOT)
    assert [(o.files, o.outcome, o.detail) for o in obs] == [(("app.py",), "error", "exit 1: patch rejected"),
                                                            (("notes.md",), "error", "exit 1: patch rejected")]
    assert compaction.session_facts(spooled([("PostToolUse", payload)]), ROOT, obs).files_modified == ()


def test_a_malformed_patch_is_kept_as_an_unknown_tool_with_the_reason_logged(caplog: pytest.LogCaptureFixture) -> None:
    _, payload = codex_calls()[0]
    cut = payload["tool_input"]["command"].replace("*** End Patch\n", "")
    events = spooled([("PostToolUse", dict(payload, tool_input={"command": cut})),
                      ("PostToolUse", dict(payload, tool_input={"command": "rewrite app.py please"},
                                           tool_use_id="call_other"))])
    with caplog.at_level(logging.WARNING, logger="gitmem.capture.apply_patch"):
        obs = compaction.compact_events(events, ROOT)
    assert [(o.kind, o.tool, o.files, o.outcome) for o in obs] == [
        ("tool", "apply_patch", ("app.py", "notes.md"), "ok"), ("tool", "apply_patch", (), "ok")]
    assert obs[0].detail == "patch not read: no '*** End Patch' line"
    assert obs[0].text.startswith('apply_patch(command="*** Begin Patch')
    assert obs[1].detail == "patch not read: it does not begin with '*** Begin Patch'"
    assert sum("not well formed" in r.getMessage() for r in caplog.records) == 2
    assert compaction.session_facts(events, ROOT, obs).files_modified == ()   # not claimed as edits


def test_a_copilot_edit_with_json_arguments_is_still_an_edit() -> None:
    shaped = copilot.claude_shaped({"toolName": "edit", "toolArgs": json.dumps(
        {"path": "/work/repo/app.py", "old_str": "1", "new_str": "2"}), "sessionId": "s"})
    assert shaped["tool_name"] == "Edit" and shaped["tool_input"]["file_path"] == "/work/repo/app.py"
    odd = copilot.claude_shaped({"tool_name": "Grep", "tool_input": "not json"})
    assert odd["tool_name"] == "Grep" and odd["tool_input"] == {}


def test_a_patch_to_a_secrets_file_names_the_file_but_keeps_none_of_its_lines() -> None:
    _, payload = codex_calls()[0]
    text = ("*** Begin Patch\n*** Update File: .env\n@@\n-API_TOKEN=old-value\n+API_TOKEN=new-value\n"
            "*** Add File: config/.env.local\n+PASSWORD=hunter2\n*** End Patch\n")
    obs = compaction.compact_events(spooled([("PostToolUse", dict(payload, tool_input={"command": text}))]), ROOT)
    assert [(o.files, o.detail) for o in obs] == [((".env",), ""), (("config/.env.local",), "")]
    assert "new-value" not in json.dumps([o.to_dict() for o in obs])
