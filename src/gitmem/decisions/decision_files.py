"""Decision files: ``.gitmem/decisions/<yyyy-mm-dd>-<slug>.md``, beside the code, owned by people.

Sessions propose them (``proposals``); people create them
(``create_decision``) and everything reads and filters them
(``read_decisions``, ``find_decision``, ``list_decisions``). Status
changes live in ``decision_status``, validation in ``check``.

Invariants:
- Never overwrites a file when creating one: a new file appears whole under a
  free name (a taken name gets a short suffix), by a hard link that fails if
  the name exists. No sequential numbers: two branches that add decisions the
  same day never pick the same name or id.
- Reads and writes only regular files inside ``.gitmem/decisions/`` of the
  work tree (``worktree_files``: no symbolic link followed, reads capped at
  ``DECISION_LIMIT``); a file it refuses, or one with merge conflict markers,
  is reported and skipped. Never touches the index (it sees the change by the
  folder's signature).
"""

from __future__ import annotations

import datetime
import logging
import os
import re
import string
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

from gitmem import globs, worktree_files
from gitmem.config import DECISIONS_DIR, read_template
from gitmem.errors import GitmemError, NotFoundError, RecordError
from gitmem.store.records import DECISION_STATUSES, Decision, content_id, new_decision_id
from gitmem.worktree_files import DECISION_LIMIT, RefusedFileError

logger = logging.getLogger(__name__)

MAX_SLUG = 60
NOT_STATED = "_Not stated in the session._"


def slugify(title: str, limit: int = MAX_SLUG) -> str:
    """ASCII words joined by ``-``, cut at a word boundary; ``decision`` when nothing is left."""
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    if len(slug) > limit:
        cut = slug[:limit + 1]
        slug = cut[: cut.rfind("-")] if "-" in cut else slug[:limit]
    return slug.strip("-") or "decision"


def create_new_file(root: Path, stem: str, suffix: str, text: str) -> Path:
    """Write ``text`` under the first free name of ``stem``, ``stem-<suffix>``, ``stem-<suffix>-2``, ...

    In ``.gitmem/decisions/`` only: a symbolic link on the way is refused (``RefusedFileError``)."""
    names = [f"{name}.md" for name in [stem, f"{stem}-{suffix}"] + [f"{stem}-{suffix}-{i}" for i in range(2, 100)]]
    return root / worktree_files.create_new(root, DECISIONS_DIR, names, text.encode("utf-8"))


# -- reading ---------------------------------------------------------------------------------


FILE_NAME = re.compile(r"^(?P<date>\d{4}-\d{2}-\d{2})-(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)\.md$")


@dataclass(frozen=True, slots=True)
class DecisionFile:
    """One decision file as read: its path relative to the work tree root and what it says."""

    path: str
    decision: Decision

    @property
    def stem(self) -> str:
        return self.path.rsplit("/", 1)[-1].removesuffix(".md")


@dataclass(frozen=True, slots=True)
class DecisionFiles:
    """The readable decision files, newest first, and the errors of those that are not readable."""

    files: tuple[DecisionFile, ...] = ()
    errors: tuple[RecordError, ...] = ()

    def superseded_by(self) -> dict[str, tuple[str, ...]]:
        """``id -> ids of the decisions whose supersedes name it``."""
        out: dict[str, list[str]] = {}
        for f in self.files:
            for old in f.decision.supersedes:
                out.setdefault(old, []).append(f.decision.id)
        return {k: tuple(v) for k, v in out.items()}


def _refused(exc: RefusedFileError) -> RecordError:
    return RecordError(f"refused: {exc.reason}", exc.path, hint=exc.hint)


def read_decision_file(root: Path, path: Path) -> DecisionFile:
    """One decision file; ``RecordError`` when it is not a readable regular file inside the work tree, is
    not UTF-8, has merge conflict markers or does not parse."""
    rel = path.relative_to(root).as_posix() if path.is_absolute() else path.as_posix()
    try:
        # as written: no newline translation; a link, a device or an oversized file is refused unread
        text = worktree_files.read_file(root, rel, DECISION_LIMIT).decode("utf-8")
    except RefusedFileError as exc:
        raise _refused(exc) from None
    except UnicodeDecodeError as exc:
        raise RecordError(f"is not UTF-8 text ({exc.reason} at byte {exc.start})", rel,
                          hint="save the file as UTF-8.") from None
    except OSError as exc:
        raise RecordError(f"cannot be read: {exc.strerror or exc}", rel) from None
    markers = worktree_files.conflict_markers(text)
    if markers:
        raise RecordError(worktree_files.conflict_message(markers), rel, markers[0][0],
                          hint=worktree_files.CONFLICT_HINT)
    try:
        return DecisionFile(rel, Decision.from_text(text, rel))
    except ValueError as exc:   # a record's own check (the status) that _from_mapping did not see
        raise RecordError(str(exc), rel) from None


