"""Decision notes people own: `gitmem decide`, `gitmem decisions` (list, accept, reject, supersede),
`list_decisions` (`gitmem decisions --file`), and `gitmem why` (which files a pattern covers: test_globs.py).

Everything runs against real repositories and real files; a status change is
checked byte for byte against the file as the person wrote it.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from conftest import AUTHOR_EMAIL, AUTHOR_NAME, git, run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitmem.cli.app import main
from gitmem.config import DECISIONS_DIR
from gitmem.decisions import decision_files, frontmatter, lifecycle, proposals
from gitmem.git import Repo, discover
from gitmem.index import search
from gitmem.index.rows import read_decision_files
from gitmem.store import memory_ref
from gitmem.store.records import Decision, DecisionNote, Observation, SessionSummary

SID = "5d2c91e0-1111-4000-8000-000000000001"


def write(root: Path, name: str, text: str) -> Path:
    path = root / DECISIONS_DIR / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    return path


def read(path: Path) -> Decision:
    return Decision.from_text(path.read_bytes().decode("utf-8"), str(path))   # no newline translation


def only_diff(before: bytes, after: bytes) -> tuple[bytes, bytes]:
    """The differing middle of two byte strings (common prefix and suffix removed)."""
    i = 0
    while i < min(len(before), len(after)) and before[i] == after[i]:
        i += 1
    j = 0
    while j < min(len(before), len(after)) - i and before[-1 - j] == after[-1 - j]:
        j += 1
    return before[i:len(before) - j], after[i:len(after) - j]


HAND_WRITTEN = (
    "---\n"
    "# written by hand; keep this comment\n"
    "title: 'Payments use an outbox table'   # the title\n"
    "id: d-0a1b2c3d4e\n"
    "status: proposed  # until the review\n"
    "date: 2026-11-20\n"
    "authors: [Dana Developer]\n"
    "files:\n"
    "  - src/payments/**\n"
    "  - app.py\n"
    "tags: [payments]\n"
    "---\n"
    "\n"
    "## Context   \n"
    "\n"
    "status: proposed is not front matter here\n"
    "---\n"
    "Trailing spaces, a CR\r in the middle and no newline at the end"
)


# -- gitmem decide ----------------------------------------------------------------------------------------


def test_decide_writes_every_field_from_flags(in_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "decide", "Use SQLite for the search index", "--file", "src/gitmem/search.py",
                         "--file", "./src/gitmem/migrations.py", "--tag", "storage", "--tag", "search",
                         "--context", "We need full-text search offline.", "--decision", "SQLite FTS5 in the common dir.",
                         "--consequences", "The index is a cache we can rebuild.", "--alternative", "Whoosh",
                         "--alternative", "ripgrep on every query", "--date", "2026-11-24", "--no-edit")
    assert code == 0, err
    path = in_repo / DECISIONS_DIR / "2026-11-24-use-sqlite-for-the-search-index.md"
    d = read(path)
    assert out.startswith(f"{d.id}: created (proposed)  (.gitmem/decisions/{path.name})")
    assert re.fullmatch(r"d-[0-9a-f]{10}", d.id)
    assert (d.title, d.status, d.date, d.session) == ("Use SQLite for the search index", "proposed", "2026-11-24", "")
    assert d.authors == (f"{AUTHOR_NAME} <{AUTHOR_EMAIL}>",)   # the git identity
    assert d.files == ("src/gitmem/search.py", "src/gitmem/migrations.py")
    assert d.tags == ("storage", "search")
    for part in ("## Context\n\nWe need full-text search offline.\n", "## Decision\n\nSQLite FTS5 in the common dir.\n",
                 "## Consequences\n\nThe index is a cache we can rebuild.\n",
                 "## Alternatives considered\n\n- Whoosh\n- ripgrep on every query\n"):
        assert part in d.body
    assert git(in_repo, "status", "--porcelain", "--untracked-files=all").splitlines() == [f"?? {DECISIONS_DIR}/{path.name}"]


def test_decide_with_only_the_decision_leaves_prompts_and_today(in_repo: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(capsys, "decide", "Keep it simple", "--author", "Sam <sam@example.com>",
                          "--decision", "One module per concept.")
    assert code == 0, err
    [path] = (in_repo / DECISIONS_DIR).glob("*-keep-it-simple.md")
    d = read(path)
    assert d.authors == ("Sam <sam@example.com>",)
    assert path.name == f"{d.date}-keep-it-simple.md" and re.fullmatch(r"\d{4}-\d{2}-\d{2}", d.date)
    assert d.body.count("<!--") == 3   # one prompt per empty section
    assert run(capsys, "check")[0] == 0


def test_decide_without_decision_text_writes_nothing(in_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`gitmem decide "X" </dev/null` used to write a file of template comments that `check` passed."""
    code, out, err = run(capsys, "decide", "Keep it simple", "--context", "Too many modules.")
    assert code == 1 and out == ""
    assert err.startswith("gitmem: error: no decision text")
    assert 'hint: gitmem decide "Keep it simple" --decision' in err
    assert not (in_repo / DECISIONS_DIR).exists() or not list((in_repo / DECISIONS_DIR).iterdir())


