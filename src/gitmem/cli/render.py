"""Text and JSON views of records for the terminal.

Pure functions from records to strings or plain data; nothing here reads
git or prints, so every view is testable on its own. The assistant runs
these commands too, so every recorded field shown is fenced (``fence``): one
line, capped, no tag look-alike.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gitmem import fence
from gitmem.store.layout import session_folder

if TYPE_CHECKING:  # only for the annotations: the CLI imports these modules itself, only where used
    from gitmem.app.agent_status import AgentRow
    from gitmem.app.project import Status
    from gitmem.app.why import Why
    from gitmem.decisions.check import CheckResult
    from gitmem.decisions.decision_files import DecisionFile
    from gitmem.decisions.lifecycle import EditResult
    from gitmem.index.query import SearchHit
    from gitmem.store.memory_ref import SessionRecord   # records (YAML) and the ref (git): not for search hits
    from gitmem.store.records import Observation, SessionSummary

# A view as plain data for `--json`: what json.dumps takes.
JSONObject = dict[str, object]

MAX_OBSERVATIONS_SHOWN = 1_000  # the newest; `gitmem show` of a session with 100,000 stays readable
_IDENT = re.compile(r"^(?P<name>.*?)\s*<(?P<email>[^>]*)>")


def author_name(author: str) -> str:
    m = _IDENT.match(author)
    return (m.group("name") or m.group("email")) if m else author


def short_time(ts: str) -> str:
    return fence.inline(ts[:16].replace("T", " "), 16) if ts else "-"


@dataclass(frozen=True, slots=True)
class SessionRow:
    id: str
    date: str
    author: str
    branch: str
    title: str
    path: str
    observations: int

    def to_json(self) -> JSONObject:
        return {"id": self.id, "date": self.date, "author": self.author, "branch": self.branch,
                "title": self.title, "path": self.path, "observations": self.observations}


def session_rows_from_hits(hits: Iterable[SearchHit], observations: dict[str, int]) -> list[SessionRow]:
    """Rows for `gitmem log` from the search index's session hits (already newest first)."""
    return [SessionRow(h.session_id or h.id, h.date, h.author, h.branch, h.title, session_folder(h.path) or h.path,
                       observations.get(h.session_id or h.id, 0)) for h in hits]


def search_text(hits: Iterable[SearchHit]) -> str:
    """One block per hit: type, id, date, author, title; the snippet; how to see the whole record."""
    out = []
    for h in hits:
        where = _cut(h.path if h.type == "decision" or not h.session_id else f"gitmem show {h.session_id[:8]}", 200)
        out.append(f"{_cell(h.type, 11)} {_cell(h.id[:12], 12)}  {short_time(h.date)}  "
                   f"{_cell(author_name(h.author) or '-', 18)}  "
                   f"{_cut(h.title, 70)}")
        snippet = " ".join(h.snippet.replace("**", "").split())
        if snippet and snippet != h.title:
            out.append(f"            {_cut(snippet, 110)}")
        out.append(f"            -> {where}")
    return "\n".join(out)


def _cut(text: str, width: int) -> str:
    return fence.inline(text, width)


def _cell(text: str, width: int) -> str:
    """``text`` fenced, cut to ``width`` terminal cells and padded to exactly that many, so columns line up:
    a CJK character or an emoji takes two cells, a combining mark none."""
    from rich.cells import cell_len, set_cell_size  # typer's own dependency; only the terminal views load it

    shown = fence.inline(text, width)
    if cell_len(shown) > width:
        shown = set_cell_size(shown, width - 1).rstrip() + fence.ELLIPSIS
    return set_cell_size(shown, width)


def session_table(rows: list[SessionRow]) -> str:
    lines = []
    for r in rows:
        lines.append(f"{_cell(short_time(r.date), 16)}  {_cell(author_name(r.author), 18)}  "
                     f"{_cell(r.branch or '-', 20)}  {_cell(r.title, 60)}  {_cut(r.id[:8], 8)}")
    return "\n".join(line.rstrip() for line in lines)