_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.S)
_HEADING = re.compile(r"^\s{0,3}#{1,6}(?:\s|$)")


def without_comments(text: str) -> str:
    """``text`` without its HTML comments (the prompts a template leaves are comments, not the decision)."""
    return _COMMENT.sub("", text)


def section_text(body: str, name: str) -> str:
    """The text under the body's ``## <name>`` heading, up to the next heading, comments and the
    "not stated" placeholder removed ('' when there is no such section or it says nothing)."""
    lines = without_comments(body).splitlines()
    out: list[str] = []
    inside = False
    for line in lines:
        if _HEADING.match(line):
            if inside:
                break
            inside = line.strip().lstrip("#").strip().casefold().startswith(name.casefold())
            continue
        if inside:
            out.append(line)
    return stated_text("\n".join(out))


def stated_text(body: str) -> str:
    """What ``body`` says: its lines without comments, headings and the "not stated" placeholder."""
    lines = [line.strip() for line in without_comments(body).splitlines()]
    return "\n".join(line for line in lines if line and not _HEADING.match(line) and line != NOT_STATED).strip()


def _newest_first(files: Iterable[DecisionFile]) -> list[DecisionFile]:
    return sorted(files, key=lambda f: (f.decision.date, f.stem), reverse=True)


def read_decisions(root: Path) -> DecisionFiles:
    """Every decision file of the work tree at ``root``, newest first; broken, conflicted and refused ones
    (a symbolic link, a FIFO, a file over the size cap; the whole folder when it is a link) become errors
    for the caller to report."""
    files: list[DecisionFile] = []
    errors: list[RecordError] = []
    try:
        listing = worktree_files.list_folder(root, DECISIONS_DIR, ".md")
    except RefusedFileError as exc:
        listing = worktree_files.Listing()
        errors.append(_refused(exc))
    errors += [_refused(exc) for exc in listing.refused]
    for name in listing.names:
        try:
            files.append(read_decision_file(root, Path(f"{DECISIONS_DIR}/{name}")))
        except RecordError as exc:
            errors.append(exc)
    return DecisionFiles(tuple(_newest_first(files)), tuple(errors))


def _slug(stem: str) -> str:
    m = re.match(r"\d{4}-\d{2}-\d{2}-(.+)$", stem)
    return m.group(1) if m else stem


def find_decision(root: Path, ref: str, found: DecisionFiles | None = None) -> DecisionFile:
    """The decision ``ref`` names: its id, a unique prefix of the id, its file name or path, or its slug."""
    want = ref.strip()
    if not want:
        raise GitmemError("no decision named", hint="give an id, a unique prefix of one, or a file name.")
    found = found if found is not None else read_decisions(root)
    stem = want.replace("\\", "/").rsplit("/", 1)[-1].removesuffix(".md")
    tests: list[Callable[[DecisionFile], bool]] = [
        lambda f: f.decision.id == want,
        lambda f: f.stem == stem,
        lambda f: _slug(f.stem) == stem,
        lambda f: (f.decision.id.startswith(want) or f.decision.id.removeprefix("d-").startswith(want)
                   or f.stem.startswith(stem) or _slug(f.stem).startswith(stem)),
    ]
    for test in tests:
        hits = [f for f in found.files if test(f)]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            names = ", ".join(f"{f.decision.id} ({f.stem})" for f in hits[:6])
            raise GitmemError(f"`{ref}` matches {len(hits)} decisions: {names}",
                              hint="give more of the id, or the file name.")
    for err in found.errors:
        if err.path.rsplit("/", 1)[-1].removesuffix(".md") == stem:
            raise err
    raise NotFoundError(f"no decision `{ref}` in {DECISIONS_DIR}/",
                        hint="list them with `gitmem decisions`; give an id, a unique prefix of one, or a file name.")


# -- which decisions concern a file -------------------------------------------------------------


def concerns(decision: Decision, paths: Iterable[str]) -> bool:
    """Does any of ``decision.files`` cover any of ``paths``? (``globs`` says what a pattern covers.)"""
    paths = list(paths)
    return any(globs.matches(pattern, p) for pattern in decision.files for p in paths)


