"""`gitmem view`: the memory page, built from a real memory ref and real decision files, and checked in a real
headless Chromium (skipped with the reason where none is installed: see tests/chromium.py)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from chromium import Browser, chromium_binary
from terminal import gitmem_on
from conftest import git, run
from gitmem.decisions import lifecycle
from gitmem.decisions.decision_files import create_decision
from gitmem.git import discover
from gitmem.store import memory_ref
from gitmem.store.records import Observation, SessionSummary
from gitmem.view.build import build_view
from gitmem.view.page import embed_json, render_page

XSS = ('<script>alert(1); window.__pwned=1</script></script><!-- <img src=x onerror="alert(2); window.__pwned=2"> '
       '</gitmem-memory> &lt;/gitmem-memory&gt; ＜/gitmem-memory＞')


def _session(repo, sid: str, title: str, *, author: str, branch: str, agent: str, day: str,
             files: tuple[str, ...] = (), learned: tuple[str, ...] = ()) -> None:
    summary = SessionSummary(id=sid, title=title, started_at=f"{day}T09:00:00Z", ended_at=f"{day}T10:00:00Z",
                             author=author, agent=agent, branch=branch, request=f"asked: {title}",
                             learned=learned, files_modified=files, completed=("did it",))
    obs = [Observation(ts=f"{day}T09:05:00Z", kind="edit", tool="Edit", files=files, text=f"edited for {title}")]
    memory_ref.write_session(repo, sid, summary.started_at, obs, summary)


@pytest.fixture
def memory(repo: Path) -> Path:
    """Three sessions by two people on two branches and agents, one of them carrying markup in every text; an
    accepted decision that superseded an older one."""
    gm = discover(repo)
    _session(gm, "s-outbox-0001", "Move charges to an outbox table", author="Dana Developer <dana@example.com>",
             branch="main", agent="claude-code", day="2026-11-02", files=("src/payments/outbox.py",),
             learned=("chargeRetryPolicy retries three times",))
    _session(gm, "s-refunds-0002", "Split refunds out of payments", author="Sam Teammate <sam@example.com>",
             branch="feature/refunds", agent="codex", day="2026-11-16", files=("src/refunds/api.py",))
    _session(gm, "s-xss-0003", XSS, author="Mallory <m@example.com>", branch="main", agent="claude-code",
             day="2026-11-20", files=("src/app.py",), learned=(XSS,))
    old = create_decision(repo, "Retry charges inline", status="accepted", date="2026-11-01",
                          files=["src/payments/**"], decision="Retry in the request.")
    new = create_decision(repo, "Retry charges through the outbox", date="2026-11-03", files=["src/payments/**"],
                          decision="A worker retries from the outbox table.")
    lifecycle.supersede(repo, old.decision.id, by=new.decision.id)
    return repo


# -- the data and its escaping --------------------------------------------------------------------------------


def test_embedded_json_cannot_close_the_script_or_write_a_tag() -> None:
    text = embed_json({"t": XSS, "u": "\u2028 ü"})
    assert "<" not in text and ">" not in text and "&" not in text and text.isascii()
    assert json.loads(text) == {"t": XSS, "u": "\u2028 ü"}


def test_page_holds_memory_text_only_inside_its_json(memory: Path) -> None:
    out = memory.parent / "page.html"
    result = build_view(discover(memory), out)
    page = out.read_text(encoding="utf-8")
    assert (result.sessions, result.decisions) == (3, 2)
    assert page.count("</script>") == 2 and "<!--" not in page and "<img" not in page
    assert "</gitmem-memory" not in page and "gitmem-memory>" not in page and "&lt;" not in page
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "") and "https://" not in page
    data = json.loads(re.search(r'<script id="gitmem-data" type="application/json">(.*?)</script>', page, re.S)[1])
    assert [s["id"] for s in data["sessions"]] == ["s-xss-0003", "s-refunds-0002", "s-outbox-0001"]
    assert data["sessions"][0]["title"] == XSS
    decisions = {d["title"]: d for d in data["decisions"]}
    new, old = decisions["Retry charges through the outbox"], decisions["Retry charges inline"]
    assert old["status"] == "superseded" and old["supersededBy"] == [new["id"]] and new["supersedes"] == [old["id"]]
    assert sorted(data["fileDecisions"]["src/payments/outbox.py"]) == sorted([old["id"], new["id"]])
    assert "src/app.py" not in data["fileDecisions"]


def test_observations_past_the_budget_are_counted_not_shown(memory: Path, monkeypatch) -> None:
    from gitmem.view import page_data

    monkeypatch.setattr(page_data, "OBSERVATIONS_PER_PAGE", 1)
    data = page_data.collect(discover(memory), memory)
    shown = [(s["id"], len(s["obs"]), s["obsTotal"]) for s in data.document["sessions"]]
    assert shown == [("s-xss-0003", 1, 1), ("s-refunds-0002", 0, 1), ("s-outbox-0001", 0, 1)]
    assert data.observations_left_out == data.document["observationsLeftOut"] == 2


def test_script_is_allowed_by_its_hash_not_by_unsafe_inline() -> None:
    page = render_page({"repository": "r", "sessions": []})
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page)[1]
    assert "default-src 'none'" in csp and "script-src 'sha256-" in csp and "unsafe-inline" not in csp.split(";")[1]


def test_view_command_writes_the_page_and_says_where(memory: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(memory)
    code, out, err = run(capsys, "view")
    assert code == 0, err
    path = memory / ".git" / "gitmem" / "memory.html"
    assert f"wrote {path}" in out and "3 sessions, 2 decisions" in out and path.is_file()
    assert not git(memory, "status", "--porcelain", "--", "src").strip()


def test_view_without_memory_is_an_error_with_a_hint(repo: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(repo)
    code, _out, err = run(capsys, "view")
    assert code == 1 and "gitmem: error: no memory yet" in err and "hint:" in err


def test_view_to_an_unwritable_place_is_an_error_with_a_hint(memory: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(memory)
    blocker = memory / "not-a-folder"
    blocker.write_text("x")
    code, _out, err = run(capsys, "view", "--out", str(blocker / "page.html"))
    assert code == 1 and f"cannot write the page to {blocker / 'page.html'}" in err and "--out" in err
    code, _out, err = run(capsys, "view", "--out", str(memory))
    assert code == 1 and "it is a folder" in err


def test_view_outside_a_repository_is_an_error(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, _out, err = run(capsys, "view")
    assert code == 1 and "gitmem: error:" in err and "hint:" in err


# -- in a real browser ------------------------------------------------------------------------------------------

BINARY, WHY_NOT = chromium_binary()
browser_only = pytest.mark.skipif(BINARY is None, reason=WHY_NOT)


@pytest.fixture
def browser():
    assert BINARY is not None
    with Browser(BINARY) as b:
        yield b
    assert b.proc.poll() is not None   # closed, and its process group killed


@pytest.fixture
def page(memory: Path, browser: Browser):
    out = memory.parent / "page.html"
    build_view(discover(memory), out)
    tab = browser.page()
    tab.open(out.as_uri())
    return tab


def _titles(tab) -> list[str]:
    return tab.eval("[...document.querySelectorAll('#sessions .title')].map((n) => n.textContent)")


@browser_only
def test_page_loads_without_errors_and_lists_sessions_newest_first(page) -> None:
    assert page.problems() == []
    assert _titles(page) == [XSS, "Split refunds out of payments", "Move charges to an outbox table"]
    assert page.eval("document.getElementById('count').textContent") == "3 of 3 sessions"


@browser_only
def test_markup_in_memory_stays_text(page) -> None:
    page.eval("document.querySelector('#sessions details').open = true")
    page.settle(100)
    assert page.eval("window.__pwned === undefined")
    assert page.eval("document.querySelectorAll('main script, main img, main iframe').length") == 0
    body = page.eval("document.querySelector('#sessions details .body').textContent")
    assert XSS in body                                  # shown, as text, in the summary's learned items
    assert page.eval("document.querySelector('#sessions .title').textContent") == XSS
    assert page.problems() == []                        # no dialog, no console error


def _set(tab, element: str, value: str, event: str = "change") -> None:
    tab.eval(f"{{ const n = document.getElementById({json.dumps(element)}); n.value = {json.dumps(value)}; "
             f"n.dispatchEvent(new Event({json.dumps(event)})); }}")
    tab.settle()


def _clear(tab) -> None:
    tab.eval("document.getElementById('f-clear').click()")


@browser_only
def test_filters_and_search_narrow_the_timeline(page) -> None:
    _set(page, "f-author", "Sam Teammate")
    assert _titles(page) == ["Split refunds out of payments"]
    _clear(page)
    assert len(_titles(page)) == 3
    _set(page, "f-branch", "main")
    assert len(_titles(page)) == 2
    _set(page, "f-from", "2026-11-10")
    assert len(_titles(page)) == 1
    _clear(page)
    _set(page, "f-agent", "codex")
    assert _titles(page) == ["Split refunds out of payments"]
    _clear(page)
    _set(page, "f-to", "2026-11-10")
    assert _titles(page) == ["Move charges to an outbox table"]
    _clear(page)
    for query, expected in [("outbox", ["Move charges to an outbox table"]),
                            ("retry policy", ["Move charges to an outbox table"]),   # chargeRetryPolicy's words
                            ("refu*", ["Split refunds out of payments"]),
                            ("the refunds", ["Split refunds out of payments"]),      # a stopword is dropped
                            ("refunds outbox", [])]:
        _set(page, "q", query, "input")
        assert _titles(page) == expected, query
    _clear(page)
    _set(page, "f-file", "src/refunds/", "input")
    assert _titles(page) == ["Split refunds out of payments"]
    assert page.problems() == []


@browser_only
def test_decision_graph_links_the_superseded_decision_to_its_successor(page) -> None:
    page.eval("document.querySelector('[data-tab=decisions]').click()")
    edges = page.eval("[...document.querySelectorAll('#graph svg path.edge')]"
                      ".map((e) => [e.dataset.from, e.dataset.to])")
    nodes = page.eval("Object.fromEntries([...document.querySelectorAll('#graph svg g.node')]"
                      ".map((g) => [g.dataset.id, [g.classList.contains('superseded'), g.textContent]]))")
    assert len(edges) == 1
    old, new = edges[0]
    assert nodes[old][0] and nodes[old][1].startswith("Retry charges inline")
    assert not nodes[new][0] and nodes[new][1].startswith("Retry charges through the outbox")
    assert page.problems() == []


@browser_only
def test_file_view_shows_what_concerns_a_file(page) -> None:
    page.eval("document.querySelector('[data-tab=files]').click()")
    page.eval("document.querySelector('#file-list li[data-path=\"src/payments/outbox.py\"]').click()")
    detail = page.eval("document.getElementById('file-detail').textContent")
    assert "Decisions (2)" in detail and "Retry charges inline" in detail and "Sessions (1)" in detail
    assert "Move charges to an outbox table" in detail and "Split refunds" not in detail
    page.eval("document.querySelector('[data-tab=activity]').click()")
    counts = page.eval("[...document.querySelectorAll('#chart rect.cell')].map((r) => +r.dataset.count)")
    assert sum(counts) == 3
    assert page.problems() == []


@browser_only
def test_the_demo_page_shows_the_demo_session(tmp_path: Path, browser: Browser) -> None:
    out = tmp_path / "demo.html"
    proc = subprocess.run([sys.executable, "-m", "gitmem.app.demo", "--page", str(out)], capture_output=True,
                          text=True, timeout=240, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"# the memory page: {out}" in proc.stdout
    tab = browser.page()
    tab.open(out.as_uri())
    assert tab.problems() == []
    titles = _titles(tab)
    assert len(titles) == 1 and "Split the payment service" in titles[0]


def test_view_draws_a_progress_bar_on_a_terminal_only(memory: Path) -> None:
    code, err, out = gitmem_on(memory, "view", tty=True)
    assert code == 0 and "wrote " in out and b"reading sessions" in err and b"3/3" in err
    code, err, out = gitmem_on(memory, "view", "--quiet", tty=True)
    assert code == 0 and "wrote " in out and b"3/3" not in err
    code, err, out = gitmem_on(memory, "view", tty=False)
    assert code == 0 and "wrote " in out and not err


def test_reindex_counts_what_it_read_and_wrote(memory: Path) -> None:
    from gitmem.index import index_file

    seen: list[tuple[str, int, int]] = []
    update = index_file.rebuild_index(discover(memory), lambda *step: seen.append(step))
    assert update.action == "rebuilt" and update.folders == 3
    # the sessions are read and indexed a part at a time (a streaming build), then the 2 decision files
    assert seen[0] == ("reading and indexing sessions", 0, 3) and ("reading and indexing sessions", 3, 3) in seen
    indexing = [s for s in seen if s[0] == "indexing decisions"]
    assert indexing[0] == (indexing[0][0], 0, 2) and indexing[-1] == (indexing[0][0], 2, 2)
    assert seen[-1] == ("full-text index, then vectors", 2, 2)
    for what in {s[0] for s in seen}:   # each step only moves forward
        done = [s[1] for s in seen if s[0] == what]
        assert done == sorted(done), what


def test_reindex_draws_a_progress_bar_on_a_terminal_only(memory: Path) -> None:
    code, err, out = gitmem_on(memory, "reindex", tty=True)
    assert code == 0 and "search index rebuilt" in out
    assert b"reading and indexing sessions" in err and b"3/3" in err and b"indexing decisions" in err and b"2/2" in err
    code, err, out = gitmem_on(memory, "reindex", "--quiet", tty=True)
    assert code == 0 and "search index rebuilt" in out and b"3/3" not in err and b"reading" not in err
    code, err, out = gitmem_on(memory, "reindex", tty=False)
    assert code == 0 and not err


def test_served_page_is_rebuilt_when_memory_changes_and_only_for_loopback_hosts(memory: Path) -> None:
    import http.client
    import threading

    from gitmem.view.serve import PageServer

    gm = discover(memory)
    server = PageServer(gm, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]

    def get(path: str = "/", host: str | None = None) -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            conn.request("GET", path, headers={"Host": host or f"127.0.0.1:{port}"})
            reply = conn.getresponse()
            return reply.status, reply.read().decode()
        finally:
            conn.close()

    try:
        status, page = get()
        assert status == 200 and "s-refunds-0002" in page and "s-later-0004" not in page
        assert get()[0] == 200 and server.builds == 1          # nothing changed: not rebuilt
        _session(gm, "s-later-0004", "A later session", author="Dana Developer <dana@example.com>", branch="main",
                 agent="claude-code", day="2026-11-25")
        status, page = get(host=f"localhost:{port}")
        assert status == 200 and "s-later-0004" in page and server.builds == 2
        create_decision(memory, "A new decision", date="2026-11-26")
        status, page = get("/memory.html")
        assert status == 200 and "A new decision" in page and server.builds == 3
        assert get(host="attacker.example:80")[0] == 403
        assert get("/../../etc/passwd")[0] == 404
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
    assert not thread.is_alive()


@browser_only
def test_the_policy_stops_a_handler_even_if_markup_got_in(page) -> None:
    """Defense in depth: were memory text ever parsed as markup, its handlers and scripts would still not run."""
    page.eval("document.getElementById('count').insertAdjacentHTML('beforeend', "
              "'<img src=\"x\" onerror=\"alert(3); window.__pwned=3\">')")
    page.settle(300)
    assert page.eval("window.__pwned === undefined")
    assert not [p for p in page.problems() if p.startswith("dialog")]


@pytest.fixture
def one_of_each(repo: Path) -> Path:
    """One session, one decision: every count on the page and in the command's line is singular."""
    _session(discover(repo), "s-single-0001", "The only session", author="Dana Developer <dana@example.com>",
             branch="main", agent="claude-code", day="2026-11-02", files=("src/one.py",))
    create_decision(repo, "The only decision", date="2026-11-02", files=["src/one.py"])
    return repo