def session_json(rec: SessionRecord) -> JSONObject:
    rec = fence.record(rec)
    return {
        "id": rec.session_id,
        "path": rec.path,
        "summary": rec.summary.to_dict() if rec.summary else None,
        "observations": [o.to_dict() for o in rec.observations],
    }


def _observation_line(o: Observation) -> str:
    what = (o.command if o.kind == "command" and o.command else o.text) or ""
    if o.files:
        what = f"{', '.join(o.files[:3])}{' …' if len(o.files) > 3 else ''}: {what}" if what else ", ".join(o.files)
    outcome = f" [{o.outcome}]" if o.outcome and o.outcome != "ok" else ""
    return f"  {short_time(o.ts)}  {o.kind:8} {_cut(what, 100)}{outcome}"


def session_text(rec: SessionRecord) -> str:
    from gitmem.store.records import ObservationBatch, render_summary_body

    total = len(rec.observations)
    if total > MAX_OBSERVATIONS_SHOWN:  # the newest ones
        rec = dataclasses.replace(rec, batches=(ObservationBatch(rec.session_id, 0,
                                                                 rec.observations[-MAX_OBSERVATIONS_SHOWN:]),))
    rec = fence.record(rec)  # fenced and capped when read for display, before any work on its size
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
        out.append(render_summary_body(s).rstrip())
    else:
        out.append(f"session {rec.session_id} (no summary yet)")
    if rec.observations:
        out.append("")
        out.append(f"## Observations ({total})")
        if total > len(rec.observations):
            out.append(f"  ({total - len(rec.observations)} earlier observations not shown)")
        out.extend(_observation_line(o) for o in rec.observations)
    return "\n".join(out)


def _human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"  # pragma: no cover


def status_json(st: Status) -> JSONObject:
    from gitmem.agents import registry   # here, not at the top: `gitmem search` imports this module too

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
        **{agent.json_key: st.agent_hooks[agent.name].to_json() if agent.name in st.agent_hooks else None
           for agent in registry.OTHERS},
        "agents": [row.to_json() for row in st.agents],
        "spool": {"sessions": st.backlog.sessions, "files": st.backlog.files, "bytes": st.backlog.bytes,
                  "unreadable_files": st.backlog.bad_files, "flush_requests": st.backlog.requests},
        "last_flush": st.last_flush,
        "worker_running": st.worker_running,
        "last_sync": st.last_sync,
        "identity_warning": st.identity_warning,
        "remotes": [r.to_dict() for r in st.remotes],
        "memory_push_held": st.push_held,
    }


def agent_lines(rows: Iterable[AgentRow]) -> list[str]:
    """One line per agent: installed or not, events seen, the last event's time; a silent adapter said loudly."""
    lines = []
    for row in rows:
        seen = row.seen
        last = time.strftime("%Y-%m-%d %H:%M", time.localtime(seen.last_ts)) if seen.last_ts else ""
        state = "installed" if row.installed else "not installed"
        if row.silent:
            lines.append(f"agent:        {row.label}: {state}, but 0 events seen: its hooks have not run here "
                         "yet (start a session; if this stays at 0, the client is not running gitmem's hooks)")
            continue
        waiting = f" ({seen.pending} not yet flushed)" if seen.pending else ""
        lines.append(f"agent:        {row.label}: {state}, {seen.events} events seen{waiting}"
                     + (f", last {last}" if last else ""))
    return lines


