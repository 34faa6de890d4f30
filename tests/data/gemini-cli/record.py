"""Record what the real Gemini CLI sends its hooks, its model and its transcript, into this folder.

Run from the worktree after ``bash scripts/install-gemini-cli.sh``:

    .venv/bin/python tests/data/gemini-cli/record.py

It makes a temporary git repository and HOME, points the CLI at the scripted
Gemini API stand-in (tests/fakes/gemini_api.py) on 127.0.0.1, installs a
recorder for every hook event in the project's ``.gemini/settings.json`` (at
SessionStart and BeforeAgent it answers with an ``additionalContext``), and
runs two ``gemini -p`` sessions with ``--yolo``: one whose model reads, writes,
edits a file and runs a shell command, and one resumed (``--resume latest``).
Paths and ids that differ per run are replaced by stable placeholders; long
texts (the system instruction, the tool declarations) are cut (their length is kept).
The README in this folder says what was observed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path[:0] = [str(ROOT / "tests"), str(HERE.parent)]
from fakes.gemini_api import Script, ScriptedGemini, tool  # noqa: E402
from record_common import app_repo, cleaner, cut, in_temp_folder, requests_of  # noqa: E402

GEMINI = ROOT / ".cache" / "gemini-cli" / "node_modules" / ".bin" / "gemini"
EVENTS = ("SessionStart", "BeforeAgent", "AfterAgent", "BeforeTool", "AfterTool", "PreCompress", "SessionEnd",
          "BeforeModel", "AfterModel", "BeforeToolSelection", "Notification")
RECORDED_MODEL_EVENTS = ("BeforeModel", "AfterModel", "BeforeToolSelection")  # huge payloads: kept cut
START_CONTEXT = "<gitmem-memory>RECORDED-SESSIONSTART-CONTEXT & the brief</gitmem-memory>"
PROMPT_CONTEXT = "<gitmem-recall>RECORDED-BEFOREAGENT-CONTEXT</gitmem-recall>"
RECORDER = """import json, os, sys
data = sys.stdin.read()
with open(os.environ["RECORD_TO"], "a") as f:
    f.write(json.dumps({"event": sys.argv[1], "payload": json.loads(data) if data.strip() else None}) + "\\n")
context = {"SessionStart": %r, "BeforeAgent": %r}.get(sys.argv[1])
if context:
    print(json.dumps({"hookSpecificOutput": {"hookEventName": sys.argv[1], "additionalContext": context}}))
""" % (START_CONTEXT, PROMPT_CONTEXT)
HOME_SETTINGS = {"security": {"auth": {"selectedType": "gemini-api-key"}, "folderTrust": {"enabled": False}},
                 "privacy": {"usageStatisticsEnabled": False}, "general": {"disableAutoUpdate": True},
                 "telemetry": {"enabled": False}}


def main() -> None:
    version = subprocess.run([str(GEMINI), "--version"], capture_output=True, text=True).stdout.strip()
    in_temp_folder("gemini-record-", record, version)


def record(base: Path, version: str) -> None:
    home, repo, rec = base / "home", base / "repo", base / "record.jsonl"
    (home / ".gemini").mkdir(parents=True)
    (home / ".gemini" / "settings.json").write_text(json.dumps(HOME_SETTINGS, indent=2) + "\n")
    app_repo(repo)
    (base / "recorder.py").write_text(RECORDER)
    (repo / ".gemini").mkdir()
    hooks = {e: [{"matcher": "*", "hooks": [{"type": "command", "command": f"{sys.executable} "
                                             f"{base / 'recorder.py'} {e}"}]}] for e in EVENTS}
    (repo / ".gemini" / "settings.json").write_text(json.dumps({"hooks": hooks}, indent=2) + "\n")
    with ScriptedGemini() as model:
        env = {**os.environ, "HOME": str(home), "RECORD_TO": str(rec), "GEMINI_API_KEY": model.api_key,
               "GOOGLE_GEMINI_BASE_URL": model.url, "NO_COLOR": "1"}
        model.add(Script("REC-TOOLS", (tool("read_file", file_path="app.py"),
                                       tool("write_file", file_path="outbox.py", content="OUTBOX = []\n"),
                                       tool("replace", file_path="app.py", old_string="return 1",
                                            new_string="return 2", instruction="return 2"),
                                       tool("run_shell_command", command="cat app.py; exit 3",
                                            description="read the app")),
                         "Done. We decided to keep the ledger append-only because audits replay it."))
        model.add(Script("REC-AGAIN", (tool("run_shell_command", command="git status --short"),), "Done again."))

        def run(*args: str) -> subprocess.CompletedProcess:
            proc = subprocess.run([str(GEMINI), *args], cwd=repo, env=env, capture_output=True, text=True,
                                  timeout=180, stdin=subprocess.DEVNULL)
            assert proc.returncode == 0, proc.stdout + proc.stderr
            return proc

        first = run("-p", "REC-TOOLS read the app, add an outbox, edit and run it", "--yolo", "-m", "gemini-2.5-pro")
        run("--resume", "latest", "-p", "REC-AGAIN show the status", "--yolo", "-m", "gemini-2.5-pro")
        assert model.unknown == [] and model.unscripted == [], (model.unknown, model.unscripted)
        requests = requests_of(model, drop_headers=("x-goog-api-key",))

    events = [json.loads(line) for line in rec.read_text().splitlines()]
    sessions = list(dict.fromkeys(e["payload"]["session_id"] for e in events if e["payload"]))
    transcripts = sorted((home / ".gemini" / "tmp").rglob("*.json*"))
    trusted = home / ".gemini" / "trusted_hooks.json"

    clean = cleaner([(str(repo), "/work/repo"), (str(home), "/home/user"), (str(base), "/tmp/record"),
                     (sys.executable, "python3")], sessions, short_ids=True)

    out = HERE / "hooks"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    seen: dict[str, int] = {}
    for e in events:
        payload = e["payload"] or {}
        tool_name = payload.get("tool_name")
        name = e["event"] + (f"-{tool_name}" if tool_name else "") + (
            f"-{payload['source']}" if "source" in payload else "")
        seen[name] = seen.get(name, 0) + 1
        if seen[name] == 1:
            kept = cut(payload) if e["event"] in RECORDED_MODEL_EVENTS else payload
            (out / f"{name}.json").write_text(clean(json.dumps(kept, indent=2, ensure_ascii=False)) + "\n")
    (HERE / "events.jsonl").write_text(clean("".join(
        json.dumps({"event": e["event"], "payload": cut(e["payload"])} if e["event"] in RECORDED_MODEL_EVENTS
                   else e, ensure_ascii=False) + "\n" for e in events)))
    (HERE / "requests.json").write_text(clean(json.dumps(cut(requests), indent=1, ensure_ascii=False)) + "\n")
    first_transcript = next(t for t in transcripts if "chats" in t.parts)
    (HERE / "transcript.jsonl").write_text(clean("".join(
        json.dumps(cut(json.loads(line)), ensure_ascii=False) + "\n"
        for line in first_transcript.read_text().splitlines() if line.strip())))
    (HERE / "trusted_hooks.json").write_text(clean(trusted.read_text()) if trusted.exists() else "{}\n")
    (HERE / "stderr.txt").write_text(clean(first.stderr))
    (HERE / "VERSION").write_text(version + "\n")
    for old in ("request.json", "request-body-head.txt"):
        (HERE / old).unlink(missing_ok=True)
    print(f"recorded gemini-cli {version}: {len(events)} hook events, {len(requests)} requests, "
          f"{len(transcripts)} transcript files ({first_transcript.relative_to(home)})")


if __name__ == "__main__":
    main()
