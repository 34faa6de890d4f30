"""Terminal tables line up by display width: a CJK character or an emoji takes two cells, a combining mark none.

The widths are measured here with ``unicodedata`` (east Asian width), independently of the code under test.
"""

from __future__ import annotations

import unicodedata
from types import SimpleNamespace

import pytest

from gitmem.cli import render
from gitmem.index.query import SearchHit
from gitmem.store.records import Decision

NAMES = ["Dana Developer", "山田太郎", "Zoë 🚀 Team", "e\u0301lodie", "김민준 박서연 이도윤 최지우 정하은"]
TITLES = ["Cache load_config", "設定ファイルの読み込みをキャッシュする", "Fix 🐛 in 🚀 launcher",
          "한국어 제목이 아주 길어서 육십 칸을 넘기는 경우에도 열이 맞아야 합니다 정말로 길게 길게 길게"]


def cells(text: str) -> int:
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def column_starts(line: str, marker: str) -> int:
    """The display column at which ``marker`` begins in ``line``."""
    return cells(line[:line.index(marker)])


def test_session_table_aligns_wide_and_combining_characters() -> None:
    rows = [render.SessionRow(f"id{i:06d}", "2026-11-24T10:00:00Z", f"{name} <x@example.com>", branch, title,
                              "sessions/2026-11/x", 3)
            for i, (name, title, branch) in enumerate(zip(NAMES, TITLES * 2, ["main", "機能/検索", "fix-🐛", "main",
                                                                              "特性"]))]
    lines = render.session_table(rows).splitlines()
    assert len(lines) == len(rows)
    starts = {column_starts(line, f"id{i:06d}") for i, line in enumerate(lines)}
    assert starts == {16 + 2 + 18 + 2 + 20 + 2 + 60 + 2}, lines
    assert "…" in lines[3]   # the long title was cut to fit its column


def test_search_text_aligns_the_title_after_wide_author_names() -> None:
    hits = [SearchHit("session", f"s-{i:010d}", f"s-{i:010d}", f"T{i} {TITLES[i % 4]}", "", "2026-11-24T10:00:00Z",
                      f"{name} <x@example.com>", "main", "sessions/2026-11/x/summary.md", (), 0.0)
            for i, name in enumerate(NAMES)]
    heads = render.search_text(hits).splitlines()[::2]
    starts = {column_starts(line, f"T{i} ") for i, line in enumerate(heads)}
    assert starts == {11 + 1 + 12 + 2 + 16 + 2 + 18 + 2}, heads


def test_why_sessions_align_author_after_wide_titles() -> None:
    sessions = [SimpleNamespace(id=f"s-{i:010d}", date="2026-11-24T10:00:00Z", author=f"A{i} <a@b.c>", branch="main",
                                title=title) for i, title in enumerate(TITLES)]
    text = render.why_text(SimpleNamespace(path="src/", decisions=(), superseded_by={}, sessions=sessions))
    lines = [line for line in text.splitlines() if "session " in line]
    assert len(lines) == len(TITLES)
    assert len({column_starts(line, f"(A{i}") for i, line in enumerate(lines)}) == 1, lines


@pytest.mark.parametrize("width", [1, 2, 3, 10])
def test_a_cell_is_exactly_its_width(width: int) -> None:
    for text in NAMES + TITLES + ["", "-"]:
        assert cells(render._cell(text, width)) == width, (text, width)


def test_decision_table_aligns_titles_after_a_wide_date() -> None:
    files = [SimpleNamespace(path="x.md", decision=Decision(id=f"d-{i:010d}", title=f"T{i}", status="accepted",
                                                            date=date))
             for i, date in enumerate(["2026-11-24", "二〇二六年十一月", ""])]
    lines = render.decision_table(files, {}).splitlines()
    assert {column_starts(line, f"T{i}") for i, line in enumerate(lines)} == {10 + 2 + 10 + 2 + 12 + 2}, lines
