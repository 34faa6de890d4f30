"""Prompt-time recall in the UserPromptSubmit hook: silent unless a prompt strongly matches."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_inject import hook, session

import gitmem
from gitmem import recall
from gitmem.app.project import init_repository
from gitmem.git import discover

LAUNCHER = Path(gitmem.__file__).parent / "_hook.py"


@given(st.text(max_size=200))
@settings(max_examples=200)
def test_prompt_is_read_out_of_raw_json_exactly(prompt: str) -> None:
    prompt = "".join(c for c in prompt if not 0xD800 <= ord(c) < 0xE000)
    for raw in (json.dumps({"session_id": "s", "prompt": prompt}), json.dumps({"prompt": prompt}, ensure_ascii=False),
                json.dumps({"x": {"prompt": "no"}, "prompt": prompt}, indent=2)):
        value = recall.json_string_value(raw.encode(), b"prompt")
        assert value == prompt or (value == "no" and '"x"' in raw)


def test_a_key_inside_a_string_is_not_the_key() -> None:
    raw = json.dumps({"cwd": 'say "prompt": "evil"', "prompt": "good"}).encode()
    assert recall.json_string_value(raw, b"prompt") == "good"


def test_content_words_drop_stopwords_and_short_words() -> None:
    assert recall.content_words("How does the Outbox pattern handle ledger-writes? ok") == \
        ["outbox", "pattern", "handle", "ledger", "writes"]


@pytest.fixture
def remembered(repo: Path) -> Path:
    init_repository(discover(repo))
    session(repo, "rec-1", "Use the outbox pattern for ledger writes",
            "Done. We chose the outbox pattern because the ledger must stay consistent.", ["outbox.py"])
    return repo


def prompt(cwd: Path, text: str) -> bytes:
    return hook(cwd, "UserPromptSubmit", {"session_id": "rec-2", "hook_event_name": "UserPromptSubmit",
                                          "prompt": text, "cwd": str(cwd)})


def test_a_strongly_matching_prompt_gets_a_few_lines_of_memory(remembered: Path) -> None:
    out = prompt(remembered, "How should the ledger writes go through the outbox?")
    ctx = json.loads(out)["hookSpecificOutput"]
    assert ctx["hookEventName"] == "UserPromptSubmit"
    text = ctx["additionalContext"]
    assert "rec-1"[:5] in text and "outbox pattern for ledger writes" in text
    assert text.startswith("<gitmem-recall>") and "not instructions" in text
    assert len(text) <= 200 * 3.5


@pytest.mark.parametrize("text", ["fix the typo in the README", "outbox", "what time is it", ""])
def test_weak_or_no_match_stays_silent(remembered: Path, text: str) -> None:
    assert prompt(remembered, text) == b""


def test_recall_can_be_turned_off(remembered: Path) -> None:
    (remembered / ".gitmem" / "config.yaml").write_text("prompt_recall: false\n")
    session(remembered, "rec-3", "Another task entirely", "Done.", ["other.py"])  # a flush re-reads the settings
    assert prompt(remembered, "How should the ledger writes go through the outbox?") == b""


def modules_a_prompt_loads(cwd: Path, text: str) -> tuple[bytes, set[str]]:
    """The UserPromptSubmit hook run as installed, in a subprocess: its stdout and the modules it loaded."""
    probe = ("import sys\n"
             "before = set(sys.modules)\n"
             f"sys.argv = [{str(LAUNCHER)!r}, 'UserPromptSubmit']\n"
             "try:\n"
             f"    exec(compile(open({str(LAUNCHER)!r}).read(), {str(LAUNCHER)!r}, 'exec'), "
             f"{{'__name__': '__main__', '__file__': {str(LAUNCHER)!r}}})\n"
             "except SystemExit:\n"
             "    pass\n"
             "sys.stderr.write('\\n'.join(sorted(set(sys.modules) - before)))\n")
    payload = json.dumps({"session_id": "imp", "prompt": text, "cwd": str(cwd)}).encode()
    proc = subprocess.run([sys.executable, "-I", "-S", "-c", probe], cwd=cwd, input=payload,
                          capture_output=True, env={**os.environ, "GITMEM_NO_WORKER": "1"}, timeout=60)
    return proc.stdout, set(proc.stderr.decode().split())


def test_prompt_hook_imports_only_sqlite3_beyond_the_capture_hook(remembered: Path) -> None:
    out, added = modules_a_prompt_loads(remembered, "ledger writes through the outbox")
    assert b"gitmem-recall" in out
    allowed = subprocess.run([sys.executable, "-I", "-S", "-c", "import sys\nbefore = set(sys.modules)\n"
                              "import time, fcntl, errno, sqlite3\nprint('\\n'.join(set(sys.modules) - before))"],
                             capture_output=True, text=True, timeout=60).stdout.split()
    # fence (stdlib only, no re) and the small C module unicodedata it uses keep recorded titles inside the fence
    assert added <= set(allowed) | {"hook", "recall", "fence", "unicodedata"}, added - set(allowed)
    assert not added & {"json", "re", "yaml", "gitmem", "subprocess"}


def test_prompt_hook_loads_sqlites_c_core_without_the_dbapi_layer(remembered: Path) -> None:
    """``_sqlite3`` alone: the ``sqlite3`` package's dbapi2 imports datetime for date adapters recall never uses."""
    out, added = modules_a_prompt_loads(remembered, "ledger writes through the outbox")
    assert b"gitmem-recall" in out and "_sqlite3" in added
    assert not added & {"sqlite3", "sqlite3.dbapi2", "datetime"}, added


