"""``gitmem check``: every problem in the files people edit under ``.gitmem/``, each with file, line and fix.

Invariants:
- Reports every problem it finds, not the first one: each decision file is
  checked field by field, then across files (duplicate ids, a ``supersedes``
  that points nowhere, a superseded decision nothing replaces), and
  ``.gitmem/config.yaml`` key by key.
- Every problem names the file, the line when there is one, what is wrong and
  how to fix it: ``path:line: message; fix: ...``.
- At least as strict as the readers: a file without errors reads through
  ``Decision.from_text`` and the config reader (both are run as a last check),
  and what the readers skip is an error here: a symbolic link or a file that
  is not regular (read through ``worktree_files``, never followed), merge
  conflict markers (each on its line), a decision that states nothing (only
  the template's prompts). A setting this gitmem does not know is a warning:
  the readers ignore it.
- Read-only.
"""

from __future__ import annotations

import dataclasses
import datetime
import difflib
import os
import re
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import yaml

from gitmem import globs, worktree_files
from gitmem.config import (CONFIG_FILE, DECISIONS_DIR, Config, config_from, parse_config, read_config_text,
                           unknown_setting_message)
from gitmem.decisions import frontmatter
from gitmem.decisions.decision_files import FILE_NAME, section_text, slugify, stated_text
from gitmem.errors import ConfigError, RecordError
from gitmem.store.records import DECISION_STATUSES, SCHEMA_VERSION, Decision, new_decision_id
from gitmem.yaml_text import load_yaml
from gitmem.worktree_files import DECISION_LIMIT, RefusedFileError

ERROR = "error"
WARNING = "warning"
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_LIST_FIELDS = ("authors", "supersedes", "files", "tags")
_DECISION_FIELDS = tuple(f.name for f in dataclasses.fields(Decision) if f.name != "body")


@dataclass(frozen=True, slots=True)
class Problem:
    path: str               # relative to the work tree root
    line: int | None
    message: str
    fix: str = ""
    severity: str = ERROR   # error | warning

    def __str__(self) -> str:
        where = self.path + (f":{self.line}" if self.line else "")
        kind = "warning: " if self.severity == WARNING else ""
        return f"{where}: {kind}{self.message}" + (f"; fix: {self.fix}" if self.fix else "")

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "severity": self.severity, "message": self.message,
                "fix": self.fix}


@dataclass(frozen=True, slots=True)
class CheckResult:
    problems: tuple[Problem, ...] = ()
    checked: tuple[str, ...] = ()      # the files whose problems are reported

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == ERROR)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == WARNING)


@dataclass
class _Facts:
    """What the cross-file checks need from one decision file."""

    path: str
    id: str = ""
    id_line: int | None = None
    status: str = ""
    status_line: int | None = None
    supersedes: list[tuple[str, int | None]] = field(default_factory=list)


def _close(word: str, choices: Sequence[str]) -> str | None:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return close[0] if close else None


def _did_you_mean(word: str, choices: Sequence[str]) -> str:
    close = _close(word, choices)
    return f"did you mean `{close}`? " if close else ""


def _is_text(value: Any) -> bool:
    """A scalar ``Decision.from_text`` reads as text (YAML turns `2026-11-24` into a date, `2026` into a number)."""
    return value is None or (isinstance(value, (str, int, float, datetime.date)) and not isinstance(value, bool))


# -- one decision file ---------------------------------------------------------------------------------


def _check_name(rel: str, data: dict[str, Any] | None) -> list[Problem]:
    name = rel.rsplit("/", 1)[-1]
    m = FILE_NAME.match(name)
    date = str((data or {}).get("date") or "")[:10]
    title = str((data or {}).get("title") or "")
    if m is None:
        stem = name.removesuffix(".md")
        day = date if _DATE.fullmatch(date) else (stem[:10] if _DATE.match(stem) else "<yyyy-mm-dd>")
        slug = slugify(title or re.sub(r"^\d{4}-\d{2}-\d{2}-?", "", stem))
        return [Problem(rel, None, f"file name `{name}` is not <yyyy-mm-dd>-<slug>.md (a date, then lower-case "
                        "letters, digits and single hyphens)", f"rename it, e.g. to `{day}-{slug}.md`")]
    try:
        datetime.date.fromisoformat(m.group("date"))
    except ValueError:
        return [Problem(rel, None, f"file name `{name}` starts with `{m.group('date')}`, which is not a date",
                        "rename it to start with the decision's date (yyyy-mm-dd)")]
    return []


