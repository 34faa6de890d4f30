"""A stand-in ``claude`` executable: a Python script put first on PATH by a test.

It behaves like ``claude -p --output-format json`` in the mode named by the
environment variable ``FAKE_CLAUDE_MODE`` (the summarizer passes its
environment through, minus ``GIT_*``):

- ``good``: prints a result object whose ``result`` is the summary JSON.
- ``fenced``: the same JSON inside a Markdown code fence, with words around it.
- ``garbage``: prints text that is not JSON and exits 1.
- ``error``: prints a result object with ``is_error: true``.
- ``hang``: starts a grandchild (same process group) that writes its pid to
  ``$FAKE_CLAUDE_DIR/grandchild.pid``, then both sleep for a minute.
- ``exclusive``: like ``good``, but fails if another ``exclusive`` run is in
  progress at the same moment (it holds ``$FAKE_CLAUDE_DIR/running`` for 0.4 s).

Every run appends what it saw (argv, cwd, environment, stdin) as one JSON line
to ``$FAKE_CLAUDE_DIR/calls.jsonl``.
"""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

from fakes.messages_api import GOOD_SUMMARY

SCRIPT = r'''#!{python}
import json, os, subprocess, sys, time
folder = os.environ.get("FAKE_CLAUDE_DIR", ".")
mode = os.environ.get("FAKE_CLAUDE_MODE", "good")
prompt = sys.stdin.read()
with open(os.path.join(folder, "calls.jsonl"), "a") as fh:
    fh.write(json.dumps({{"argv": sys.argv, "cwd": os.getcwd(), "env": dict(os.environ), "stdin": prompt}}) + "\n")
summary = {summary}
result = {{"type": "result", "subtype": "success", "is_error": False, "duration_ms": 5, "num_turns": 1,
          "result": json.dumps(summary), "session_id": "fake", "total_cost_usd": 0.0012,
          "usage": {{"input_tokens": 40, "cache_creation_input_tokens": 900, "cache_read_input_tokens": 1000,
                    "output_tokens": 77}},
          "modelUsage": {{"claude-haiku-4-5-20251001": {{"inputTokens": 40, "outputTokens": 77}}}}}}
if mode == "good":
    print(json.dumps(result))
elif mode == "fenced":
    result["result"] = "Here is the summary:\n```json\n" + json.dumps(summary, indent=2) + "\n```\nDone."
    print(json.dumps(result))
elif mode == "garbage":
    print("Welcome to Claude Code! <<not json>>")
    sys.exit(1)
elif mode == "error":
    result.update(is_error=True, subtype="error_during_execution", result="Invalid API key - please run /login")
    print(json.dumps(result))
elif mode == "hang":
    child = subprocess.Popen([sys.executable, "-c",
        "import os, time; open(os.path.join(%r, 'grandchild.pid.tmp'), 'w').write(str(os.getpid())); "
        "os.replace(os.path.join(%r, 'grandchild.pid.tmp'), os.path.join(%r, 'grandchild.pid')); time.sleep(60)"
        % (folder, folder, folder)])
    time.sleep(60)
elif mode == "exclusive":
    marker = os.path.join(folder, "running")
    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        print("two claude summarizers ran at once")
        sys.exit(3)
    time.sleep(0.4)
    os.close(fd)
    os.unlink(marker)
    print(json.dumps(result))
'''


def install_fake_claude(bin_dir: Path, summary: dict | None = None) -> Path:
    """Write the stand-in as ``bin_dir/claude`` (executable, ``#!`` this interpreter)."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    path = bin_dir / "claude"
    path.write_text(SCRIPT.format(python=sys.executable, summary=repr(summary or GOOD_SUMMARY)), encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def calls(folder: Path) -> list[dict]:
    log = folder / "calls.jsonl"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
