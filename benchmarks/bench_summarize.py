"""Benchmark what the summarizer sends per session, against the goals in the issue.

Run from the repository root::

    .venv/bin/python benchmarks/bench_summarize.py            # Markdown table
    .venv/bin/python benchmarks/bench_summarize.py --json

Nothing leaves the machine: the anthropic backend (the real SDK) talks to the
local stand-in of the Messages API from ``tests/fakes``, which counts the real
requests and the real bytes of each request body. Tokens are estimated as
characters / 4, for the request and for the raw transcript alike.

- fixture, first flush: ``tests/data/session-hooks.jsonl`` replayed through the
  real hook subprocess into a throw-away repository, then one flush by the
  worker. Goal: request bytes / raw transcript (``session-transcript.jsonl``)
  <= 0.15, and 1 summarizer call per flush.
- fixture, resumed: the session resumes with one more prompt and ends again;
  the second flush sends only what is new, with the summary so far.
- long session: the fixture's turns repeated ``--turns`` times (raw transcript
  taken as the same multiple), summarized in one flush with the default 60,000
  character input bound: calls grow with the length, never one per tool call.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from fakes.messages_api import FakeMessagesAPI  # noqa: E402

import gitmem  # noqa: E402
from gitmem.app import flush
from gitmem.app.project import init_repository  # noqa: E402
from gitmem.capture import compaction, transcript  # noqa: E402
from gitmem.compress.draft import SessionInput  # noqa: E402
from gitmem.compress.summarize import summarize_session  # noqa: E402
from gitmem.config import Config  # noqa: E402
from gitmem.git import discover  # noqa: E402
from gitmem.store import memory_ref

DATA = ROOT / "tests" / "data"
LAUNCHER = Path(gitmem.__file__).parent / "_hook.py"
GOAL_RATIO = 0.15
GOAL_CALLS_PER_FLUSH = 1


def tokens(chars: int) -> int:
    return round(chars / 4)


def isolated_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "GITMEM_", "ANTHROPIC_"))}
    (home / ".gitconfig").write_text("")
    env.update(HOME=str(home), GITMEM_HOME=str(home / "gitmem"), GIT_CONFIG_GLOBAL=str(home / ".gitconfig"),
               GIT_CONFIG_NOSYSTEM="1", GIT_AUTHOR_NAME="Bench", GIT_AUTHOR_EMAIL="bench@example.com",
               GIT_COMMITTER_NAME="Bench", GIT_COMMITTER_EMAIL="bench@example.com", GITMEM_NO_WORKER="1")
    return env


def replay(root: Path, events: list[dict], env: dict[str, str]) -> None:
    for payload in events:
        data = json.dumps(payload).replace("/home/dev/payments", str(root)).encode()
        subprocess.run([sys.executable, "-I", "-S", str(LAUNCHER), payload["hook_event_name"]], cwd=root,
                       input=data, capture_output=True, env=env, timeout=60, check=True)


def flush_scenarios(raw_chars: int) -> list[dict]:
    events = [json.loads(line) for line in (DATA / "session-hooks.jsonl").read_text().splitlines()]
    rows = []
    with tempfile.TemporaryDirectory(prefix="gitmem-bench-") as tmp, FakeMessagesAPI() as api:
        home, root = Path(tmp) / "home", Path(tmp) / "repo"
        home.mkdir()
        root.mkdir()
        # The session's transcript where Claude Code keeps it; the worker reads it at flush.
        said = home / ".claude" / "projects" / "-bench-repo" / f"{events[0]['session_id']}.jsonl"
        said.parent.mkdir(parents=True)
        said.write_bytes((DATA / "session-transcript.jsonl").read_bytes())
        events = [dict(e, transcript_path=str(said)) for e in events]
        env = isolated_env(home)
        env.update(api.env(), GITMEM_SUMMARIZER="anthropic")
        saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(env)  # the worker reads its settings and the API address from the environment
        try:
            for args in (["init", "-q", "-b", "main"], ["commit", "-q", "--allow-empty", "-m", "start"]):
                subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)
            repo = discover(root)
            init_repository(repo)
            replay(root, events, env)
            seen = 0
            flush.flush_now(repo.common_dir)
            rows.append(row("fixture session, first flush", api.requests[seen:], raw_chars))
            seen = len(api.requests)
            resume = [dict(events[0], source="resume"),
                      dict(events[1], prompt="Now document the outbox", prompt_id="p-bench-2"),
                      {**events[-2], "last_assistant_message": "Documented the outbox in README."}]
            replay(root, resume, env)
            flush.flush_now(repo.common_dir)
            rows.append(row("fixture session, resumed (2nd flush: new events + summary so far)",
                            api.requests[seen:], 0))
            summary = memory_ref.find_session(repo, events[0]["session_id"]).summary
            rows[-1]["summarizer"] = summary.summarizer if summary else "?"
        finally:
            os.environ.clear()
            os.environ.update(saved)
    return rows


def _long_transcript(turns: int, stop_index: int) -> list[str]:
    """The fixture's transcript once per turn: each turn's prompt and reply marked with its number and timed
    like that turn's hook events (turn n's events are 60 s after turn n-1's)."""
    records = [json.loads(line) for line in (DATA / "session-transcript.jsonl").read_text().splitlines()]
    out = []
    for turn in range(turns):
        for r in records:
            r = json.loads(json.dumps(r))
            if r.get("type") in ("user", "assistant"):
                content = r["message"]["content"]
                if isinstance(content, str):
                    r["message"]["content"] = f"{content} (turn {turn})"
                    r["timestamp"] = compaction.iso(1_790_000_000 + turn * 60 + 1)
                elif any(b.get("type") == "text" for b in content):
                    for b in content:
                        if b.get("type") == "text":
                            b["text"] += f" (turn {turn})"
                    r["timestamp"] = compaction.iso(1_790_000_000 + turn * 60 + stop_index)
            out.append(json.dumps(r, separators=(",", ":")))
    return out