def _check_fields(rel: str, fm: frontmatter.FrontMatter, node: yaml.MappingNode,
                  data: dict[str, Any], facts: _Facts) -> list[Problem]:
    problems: list[Problem] = []
    nodes = frontmatter.top_level(node)
    seen: set[str] = set()

    def line(key: str) -> int | None:
        return frontmatter.line_of(fm, nodes[key][0]) if key in nodes else fm.first_line

    def add(key: str | None, message: str, fix: str, severity: str = ERROR, at: int | None = None) -> None:
        problems.append(Problem(rel, at if at is not None else (line(key) if key else fm.first_line), message,
                                fix, severity))

    for key_node, _value in node.value:
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        at = frontmatter.line_of(fm, key_node)
        if not isinstance(key, str) or key_node.tag != "tag:yaml.org,2002:str":
            add(None, f"key `{key}` is not a field name", f"use one of: {', '.join(_DECISION_FIELDS)}", at=at)
        elif key in seen:
            add(None, f"`{key}` appears twice; the last one wins", "keep one of them", at=at)
        elif key == "body":
            add(None, "`body` is not a front matter field", "write the body below the closing `---` line", at=at)
        elif key not in _DECISION_FIELDS:
            add(None, f"unknown field `{key}`", f"{_did_you_mean(key, _DECISION_FIELDS)}remove it or fix its "
                f"spelling; known fields: {', '.join(_DECISION_FIELDS)}", at=at)
        if isinstance(key, str):
            seen.add(key)

    for key in ("id", "title", "status", "date", "session"):
        if key in data and not _is_text(data[key]):
            add(key, f"`{key}` must be a single value, not {type(data[key]).__name__}", f"write `{key}: <text>`")
    for key in ("id", "title", "date"):
        if str(data.get(key) or "").strip() == "":
            add(key if key in nodes else None, f"missing `{key}`" if key not in nodes else f"`{key}` is empty",
                _missing_fix(key, data))

    did = data.get("id")
    if _is_text(did) and did is not None and str(did).strip():
        facts.id, facts.id_line = str(did), line("id")
        if not _ID.fullmatch(str(did)):
            add("id", f"id `{did}` has characters other than letters, digits, `.`, `_` and `-`",
                f"use an id such as `{_suggest_id(data)}`")

    status = data.get("status")
    if "status" not in data:
        add(None, "no `status`; it reads as proposed", "add `status: proposed` (or accepted, superseded, "
            "rejected)", WARNING)
        facts.status = "proposed"
    elif _is_text(status):
        facts.status, facts.status_line = str(status), line("status")
        if str(status) not in DECISION_STATUSES:
            add("status", f"status `{status}` is not one of {', '.join(DECISION_STATUSES)}",
                f"set `status: {_close(str(status), DECISION_STATUSES)}`" if _close(str(status), DECISION_STATUSES)
                else "set `status:` to one of them")

    date = data.get("date")
    if isinstance(date, datetime.datetime) or (isinstance(date, str) and date.strip() and not _valid_date(date)):
        add("date", f"date `{date}` is not a yyyy-mm-dd date", "write the day the decision was made, e.g. "
            f"`date: {datetime.date.today().isoformat()}`")
    elif isinstance(date, (datetime.date, str)) and str(date).strip():
        m = FILE_NAME.match(rel.rsplit("/", 1)[-1])
        if m and m.group("date") != str(date):
            add("date", f"date {date} differs from the date {m.group('date')} in the file name",
                "make them agree (or leave it: the front matter's date is the one gitmem uses)", WARNING)

    schema = data.get("schema", SCHEMA_VERSION)
    if isinstance(schema, bool) or not isinstance(schema, int):
        add("schema", f"`schema` must be a whole number, not {type(schema).__name__}",
            f"write `schema: {SCHEMA_VERSION}` or remove the line")
    elif schema > SCHEMA_VERSION:
        add("schema", f"schema {schema} is newer than this gitmem understands ({SCHEMA_VERSION})",
            "upgrade gitmem")

    for key in _LIST_FIELDS:
        value = data.get(key)
        if value is None or isinstance(value, str):
            continue
        value_node = nodes[key][1]
        if not isinstance(value, list):
            add(key, f"`{key}` must be a list, not {type(value).__name__}", f"write `{key}: [a, b]` or one "
                "`- item` per line")
            continue
        for i, item in enumerate(value):
            at = frontmatter.line_of(fm, value_node.value[i])
            if not _is_text(item) or item is None:
                add(key, f"`{key}` item {i + 1} is not a single value", "write each item as text", at=at)
            elif key == "files" and (str(item).startswith(("/", "~")) or ".." in str(item).split("/")):
                add(key, f"`{item}` is not a path inside the repository",
                    "write paths and globs relative to the repository root, e.g. src/app.py or src/**/*.py", at=at)
            elif key == "files" and (why := globs.problem(str(item))):
                add(key, f"`{item}` is not a valid glob ({why}), so it concerns no file",
                    "fix the pattern, e.g. src/**/*.py (a literal [ is written [[])", at=at)
            elif key == "supersedes":
                facts.supersedes.append((str(item), at))
    if isinstance(data.get("supersedes"), str):
        facts.supersedes.append((data["supersedes"], line("supersedes")))
    return problems