def status_text(st: Status) -> str:
    from gitmem.agents import registry

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
    lines.append(f"claude hooks: {registry.CLAUDE.summary(st.hooks)}")
    for problem in st.hooks.problems:
        lines.append(f"  problem: {problem}")
    for agent in registry.OTHERS:
        hooks = st.agent_hooks.get(agent.name)
        if hooks is not None and (agent.hooked(hooks) or hooks.problems):
            lines.append(f"{agent.name + ' hooks:':13} {agent.summary(hooks)}")
            lines += [f"  problem: {problem}" for problem in hooks.problems]
    lines += agent_lines(st.agents)
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
    if st.identity_warning:
        lines.append(f"identity:     {st.identity_warning}")
    from gitmem.team.sharing import status_lines

    lines += status_lines(list(st.remotes), st.push_held)
    return "\n".join(lines)


# -- decision notes: `gitmem decisions`, `gitmem decide`, `gitmem check`, `gitmem why` ----------------------


def decision_json(f: DecisionFile, superseded_by: dict[str, tuple[str, ...]]) -> JSONObject:
    """A decision file (``decisions.DecisionFile``) as plain data, with what supersedes it."""
    d = f.decision
    return {"id": d.id, "title": d.title, "status": d.status, "date": d.date, "authors": list(d.authors),
            "supersedes": list(d.supersedes), "superseded_by": list(superseded_by.get(d.id, ())),
            "files": list(d.files), "tags": list(d.tags), "session": d.session, "path": f.path}


def _decision_line(f: DecisionFile, superseded_by: dict[str, tuple[str, ...]], indent: str = "") -> str:
    d = f.decision
    note = f"  ({_cut('superseded by ' + ', '.join(superseded_by[d.id]), 200)})" if d.status == "superseded" and \
        superseded_by.get(d.id) else ""
    return (f"{indent}{_cell(d.status, 10)}  {_cell(d.date or '-', 10)}  {_cut(d.id, 24):12}  "
            f"{_cut(d.title, 72)}{note}").rstrip()


def decision_table(files: Iterable[DecisionFile], superseded_by: dict[str, tuple[str, ...]]) -> str:
    """One line per decision: status, date, id, title (and what superseded it)."""
    return "\n".join(_decision_line(f, superseded_by) for f in files)


def edit_lines(result: EditResult) -> list[str]:
    """What ``decision_status`` did, one line per file (``EditResult``)."""
    return [f"{e.id}: {e.change}  ({e.path})" for e in result.edits]


def check_text(result: CheckResult) -> str:
    """``gitmem check`` output (``check.CheckResult``): one line per problem, then a count."""
    lines = [str(p) for p in result.problems]
    errors, warnings = len(result.errors), len(result.warnings)
    files = len(result.checked)
    if not result.problems:
        lines.append(f"gitmem check: {files} file{'s' if files != 1 else ''} checked, no problems")
    else:
        lines.append(f"gitmem check: {errors} error{'s' if errors != 1 else ''}, {warnings} "
                     f"warning{'s' if warnings != 1 else ''} in {files} file{'s' if files != 1 else ''}")
    return "\n".join(lines)


def why_json(why: Why) -> JSONObject:
    return {"path": why.path, "decisions": [decision_json(f, why.superseded_by) for f in why.decisions],
            "sessions": [s.to_dict() for s in why.sessions]}


def why_text(why: Why) -> str:
    """``gitmem why``: the decisions about a path, then the sessions that touched it, newest first."""
    shown = why.path if why.path != "/" else "the repository"
    if not why.decisions and not why.sessions:
        return f"no decision or session mentions {shown}."
    out = []
    if why.decisions:
        out.append(f"decisions about {shown}:")
        out += [_decision_line(f, why.superseded_by, "  ") for f in why.decisions]
    if why.sessions:
        if out:
            out.append("")
        out.append(f"sessions that touched {shown}:")
        for s in why.sessions:
            out.append(f"  {_cell(short_time(s.date), 16)}  session     {_cell(s.id[:12], 12)}  {_cell(s.title, 60)}  "
                       f"({_cut(author_name(s.author) or '-', 18)}, {_cut(s.branch, 40) or '-'})")
    return "\n".join(out)