def long_scenario(turns: int, raw_chars: int) -> dict:
    lines = (DATA / "session-hooks.jsonl").read_text().splitlines()
    observations = []
    for turn in range(turns):  # each turn its own tool calls (distinct ids, files and prompt), 60 s apart
        base = [compaction.SpoolEvent(ts=1_790_000_000 + turn * 60 + i, event=json.loads(l)["hook_event_name"],
                                      payload=json.loads(l)) for i, l in enumerate(lines)]
        for o in compaction.compact_events(base, "/home/dev/payments"):
            if o.kind == "session":
                continue
            files = tuple(f.replace(".py", f"_{turn}.py") for f in o.files)
            text = f"{o.text} (turn {turn})" if o.kind in ("prompt", "stop") else o.text
            observations.append(replace(o, files=files, text=text, event_id=f"{o.event_id}-{turn}"))
    stop_index = next(i for i, l in enumerate(lines) if json.loads(l)["hook_event_name"] == "Stop")
    out = []
    for with_transcript in (False, True):
        said = transcript.Transcript()
        if with_transcript:  # the transcript where Claude Code keeps it, read as the flush reads it
            with tempfile.TemporaryDirectory(prefix="gitmem-bench-") as home:
                path = Path(home) / ".claude" / "projects" / "-bench" / "long.jsonl"
                path.parent.mkdir(parents=True)
                path.write_text("\n".join(_long_transcript(turns, stop_index)) + "\n")
                saved = os.environ.get("HOME")
                os.environ["HOME"] = home
                try:
                    said = transcript.read_transcript(str(path))
                finally:
                    os.environ["HOME"] = saved or ""
        with FakeMessagesAPI() as api:
            draft = summarize_session(SessionInput("bench-long", tuple(observations), transcript=said.turns,
                                                   transcript_bytes=said.raw_bytes),
                                      Config(summarizer="anthropic", summarizer_timeout_seconds=60), api.env())
            name = f"long session ({turns} turns, 1 flush{', turns from its transcript' if said.turns else ''})"
            out.append(row(name, api.requests, said.raw_bytes or raw_chars * turns))
        out[-1]["summarizer"] = draft.summarizer
    return out


def row(name: str, requests: list, raw_chars: int) -> dict:
    body = sum(r.size for r in requests)
    prompt = sum(len(r.body["system"]) + len(r.body["messages"][0]["content"]) for r in requests)
    return {"scenario": name, "calls": len(requests), "request_bytes": body, "tokens_sent": tokens(body),
            "prompt_tokens": tokens(prompt), "raw_tokens": tokens(raw_chars),
            "ratio": round(body / raw_chars, 3) if raw_chars else None, "summarizer": "anthropic"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--turns", type=int, default=200, help="turns of the long synthetic session")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    raw_chars = len((DATA / "session-transcript.jsonl").read_text(encoding="utf-8"))
    rows = flush_scenarios(raw_chars) + long_scenario(args.turns, raw_chars)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"Summarizer input (anthropic backend, real SDK -> local Messages API stand-in); "
          f"Python {platform.python_version()}\n")
    print("| scenario | summarizer calls | request bytes | tokens sent (bytes/4) | of which prompt text "
          "| raw transcript tokens | sent / raw (goal <= 0.15) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(f"| {r['scenario']} | {r['calls']} | {r['request_bytes']:,} | {r['tokens_sent']:,} | "
              f"{r['prompt_tokens']:,} | {format(r['raw_tokens'], ',') if r['raw_tokens'] else 'n/a'} | {r['ratio'] or 'n/a'} |")
    first = rows[0]
    ok = first["ratio"] is not None and first["ratio"] <= GOAL_RATIO and first["calls"] == GOAL_CALLS_PER_FLUSH and rows[1]["calls"] == 1
    print(f"\nGoals on the fixture: ratio <= {GOAL_RATIO} and {GOAL_CALLS_PER_FLUSH} call per flush: "
          f"{'met' if ok else 'NOT met'}. Tokens are characters / 4 of the whole request body (system prompt, "
          "tool schema, session text, JSON framing); 'prompt text' is the system prompt and user message alone. "
          "The resumed turn has no recorded transcript, so it has no ratio.")
    print(f"\nCommand: {shlex.join(['.venv/bin/python', 'benchmarks/bench_summarize.py', *(argv or sys.argv[1:])])}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