def _valid_date(text: str) -> bool:
    if not _DATE.fullmatch(text.strip()):
        return False
    try:
        datetime.date.fromisoformat(text.strip())
    except ValueError:
        return False
    return True


def _suggest_id(data: dict[str, Any]) -> str:
    authors = data.get("authors") if isinstance(data.get("authors"), list) else ()
    return new_decision_id(str(data.get("title") or ""), str(data.get("date") or ""),
                           tuple(str(a) for a in authors or ()))


def _missing_fix(key: str, data: dict[str, Any]) -> str:
    if key == "id":
        return f"add `id: {_suggest_id(data)}` (any id no other decision has)"
    if key == "date":
        return f"add `date: {datetime.date.today().isoformat()}` (the day it was decided)"
    return f"add `{key}: ...` to the front matter"


def check_decision_file(root: Path, rel: str) -> tuple[list[Problem], _Facts | None]:
    """The problems of one decision file, and what the checks across files need from it."""
    try:
        text = worktree_files.read_file(root, rel, DECISION_LIMIT).decode("utf-8")
    except RefusedFileError as exc:
        return [_refused(exc)], None
    except UnicodeDecodeError as exc:
        return [Problem(rel, None, f"is not UTF-8 text ({exc.reason} at byte {exc.start})", "save it as UTF-8")], None
    except OSError as exc:
        return [Problem(rel, None, f"cannot be read: {exc.strerror or exc}")], None
    conflicts = _conflicts(rel, text)
    if conflicts:
        return _check_name(rel, None) + conflicts, None
    try:
        fm = frontmatter.locate(text, rel)
        node = frontmatter.compose(fm, rel)
        data = load_yaml(fm.source, rel, fm.first_line - 1)
    except RecordError as exc:
        return _check_name(rel, None) + [_from_record_error(exc, rel)], None
    if node is None or not isinstance(data, dict):
        return _check_name(rel, None) + [Problem(rel, fm.first_line, "the front matter is empty",
                                                 "add the fields id, title, status, date (see `gitmem decide`)")], None
    facts = _Facts(rel)
    problems = _check_name(rel, data) + _check_fields(rel, fm, node, data, facts) + _check_body(rel, text, fm)
    if not any(p.severity == ERROR for p in problems):
        try:
            Decision.from_text(text, rel)
        except RecordError as exc:
            problems.append(_from_record_error(exc, rel))
        except ValueError as exc:
            problems.append(Problem(rel, None, str(exc), "correct the front matter"))
    return problems, facts


