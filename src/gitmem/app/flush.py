"""The flush worker: spool -> observations -> redaction -> summary -> memory ref.

Started detached by the hook (``python -I -m gitmem.workers flush --common-dir D``)
or run in the foreground by ``gitmem flush``. There is no daemon: a worker
handles the flush requests it finds, re-checks after releasing its lock so a
request that arrived meanwhile is never stranded, and exits.

Invariants:
- At most one worker per repository: ``flush.lock`` decides; a second worker
  exits at once and the first picks the new request up.
- Nothing in the spool is deleted before its records are in the ref. A
  worker killed at any point leaves taken files behind; the next worker
  writes them again and the ref keeps each event once (by event id).
- Redaction runs before anything is summarized or written.
- The whole run has a deadline (SIGALRM), and every git child has its own.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

from gitmem import hook, redact
from gitmem.agents import activity, codex, codex_transcript, copilot, copilot_log, cursor, gemini, gemini_events
from gitmem.agents import gemini_transcript
from gitmem.agents.activity import agent_of as session_agent
from gitmem.app import inject
from gitmem.capture import compaction, spool, transcript
from gitmem.compress import summarize
from gitmem.compress.draft import SessionInput
from gitmem.config import load_config, state_dir
from gitmem.decisions import proposals
from gitmem.errors import GitmemError
from gitmem.git import Repo, discover
from gitmem.git.history import commits_between
from gitmem.index import neighbours
from gitmem.progress import Progress
from gitmem.store import identity, memory_ref
from gitmem.store.records import Observation, SessionSummary

logger = logging.getLogger(__name__)

WORKER_DEADLINE_SECONDS = 15 * 60
MAX_ROUNDS = 50
MAX_COMMIT_NOTES = 50
MAX_SESSION_EVENTS = 20_000  # per session and round; the rest is carried over, so memory stays bounded
SWEEP_IDLE_SECONDS = 120  # a SessionStart sweep takes live spool files untouched this long: clients that died


@dataclass(frozen=True, slots=True)
class SessionFlush:
    session_id: str
    new_observations: int
    skipped_duplicates: int
    bad_lines: int
    commit: str
    summarizer: str
    root: str = ""  # the work tree the session ran in


@dataclass(frozen=True, slots=True)
class FlushReport:
    ran: bool
    sessions: tuple[SessionFlush, ...] = ()
    errors: tuple[str, ...] = ()
    rounds: int = 0


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def _merge_unique(*groups: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(x for g in groups for x in g if x))


def _repo_for(common_dir: Path, cwd: str) -> Repo:
    """The work tree the session ran in (a linked worktree has its own), else the main one; never another
    repository's (the events were routed by their cwd, but a cwd can change between reads)."""
    for candidate in (cwd, str(common_dir)):
        if candidate and os.path.isdir(candidate):
            try:
                repo = discover(candidate)
            except GitmemError:
                continue
            if repo.root is not None and _same_file(repo.common_dir, common_dir):
                return repo
    return discover(common_dir.parent)


def _same_file(a: str | Path, b: str | Path) -> bool:
    try:
        sa, sb = os.stat(a), os.stat(b)
    except OSError:
        return False
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)


