"""Issue 8's done-when: a decision proposed by a session, edited by a person, accepted, then superseded,
shows the right status everywhere: the file, search, the session-start brief and `gitmem why`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from test_inject import session

from gitmem.app import inject
from gitmem.app.project import init_repository
from gitmem.git import discover
from gitmem.index import search
from gitmem.store.records import Decision


def gitmem(cwd: Path, *args: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "gitmem", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def only_decision_line(text: str, decision_id: str) -> str:
    (line,) = [x for x in text.splitlines() if decision_id in x]
    return line


def test_proposed_edited_accepted_superseded_everywhere(repo: Path) -> None:
    init_repository(discover(repo))
    session(repo, "life-1", "Make ledger writes reliable",
            "Done. We decided to use the outbox pattern because the ledger must stay consistent.", ["outbox.py"])
    (path,) = (repo / ".gitmem" / "decisions").glob("*.md")
    proposed = Decision.from_text(path.read_text())
    assert proposed.status == "proposed" and proposed.session == "life-1" and "outbox.py" in proposed.files

    # a person edits the body, then accepts it: their text stays byte for byte
    path.write_text(path.read_text() + "\nReviewed by Sam: the outbox table is pruned nightly.\n")
    edited = path.read_text()
    gitmem(repo, "decisions", "accept", proposed.id)
    accepted_text = path.read_text()
    assert accepted_text.replace("status: accepted", "status: proposed", 1) == edited
    (repo / "outbox.py").write_text("# changed in the work tree: the file is in play\n")
    brief = inject.build_brief(discover(repo)).text
    line = only_decision_line(brief, proposed.id)
    assert "[proposed" not in line and "[superseded" not in line
    hits = search.search(discover(repo), "outbox accepted", types="decision")
    assert [h.id for h in hits] == [proposed.id]
    assert "accepted" in gitmem(repo, "why", "outbox.py")

    # a later decision replaces it
    out = gitmem(repo, "decide", "Use a message queue for ledger events", "--file", "outbox.py",
                 "--decision", "Publish ledger events to the queue", "--status", "accepted", "--no-edit")
    new = [Decision.from_text(p.read_text()) for p in (repo / ".gitmem" / "decisions").glob("*.md")
           if p != path]
    (newer,) = new
    assert newer.id in out or newer.title in out
    gitmem(repo, "decisions", "supersede", proposed.id, "--by", newer.id)
    assert Decision.from_text(path.read_text()).status == "superseded"
    assert proposed.id in Decision.from_text(
        next(p for p in (repo / ".gitmem" / "decisions").glob("*.md") if p != path).read_text()).supersedes

    brief = inject.build_brief(discover(repo)).text
    old_line = only_decision_line(brief, proposed.id)
    assert old_line.startswith(f"- [superseded by {newer.id}; no longer applies]")
    assert "Reviewed by Sam" not in brief
    assert "[superseded" not in only_decision_line(brief, f", {newer.id},")
    listed = json.loads(gitmem(repo, "decisions", "--json"))
    assert {d["id"]: d["status"] for d in listed} == {proposed.id: "superseded", newer.id: "accepted"}
    why = gitmem(repo, "why", "outbox.py")
    assert "superseded" in why and "accepted" in why
    assert search.search(discover(repo), "outbox superseded", types="decision")[0].id == proposed.id