def _check_body(rel: str, text: str, fm: frontmatter.FrontMatter) -> list[Problem]:
    """A decision must say what was decided: not only the template's <!-- prompts --> or nothing at all."""
    body = text[fm.end:].split("\n", 1)[1] if "\n" in text[fm.end:] else ""
    body_line = fm.text.count("\n", 0, fm.end) + 2
    heading = next((n for n, line in enumerate(body.splitlines(), body_line)
                    if line.lstrip().startswith("#") and line.strip().lstrip("#").strip().casefold() == "decision"),
                   None)
    fix = ("write what was decided under `## Decision` (the <!-- prompts --> are not shown to anyone), or delete "
           "the file")
    if not stated_text(body):
        return [Problem(rel, heading or body_line, "the decision states nothing: its body is empty or only template "
                        "comments", fix)]
    if heading is not None and not section_text(body, "decision"):
        return [Problem(rel, heading, "the `## Decision` section states nothing (only a template comment)", fix)]
    return []


def _conflicts(rel: str, text: str) -> list[Problem]:
    return [Problem(rel, line, f"unresolved merge conflict marker `{mark}`", worktree_files.CONFLICT_HINT.rstrip("."))
            for line, mark in worktree_files.conflict_markers(text)]


def _refused(exc: RefusedFileError) -> Problem:
    return Problem(exc.path, None, f"refused: {exc.reason}", (exc.hint or "").rstrip("."))


def _from_record_error(exc: RecordError, rel: str) -> Problem:
    message = exc.message.split(": ", 1)[1] if exc.path and exc.message.startswith(exc.path) else exc.message
    return Problem(exc.path or rel, exc.line, message, (exc.hint or "").rstrip("."))


# -- across decision files ------------------------------------------------------------------------------


def _check_links(facts: list[_Facts]) -> list[Problem]:
    problems: list[Problem] = []
    by_id: dict[str, list[_Facts]] = {}
    for f in facts:
        if f.id:
            by_id.setdefault(f.id, []).append(f)
    for did, same in by_id.items():
        for f in same[1:] if len(same) > 1 else ():
            first = same[0]
            problems.append(Problem(f.path, f.id_line, f"id `{did}` is also the id of {first.path}",
                                    "give one of the two decisions a new id (ids are never numbered; "
                                    "`gitmem decide` derives one from the content)"))
    replaced_by: dict[str, list[_Facts]] = {}
    for f in facts:
        for old, line in f.supersedes:
            if old == f.id:
                problems.append(Problem(f.path, line, f"supersedes its own id `{old}`", "remove the entry"))
            elif old not in by_id:
                close = _did_you_mean(old, list(by_id))
                problems.append(Problem(f.path, line, f"supersedes `{old}`, which no decision has",
                                        f"{close}use the id of an existing decision (`gitmem decisions` lists "
                                        "them) or remove the entry"))
            else:
                replaced_by.setdefault(old, []).append(f)
    for f in facts:
        newer = [n for n in replaced_by.get(f.id, ()) if n.status == "accepted"]
        if f.status == "superseded" and not replaced_by.get(f.id):
            problems.append(Problem(f.path, f.status_line, f"{f.id} is superseded, but no decision names it in "
                                    "its supersedes", f"run `gitmem decisions supersede {f.id} --by NEW_ID` "
                                    "with the decision that replaced it", WARNING))
        elif f.status == "accepted" and newer:
            problems.append(Problem(f.path, f.status_line, f"{f.id} is accepted, but the accepted decision "
                                    f"{newer[0].id} ({newer[0].path}) supersedes it",
                                    f"run `gitmem decisions supersede {f.id} --by {newer[0].id}`", WARNING))
    return problems


# -- .gitmem/config.yaml -------------------------------------------------------------------------------


