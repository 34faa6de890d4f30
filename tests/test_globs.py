"""One glob dialect (git's wildmatch as gitignore applies it, through pathspec) for a decision's ``files``,
``--file`` filters of search, log and the brief, and ``gitmem why``: the table below is what a pattern covers,
and every reader gives the same answer for it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run

from gitmem import globs
from gitmem.decisions import decision_files
from gitmem.git import discover
from gitmem.index import search
from gitmem.index.query import file_matcher
from gitmem.store import memory_ref
from gitmem.store.records import SessionSummary

# pattern, path (relative to the root; a folder ends in "/"), covered?
TABLE = [
    ("src/app.py", "src/app.py", True),
    ("./src/app.py", "src/app.py", True),
    ("src\\app.py", "src/app.py", True),            # written on Windows: \ is a folder separator
    ("src/app.py", "src/app.pyc", False),
    ("src/app.py", "lib/src/app.py", False),       # a pattern with a / is anchored at the root
    ("src", "src/app.py", True),                   # a folder covers what is under it
    ("src/", "src/deep/app.py", True),
    ("src", "srcx/app.py", False),
    ("src/*.py", "src/app.py", True),
    ("src/*.py", "src/pkg/app.py", False),         # * stays inside one folder
    ("src/**/*.py", "src/app.py", True),           # **/ may be no folder at all
    ("src/**/*.py", "src/a/b.py", True),
    ("src/**/*.py", "src/a/b/c.txt", False),
    ("src/**", "src/a/b/app.py", True),
    ("**/test_*.py", "tests/unit/test_x.py", True),
    ("*.py", "app.py", True),
    ("*.py", "a/b/c.py", True),                    # no / in the pattern: a name at any depth
    ("*.md", "docs/guide.md", True),
    ("README.md", "docs/README.md", True),
    ("docs/*", "docs/a/b.txt", True),              # a glob that matches a folder covers what is under it
    ("tests/test_?.py", "tests/test_a.py", True),
    ("tests/test_?.py", "tests/test_ab.py", False),
    ("tests/test_[ab].py", "tests/test_b.py", True),
    ("tests/test_[ab].py", "tests/test_c.py", False),
    ("!notes.md", "!notes.md", True),              # ! and # are literal, not gitignore's negation or comment
    ("#todo.md", "docs/#todo.md", True),
    ("[z-a].py", "z.py", False),                   # an invalid range matches nothing
    ("", "src/app.py", False),
    ("src/app.py", "/home/me/project/src/app.py", True),   # an absolute path, by its tails
    ("src/*.py", "/home/me/project/src/app.py", True),
    ("lib/*.py", "/home/me/project/src/app.py", False),
    # a folder query (gitmem why src/): a pattern concerns it when it matches it or names something inside it
    ("src/app.py", "src/", True),
    ("src/**/*.py", "src/", True),
    ("src/*.py", "src/pkg/", False),
    ("src/**/*.py", "src/pkg/", True),
    ("src/*/x.py", "src/pkg/", True),
    ("src/*/x.py", "lib/pkg/", False),
    ("src/**", "src/pkg/", True),
    ("src", "src/pkg/", True),
    ("lib/x.py", "src/", False),
    ("*.py", "src/", False),                       # names no folder: it concerns files, not this folder
    ("anything", "/", True),                       # the whole repository
]


@pytest.mark.parametrize("pattern, path, covered", TABLE)
def test_glob_table(pattern: str, path: str, covered: bool) -> None:
    assert globs.matches(pattern, path) is covered


@pytest.mark.parametrize("pattern, path, covered", [row for row in TABLE if not row[1].endswith("/")])
def test_search_file_filter_agrees_with_the_table(pattern: str, path: str, covered: bool) -> None:
    assert file_matcher(pattern)(f"other/file.txt\n{path}") is covered


def test_every_table_pattern_is_valid_but_the_invalid_one() -> None:
    bad = {p: globs.problem(p) for p, _path, _c in TABLE if globs.problem(p)}
    assert set(bad) == {"[z-a].py", ""}
    assert "z-a" in bad["[z-a].py"]


def test_check_reports_a_pattern_that_can_match_nothing(in_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    decision_files.create_decision(in_repo, "Generated files", date="2026-11-01", authors=["Dana"],
                              files=["gen/[z-a]*.py", "gen/**"], decision="Never edit them by hand.")
    code, out, err = run(capsys, "check")
    assert code == 1, out + err
    assert "`gen/[z-a]*.py` is not a valid glob" in out + err and "`gen/**`" not in out + err


def add_session(root: Path, sid: str, title: str, ended: str, modified: tuple[str, ...]) -> None:
    summary = SessionSummary(id=sid, title=title, started_at=ended, ended_at=ended, author="Dana <dana@example.com>",
                             branch="main", files_modified=modified, summarizer="offline")
    memory_ref.write_session(discover(root), sid, ended, (), summary)


@pytest.mark.parametrize("query", ["src/app.py", "src/pkg/mod.py", "src/", "src/pkg/", "docs/README.md",
                                   "tools/run.sh"])
def test_why_agrees_with_decisions_file_and_search_file(in_repo: Path, capsys: pytest.CaptureFixture[str],
                                                         query: str) -> None:
    made = {name: decision_files.create_decision(in_repo, name, date=f"2026-11-{i + 10}", authors=["Dana"], files=files,
                                            decision=name).decision.id
            for i, (name, files) in enumerate([("Deep python", ["src/**/*.py"]), ("Top python", ["src/*.py"]),
                                               ("Every readme", ["README.md"]), ("Package", ["src/pkg"]),
                                               ("Scripts", ["tools/"])])}
    add_session(in_repo, "5d2c91e0-1111-4000-8000-000000000001", "Edited the app", "2026-11-20T09:00:00Z",
                ("src/app.py",))
    add_session(in_repo, "5d2c91e0-1111-4000-8000-000000000002", "Edited the module", "2026-11-21T09:00:00Z",
                ("src/pkg/mod.py",))
    for folder in ("src/pkg", "docs", "tools"):
        (in_repo / folder).mkdir(parents=True, exist_ok=True)

    code, out, err = run(capsys, "why", query, "--json")
    assert code == 0, err
    why = json.loads(out)
    code, out, err = run(capsys, "decisions", "--file", query, "--json")
    assert code == 0, err
    listed = {d["id"] for d in json.loads(out)}

    expected = {
        "src/app.py": {"Deep python", "Top python"},
        "src/pkg/mod.py": {"Deep python", "Package"},          # src/*.py stays in src/
        "src/": {"Deep python", "Top python", "Package"},
        "src/pkg/": {"Deep python", "Package"},
        "docs/README.md": {"Every readme"},
        "tools/run.sh": {"Scripts"},
    }[query]
    assert {d["id"] for d in why["decisions"]} == listed == {made[n] for n in expected}
    # the sessions side of `why` uses the same matcher: src/**/*.py names both sessions' files
    sessions = {s["title"] for s in why["sessions"]}
    assert sessions == {"src/app.py": {"Edited the app"}, "src/pkg/mod.py": {"Edited the module"},
                        "src/": {"Edited the app", "Edited the module"}, "src/pkg/": {"Edited the module"},
                        "docs/README.md": set(), "tools/run.sh": set()}[query]
    found = {h.title for h in search.search(discover(in_repo), "", types="session", file="src/**/*.py")}
    assert found == {"Edited the app", "Edited the module"}
    assert {h.title for h in search.search(discover(in_repo), "", types="session", file="src/*.py")} == {
        "Edited the app"}
