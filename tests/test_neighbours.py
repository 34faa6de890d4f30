"""Prompt recall that hears paraphrases: the word neighbours store (index/neighbours.py) read by the hook."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run
from test_inject import session
from test_recall import LAUNCHER, modules_a_prompt_loads, prompt
from test_recall import remembered  # noqa: F401  # the fixture: one session, flushed

from gitmem import recall
from gitmem.config import state_dir
from gitmem.decisions.decision_files import create_decision
from gitmem.git import discover
from gitmem.index import embedding, neighbours

needs_model = pytest.mark.skipif(not embedding.available(),
                                 reason=f"the semantic extra is not installed: {embedding.INSTALL_HINT}")

# Other words than the session's title: the title rule (all four longest content words in one title) does not hear
# it ("entries" and "send" are not in the title), the word neighbours do. A strict paraphrase sharing no word with
# the record is heard far less often (benchmarks/bench_prompt_recall.py measures how often).
PARAPHRASE = "do we send ledger entries through an outbox"
UNRELATED = "center the login button on mobile screens"


def store(root: Path) -> Path:
    return state_dir(discover(root).common_dir) / recall.NEIGHBOURS_FILE


def recalled(out: bytes) -> str:
    if not out.strip():
        return ""
    return json.loads(out)["hookSpecificOutput"]["additionalContext"]


@needs_model
def test_a_paraphrased_prompt_gets_recall_when_the_store_exists(remembered: Path) -> None:
    assert store(remembered).is_file(), "the flush did not write the neighbours store"
    text = recalled(prompt(remembered, PARAPHRASE))
    assert text.startswith("<gitmem-recall>") and "outbox pattern for ledger writes" in text
    assert "rec-1" in text


@needs_model
def test_an_unrelated_prompt_stays_silent(remembered: Path) -> None:
    assert store(remembered).is_file()
    assert prompt(remembered, UNRELATED) == b""


@needs_model
def test_a_broken_or_missing_store_leaves_recall_lexical_and_silent_on_paraphrases(remembered: Path) -> None:
    path = store(remembered)
    assert recalled(prompt(remembered, PARAPHRASE))   # the store answers before it breaks
    for damage in ("garbage", "missing", "foreign"):
        if damage == "garbage":
            path.write_bytes(b"not a sqlite file at all\n" * 100)
        elif damage == "missing":
            path.unlink()
        else:  # a SQLite file of another shape
            path.unlink(missing_ok=True)
            import sqlite3
            conn = sqlite3.connect(path)
            conn.execute("CREATE TABLE words (x)")
            conn.commit()
            conn.close()
        proc = subprocess.run([sys.executable, "-I", "-S", str(LAUNCHER), "UserPromptSubmit"], cwd=remembered,
                              input=json.dumps({"session_id": "nb-2", "prompt": PARAPHRASE,
                                                "cwd": str(remembered)}).encode(),
                              capture_output=True, env={**os.environ, "GITMEM_NO_WORKER": "1"}, timeout=60)
        assert (proc.returncode, proc.stdout, proc.stderr) == (0, b"", b""), damage
        # the lexical rule still speaks
        assert "outbox pattern" in recalled(prompt(remembered, "How should the ledger writes go through the outbox?"))


@needs_model
def test_a_record_the_index_no_longer_holds_is_not_named(remembered: Path) -> None:
    """The store names a record by index rowid and id: a rowid that now holds another record is dropped."""
    import sqlite3

    conn = sqlite3.connect(store(remembered))
    conn.execute("UPDATE targets SET rid = 'some-other-session'")
    conn.commit()
    conn.close()
    assert prompt(remembered, PARAPHRASE) == b""


@needs_model
def test_the_prompt_hook_never_imports_numpy_or_the_model(remembered: Path) -> None:
    out, loaded = modules_a_prompt_loads(remembered, PARAPHRASE)
    assert b"gitmem-recall" in out and b"outbox" in out   # it spoke from the store
    assert "_sqlite3" in loaded and "recall" in loaded
    heavy = {m for m in loaded if m.split(".")[0] in ("numpy", "wordllama", "tokenizers", "safetensors",
                                                      "huggingface_hub", "json", "re", "gitmem")}
    assert not heavy, heavy


@needs_model
def test_the_store_is_rebuilt_when_a_decision_is_added_and_not_when_nothing_changed(remembered: Path) -> None:
    repo = discover(remembered)
    path = store(remembered)
    key = neighbours.read_key(path)
    before = path.stat()
    unchanged = neighbours.refresh(repo)
    assert key and unchanged.action == "current"
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)   # not rewritten

    create_decision(remembered, "Invoices are rendered as PDF on the server", status="accepted",
                    decision="We render invoices server-side with a headless browser so every client gets the "
                             "same layout.")
    update = neighbours.refresh(repo)
    assert update.action == "rebuilt" and update.records == unchanged.records + 1 and update.words > 0
    assert neighbours.read_key(path) != key
    text = recalled(prompt(remembered, "are invoices made into PDF documents by the server or by the browser"))
    assert "Invoices are rendered as PDF" in text


@needs_model
def test_reindex_builds_the_store_from_scratch(remembered: Path, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    store(remembered).unlink()
    monkeypatch.chdir(remembered)
    code, out, _err = run(capsys, "reindex")
    assert code == 0 and "search index rebuilt" in out
    assert neighbours.read_key(store(remembered))
    assert recalled(prompt(remembered, PARAPHRASE))


def test_without_a_store_recall_is_what_it_was(remembered: Path) -> None:
    """Whether or not the extra is installed: no store file means the lexical rule alone, no error."""
    store(remembered).unlink(missing_ok=True)
    assert prompt(remembered, PARAPHRASE) == b""
    assert "outbox pattern" in recalled(prompt(remembered, "How should the ledger writes go through the outbox?"))


@needs_model
def test_a_store_that_cannot_be_written_never_fails_the_flush(remembered: Path,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    path = store(remembered)
    path.unlink()
    path.mkdir()   # os.replace cannot put a file over a folder
    (path / "keep").write_text("x")
    session(remembered, "rec-9", "Paginate the orders listing with cursors", "Done. Cursors, not offsets.",
            ["orders.py"])
    assert "prompt recall stays lexical" in caplog.text
    from gitmem.index.search import search

    assert any(h.id == "rec-9" for h in search(discover(remembered), "cursors orders"))   # the session was flushed
    assert "outbox pattern" in recalled(prompt(remembered, "How should the ledger writes go through the outbox?"))
    assert prompt(remembered, PARAPHRASE) == b""