def check_config(root: Path) -> list[Problem]:
    rel = CONFIG_FILE
    try:
        text = read_config_text(root)
    except ConfigError as exc:
        message = exc.message.removeprefix(f"{rel}: ")
        return [Problem(rel, None, message, (exc.hint or "").rstrip("."))]
    if text is None:
        return []
    conflicts = _conflicts(rel, text)
    if conflicts:
        return conflicts
    try:
        data = load_yaml(text.removesuffix("\n"), rel)   # an error at the end is on the last line
    except RecordError as exc:
        return [_from_record_error(exc, rel)]
    if data is None:
        return []
    if not isinstance(data, dict):
        return [Problem(rel, 1, f"expected `key: value` settings, found {type(data).__name__}",
                        "write one `setting: value` per line (`gitmem init` writes the documented defaults)")]
    node = yaml.compose(text, Loader=yaml.SafeLoader)   # a mapping: it loaded as a dict
    lines = {str(k.value): k.start_mark.line + 1 for k, _v in (node.value if node is not None else ())
             if isinstance(k, yaml.ScalarNode)}
    hints = typing.get_type_hints(Config)
    names = list(hints)
    problems = []
    for key, value in data.items():
        at = lines.get(str(key))
        if key not in hints:
            problems.append(Problem(rel, at, unknown_setting_message(str(key)), f"{_did_you_mean(str(key), names)}"
                                    f"fix its spelling, or remove it if no gitmem your team uses knows it; known "
                                    f"settings: {', '.join(names)}",
                                    WARNING))
            continue
        tp = hints[key]
        ok = (isinstance(value, bool) if tp is bool
              else isinstance(value, int) and not isinstance(value, bool) if tp is int
              else isinstance(value, str))
        if not ok:
            problems.append(Problem(rel, at, f"`{key}` must be {_TYPE_WORDS[tp]}, not {value!r}",
                                    f"write `{key}: {_EXAMPLES[tp](getattr(Config(), key))}`"))
            continue
        try:
            Config(**{key: value})
        except ValueError as exc:
            problems.append(Problem(rel, at, str(exc), f"correct `{key}` (the default is "
                                    f"{getattr(Config(), key)!r})"))
    if not any(p.severity == ERROR for p in problems):
        try:
            config_from(parse_config(text, rel)[0], rel, environ={})   # as the readers do, without their warning
        except ConfigError as exc:
            problems.append(Problem(rel, None, exc.message, (exc.hint or "").rstrip(".")))
    return problems


_TYPE_WORDS = {bool: "true or false", int: "a whole number", str: "text"}
_EXAMPLES: dict[type, Callable[[Any], str]] = {bool: lambda d: str(d).lower(), int: str, str: str}


# -- everything -------------------------------------------------------------------------------------------


def _relative(root: Path, path: str) -> str:
    p = Path(path)
    if p.is_absolute():
        try:
            return p.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            return p.as_posix()
    return Path(p.as_posix()).as_posix().removeprefix("./")


def check(root: Path, paths: Iterable[str] | None = None) -> CheckResult:
    """Check every decision file and the config of the work tree at ``root``.

    With ``paths`` (as pre-commit passes them: relative to ``root``), only
    problems in those files are reported; files outside ``.gitmem/`` are
    ignored. The checks across files always read every decision file.
    """
    problems: list[Problem] = []
    try:
        listing = worktree_files.list_folder(root, DECISIONS_DIR)
    except RefusedFileError as exc:
        listing = worktree_files.Listing()
        problems.append(_refused(exc))
    problems += [_refused(exc) for exc in listing.refused]
    names = list(listing.names)
    decision_files = [f"{DECISIONS_DIR}/{n}" for n in names if n.endswith(".md")]
    facts: list[_Facts] = []
    for rel in decision_files:
        found, fact = check_decision_file(root, rel)
        problems += found
        if fact is not None:
            facts.append(fact)
    problems += _check_links(facts)
    for n in names:
        if not n.endswith(".md"):
            problems.append(Problem(f"{DECISIONS_DIR}/{n}", None, "is not a Markdown file; gitmem reads only "
                                    "*.md decision files here", "rename it to <yyyy-mm-dd>-<slug>.md or move it out "
                                    f"of {DECISIONS_DIR}/", WARNING))
    problems += check_config(root)
    checked = decision_files + ([CONFIG_FILE] if os.path.lexists(root / CONFIG_FILE) else [])
    if paths is not None:
        wanted = {_relative(root, p) for p in paths}
        for rel in sorted(wanted):
            if rel.startswith(".gitmem/") and not os.path.lexists(root / rel):
                problems.append(Problem(rel, None, "does not exist", "check the path"))
        problems = [p for p in problems if p.path in wanted]
        checked = [c for c in checked if c in wanted]
    problems.sort(key=lambda p: (p.path, p.line or 0, p.severity != ERROR))
    return CheckResult(tuple(problems), tuple(checked))
