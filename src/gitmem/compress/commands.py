"""The commands a session ran, by what became of them: passed, failed for good, or failed and then fixed.

A command's last run says whether it works now; the runs before say what was
learned on the way. A failure followed, after files were changed, by the same
command passing is a fix: what failed and which changes made it pass is kept as
something learned, not erased by the later success. A failure never followed
by a success is a dead end. A failure that passed again with nothing changed in
between (a flaky run) teaches nothing and is not kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Sequence

from gitmem import fence
from gitmem.store.records import Observation

MAX_REASON = 140
MAX_FIXED_FILES = 4
_EXIT_HEAD = re.compile(r"^exit -?\d+(?: \([^)]*\))?:\s*")


@dataclass
class Outcomes:
    passed: list[Observation] = field(default_factory=list)     # each command whose last run passed, in order
    failed: list[Observation] = field(default_factory=list)     # each command whose last run failed
    fixed: list[str] = field(default_factory=list)              # "`cmd` failed (why), then passed after changing f"


def failure_reason(detail: str) -> str:
    """The telling line of a failed command's detail ("exit 1: ...\\nImportError: x" -> "ImportError: x")."""
    text = _EXIT_HEAD.sub("", (detail or "").strip())
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return fence.one_line(lines[-1], MAX_REASON) if lines else ""


def command_outcomes(observations: Sequence[Observation]) -> Outcomes:
    """The session's commands (``attempted`` ones left out) sorted by outcome, with the fixes learned."""
    last: dict[str, Observation] = {}
    failing: dict[str, tuple[Observation, int]] = {}   # a command's first failure since it last passed
    fixed: list[str] = []
    for n, o in enumerate(observations):
        if o.kind != "command" or not o.command or o.outcome == "attempted":
            continue
        last[o.command] = o
        if o.outcome == "error":
            failing.setdefault(o.command, (o, n))
            continue
        first = failing.pop(o.command, None)
        if first is None:
            continue
        changed = list(dict.fromkeys(f for x in observations[first[1] + 1:n]
                                     if x.kind in ("edit", "write") and x.outcome != "attempted" for f in x.files))
        if changed:
            why = failure_reason(first[0].detail)
            more = f" and {len(changed) - MAX_FIXED_FILES} more" if len(changed) > MAX_FIXED_FILES else ""
            fixed.append(fence.one_line(f"`{o.command}` failed{f' ({why})' if why else ''}, then passed after "
                                        f"changing {', '.join(changed[:MAX_FIXED_FILES])}{more}", 300))
    return Outcomes(passed=[o for o in last.values() if o.outcome != "error"],
                    failed=[o for o in last.values() if o.outcome == "error"], fixed=fixed)
