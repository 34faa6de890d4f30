"""The vocabulary scenarios are written in: sessions, tool calls, git and review steps, probes.

A scenario is data. Sessions hold turns; a turn is a prompt, the tool calls
Claude Code made (each becomes the PostToolUse payload Claude Code sends, and
the file operations really happen in the work tree), and the assistant's reply
(the Stop hook's ``last_assistant_message``). Steps between sessions are what
people do: check out, commit, merge, push, pull, review decision files, and
``gitmem.team.sync.sync``. Probes say what a later session should be told (brief)
and what a search should find.

Fact kinds (the rows of the figures table):

- ``decision``    a choice made in a session or written by a person
- ``rationale``   the reason given for a decision
- ``dead_end``    an approach tried and abandoned (expected as "Tried, did not work"; forbidden as fact)
- ``convention``  a team rule ("tests live next to the module")
- ``next_step``   work left open
- ``ownership``   which file owns which concern
- ``superseded``  a decision replaced or rejected later (forbidden as fact)
- ``unmerged``    work on a branch never merged here (expected as a title in "not merged here"; details forbidden)
- ``teammate``    memory that arrived from another clone through ``gitmem.team.sync.sync``
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

KINDS = ("decision", "rationale", "dead_end", "convention", "next_step", "ownership", "superseded", "unmerged",
         "teammate")


# -- tool calls inside a session --------------------------------------------------------------------


@dataclass(frozen=True)
class Read:
    path: str


@dataclass(frozen=True)
class Write:
    """Create or overwrite ``path`` with ``content``."""

    path: str
    content: str


@dataclass(frozen=True)
class Edit:
    """Replace ``old`` by ``new`` in ``path`` (``old`` empty: append ``new``)."""

    path: str
    old: str
    new: str


@dataclass(frozen=True)
class Bash:
    """A command and what it printed; it is not run (only ``Commit`` touches git)."""

    command: str
    exit: int = 0
    stdout: str = ""
    stderr: str = ""


@dataclass(frozen=True)
class Grep:
    pattern: str
    matches: tuple[str, ...] = ()
    path: str = "."


@dataclass(frozen=True)
class Todo:
    """A TodoWrite call: (status, text) with status done | doing | open."""

    items: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Commit:
    """``git add <the files this session wrote>`` and ``git commit``, run for real, reported to the hooks
    as the Bash call Claude Code would have made."""

    message: str


Tool = Union[Read, Write, Edit, Bash, Grep, Todo, Commit]


@dataclass(frozen=True)
class Turn:
    prompt: str
    tools: tuple[Tool, ...] = ()
    reply: str = ""


@dataclass(frozen=True)
class Session:
    """One Claude Code session: SessionStart, turns (prompt, tools, Stop), SessionEnd, then a flush."""

    id: str
    turns: tuple[Turn, ...]
    actor: str = ""     # "" = the scenario's first actor
    branch: str = ""    # check this branch out first ("" = stay); created from HEAD when missing


def session(sid: str, prompt: str, *tools: Tool, reply: str = "", actor: str = "", branch: str = "") -> Session:
    """A one-turn session."""
    return Session(sid, (Turn(prompt, tools, reply),), actor=actor, branch=branch)


# -- what people do between sessions ----------------------------------------------------------------


@dataclass(frozen=True)
class Checkout:
    branch: str
    actor: str = ""


@dataclass(frozen=True)
class Merge:
    """``git merge --no-ff <branch>`` into the current branch."""

    branch: str
    actor: str = ""


@dataclass(frozen=True)
class CommitAll:
    """A person commits everything in the work tree, proposed decision files included (as in a PR)."""

    message: str
    actor: str = ""


@dataclass(frozen=True)
class Touch:
    """A person edits ``files`` by hand and leaves them uncommitted (work in progress)."""

    files: tuple[str, ...]
    actor: str = ""


@dataclass(frozen=True)
class Decide:
    """A person writes a decision file (committed); ``supersedes`` names earlier decisions by title."""

    title: str
    decision: str
    files: tuple[str, ...] = ()
    status: str = "accepted"
    rationale: str = ""
    supersedes: tuple[str, ...] = ()
    actor: str = ""


@dataclass(frozen=True)
class Review:
    """A person changes the status of the decision files whose title matches (regex, case-insensitive).

    ``superseded_by`` (a title regex) records the replacement on both sides, as
    ``gitmem decisions supersede`` does. Committed."""

    title: str
    status: str
    superseded_by: str = ""
    actor: str = ""


@dataclass(frozen=True)
class Push:
    """``git push`` of the current branch (code only; the memory travels by ``Sync``)."""

    actor: str = ""


@dataclass(frozen=True)
class Pull:
    actor: str = ""


@dataclass(frozen=True)
class Sync:
    """``gitmem.team.sync.sync(repo, "origin")``: fetch teammates' memory, merge, push ours."""

    actor: str = ""


Step = Union[Session, Checkout, Merge, CommitAll, Touch, Decide, Review, Push, Pull, Sync]


# -- probes --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    """A fact as a regex (case-insensitive).

    Expected: it must appear in the brief; with ``hedged`` it must appear on a
    hedged line (a dead end told as one, unmerged work listed as not merged).
    Forbidden: it must not appear on any line that presents it as current fact.
    """

    kind: str
    pattern: str
    hedged: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fact kind {self.kind!r}")


@dataclass(frozen=True)
class Brief:
    """A later session starts: ``actor`` on ``branch`` with ``files`` changed in the work tree."""

    branch: str
    expect: tuple[Fact, ...] = ()
    forbid: tuple[Fact, ...] = ()
    files: tuple[str, ...] = ()
    actor: str = ""


@dataclass(frozen=True)
class Search:
    """``gitmem search <query>`` (limit 5) must list ``session`` (a scenario session id) or a decision file
    whose title matches ``decision`` (regex).

    ``paraphrase`` asks for the same record the way a person would, in other words: it may share no content word
    with the text the scenario wrote for the target (``paraphrase.py`` states and checks the rule). It is searched
    too and counted apart, as paraphrased recall."""

    kind: str
    query: str
    session: str = ""
    decision: str = ""
    actor: str = ""
    paraphrase: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fact kind {self.kind!r}")
        if bool(self.session) == bool(self.decision):
            raise ValueError("a search probe expects either a session or a decision")


@dataclass(frozen=True)
class Scenario:
    name: str
    about: str
    steps: tuple[Step, ...]
    briefs: tuple[Brief, ...] = ()
    searches: tuple[Search, ...] = ()
    files: dict[str, str] = field(default_factory=dict)   # the first commit's tree
    actors: tuple[str, ...] = ("dana",)                   # more than one: a bare remote and a clone each
