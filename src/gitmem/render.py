"""Text and JSON views of records for the terminal.

Pure functions from records to strings or plain data; nothing here reads
git or prints, so every view is testable on its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from gitmem.project import Status
from gitmem.records import SessionSummary
from gitmem.store import Memory, SessionRecord

_IDENT = re.compile(r"^(?P<name>.*?)\s*<(?P<email>[^>]*)>")


def author_name(author: str) -> str:
    m = _IDENT.match(author)
    return (m.group("name") or m.group("email")) if m else author


def short_time(ts: str) -> str:
    return ts[:16].replace("T", " ") if ts else "-"


@dataclass(frozen=True, slots=True)
class SessionRow:
    id: str
    date: str
    author: str
    branch: str
    title: str
    path: str
    observations: int

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "date": self.date, "author": self.author, "branch": self.branch,
                "title": self.title, "path": self.path, "observations": self.observations}


def session_rows(memory: Memory) -> list[SessionRow]:
    """One row per session, newest first (by end, else start, time)."""
    rows = []
    for rec in memory.sessions:
        s = rec.summary
        if s is None:
            rows.append(SessionRow(rec.session_id, "", "", "", "(no summary yet)", rec.path, len(rec.observations)))
            continue
        rows.append(SessionRow(s.id, s.ended_at or s.started_at, s.author, s.branch, s.title, rec.path,
                               s.observation_count))
    rows.sort(key=lambda r: (r.date, r.id), reverse=True)
    return rows


def _cut(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def session_table(rows: list[SessionRow]) -> str:
    lines = []
    for r in rows:
        lines.append(f"{short_time(r.date):16}  {_cut(author_name(r.author), 18):18}  {_cut(r.branch or '-', 20):20}  "
                     f"{_cut(r.title, 60):60}  {r.id[:8]}")
    return "\n".join(line.rstrip() for line in lines)


def session_json(rec: SessionRecord) -> dict[str, Any]:
    return {
        "id": rec.session_id,
        "path": rec.path,
        "summary": rec.summary.to_dict() if rec.summary else None,
        "observations": [o.to_dict() for o in rec.observations],
    }


def _observation_line(o: Any) -> str:
    what = (o.command if o.kind == "command" and o.command else o.text) or ""
    if o.files:
        what = f"{', '.join(o.files[:3])}{' …' if len(o.files) > 3 else ''}: {what}" if what else ", ".join(o.files)
    outcome = f" [{o.outcome}]" if o.outcome and o.outcome != "ok" else ""
    return f"  {short_time(o.ts)}  {o.kind:8} {_cut(what, 100)}{outcome}"


def session_text(rec: SessionRecord) -> str:
    out = []
    s: SessionSummary | None = rec.summary
    if s is not None:
        out.append(f"session {s.id}")
        out.append(f"author:  {s.author or '-'}")
        out.append(f"branch:  {s.branch or '-'}   agent: {s.agent}")
        out.append(f"time:    {short_time(s.started_at)} -> {short_time(s.ended_at)}")
        if s.commits:
            out.append(f"commits: {', '.join(c[:10] for c in s.commits)}")
        if s.summarizer:
            cost = f", {s.tokens_in} tokens in, {s.tokens_out} out" if s.tokens_in or s.tokens_out else ""
            out.append(f"summary: {s.summarizer}{' ' + s.model if s.model else ''}{cost}")
        out.append(s.to_text().split("\n---\n", 1)[-1].rstrip())
    else:
        out.append(f"session {rec.session_id} (no summary yet)")
    if rec.observations:
        out.append("")
        out.append(f"## Observations ({len(rec.observations)})")
        out.extend(_observation_line(o) for o in rec.observations)
    return "\n".join(out)


def _human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"  # pragma: no cover


def status_json(st: Status) -> dict[str, Any]:
    return {
        "root": str(st.root),
        "initialized": st.initialized,
        "config": str(st.config_path),
        "state_dir": str(st.state_dir),
        "state_bytes": st.state_bytes,
        "memory": {
            "tip": st.stats.tip,
            "sessions": st.stats.sessions,
            "observation_files": st.stats.observation_files,
            "observations": st.stats.observations,
            "commit_notes": st.stats.commit_notes,
            "commits": st.stats.commits,
            "ref_bytes": st.stats.ref_bytes,
            "unreadable_records": st.stats.errors,
        },
        "claude_hooks": st.hooks.to_json(),
        "spool": {"sessions": st.backlog.sessions, "files": st.backlog.files, "bytes": st.backlog.bytes,
                  "unreadable_files": st.backlog.bad_files, "flush_requests": st.backlog.requests},
        "last_flush": st.last_flush,
        "worker_running": st.worker_running,
        "last_sync": st.last_sync,
    }


def status_text(st: Status) -> str:
    m = st.stats
    lines = [
        f"repository:   {st.root}",
        f"initialized:  {'yes' if st.initialized else 'no (run `gitmem init`)'}",
        f"memory ref:   refs/notes/gitmem {('at ' + m.tip[:10]) if m.tip else '(empty)'}",
        f"sessions:     {m.sessions}",
        f"observations: {m.observations} in {m.observation_files} files",
        f"commit notes: {m.commit_notes}",
        f"ref size:     {_human_bytes(m.ref_bytes)} in {m.commits} commits",
        f"local state:  {st.state_dir} ({_human_bytes(st.state_bytes)})",
    ]
    if m.errors:
        lines.append(f"unreadable:   {m.errors} records (see `gitmem log` warnings)")
    if st.hooks.installed:
        where = sorted({f for files in st.hooks.events.values() for f in files})
        lines.append(f"claude hooks: installed in {', '.join(where)}")
    elif st.hooks.events:
        lines.append(f"claude hooks: incomplete, missing {', '.join(st.hooks.missing)} (run `gitmem install claude`)")
    else:
        lines.append("claude hooks: not installed (run `gitmem install claude`)")
    for problem in st.hooks.problems:
        lines.append(f"  problem: {problem}")
    b = st.backlog
    lines.append(f"spool:        {b.sessions} sessions waiting, {_human_bytes(b.bytes)}"
                 + (f", {b.bad_files} files of unreadable lines kept aside" if b.bad_files else ""))
    if st.last_flush:
        lf = st.last_flush
        lines.append(f"last flush:   {lf.get('time', '?')} {lf.get('outcome', '?')}, "
                     f"{len(set(lf.get('sessions', [])))} sessions, {lf.get('observations', 0)} observations")
        for err in lf.get("errors", [])[:3]:
            lines.append(f"  error: {err}")
    else:
        lines.append("last flush:   never")
    lines.append(f"worker:       {'running' if st.worker_running else 'not running'}")
    if st.last_sync:
        ls = st.last_sync
        outcome = f"failed: {ls['error']}" if ls.get("error") else "ok"
        lines.append(f"last sync:    {ls.get('remote', '?')} {outcome}")
    else:
        lines.append("last sync:    never (memory is pushed after your next `git push`, or run `gitmem sync`)")
    return "\n".join(lines)