class _Router:
    """Which repository an event belongs to: the one its ``cwd`` lies in (one ``git rev-parse`` per folder).

    A spool belongs to one repository. An event whose cwd is in another one (a nested clone, a submodule, the
    original of a repository copied with ``cp -a``) is moved to that repository's spool when gitmem is set up
    there, else dropped with a log line. Same repository means the same common dir (device and inode), never
    the same name.
    """

    def __init__(self, common_dir: Path, session_id: str) -> None:
        self.common_dir = common_dir
        self.session_id = session_id
        self._owner: dict[str, Path | None] = {}
        self.foreign: dict[Path, list[bytes]] = {}

    def owner(self, ev: compaction.SpoolEvent) -> Path | None:
        """The common dir of the other repository ``ev`` happened in; None when it belongs here (or nowhere)."""
        cwd = ev.payload.get("cwd")
        if not isinstance(cwd, str) or not cwd.startswith("/"):
            return None
        if cwd not in self._owner:
            try:
                other: Path | None = discover(cwd).common_dir if os.path.isdir(cwd) else None
            except GitmemError:
                other = None  # gone, or outside git: it stays with the spool the hook chose
            self._owner[cwd] = None if other is None or _same_file(other, self.common_dir) else other
        return self._owner[cwd]

    def send(self) -> None:
        for other, lines in self.foreign.items():
            where = str(other)
            if not state_dir(other).is_dir():
                logger.warning("dropped %d events of session %s: their cwd is in another repository (%s) where "
                               "gitmem is not set up", len(lines), self.session_id, where)
                continue
            other_spool = spool.spool_dir(other)
            other_spool.mkdir(parents=True, exist_ok=True)
            hook.append_line(other_spool / (self.session_id + spool.LIVE_SUFFIX), b"".join(line + b"\n" for line in lines))
            (other_spool / (self.session_id + spool.REQUEST_SUFFIX)).touch()
            logger.info("moved %d events of session %s to the spool of %s, the repository they happened in",
                        len(lines), self.session_id, where)


_LINE_START = b'{"ts":'
SLIM_CHARS = 32_768  # a payload string longer than this keeps its head and tail: observations clip far shorter


def _parse_line(line: bytes) -> tuple[list[tuple[compaction.SpoolEvent, bytes]], list[bytes]]:
    """The events of one spool line, with their raw lines, and what could not be parsed.

    A writer killed mid-line left a line without its end, and the next event was appended to it: the part
    from the last event start on is that next event, and only the torn part is unreadable.
    """
    ev = compaction.parse_spool_line(line)
    if ev is not None:
        return [(ev, line)], []
    at = line.rfind(_LINE_START)
    if at > 0:
        tail = compaction.parse_spool_line(line[at:])
        if tail is not None:
            return [(tail, line[at:])], [line[:at]]
    return [], [line]