def list_decisions(root: Path, *, statuses: Sequence[str] = (), files: Sequence[str] = (),
                   tags: Sequence[str] = (), found: DecisionFiles | None = None) -> DecisionFiles:
    """The decisions having any of ``statuses``, concerning any of ``files`` and tagged any of ``tags``."""
    for s in statuses:
        if s not in DECISION_STATUSES:
            raise GitmemError(f"unknown status `{s}`", hint=f"use one of: {', '.join(DECISION_STATUSES)}.")
    found = found if found is not None else read_decisions(root)
    wanted_tags = {t.casefold() for t in tags}
    keep = [f for f in found.files
            if (not statuses or f.decision.status in statuses)
            and (not files or concerns(f.decision, files) or any(globs.clean(x) in f.decision.files for x in files))
            and (not wanted_tags or wanted_tags & {t.casefold() for t in f.decision.tags})]
    return DecisionFiles(tuple(keep), found.errors)


# -- creating ------------------------------------------------------------------------------------------


_PROMPTS = {
    "context": "<!-- What forces this decision: the problem, the constraints, what was measured. -->",
    "decision": "<!-- What we do, in a few sentences. -->",
    "consequences": "<!-- What becomes easier or harder; what to watch for. -->",
    "alternatives": "<!-- What else was considered, and why not. -->",
}


def render_decision_body(context: str = "", decision: str = "", consequences: str = "",
                         alternatives: Sequence[str] = ()) -> str:
    """The Markdown body of a new decision from ``templates/decision.md``; an empty part gets a prompt."""
    alts = "\n".join(f"- {a.strip()}" for a in alternatives if a.strip())
    body = string.Template(read_template("decision.md")).safe_substitute(
        context=context.strip() or _PROMPTS["context"], decision=decision.strip() or _PROMPTS["decision"],
        consequences=consequences.strip() or _PROMPTS["consequences"], alternatives=alts or _PROMPTS["alternatives"])
    return "\n" + body.strip("\n") + "\n"


def repo_relative(root: Path, path: str) -> str:
    """A path or glob for ``files``: relative to the work tree root; ``GitmemError`` for one outside it."""
    p = path.strip()
    if os.path.isabs(p):
        try:
            p = Path(p).resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            raise GitmemError(f"`{path}` is outside the repository",
                              hint="name files relative to the repository root.") from None
    p = globs.clean(p)
    if not p or p.startswith("~") or ".." in p.split("/") or re.search(r"[\x00-\x1f]", p):
        raise GitmemError(f"`{path}` is not a path inside the repository",
                          hint="name files or globs relative to the repository root, e.g. src/app.py or src/**/*.py.")
    return p


def _free_id(title: str, date: str, authors: tuple[str, ...], session: str, taken: set[str]) -> str:
    """The content id of the decision, salted only when another decision already has it."""
    did = new_decision_id(title, date, authors, session)
    n = 1
    while did in taken:
        n += 1
        did = content_id("d-", {"title": title, "date": date, "authors": list(authors), "session": session,
                                "n": n}, 10)
    return did


def create_decision(root: Path, title: str, *, status: str = "proposed", date: str | None = None,
                    authors: Sequence[str] = (), files: Sequence[str] = (), tags: Sequence[str] = (),
                    supersedes: Sequence[str] = (), session: str = "", context: str = "", decision: str = "",
                    consequences: str = "", alternatives: Sequence[str] = ()) -> DecisionFile:
    """Write a new decision file; ``supersedes`` may name decisions by id, prefix or file name.

    Only the new file is written: ``decision_status.decide`` also marks what an
    accepted decision supersedes.
    """
    title = " ".join(title.split())
    if not title:
        raise GitmemError("a decision needs a title", hint='gitmem decide "Use SQLite for the index"')
    if status not in DECISION_STATUSES:
        raise GitmemError(f"unknown status `{status}`", hint=f"use one of: {', '.join(DECISION_STATUSES)}.")
    date = date or datetime.date.today().isoformat()
    try:
        datetime.date.fromisoformat(date)
        ok = bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", date))
    except ValueError:
        ok = False
    if not ok:
        raise GitmemError(f"`{date}` is not a date", hint="give the date as yyyy-mm-dd.")
    found = read_decisions(root)
    old = tuple(dict.fromkeys(find_decision(root, ref, found).decision.id for ref in supersedes))
    auth = tuple(dict.fromkeys(a.strip() for a in authors if a.strip()))
    did = _free_id(title, date, auth, session, {f.decision.id for f in found.files})
    record = Decision(id=did, title=title, status=status, date=date, authors=auth, supersedes=old,
                      files=tuple(dict.fromkeys(repo_relative(root, f) for f in files)),
                      tags=tuple(dict.fromkeys(t.strip() for t in tags if t.strip())), session=session,
                      body=render_decision_body(context, decision, consequences, alternatives))
    path = create_new_file(root, f"{date}-{slugify(title)}", did.removeprefix("d-")[:6], record.to_text())
    rel = f"{DECISIONS_DIR}/{path.name}"
    logger.info("created decision %s (%s)", rel, did)
    return DecisionFile(rel, record)