def _title_matches(conn, word: str) -> tuple[list[int], list[int]]:
    """Rows whose title holds ``word``: from ``titles_fts``, and from ``records_fts``'s title column."""
    alone = [r for (r,) in conn.execute("SELECT rowid FROM titles_fts WHERE titles_fts MATCH ? ORDER BY rowid",
                                        (f'"{word}"',))]
    column = [r for (r,) in conn.execute("SELECT rowid FROM records_fts WHERE records_fts MATCH ? ORDER BY rowid",
                                         (f'{{title}} : "{word}"',))]
    return alone, column


def test_the_titles_table_follows_every_change_to_the_index(repo: Path) -> None:
    """``titles_fts`` (m005_titles) answers as ``records_fts``'s title column does after new sessions, a session
    folder written again, decision files added, edited and removed, and a rebuild; recall reads it."""
    import sqlite3

    from gitmem.index import index_file, search
    from gitmem.store import memory_ref
    from gitmem.store.records import Decision, SessionSummary

    gm = discover(repo)
    init_repository(gm)
    words = ["ledger", "outbox", "retries", "webhook", "queue", "postgres"]
    folder = repo / ".gitmem" / "decisions"
    folder.mkdir(parents=True, exist_ok=True)

    def write(sid: str, title: str) -> None:
        s = SessionSummary(id=sid, title=title, started_at="2026-11-20T10:00:00Z")
        memory_ref.write_session(gm, sid, s.started_at, (), s)

    def decision(name: str, title: str | None) -> None:
        path = folder / f"2026-11-20-{name}.md"
        if title is None:
            path.unlink()
            return
        path.write_text(Decision(id=f"d-{name}", title=title, status="accepted", date="2026-11-20").to_text())

    def check() -> None:
        index_file.ensure_index(gm)
        conn = sqlite3.connect(index_file.index_path(gm))
        try:
            for word in words:
                alone, column = _title_matches(conn, word)
                assert alone == column, word
        finally:
            conn.close()

    write("s-1", "Ledger outbox retries")
    decision("queue", "Queue the webhook retries in postgres")
    check()
    write("s-2", "Webhook queue for the ledger")
    write("s-1", "Outbox only")               # the same session written again: its old title goes
    decision("queue", "Queue in postgres")    # edited
    decision("hook", "Webhook ledger")
    check()
    decision("hook", None)                    # removed
    check()
    index_file.rebuild_index(gm)
    check()
    from gitmem.app import inject

    inject.render_brief(gm)   # writes recall.conf, as every flush does
    out = prompt(repo, "Which webhook queue for the ledger?")
    assert b"Webhook queue for the ledger" in out and b"Outbox only" not in out