def _slim(ev: compaction.SpoolEvent) -> compaction.SpoolEvent:
    """``ev`` with every very long string cut to its head and tail (a 20 MB tool output is not kept whole)."""
    def cut(value: object) -> object:
        if isinstance(value, str):
            return value if len(value) <= SLIM_CHARS else value[:SLIM_CHARS // 2] + " … " + value[-SLIM_CHARS // 2:]
        if isinstance(value, dict):
            return {k: cut(v) for k, v in value.items()}
        if isinstance(value, list):
            return [cut(v) for v in value]
        return value

    return replace(ev, payload={k: cut(v) for k, v in ev.payload.items()})


def _read_taken(folder: Path, session_id: str, files: list[Path],
                router: _Router) -> tuple[list[compaction.SpoolEvent], list[bytes]]:
    """This repository's events of ``files`` and the unparseable lines (other repositories' go to ``router``).

    Read line by line, never whole: memory follows the events kept, not the spool's size. Past
    MAX_SESSION_EVENTS the remaining lines go to a new taken file, flushed in the next round.
    """
    events: list[compaction.SpoolEvent] = []
    bad: list[bytes] = []
    carry = None
    carried = 0
    try:
        for path in files:
            for line in spool.iter_lines(path):
                if len(events) >= MAX_SESSION_EVENTS:
                    if carry is None:
                        carry = (folder / f"{session_id}.{time.time_ns():020d}{spool.TAKEN_SUFFIX}").open("wb")
                    carry.write(line + b"\n")
                    carried += 1
                    continue
                parsed, unparsed = _parse_line(line)
                bad += unparsed
                for ev, raw in parsed:
                    other = router.owner(ev)
                    if other is None:
                        events.append(_slim(ev) if len(raw) > SLIM_CHARS else ev)
                    else:
                        router.foreign.setdefault(other, []).append(raw)
    finally:
        if carry is not None:
            carry.close()
    if carried:
        logger.warning("session %s has more than %d spooled events: %d are carried over to the next round of this "
                       "flush", session_id, MAX_SESSION_EVENTS, carried)
    return events, bad


def flush_session(common_dir: Path, session_id: str) -> SessionFlush | None:
    """Write everything spooled for one session into the ref, then release the spool."""
    folder = spool.spool_dir(common_dir)
    spool.take(folder, session_id)
    files = spool.taken_files(folder, session_id)
    if not files:
        return None
    router = _Router(common_dir, session_id)
    events, bad = _read_taken(folder, session_id, files, router)
    events = copilot.claude_shaped_events(events)
    router.send()  # before the release below: a kill in between sends them again, and their flush de-duplicates
    agent = session_agent(session_id, events)
    last = max((ev.ts for ev in events), default=0.0)
    tally = activity.Tally(state_dir(common_dir), agent, len(events), last)  # `gitmem status`: events per agent
    events = cursor.as_gitmem_events(events)  # Cursor's payloads read as gitmem's events
    repo = _repo_for(common_dir, compaction.session_cwd(events))
    root = str(repo.root) if repo.root else None
    # Codex's shell calls reach the hooks without their exit codes, Gemini's replies garbled: read its transcript first
    said = (_read_transcript(compaction.transcript_path(events), session_id)
            if agent == gemini.AGENT or compaction.output_without_status(events) else None)
    events = gemini_events.as_claude_events(events, said.turns if said else ())  # Gemini's, in Claude Code's shape
    compacted = compaction.compact_events(events, root, said.exit_code_by_call() if said else None)
    facts = compaction.session_facts(events, root, compacted) if events else None
    observations = [redact.redact_observation(o)[0] for o in compacted]

    try:
        previous = memory_ref.find_session(repo, session_id)
    except GitmemError:
        previous = None
    seen = {o.event_id for o in previous.observations if o.event_id} if previous else set()
    new_obs = [o for o in observations if not o.event_id or o.event_id not in seen]
    skipped = len(observations) - len(new_obs)

    if not new_obs and previous is not None and previous.summary is not None:
        # Everything is in the ref already: a worker killed after its ref write. Its proposals may be missing;
        # proposing is idempotent (a ledger per session and title), so do it again before the release.
        _propose_decisions(repo, previous.summary)
        spool.quarantine(folder, session_id, bad)
        spool.release(files)
        tally.count()
        return SessionFlush(session_id, 0, skipped, len(bad), "", previous.summary.summarizer, str(repo.root or ""))

    if all(o.kind == "session" for o in new_obs):
        # Only start/end markers: a session opened and closed with nothing done is not worth a record in
        # everyone's memory, and a SessionEnd right after the last Stop's flush is not worth a commit.
        spool.quarantine(folder, session_id, bad)
        spool.release(files)
        tally.count()
        return SessionFlush(session_id, 0, skipped + len(new_obs), len(bad), "", "", str(repo.root or ""))

    all_obs = tuple(previous.observations if previous else ()) + tuple(new_obs)
    summary = build_summary(repo, session_id, all_obs, facts, previous.summary if previous else None,
                            agent=agent, said=said)
    notes = _commit_notes(summary)
    result = memory_ref.write_session(repo, session_id, summary.started_at, new_obs, summary, commit_notes=notes)
    _propose_decisions(repo, summary)  # before the release: a worker killed here proposes again next time
    spool.quarantine(folder, session_id, bad)
    spool.release(files)  # only now: the records are in the ref
    tally.count()
    logger.info("flushed session %s: %d new observations (%d duplicates) in %s", session_id, len(new_obs),
                skipped, result.commit[:10])
    return SessionFlush(session_id, len(new_obs), skipped, len(bad), result.commit, summary.summarizer,
                        str(repo.root or ""))


def _propose_decisions(repo: Repo, summary: SessionSummary) -> None:
    """Proposed decision files in the session's work tree; a failure here never fails the flush."""
    try:
        if repo.root is not None and load_config(repo.root).propose_decisions:
            proposals.propose_decisions(repo.root, summary, state_dir(repo.common_dir))
    except Exception:  # noqa: BLE001 - the session is safe in the ref already
        logger.exception("proposing the decisions of session %s failed", summary.id)


def build_summary(repo: Repo, session_id: str, observations: tuple[Observation, ...],
                  facts: "compaction.SessionFacts | None", previous: SessionSummary | None,
                  agent: str = "claude-code", said: transcript.Transcript | None = None) -> SessionSummary:
    config = load_config(repo.root)
    head = repo.resolve("HEAD") or ""
    started = previous.started_at if previous else (facts.started_at if facts and facts.started_at else _iso(time.time()))
    ended = (facts.ended_at if facts and facts.ended_at else "") or _iso(time.time())
    head_start = (previous.head_start if previous and previous.head_start else
                  facts.head_start if facts and facts.head_start else head)   # HEAD at SessionStart (hook)
    commits: tuple[str, ...] = ()
    if head_start and head and head_start != head:
        commits = commits_between(repo, head_start, head, limit=100)
    if said is None:
        said = _read_transcript(facts.transcript_path if facts else "", session_id)
    draft = summarize.summarize_session(SessionInput(
        session_id=session_id,
        observations=observations,
        previous=previous,
        last_message=redact.redact_text(facts.last_assistant_message).text if facts else "",
        state_dir=state_dir(repo.common_dir),
        transcript=said.turns,
        transcript_bytes=said.raw_bytes,
    ), config)
    done = [o for o in observations if o.outcome in ("ok", "")]  # failed or attempted edits changed nothing
    files_read = _merge_unique(previous.files_read if previous else (), *(o.files for o in done if o.kind == "read"))
    files_modified = _merge_unique(previous.files_modified if previous else (),
                                   *(o.files for o in done if o.kind in ("edit", "write")))
    return replace(
        draft,  # the summarizer's content and facts; the git facts are filled in here
        id=session_id,
        started_at=started,
        ended_at=ended,
        author=identity.recorded_author(repo),
        agent=agent,
        branch=repo.current_branch(),
        head_start=head_start,
        head_end=head,
        commits=_merge_unique(previous.commits if previous else (), commits),
        files_read=files_read,
        files_modified=files_modified,
        observation_count=len(observations),
        tokens_in=(previous.tokens_in if previous else 0) + draft.tokens_in,
        tokens_out=(previous.tokens_out if previous else 0) + draft.tokens_out,
    )


def _read_transcript(path: str, session_id: str) -> transcript.Transcript:
    """The session's transcript turns (redacted as they are read), by the reader of the agent that wrote it, or
    none: a transcript that cannot be read, or whose redaction fails, leaves the summary to the hooks' own copies
    and never fails the flush."""
    try:
        if codex.is_codex_transcript(path):
            return codex_transcript.read_codex_transcript(path)
        if copilot.is_copilot_log(path):
            return copilot_log.read_copilot_log(path)
        if gemini.is_gemini_transcript(path):
            return gemini_transcript.read_gemini_transcript(path)
        return transcript.read_transcript(path)
    except Exception:  # noqa: BLE001 - nothing of it is kept, so nothing unredacted is stored or sent
        logger.warning("the transcript of session %s was left out: it could not be read and redacted", session_id,
                       exc_info=True)
        return transcript.Transcript()


def _commit_notes(summary: SessionSummary) -> dict[str, str]:
    text = f"gitmem session {summary.id}: {summary.title}\n"
    if summary.request:
        text += f"\nAsked: {' '.join(summary.request.split())[:500]}\n"
    text += f"\nDetails: gitmem show {summary.id[:8]}\n"
    return {c: text for c in summary.commits[-MAX_COMMIT_NOTES:]}


def _sessions_for(folder: Path, request: str, sweep_idle: float) -> list[str]:
    return spool.sessions_with_data(folder, sweep_idle) if request == spool.SWEEP else [request]


def run_worker(common_dir: Path, lock_fd: int | None = None, sweep_idle: float = SWEEP_IDLE_SECONDS,
               progress: Progress | None = None) -> FlushReport:
    """Handle every flush request, holding the repository's flush lock; at most one runs.

    ``lock_fd`` is a descriptor that already holds the lock: the hook takes it
    before starting the worker and hands it over, so of fifty sessions ending
    at once only the one hook that won the lock starts a worker at all.
    """
    folder = spool.spool_dir(common_dir)
    lock_path = state_dir(common_dir) / spool.LOCK_FILE
    done: list[SessionFlush] = []
    errors: list[str] = []
    rounds = 0
    ran = False
    while rounds < MAX_ROUNDS:
        fd, lock_fd = (lock_fd, None) if lock_fd is not None else (spool.try_lock(lock_path), None)
        if fd is None:
            break  # another worker holds it and will see our request
        ran = True
        try:
            while rounds < MAX_ROUNDS:
                # A request is claimed by renaming it: a new one arriving meanwhile is a new file, and a
                # claim left by a killed worker is taken up again here, so no request is ever lost.
                for request in spool.requests(folder):
                    spool.claim_request(folder, request)
                claims = spool.claimed_requests(folder)
                leftovers = spool.sessions_with_taken(folder)
                if not claims and not leftovers:
                    break
                rounds += 1
                targets: list[str] = list(leftovers)
                for name, _path in claims:
                    targets.extend(_sessions_for(folder, name, sweep_idle))
                failed: set[str] = set()
                unique = list(dict.fromkeys(targets))
                for n, session_id in enumerate(unique, 1):
                    if progress is not None:
                        progress("flushing sessions", n - 1, len(unique))
                    try:
                        flushed = flush_session(common_dir, session_id)
                    except Exception as exc:  # noqa: BLE001 - one bad session must not stop the others
                        logger.exception("flushing session %s failed", session_id)
                        errors.append(f"{session_id}: {type(exc).__name__}: {exc}")
                        failed.add(session_id)
                        continue
                    if flushed is not None:
                        done.append(flushed)
                if progress is not None:
                    progress("flushing sessions", len(unique), len(unique))
                spool.release([path for name, path in claims if name not in failed])
                if failed:
                    break
        finally:
            spool.unlock(fd)
        if not spool.requests(folder) or errors:
            break  # nothing arrived while we held the lock (or we are failing: leave it for next time)
    report = FlushReport(ran=ran, sessions=tuple(done), errors=tuple(errors), rounds=rounds)
    if ran:
        try:
            _write_status(common_dir, report)
        except GitmemError as exc:  # the records are in the ref; say what failed, with its fix
            logger.error("%s (%s)", exc.message, exc.hint)
            report = FlushReport(ran=ran, sessions=report.sessions, rounds=rounds,
                                 errors=report.errors + (f"{exc.message}; {exc.hint}",))
        for root in dict.fromkeys(s.root for s in done if s.root and s.commit):
            repo = discover(root)
            inject.refresh_brief(repo)  # the next session starts with what this one left
            neighbours.refresh(repo)  # prompt recall hears paraphrases of it (semantic extra; never raises)
    return report


def flush_now(common_dir: Path, progress: Progress | None = None) -> FlushReport:
    """Ask for a sweep of every spooled session and run the worker in this process."""
    folder = spool.spool_dir(common_dir)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / (spool.SWEEP + spool.REQUEST_SUFFIX)).touch()
    return run_worker(common_dir, sweep_idle=0, progress=progress)


def _write_status(common_dir: Path, report: FlushReport) -> None:
    spool.write_flush_status(common_dir, {
        "time": _iso(time.time()),
        "outcome": "error" if report.errors else "ok",
        "sessions": [s.session_id for s in report.sessions],
        "observations": sum(s.new_observations for s in report.sessions),
        "errors": list(report.errors),
    })


class WorkerDeadline(BaseException):
    """Raised by SIGALRM; a BaseException so no ``except Exception`` swallows it and ``finally`` blocks run."""


def _on_alarm(signum: int, frame: object) -> None:
    signal.alarm(30)  # if cleanup itself hangs, the default action ends the process 30 s later
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    raise WorkerDeadline(f"flush worker passed its {WORKER_DEADLINE_SECONDS} s deadline")


def arm_deadline() -> None:
    """End this worker by ``WorkerDeadline`` after ``WORKER_DEADLINE_SECONDS`` (children die in finally blocks)."""
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(WORKER_DEADLINE_SECONDS)
