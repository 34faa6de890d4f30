"""gitmem's MCP server, driven by the official SDK's own client over stdio, and its .mcp.json registration.

Every server test starts the real server as a subprocess in a real repository whose
memory was written through ``store.write_session``, talks to it with
``ClientSession`` over ``stdio_client``, and checks that the process is gone
afterwards. Each exchange runs under ``anyio.fail_after``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable

import anyio
import pytest
from conftest import git
from mcp import ClientSession, StdioServerParameters, stdio_client

from gitmem.app.project import init_repository
from gitmem.config import DECISIONS_DIR
from gitmem.errors import ConfigError
from gitmem.git import discover
from gitmem.integrations import mcp_config, mcp_tools
from gitmem.store.memory_ref import write_session
from gitmem.store.records import Decision, DecisionNote, Observation, SessionSummary

TIMEOUT_SECONDS = 60

ALICE = "Alice Example <alice@example.com>"
BOB = "Bob Builder <bob@example.com>"
S1 = "a1111111-aaaa-4000-8000-000000000001"
S2 = "b2222222-bbbb-4000-8000-000000000002"
S3 = "c3333333-cccc-4000-8000-000000000003"
LEDGER_ID = "d-1234abcd00"
LEDGER_FILE = "2026-11-21-keep-sqlite-for-the-ledger.md"


def _cli_has_mcp_command() -> bool:
    import typer.main

    from gitmem.cli.app import app

    return "mcp" in typer.main.get_command(app).commands  # type: ignore[attr-defined]


CLI_WIRED = _cli_has_mcp_command()
# `gitmem mcp` once cli.py has the command; until then the same server through its module entry point.
SERVER_ARGS = ["-m", "gitmem", "mcp"] if CLI_WIRED else ["-m", "gitmem.integrations.mcp_server"]


# -- a repository with memory ----------------------------------------------------------------------


def _observations(n: int, day: str, width: int = 40) -> list[Observation]:
    return [Observation(ts=f"{day}T09:{i // 60:02d}:{i % 60:02d}Z", kind="command", tool="Bash",
                        command=f"pytest tests/test_login.py -k case{i} " + "x" * width, outcome="ok")
            for i in range(n)]


def _write_memory(repo_path: Path) -> None:
    gm = discover(repo_path)
    write_session(gm, S1, "2026-11-20T09:00:00Z", [
        Observation(ts="2026-11-20T09:05:00Z", kind="prompt", text="Split payments into their own service"),
        Observation(ts="2026-11-20T09:20:00Z", kind="edit", tool="Edit", files=("src/payments/outbox.py",),
                    text="add the outbox table"),
        Observation(ts="2026-11-20T09:40:00Z", kind="command", tool="Bash", command="pytest tests/payments",
                    outcome="ok"),
    ], SessionSummary(
        id=S1, title="Split the payment service", started_at="2026-11-20T09:00:00Z",
        ended_at="2026-11-20T10:00:00Z", author=ALICE, branch="main",
        request="Split payments into their own service",
        learned=("Payment events must survive a crash between commit and publish",),
        completed=("Added an outbox table written in the payment transaction",),
        decisions=(DecisionNote(title="Use the outbox pattern for payment events",
                                decision="Write events to an outbox table in the same transaction",
                                rationale="The ledger must stay consistent"),),
        next_steps=("Add a relay that publishes the outbox",),
        files_modified=("src/payments/outbox.py",), observation_count=3))
    write_session(gm, S2, "2026-11-22T09:00:00Z", _observations(300, "2026-11-22", width=120), SessionSummary(
        id=S2, title="Fix the flaky login test", started_at="2026-11-22T09:00:00Z",
        ended_at="2026-11-22T11:00:00Z", author=BOB, branch="feature/login",
        request="The login test fails one run in ten", completed=("Pinned the clock in the login test",),
        files_modified=("tests/test_login.py",), observation_count=300))
    write_session(gm, S3, "2026-11-23T14:00:00Z", [], SessionSummary(
        id=S3, title="Document the release process", started_at="2026-11-23T14:00:00Z",
        ended_at="2026-11-23T15:00:00Z", author=ALICE, branch="main",
        request="Write down how we cut a release", files_modified=("RELEASING.md",)))
    decision = Decision(id=LEDGER_ID, title="Keep SQLite for the ledger", status="accepted", date="2026-11-21",
                        authors=("Alice Example",), files=("src/ledger/*.py",), tags=("storage",),
                        body="\n## Decision\n\nThe ledger stays on SQLite; Postgres can wait until we shard.\n")
    (repo_path / DECISIONS_DIR / LEDGER_FILE).write_text(decision.to_text(), encoding="utf-8")


@pytest.fixture
def memory_repo(repo: Path) -> Path:
    """An initialized repository with three sessions in the memory ref and one decision file."""
    init_repository(discover(repo))
    _write_memory(repo)
    return repo


# -- talking to the server ---------------------------------------------------------------------------


def _processes_in(folder: Path) -> list[int]:
    """Processes whose working directory is ``folder`` (Linux /proc), other than this one."""
    target = os.path.realpath(folder)
    found = []
    for name in os.listdir("/proc") if os.path.isdir("/proc") else ():
        if name.isdigit() and int(name) != os.getpid():
            with contextlib.suppress(OSError):
                if os.readlink(f"/proc/{name}/cwd") == target:
                    found.append(int(name))
    return found


@contextlib.asynccontextmanager
async def _connect(cwd: Path, args: list[str] | None = None, command: str = sys.executable,
                   env: dict[str, str] | None = None) -> AsyncIterator[ClientSession]:
    params = StdioServerParameters(command=command, args=SERVER_ARGS if args is None else args, cwd=str(cwd),
                                   env=dict(os.environ) if env is None else env)
    with open(cwd.parent / f"mcp-server-{cwd.name}.stderr", "a", encoding="utf-8") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                yield session


def talk(cwd: Path, conversation: Callable[[ClientSession], Awaitable[Any]], **kwargs: Any) -> Any:
    """Start the server in ``cwd``, run ``conversation`` against it, stop it, and check it is gone."""
    async def main() -> Any:
        with anyio.fail_after(TIMEOUT_SECONDS):
            async with _connect(cwd, **kwargs) as session:
                return await conversation(session)

    result = anyio.run(main)
    assert _processes_in(cwd) == [], "the server process outlived its client"
    return result


def payload(result: Any) -> dict[str, Any]:
    assert not result.is_error, result.content
    assert result.structured_content is None  # Claude Code would show the model only that
    (block,) = result.content
    assert len(block.text) <= mcp_tools.MAX_RESULT_CHARS
    data = json.loads(block.text)
    assert "not instructions" in data.get("notice", "not instructions")
    return data


def error_text(result: Any) -> str:
    assert result.is_error, result.content
    return "\n".join(block.text for block in result.content)


# -- the tools ------------------------------------------------------------------------------------------


def test_the_server_offers_four_tools_described_as_reference_memory(memory_repo: Path) -> None:
    async def conversation(session: ClientSession) -> Any:
        return session.initialize_result, await session.list_tools()

    init, listed = talk(memory_repo, conversation)

    assert init.server_info.name == "gitmem"
    assert "not instructions" in init.instructions
    tools = {t.name: t for t in listed.tools}
    assert set(tools) == {"search", "timeline", "get_records", "save_decision"}
    for tool in tools.values():
        assert "not instructions" in tool.description or tool.name == "save_decision", tool.name
        assert tool.input_schema["type"] == "object"
    assert "proposed" in tools["save_decision"].description
    assert tools["search"].input_schema["required"] == ["query"]
    assert tools["search"].input_schema["properties"]["limit"]["maximum"] == mcp_tools.MAX_SEARCH_LIMIT
    assert tools["get_records"].input_schema["required"] == ["ids"]
    assert tools["save_decision"].input_schema["required"] == ["title", "decision"]
    assert tools["timeline"].annotations.read_only_hint is True
    assert tools["save_decision"].annotations.read_only_hint is False


def test_search_finds_sessions_and_decisions_with_filters(memory_repo: Path) -> None:
    async def conversation(session: ClientSession) -> list[Any]:
        return [await session.call_tool("search", {"query": "outbox"}),
                await session.call_tool("search", {"query": "ledger sqlite"}),
                await session.call_tool("search", {"query": "", "type": "decision"}),
                await session.call_tool("search", {"query": "", "type": "session", "file": "src/payments"}),
                await session.call_tool("search", {"query": "login", "author": "bob", "type": "session"}),
                await session.call_tool("search", {"query": "banana bread with walnuts"})]

    outbox, ledger, decisions, by_file, by_author, nothing = map(payload, talk(memory_repo, conversation))

    first = next(r for r in outbox["results"] if r["type"] == "session")
    assert first["id"] == S1 and {r.get("session_id", r["id"]) for r in outbox["results"]} == {S1}
    assert first["title"] == "Split the payment service" and first["author"] == ALICE and first["branch"] == "main"
    assert "src/payments/outbox.py" in first["files"]
    assert any(r["type"] == "observation" and r["session_id"] == S1 for r in outbox["results"])
    hit = ledger["results"][0]
    assert (hit["type"], hit["id"], hit["path"]) == ("decision", LEDGER_ID, f"{DECISIONS_DIR}/{LEDGER_FILE}")
    assert [r["id"] for r in decisions["results"]] == [LEDGER_ID]
    assert [r["id"] for r in by_file["results"]] == [S1]
    assert [r["id"] for r in by_author["results"]] == [S2]
    assert nothing["results"] == [] and "nothing matched" in nothing["hint"]   # by words, nor by meaning


def test_timeline_lists_sessions_newest_first(memory_repo: Path) -> None:
    async def conversation(session: ClientSession) -> list[Any]:
        return [await session.call_tool("timeline", {}),
                await session.call_tool("timeline", {"branch": "main"}),
                await session.call_tool("timeline", {"limit": 1}),
                await session.call_tool("timeline", {"author": "alice", "since": "2026-11-21"})]

    everything, main, newest, recent = map(payload, talk(memory_repo, conversation))

    assert [s["id"] for s in everything["sessions"]] == [S3, S2, S1]
    assert [s["date"] for s in everything["sessions"]] == sorted((s["date"] for s in everything["sessions"]),
                                                                 reverse=True)
    assert everything["sessions"][1]["branch"] == "feature/login"
    assert [s["id"] for s in main["sessions"]] == [S3, S1]
    assert [s["id"] for s in newest["sessions"]] == [S3]
    assert [s["id"] for s in recent["sessions"]] == [S3]


def test_get_records_returns_whole_records_and_reports_unknown_ids_one_by_one(memory_repo: Path) -> None:
    async def conversation(session: ClientSession) -> Any:
        return await session.call_tool("get_records", {"ids": [S1[:8], LEDGER_ID, "no-such-session", "o1-abc"]})

    session_record, decision, unknown, observation = payload(talk(memory_repo, conversation))["records"]

    assert session_record["type"] == "session" and session_record["id"] == S1
    assert session_record["request"] == "Split payments into their own service"
    assert session_record["next_steps"] == ["Add a relay that publishes the outbox"]
    assert session_record["decisions"][0]["title"] == "Use the outbox pattern for payment events"
    assert [o["kind"] for o in session_record["observations"]] == ["prompt", "edit", "command"]
    assert session_record["observations_total"] == 3 and "observations_note" not in session_record
    assert decision["type"] == "decision" and decision["status"] == "accepted"
    assert decision["path"] == f"{DECISIONS_DIR}/{LEDGER_FILE}"
    assert "Postgres can wait" in decision["body"]
    assert unknown["id"] == "no-such-session" and "no session matches" in unknown["error"] and unknown["hint"]
    assert "observation id" in observation["error"] and "session_id" in observation["hint"]


def test_a_long_session_is_cut_to_the_output_limit_with_a_note(memory_repo: Path) -> None:
    async def conversation(session: ClientSession) -> Any:
        return await session.call_tool("get_records", {"ids": [S2, S1, LEDGER_ID]})

    result = talk(memory_repo, conversation)
    long_one, short_one, decision = payload(result)["records"]

    assert len(result.content[0].text) <= mcp_tools.MAX_RESULT_CHARS
    assert long_one["observations_total"] == 300
    assert 0 < len(long_one["observations"]) < 300
    assert f"of 300 observations" in long_one["observations_note"]
    assert long_one["observations"][-1]["ts"] == "2026-11-22T09:04:59Z"  # the newest are the ones kept
    # the short records around it come back whole
    assert short_one["observations_total"] == len(short_one["observations"]) == 3 and "cut" not in short_one
    assert "Postgres can wait" in decision["body"]


def test_save_decision_writes_a_proposed_file_that_search_then_finds(memory_repo: Path) -> None:
    arguments = {"title": "Publish payment events through a relay", "decision": "A relay process reads the outbox",
                 "rationale": "Keeps the payment transaction short", "context": "Events must leave the database",
                 "alternatives": ["Publish from the request handler"],
                 "files": [str(memory_repo / "src" / "payments" / "relay.py")], "tags": ["payments"]}

    async def conversation(session: ClientSession) -> list[Any]:
        return [await session.call_tool("save_decision", arguments),
                await session.call_tool("save_decision", arguments),  # a retried call
                await session.call_tool("search", {"query": "relay", "type": "decision"})]

    first, again, found = map(payload, talk(memory_repo, conversation))

    path = memory_repo / first["path"]
    assert first["path"].startswith(f"{DECISIONS_DIR}/") and first["path"].endswith("-publish-payment-events-"
                                                                                     "through-a-relay.md")
    decision = Decision.from_text(path.read_text(encoding="utf-8"), str(path))
    assert (decision.status, decision.title, decision.id) == ("proposed", arguments["title"], first["id"])
    assert decision.files == ("src/payments/relay.py",) and decision.tags == ("payments",)
    assert decision.authors == ("Test Author <author@example.com>",)
    for text in ("A relay process reads the outbox", "Keeps the payment transaction short",
                 "- Publish from the request handler", "save_decision"):
        assert text in decision.body
    assert again["path"] == first["path"]
    assert len(list((memory_repo / DECISIONS_DIR).glob("*relay*.md"))) == 1
    assert f"?? {first['path']}" in git(memory_repo, "status", "--porcelain", "--untracked-files=all").splitlines()
    assert git(memory_repo, "diff", "--cached", "--name-only") == ""  # never staged
    assert [r["id"] for r in found["results"]] == [first["id"]]


def test_bad_arguments_are_tool_errors_and_the_server_keeps_serving(memory_repo: Path) -> None:
    async def conversation(session: ClientSession) -> list[Any]:
        return [await session.call_tool("search", {"query": "x", "limit": 0}),
                await session.call_tool("search", {"query": "x", "since": "yesterday"}),
                await session.call_tool("search", {"query": "x", "type": "commit"}),
                await session.call_tool("get_records", {"ids": []}),
                await session.call_tool("save_decision", {"title": "!!!", "decision": "something"}),
                await session.call_tool("save_decision", {"title": "Something", "decision": "   "}),
                await session.call_tool("timeline", {})]

    *errors, still_fine = talk(memory_repo, conversation)

    limit, since, kind, ids, title, empty = map(error_text, errors)
    assert "limit" in limit
    assert "cannot read since='yesterday'" in since and "hint: " in since and "7d" in since
    assert "type" in kind
    assert "ids" in ids
    assert "needs a title" in title and "hint: " in title
    assert "needs the decision" in empty
    assert [s["id"] for s in payload(still_fine)["sessions"]] == [S3, S2, S1]
    assert not list((memory_repo / DECISIONS_DIR).glob("*something*"))


def test_an_uninitialized_repository_gets_gitmems_message_and_hint(repo: Path) -> None:
    async def conversation(session: ClientSession) -> list[Any]:
        return [await session.call_tool("search", {"query": "anything"}),
                await session.call_tool("save_decision", {"title": "A title", "decision": "A decision"})]

    search, save = map(error_text, talk(repo, conversation))

    for text in (search, save):
        assert "gitmem: error: gitmem is not set up in" in text
        assert "hint: run `gitmem init`" in text
    assert not (repo / ".gitmem").exists() and not (repo / ".git" / "gitmem").exists()


def test_outside_a_repository_the_error_says_where_the_server_runs(tmp_path: Path) -> None:
    outside = tmp_path / "not-a-repo"
    outside.mkdir()

    async def conversation(session: ClientSession) -> Any:
        return await session.call_tool("timeline", {})

    text = error_text(talk(outside, conversation))
    assert "not inside a git repository" in text and "--repo" in text


def test_the_repo_option_serves_another_folder(memory_repo: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    async def conversation(session: ClientSession) -> Any:
        return await session.call_tool("timeline", {"limit": 1})

    result = talk(elsewhere, conversation, args=[*SERVER_ARGS, "--repo", str(memory_repo)])
    assert [s["id"] for s in payload(result)["sessions"]] == [S3]


@pytest.mark.skipif(not CLI_WIRED, reason="`gitmem mcp` is not wired into cli.py yet (see the mcp_server report)")
def test_the_registered_command_starts_the_server(memory_repo: Path, tmp_path: Path) -> None:
    """What Claude Code does: read .mcp.json and run its command in the project folder."""
    entry = json.loads((memory_repo / ".mcp.json").read_text())["mcpServers"]["gitmem"]
    env = dict(os.environ)
    if entry["command"] == "gitmem":
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"

    async def conversation(session: ClientSession) -> Any:
        return await session.call_tool("timeline", {"limit": 1})

    result = talk(memory_repo, conversation, command=entry["command"], args=entry["args"], env=env)
    assert [s["id"] for s in payload(result)["sessions"]] == [S3]


def test_the_cli_and_the_server_module_load_without_the_mcp_sdk() -> None:
    code = ("import sys, gitmem.cli.app, gitmem.integrations.mcp_server, gitmem.app.project; "
            "print(sorted(m for m in sys.modules if m == 'mcp' or m.startswith('mcp.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"


# -- .mcp.json ----------------------------------------------------------------------------------------


OTHER = """{
    "mcpServers": {
        "docs": {
            "command": "npx",
            "args": ["-y", "docs-server"],
            "env": {"TOKEN": "${DOCS_TOKEN}"}
        }
    },
    "other": true
}
"""


def _other_file(repo: Path) -> bytes:
    """An existing .mcp.json in 4-space JSON.stringify layout, with another server."""
    data = json.loads(OTHER)
    text = json.dumps(data, indent=4) + "\n"
    (repo / ".mcp.json").write_text(text)
    return text.encode()


def test_register_adds_gitmem_beside_other_servers_and_unregister_restores_the_bytes(repo: Path) -> None:
    original = _other_file(repo)

    result = mcp_config.register_mcp_server(repo, portable=True)
    after_first = (repo / ".mcp.json").read_bytes()
    again = mcp_config.register_mcp_server(repo, portable=True)

    data = json.loads(after_first)
    assert list(data) == ["mcpServers", "other"] and list(data["mcpServers"]) == ["docs", "gitmem"]
    assert data["mcpServers"]["docs"] == json.loads(OTHER)["mcpServers"]["docs"]
    assert data["mcpServers"]["gitmem"] == {"type": "stdio", "command": "gitmem", "args": ["mcp"]}
    assert after_first.startswith(b'{\n    "mcpServers": {\n        "docs"')  # the file's own indentation
    assert (result.action, again.action) == ("added", "unchanged")
    assert result.report() == ("MCP server `gitmem` in .mcp.json (runs `gitmem mcp`)",) and again.report() == ()
    assert (repo / ".mcp.json").read_bytes() == after_first

    removed = mcp_config.unregister_mcp_server(repo)
    assert removed.action == "removed"
    assert (repo / ".mcp.json").read_bytes() == original
    assert mcp_config.unregister_mcp_server(repo).action == "absent"


def test_a_file_register_created_is_deleted_again_by_unregister(repo: Path) -> None:
    result = mcp_config.register_mcp_server(repo, portable=False, python=sys.executable)

    entry = json.loads((repo / ".mcp.json").read_text())["mcpServers"]["gitmem"]
    assert entry == {"type": "stdio", "command": sys.executable, "args": ["-m", "gitmem", "mcp"]}
    assert "init --shared" in result.report()[0] and any("exclude" in n for n in result.notes)
    assert git(repo, "status", "--porcelain") == ""  # a personal path is kept out of commits
    exclude = repo / ".git" / "info" / "exclude"
    assert "/.mcp.json" in exclude.read_text()

    mcp_config.unregister_mcp_server(repo)
    assert not (repo / ".mcp.json").exists()
    assert "mcp.json" not in exclude.read_text()
    assert git(repo, "status", "--porcelain") == ""


def test_unregister_without_a_record_keeps_the_file(repo: Path) -> None:
    """A teammate's committed .mcp.json: nothing says this machine created it."""
    mcp_config.register_mcp_server(repo, portable=True)
    (repo / ".git" / "gitmem" / mcp_config.RECORD_FILE).unlink()

    mcp_config.unregister_mcp_server(repo)

    assert json.loads((repo / ".mcp.json").read_text()) == {}