def test_same_title_same_day_never_collides(in_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for _ in range(3):
        assert run(capsys, "decide", "Retry pushes", "--date", "2026-11-24", "--decision", "Three times.")[0] == 0
    files = sorted((in_repo / DECISIONS_DIR).glob("*.md"))
    assert "2026-11-24-retry-pushes.md" in [f.name for f in files] and len(files) == 3
    assert len({read(f).id for f in files}) == 3
    assert all(re.fullmatch(r"2026-11-24-retry-pushes(-[0-9a-f]{6}(-\d+)?)?\.md", f.name) for f in files)
    assert run(capsys, "check")[0] == 0


def test_decide_rejects_bad_input(in_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(capsys, "decide", "X", "--decision", "d", "--status", "acepted")
    assert code == 1 and "unknown status `acepted`" in err
    code, _out, err = run(capsys, "decide", "X", "--decision", "d", "--file", "../elsewhere.py")
    assert code == 1 and "not a path inside the repository" in err
    code, _out, err = run(capsys, "decide", "X", "--decision", "d", "--date", "2026-13-01")
    assert code == 1 and "is not a date" in err
    code, _out, err = run(capsys, "decide", "X", "--decision", "d", "--supersedes", "d-nothing")
    assert code == 1 and "no decision `d-nothing`" in err
    assert not list((in_repo / DECISIONS_DIR).glob("*.md"))   # nothing half-made


def test_decide_opens_the_editor_on_the_new_file(in_repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    editor = tmp_path / "editor.py"
    editor.write_text("import sys\np = sys.argv[1]\ntext = open(p).read()\n"
                      "open(p, 'w').write(text.replace('<!-- What we do, in a few sentences. -->', 'Edited by hand.'))\n")
    monkeypatch.setenv("EDITOR", f"{sys.executable} {editor}")
    monkeypatch.delenv("VISUAL", raising=False)
    code, _out, err = run(capsys, "decide", "Edited decision", "--edit")
    assert code == 0, err
    [path] = (in_repo / DECISIONS_DIR).glob("*-edited-decision.md")
    assert "## Decision\n\nEdited by hand.\n" in read(path).body
    # stdin is not a terminal here: without --edit the editor is not started even though EDITOR is set
    assert run(capsys, "decide", "Not edited", "--decision", "Given on the command line.")[0] == 0
    [other] = (in_repo / DECISIONS_DIR).glob("*-not-edited.md")
    assert "Edited by hand." not in other.read_text()


def test_an_edit_that_breaks_the_file_is_reported(in_repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    editor = tmp_path / "editor.py"
    editor.write_text("import sys\np = sys.argv[1]\ntext = open(p).read()\n"
                      "open(p, 'w').write(text.replace('status: proposed', 'status: aproved'))\n")
    monkeypatch.setenv("EDITOR", f"{sys.executable} {editor}")
    code, _out, err = run(capsys, "decide", "Broken by the editor", "--edit")
    assert code == 1
    assert re.search(r"2026-\d\d-\d\d-broken-by-the-editor\.md:4: status `aproved` is not one of", err) or \
        re.search(r"-broken-by-the-editor\.md:4: status `aproved`", err), err


def test_an_editor_that_leaves_only_the_prompts_is_reported(in_repo: Path, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDITOR", "true")   # closed without writing anything
    code, _out, err = run(capsys, "decide", "Left empty", "--edit")
    assert code == 1
    assert re.search(r"-left-empty\.md:\d+: the decision states nothing: its body is empty or only template comments",
                     err), err


# -- gitmem decisions ----------------------------------------------------------------------------------------


def make(root: Path, title: str, date: str, **kw) -> decision_files.DecisionFile:
    return decision_files.create_decision(root, title, date=date, authors=["Dana"], **kw)


def test_decisions_lists_newest_first_with_filters(in_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = make(in_repo, "Old storage choice", "2026-11-01", files=["src/store.py"], tags=["storage"], status="accepted")
    b = make(in_repo, "Index in SQLite", "2026-11-20", files=["src/index/**"], tags=["search", "storage"])
    c = make(in_repo, "No daemon", "2026-11-10", status="rejected", tags=["Ops"])
    code, out, _ = run(capsys, "decisions")
    assert code == 0
    lines = out.splitlines()
    assert [line.split()[2] for line in lines] == [b.decision.id, c.decision.id, a.decision.id]
    assert lines[0].split()[:2] == ["proposed", "2026-11-20"] and "Index in SQLite" in lines[0]

    def listed(*args: str) -> list[str]:
        code, out, _ = run(capsys, "decisions", *args, "--json")
        assert code == 0
        return [d["id"] for d in json.loads(out)]

    assert listed("--status", "accepted") == [a.decision.id]
    assert listed("--status", "accepted", "--status", "rejected") == [c.decision.id, a.decision.id]
    assert listed("--file", "src/index/fts/tokens.py") == [b.decision.id]   # a glob covers it
    assert listed("--file", "src/index/") == [b.decision.id]                # a folder
    assert listed("--tag", "storage") == [b.decision.id, a.decision.id]
    assert listed("--tag", "ops") == [c.decision.id]                        # tags ignore case
    data = json.loads(run(capsys, "decisions", "--json")[1])[0]
    assert data["path"] == b.path and data["files"] == ["src/index/**"] and data["superseded_by"] == []
    code, _out, err = run(capsys, "decisions", "--status", "done")
    assert code == 1 and "unknown status `done`" in err


def test_a_broken_file_is_skipped_with_a_warning(in_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make(in_repo, "Fine", "2026-11-01")
    write(in_repo, "2026-11-02-broken.md", "---\nid: [oops\n---\n")
    code, out, err = run(capsys, "decisions")
    assert code == 0 and "Fine" in out
    assert "2026-11-02-broken.md:2: invalid YAML" in err and "gitmem check" in err


def test_a_conflicted_file_is_skipped_with_a_warning(in_repo: Path, capsys: pytest.CaptureFixture[str],
                                                    caplog: pytest.LogCaptureFixture) -> None:
    """Issue 14 item 3: conflict markers were read as the decision."""
    make(in_repo, "Fine", "2026-11-01", files=["app.py"], decision="Fine.")
    write(in_repo, "2026-11-02-conflicted.md", "---\nid: d-c\ntitle: Cache\nstatus: accepted\ndate: 2026-11-02\n"
                                               "files: [app.py]\n---\n\n<<<<<<< HEAD\nUse Redis.\n=======\n"
                                               "Use memcached.\n>>>>>>> other\n")
    code, out, err = run(capsys, "decisions")
    assert code == 0 and "Fine" in out and "Cache" not in out
    assert "2026-11-02-conflicted.md:9: has unresolved merge conflict markers" in err and "gitmem check" in err
    code, out, _err = run(capsys, "why", "app.py")
    assert code == 0 and "Fine" in out and "d-c " not in out
    assert "2026-11-02-conflicted.md:9: has unresolved merge conflict markers" in caplog.text
    assert [p for p, _d in read_decision_files(in_repo)] == [f"{DECISIONS_DIR}/2026-11-01-fine.md"]


def test_a_linked_decisions_folder_is_neither_read_nor_written(in_repo: Path, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str],
                                                              caplog: pytest.LogCaptureFixture) -> None:
    """Issue 15 item 2: `.gitmem/decisions -> /some/dir` showed outside files and took new ones."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "2026-11-01-outside.md").write_text("---\nid: d-out\ntitle: Outside secret\nstatus: accepted\n"
                                                   "date: 2026-11-01\nfiles: [app.py]\n---\n\nOutside.\n")
    (in_repo / ".gitmem").mkdir()
    (in_repo / DECISIONS_DIR).symlink_to(outside)
    code, out, err = run(capsys, "decisions")
    assert code == 0 and "Outside" not in out
    assert f".gitmem/decisions: refused: it is a symbolic link to {outside}" in err
    code, out, _err = run(capsys, "why", "app.py")
    assert "Outside" not in out and "d-out" not in out
    assert f".gitmem/decisions: refused: it is a symbolic link to {outside}" in caplog.text
    assert read_decision_files(in_repo) == []
    code, out, err = run(capsys, "decide", "New", "--decision", "Something.")
    assert code == 1 and f".gitmem/decisions: refused: it is a symbolic link to {outside}" in err
    assert [p.name for p in outside.iterdir()] == ["2026-11-01-outside.md"]


def test_a_linked_decision_file_is_refused(in_repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 15: a decision file -> /dev/zero ate the flush's memory; one -> outside put its text in the brief."""
    secret = tmp_path / "secret.md"
    secret.write_text("---\nid: d-s\ntitle: Outside secret\nstatus: accepted\ndate: 2026-11-01\n---\n\nx\n")
    make(in_repo, "Fine", "2026-11-01", decision="Fine.")
    (in_repo / DECISIONS_DIR / "2026-11-02-zero.md").symlink_to("/dev/zero")
    (in_repo / DECISIONS_DIR / "2026-11-03-secret.md").symlink_to(secret)
    found = decision_files.read_decisions(in_repo)
    assert [f.decision.title for f in found.files] == ["Fine"]
    assert sorted(str(e) for e in found.errors) == [
        f".gitmem/decisions/2026-11-02-zero.md: refused: it is a symbolic link to /dev/zero",
        f".gitmem/decisions/2026-11-03-secret.md: refused: it is a symbolic link to {secret}"]
    code, _out, err = run(capsys, "decisions", "accept", "2026-11-03-secret")
    assert code == 1 and "refused: it is a symbolic link" in err
    assert "status: accepted" in secret.read_text() and secret.read_text().count("status:") == 1


# -- ids ---------------------------------------------------------------------------------------------------------


def test_a_decision_is_found_by_id_prefix_file_name_or_slug(repo: Path) -> None:
    a = make(repo, "Use an outbox", "2026-11-24")
    make(repo, "Use a queue", "2026-11-25")
    did = a.decision.id
    for ref in (did, did[:6], did[2:8], "2026-11-24-use-an-outbox.md", "2026-11-24-use-an-outbox",
                f".gitmem/decisions/2026-11-24-use-an-outbox.md", "use-an-outbox", "2026-11-24"):
        assert decision_files.find_decision(repo, ref).path == a.path, ref


def test_an_ambiguous_or_unknown_reference_is_an_error(in_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make(in_repo, "Use an outbox", "2026-11-24")
    make(in_repo, "Use a queue", "2026-11-25")
    code, _out, err = run(capsys, "decisions", "accept", "2026-11")
    assert code == 1 and "`2026-11` matches 2 decisions" in err and "hint:" in err
    code, _out, err = run(capsys, "decisions", "accept", "d-ffffffffff")
    assert code == 1 and "no decision `d-ffffffffff`" in err and "gitmem decisions" in err


# -- status changes keep the file byte for byte ------------------------------------------------------------------------


def test_accept_changes_only_the_status_value(in_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(in_repo, "2026-11-20-payments-use-an-outbox-table.md", HAND_WRITTEN)
    before = path.read_bytes()
    code, out, err = run(capsys, "decisions", "accept", "d-0a1b")
    assert code == 0, err
    assert out.strip() == "d-0a1b2c3d4e: proposed -> accepted  (.gitmem/decisions/2026-11-20-payments-use-an-outbox-table.md)"
    after = path.read_bytes()
    assert after == before.replace(b"status: proposed  #", b"status: accepted  #", 1)
    assert read(path).status == "accepted"
    # again: nothing to do, nothing written
    inode = path.stat().st_ino
    code, out, _ = run(capsys, "decisions", "accept", "d-0a1b")
    assert code == 0 and "already accepted" in out and path.stat().st_ino == inode
    code, out, _ = run(capsys, "decisions", "reject", "payments-use-an-outbox-table")
    assert code == 0 and path.read_bytes() == before.replace(b"status: proposed  #", b"status: rejected  #", 1)


def test_crlf_quoted_and_missing_status_lines(repo: Path) -> None:
    crlf = write(repo, "2026-11-21-crlf.md", "---\r\nid: d-crlf\r\ntitle: CRLF\r\nstatus: \"proposed\"\r\n"
                                             "date: '2026-11-21'\r\n---\r\nBody\r\n")
    lifecycle.accept(repo, "d-crlf")
    assert crlf.read_bytes() == (b"---\r\nid: d-crlf\r\ntitle: CRLF\r\nstatus: accepted\r\n"
                                 b"date: '2026-11-21'\r\n---\r\nBody\r\n")
    bare = write(repo, "2026-11-22-no-status.md", "\ufeff---\r\nid: d-bare\r\ntitle: No status\r\n"
                                                  "date: 2026-11-22\r\n---\r\n\r\nBody\r\n")
    lifecycle.reject(repo, "d-bare")
    assert bare.read_bytes() == ("\ufeff---\r\nid: d-bare\r\ntitle: No status\r\nstatus: rejected\r\n"
                                 "date: 2026-11-22\r\n---\r\n\r\nBody\r\n").encode()
    # an empty value (which no decision reads as; `gitmem check` reports it) is filled in, its comment kept
    text = "---\nid: d-empty\nstatus:   # to do\ndate: 2026-11-23\n---\n"
    assert frontmatter.set_value(text, "status", "accepted", "x.md") == \
        "---\nid: d-empty\nstatus: accepted   # to do\ndate: 2026-11-23\n---\n"


@pytest.mark.parametrize("written, expected", [
    ("supersedes: []\n", "supersedes: [d-old]\n"),
    ("supersedes: [d-a, 'd-b']  # kept\n", "supersedes: [d-a, 'd-b', d-old]  # kept\n"),
    ("supersedes:\n- d-a\n", "supersedes:\n- d-a\n- d-old\n"),
    ("supersedes:\n    -   d-a # note\n", "supersedes:\n    -   d-a # note\n    -   d-old\n"),
    ("supersedes:\n", "supersedes: [d-old]\n"),
    ("supersedes: ~\n", "supersedes: [d-old]\n"),
    ("supersedes: d-a\n", "supersedes: [d-a, d-old]\n"),
    ("", "supersedes: [d-old]\n"),
])
def test_supersede_adds_one_entry_in_the_style_of_the_list(repo: Path, written: str, expected: str) -> None:
    old = write(repo, "2026-11-01-old.md", "---\nid: d-old\ntitle: Old\nstatus: accepted\ndate: 2026-11-01\n---\nOld body\n")
    head = "---\nid: d-new\ntitle: New\nstatus: proposed\ndate: 2026-11-30\n"
    new = write(repo, "2026-11-30-new.md", head + written + "---\n\nNew body\n")
    for extra in ("d-a", "d-b"):
        if extra in written:
            write(repo, f"2026-10-01-{extra}.md", f"---\nid: {extra}\ntitle: {extra}\nstatus: superseded\n"
                                                  "date: 2026-10-01\n---\n")
    result = lifecycle.supersede(repo, "d-old", by="d-new")
    assert [e.change for e in result.edits] == ["supersedes += d-old", "proposed -> accepted", "accepted -> superseded"]
    assert new.read_text() == head.replace("proposed", "accepted") + expected + "---\n\nNew body\n"
    assert old.read_text() == "---\nid: d-old\ntitle: Old\nstatus: superseded\ndate: 2026-11-01\n---\nOld body\n"
    assert read(new).supersedes[-1] == "d-old"


def test_a_value_that_cannot_be_edited_in_place_is_left_alone(repo: Path) -> None:
    write(repo, "2026-11-01-old.md", "---\nid: d-old\ntitle: Old\nstatus: accepted\ndate: 2026-11-01\n---\n")
    text = "---\nid: d-new\ntitle: New\nstatus: accepted\ndate: 2026-11-30\nsupersedes: |\n  d-a\n---\n"
    new = write(repo, "2026-11-30-new.md", text)
    with pytest.raises(frontmatter.FrontMatterEditError) as info:
        lifecycle.supersede(repo, "d-old", by="d-new")
    assert new.read_text() == text and read_status(repo, "d-old") == "accepted"
    assert "2026-11-30-new.md:6: cannot add to `supersedes`" in str(info.value)


def read_status(root: Path, ref: str) -> str:
    return decision_files.find_decision(root, ref).decision.status


def test_accepting_a_decision_supersedes_what_it_replaces(in_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = make(in_repo, "Poll for changes", "2026-11-01", status="accepted", files=["src/watch.py"])
    code, out, err = run(capsys, "decide", "Use inotify", "--supersedes", old.decision.id[:6], "--date", "2026-11-20",
                         "--file", "src/watch.py", "--decision", "Watch with inotify.")
    assert code == 0, err
    new = decision_files.find_decision(in_repo, "use-inotify")
    assert new.decision.supersedes == (old.decision.id,) and read_status(in_repo, old.decision.id) == "accepted"
    code, out, _ = run(capsys, "decisions", "accept", "use-inotify")
    assert code == 0
    assert out.splitlines() == [f"{new.decision.id}: proposed -> accepted  ({new.path})",
                                f"{old.decision.id}: accepted -> superseded  ({old.path})"]
    assert read_status(in_repo, old.decision.id) == "superseded"
    # the superseded one cannot be accepted or rejected again by accident
    code, _out, err = run(capsys, "decisions", "accept", old.decision.id)
    assert code == 1 and "is superseded" in err
    # and listing says what replaced it
    assert f"(superseded by {new.decision.id})" in run(capsys, "decisions")[1]


def test_decide_accepted_supersedes_at_once(repo: Path) -> None:
    old = make(repo, "Poll", "2026-11-01", status="accepted")
    result = lifecycle.decide(repo, "Watch", date="2026-11-02", status="accepted", supersedes=[old.decision.id])
    assert [e.change for e in result.edits] == ["created (accepted)", "accepted -> superseded"]
    assert read_status(repo, old.decision.id) == "superseded"


def test_supersede_refusals_and_warning(in_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = make(in_repo, "A", "2026-11-01", status="accepted")
    r = make(in_repo, "R", "2026-11-02", status="rejected")
    code, _out, err = run(capsys, "decisions", "supersede", a.decision.id, "--by", a.decision.id)
    assert code == 1 and "cannot supersede itself" in err
    code, _out, err = run(capsys, "decisions", "supersede", a.decision.id, "--by", r.decision.id)
    assert code == 1 and "is rejected" in err
    code, _out, err = run(capsys, "decisions", "supersede", r.decision.id)
    assert code == 1 and "was rejected" in err
    assert read_status(in_repo, a.decision.id) == "accepted"
    code, out, err = run(capsys, "decisions", "supersede", a.decision.id)
    assert code == 0 and "accepted -> superseded" in out and "nothing supersedes" in err


bodies = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=300)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies, crlf=st.booleans(), comment=st.sampled_from(["", "  # why", " #x"]),
       quote=st.sampled_from(["", "'", '"']), block=st.booleans())
def test_status_edits_keep_every_other_byte(tmp_path_factory: pytest.TempPathFactory, body: str, crlf: bool,
                                            comment: str, quote: str, block: bool) -> None:
    root = tmp_path_factory.mktemp("prop")
    nl = "\r\n" if crlf else "\n"
    sup = f"supersedes:{nl}  - d-a{nl}" if block else f"supersedes: [d-a]{nl}"
    text = nl.join(["---", "id: d-new", "title: New", f"status: {quote}proposed{quote}{comment}",
                    "date: 2026-11-30"]) + nl + sup + "---" + nl + body
    write(root, "2026-10-01-a.md", "---\nid: d-a\ntitle: A\nstatus: superseded\ndate: 2026-10-01\n---\n")
    write(root, "2026-11-01-old.md", "---\nid: d-old\ntitle: Old\nstatus: accepted\ndate: 2026-11-01\n---\n")
    path = write(root, "2026-11-30-new.md", text)
    lifecycle.supersede(root, "d-old", by="d-new")
    after = path.read_bytes().decode()
    assert after.endswith("---" + nl + body)
    head_before, head_after = text.split(nl + "supersedes")[0], after.split(nl + "supersedes")[0]
    assert head_after == head_before.replace(f"status: {quote}proposed{quote}", "status: accepted", 1)
    tail_before, tail_after = text[len(head_before):], after[len(head_after):]
    removed, added = only_diff(tail_before.encode(), tail_after.encode())
    assert removed == b"" and b"d-old" in added   # the supersedes list only grew
    assert read(path).supersedes == ("d-a", "d-old") and read(path).body == body


# -- the whole life of a decision: proposed by a session, edited, accepted, superseded ------------------------------


def add_session(gm: Repo, sid: str, title: str, ended: str, *, modified: tuple[str, ...] = (),
                observed: tuple[str, ...] = (), decisions_: tuple[DecisionNote, ...] = ()) -> SessionSummary:
    obs = tuple(Observation(ts=ended, kind="tool", tool="Edit", files=(f,), text=f"edit {f}") for f in observed)
    summary = SessionSummary(id=sid, title=title, started_at=ended, ended_at=ended, author="Dana <dana@example.com>",
                             branch="main", files_modified=modified, decisions=decisions_, summarizer="offline")
    memory_ref.write_session(gm, sid, ended, obs, summary)
    return summary


def statuses_in_search(gm: Repo, word: str) -> list[str]:
    return [h.id for h in search.search(gm, word, types="decision")]


def test_a_decision_shows_the_same_status_everywhere(in_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gm = discover(in_repo)
    note = DecisionNote(title="Memory lives in a notes ref", decision="Keep sessions in refs/notes/gitmem",
                        files=("src/gitmem/store.py",))
    summary = add_session(gm, SID, "Store design", "2026-11-24T10:00:00Z", modified=("src/gitmem/store.py",),
                          decisions_=(note,))
    [proposed] = proposals.propose_decisions(in_repo, summary).written
    did = read(proposed).id
    assert read(proposed).status == "proposed" and read(proposed).session == SID

    # a person rewrites the body; the status is untouched by that
    text = proposed.read_text()
    edited = text.split("\n---\n", 1)[0] + "\n---\n\n## Decision\n\nOne folder per session in the notes ref.\n"
    proposed.write_text(edited)
    assert statuses_in_search(gm, "proposed") == [did] and statuses_in_search(gm, "accepted") == []

    code, _out, err = run(capsys, "decisions", "accept", did)
    assert code == 0, err
    assert proposed.read_text() == edited.replace("status: proposed", "status: accepted", 1)
    assert statuses_in_search(gm, "accepted") == [did] and statuses_in_search(gm, "proposed") == []
    code, out, _ = run(capsys, "why", "src/gitmem/store.py")
    assert code == 0
    assert re.search(rf"^  accepted\s+2026-11-24\s+{did}\s+Memory lives in a notes ref$", out, re.M), out
    assert re.search(rf"^  2026-11-24 10:00\s+session\s+{SID[:12]}\s+Store design", out, re.M), out
    assert [f.decision.status for f in decision_files.list_decisions(in_repo, files=["src/gitmem/store.py"]).files] == [
        "accepted"]

    # later: a new decision replaces it
    code, out, err = run(capsys, "decide", "Memory lives in one ref per branch", "--file", "src/gitmem/*.py",
                         "--date", "2026-12-01", "--decision", "One ref per branch.")
    assert code == 0, err
    new_id = out.split(":", 1)[0]
    code, out, err = run(capsys, "decisions", "supersede", did, "--by", new_id)
    assert code == 0, err
    assert read(proposed).status == "superseded"
    assert proposed.read_text() == edited.replace("status: proposed", "status: superseded", 1)
    assert statuses_in_search(gm, "superseded") == [did]
    assert statuses_in_search(gm, "accepted") == [new_id]
    code, out, _ = run(capsys, "why", "src/gitmem/store.py", "--json")
    data = json.loads(out)
    assert [(d["id"], d["status"]) for d in data["decisions"]] == [(new_id, "accepted"), (did, "superseded")]
    assert data["decisions"][1]["superseded_by"] == [new_id]
    assert [s["id"] for s in data["sessions"]] == [SID]
    text_out = run(capsys, "why", "src/gitmem/store.py")[1]
    assert f"superseded  2026-11-24  {did}" in text_out and f"(superseded by {new_id})" in text_out
    assert [(f.decision.id, f.decision.status) for f in decision_files.list_decisions(in_repo,
                                                                                   files=["src/gitmem/store.py"]).files] == [
        (new_id, "accepted"), (did, "superseded")]
    assert run(capsys, "check")[0] == 0


def test_why_finds_sessions_by_their_observations_and_folders(in_repo: Path, capsys: pytest.CaptureFixture[str],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    gm = discover(in_repo)
    add_session(gm, SID, "Touched it in passing", "2026-11-20T09:00:00Z", observed=("src/pkg/mod.py",))
    add_session(gm, "7e930000-2222-4000-8000-000000000002", "Modified it", "2026-11-22T09:00:00Z",
                modified=("src/pkg/mod.py",))
    add_session(gm, "9f000000-3333-4000-8000-000000000003", "Unrelated", "2026-11-23T09:00:00Z",
                modified=("web/app.js",))
    (in_repo / "src" / "pkg").mkdir(parents=True)
    (in_repo / "src" / "pkg" / "mod.py").write_text("")
    code, out, _ = run(capsys, "why", "src/pkg/mod.py", "--json")
    data = json.loads(out)
    assert [(s["title"], s["via"]) for s in data["sessions"]] == [("Modified it", "summary"),
                                                                  ("Touched it in passing", "observations")]
    # a folder, named relative to the current directory
    monkeypatch.chdir(in_repo / "src")
    data = json.loads(run(capsys, "why", "pkg", "--json")[1])
    assert data["path"] == "src/pkg/" and len(data["sessions"]) == 2
    code, out, _ = run(capsys, "why", "nothing/here.py")
    assert code == 0 and out.strip() == "no decision or session mentions src/nothing/here.py."
    code, _out, err = run(capsys, "why", "/etc/passwd")
    assert code == 1 and "outside the repository" in err


def test_why_without_any_memory_lists_decisions_and_creates_no_state(in_repo: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    d = make(in_repo, "Keep README short", "2026-11-01", files=["README.md"], status="accepted")
    code, out, _ = run(capsys, "why", "README.md")
    assert code == 0 and d.decision.id in out and "sessions" not in out
    assert not (in_repo / ".git" / "gitmem").exists()


def test_frontmatter_yaml_scalar_reads_back() -> None:
    import yaml

    for value in ("d-0a1b2c3d4e", "0001", "true", "a: b", "x\ny", "ünï", "null", "-d", "d-a #c"):
        assert yaml.safe_load(frontmatter.yaml_scalar(value)) == value
    assert frontmatter.yaml_scalar("d-0a1b2c3d4e") == "d-0a1b2c3d4e"