def test_view_command_counts_one_thing_in_the_singular(one_of_each: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(one_of_each)
    code, out, err = run(capsys, "view")
    assert code == 0, err
    assert "1 session, 1 decision)" in out


@browser_only
def test_page_counts_one_thing_in_the_singular(one_of_each: Path, browser: Browser) -> None:
    out = one_of_each.parent / "page.html"
    build_view(discover(one_of_each), out)
    tab = browser.page()
    tab.open(out.as_uri())
    assert tab.eval("document.getElementById('summary').textContent").startswith("1 session, 1 decision; ")
    assert tab.eval("document.getElementById('count').textContent") == "1 of 1 session"
    tab.eval("document.querySelector('[data-tab=activity]').click()")
    titles = tab.eval("[...document.querySelectorAll('#chart rect.cell title')].map((t) => t.textContent)")
    assert titles == ["Dana Developer, week of 2026-11-02: 1 session"]
    assert tab.problems() == []


def test_serve_on_a_taken_port_is_an_error_with_a_hint(memory: Path, capsys, monkeypatch) -> None:
    import socket

    monkeypatch.chdir(memory)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out, err = run(capsys, "view", "--serve", "--port", str(port))
    assert code == 1 and not out
    assert f"gitmem: error: cannot listen on 127.0.0.1:{port}: the port is already taken" in err
    assert "hint:" in err and "--port" in err


@browser_only
def test_a_session_opens_to_its_summary_and_observations_and_decisions_show_status_and_files(page) -> None:
    page.eval("document.querySelector('#sessions details[data-id=\"s-outbox-0001\"]').open = true")
    page.settle(100)
    body = page.eval("document.querySelector('#sessions details[data-id=\"s-outbox-0001\"] .body').textContent")
    for part in ("Asked: asked: Move charges to an outbox table", "Learned", "chargeRetryPolicy retries three times",
                 "Done", "did it", "Files modified", "src/payments/outbox.py", "Observations (1)",
                 "edited for Move charges to an outbox table"):
        assert part in body, part
    page.eval("document.querySelector('[data-tab=decisions]').click()")
    items = page.eval("[...document.querySelectorAll('#decision-list > li')].map((li) => li.textContent)")
    old = next(t for t in items if t.startswith("supersededRetry charges inline"))
    new = next(t for t in items if t.startswith("acceptedRetry charges through the outbox"))
    assert "superseded by Retry charges through the outbox" in old and "files: src/payments/**" in old
    assert "supersedes Retry charges inline" in new and "files: src/payments/**" in new
    assert page.problems() == []


def test_view_open_hands_the_page_to_the_default_browser(memory: Path, tmp_path: Path) -> None:
    """``--open`` goes through Python's webbrowser, which runs $BROWSER: here a script that notes its argument."""
    import os
    import stat

    noted = tmp_path / "opened.txt"
    script = tmp_path / "fake-browser"
    script.write_text(f'#!/bin/sh\nprintf "%s" "$1" > {noted}\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    out = tmp_path / "opened.html"
    proc = subprocess.run([sys.executable, "-m", "gitmem", "view", "--out", str(out), "--open"], cwd=memory,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "BROWSER": f"{script} %s", "DISPLAY": "", "WAYLAND_DISPLAY": ""})
    assert proc.returncode == 0, proc.stderr
    assert noted.read_text() == out.resolve().as_uri() and out.is_file()