@pytest.mark.parametrize(("text", "line", "expected"), [
    ('{\n  "mcpServers": {\n    "docs": {"command": "npx",}\n  }\n}\n', 3, "not valid JSON"),
    ('{\n  "other": 1,\n  "mcpServers": []\n}\n', 3, "`mcpServers` must be an object"),
    ('[1, 2]\n', 1, "must hold a JSON object"),
], ids=["syntax", "wrong-shape", "not-an-object"])
def test_a_broken_file_is_a_config_error_naming_file_and_line(repo: Path, text: str, line: int,
                                                               expected: str) -> None:
    (repo / ".mcp.json").write_text(text)

    for operation in (mcp_config.register_mcp_server, mcp_config.unregister_mcp_server):
        with pytest.raises(ConfigError) as caught:
            operation(repo)
        assert ".mcp.json" in caught.value.message and f"line {line}" in caught.value.message
        assert expected in caught.value.message and "unchanged" in caught.value.hint
        assert (repo / ".mcp.json").read_text() == text


def test_a_committed_portable_entry_is_never_replaced_by_a_personal_path(repo: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    mcp_config.register_mcp_server(repo, portable=True)
    git(repo, "add", ".mcp.json")
    git(repo, "commit", "-q", "-m", "share gitmem's MCP server")
    before = (repo / ".mcp.json").read_bytes()
    monkeypatch.setenv("PATH", _path_without_gitmem())

    result = mcp_config.register_mcp_server(repo, portable=False, python=sys.executable)

    assert result.action == "kept" and "not on PATH" in result.notes[0] and result.report() == ()
    assert (repo / ".mcp.json").read_bytes() == before


def test_an_untracked_portable_entry_becomes_the_interpreter_that_runs_without_path(memory_repo: Path,
                                                                                    monkeypatch: pytest.MonkeyPatch
                                                                                    ) -> None:
    """Issue 14 item 12: init ran in an activated venv and wrote `gitmem`; Claude Code without it got ENOENT."""
    (memory_repo / ".mcp.json").write_text(json.dumps({"mcpServers": {"gitmem": {
        "type": "stdio", "command": "gitmem", "args": ["mcp"]}}}, indent=2) + "\n")

    result = mcp_config.register_mcp_server(memory_repo)

    entry = json.loads((memory_repo / ".mcp.json").read_text())["mcpServers"]["gitmem"]
    assert result.action == "updated" and os.path.isabs(entry["command"])
    env = {**os.environ, "PATH": _path_without_gitmem()}

    async def conversation(session: ClientSession) -> Any:
        return await session.call_tool("timeline", {"limit": 1})

    answer = talk(memory_repo, conversation, command=entry["command"], args=entry["args"], env=env)
    assert [s["id"] for s in payload(answer)["sessions"]] == [S3]


def test_a_personal_path_is_upgraded_to_the_portable_entry_keeping_added_keys(repo: Path) -> None:
    (repo / ".mcp.json").write_text(json.dumps({"mcpServers": {"gitmem": {
        "command": "/old/venv/bin/python", "args": ["-m", "gitmem", "mcp"], "env": {"GITMEM_X": "1"}}}}, indent=2))

    result = mcp_config.register_mcp_server(repo, portable=True)

    assert result.action == "updated" and result.report()[0].startswith("updated MCP server")
    assert json.loads((repo / ".mcp.json").read_text())["mcpServers"]["gitmem"] == {
        "command": "gitmem", "args": ["mcp"], "env": {"GITMEM_X": "1"}}


def test_a_foreign_server_named_gitmem_is_left_alone(repo: Path) -> None:
    text = json.dumps({"mcpServers": {"gitmem": {"command": "node", "args": ["my-gitmem.js"]}}}, indent=2) + "\n"
    (repo / ".mcp.json").write_text(text)

    registered = mcp_config.register_mcp_server(repo, portable=True)
    unregistered = mcp_config.unregister_mcp_server(repo)

    assert (registered.action, unregistered.action) == ("kept", "kept")
    assert "does not run gitmem" in registered.notes[0]
    assert (repo / ".mcp.json").read_text() == text


def _path_without_gitmem() -> str:
    return os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep)
                           if p and not (Path(p) / "gitmem").exists())


@pytest.mark.parametrize("on_path", [True, False], ids=["gitmem-on-path", "not-on-path"])
def test_init_registers_the_server_once(repo: Path, monkeypatch: pytest.MonkeyPatch, on_path: bool) -> None:
    path = _path_without_gitmem()
    if on_path:
        path = f"{Path(sys.executable).parent}{os.pathsep}{path}"  # the venv's own `gitmem` script
    monkeypatch.setenv("PATH", path)
    assert (shutil.which("gitmem") is not None) == on_path

    first = init_repository(discover(repo))
    second = init_repository(discover(repo))

    entry = json.loads((repo / ".mcp.json").read_text())["mcpServers"]["gitmem"]
    # Where `gitmem` is on PATH at init time says nothing of the PATH Claude Code starts with (issue 14 item
    # 12): a personal init runs this interpreter, as the hooks do.
    assert entry == {"type": "stdio", "command": sys.executable, "args": ["-m", "gitmem", "mcp"]}
    assert any(line.startswith("MCP server `gitmem` in .mcp.json") for line in first.created)
    assert not any(".mcp.json" in line for line in second.created)


def test_a_shared_init_registers_the_portable_command(repo: Path) -> None:
    init_repository(discover(repo), shared=True)

    entry = json.loads((repo / ".mcp.json").read_text())["mcpServers"]["gitmem"]
    assert entry == {"type": "stdio", "command": "gitmem", "args": ["mcp"]}
    assert "?? .mcp.json" in git(repo, "status", "--porcelain")  # for the team to commit


def test_a_second_work_tree_gets_its_own_registration(repo: Path, tmp_path: Path) -> None:
    worktree = tmp_path / "feature"
    git(repo, "worktree", "add", "-q", "-b", "feature", str(worktree))

    mcp_config.register_mcp_server(worktree, portable=True)

    assert (worktree / ".mcp.json").exists() and not (repo / ".mcp.json").exists()
    mcp_config.unregister_mcp_server(worktree)
    assert not (worktree / ".mcp.json").exists()



def test_a_shared_init_after_a_personal_one_makes_the_file_committable(repo: Path) -> None:
    init_repository(discover(repo))
    assert ".mcp.json" not in git(repo, "status", "--porcelain")  # personal: excluded

    init_repository(discover(repo), shared=True)

    assert "?? .mcp.json" in git(repo, "status", "--porcelain")
    assert json.loads((repo / ".mcp.json").read_text())["mcpServers"]["gitmem"]["command"] == "gitmem"
    mcp_config.unregister_mcp_server(repo)
    assert not (repo / ".mcp.json").exists()  # still recorded as created by gitmem
