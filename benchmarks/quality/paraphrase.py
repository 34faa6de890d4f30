"""The rule a paraphrased search probe must keep: it shares no content word with what it must find.

A paraphrased probe (``Search.paraphrase``) asks for a record the way a person
would, in their own words. It only measures recall by meaning if it could not
be found by the words themselves, so every paraphrase is checked against *all*
the text the scenario wrote for its target, not only the sentence holding the
fact:

- a session target: every prompt, reply, tool call (paths, contents, commands
  and what they printed, grep patterns and matches, todo items), commit message,
  the branch and the actor of that session;
- a decision target (a title regex): every ``Decide`` step whose title matches
  (title, text, rationale, files, what it supersedes), every ``Review`` naming
  it, and every session whose text matches the regex (the session that
  proposed it).

Words are compared after lowercasing, splitting identifiers (``charge_retry``,
``SQLAlchemy`` -> charge, retry, sqlalchemy, sql, alchemy), dropping stopwords
and one-letter words, and reducing each word to a rough root (plural -s and
-es, -ed, -ing, -ly, a final e, y/i, a doubled consonant), so ``cached`` and
``caching`` count as ``cache``. Numbers count as content words. The rule is
stricter than "no shared word after plural -s" on purpose: a stemming search
must not pass a paraphrase on morphology alone.

``violations(scenarios)`` lists every probe that breaks the rule; ``run.py``
refuses to run while there is one.
"""

from __future__ import annotations

import re
from typing import Iterable

from quality import dsl

STOPWORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being below between both but by
can could did do does doing down during each either else ever few for from further had has have having he her here
hers herself him himself his how i if in into is it its itself just let me might more most must my myself neither no
nor not now of off on once only or other ought our ours ourselves out over own same shall she should so some such
than that the their theirs them themselves then there these they this those through to too under until up upon us
very was we were what when where whether which while who whom whose why will with within without would yet you your
yours yourself yourselves
dont doesnt didnt isnt arent wasnt werent cant couldnt shouldnt wouldnt wont hasnt havent hadnt im ive weve were
youre theyre thats whats whos lets
""".split())

_RUN = re.compile(r"[^\W_]+")   # letters and digits, any script
_PART = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_SUFFIXES = ("ing", "ed", "es", "s", "ly")


def root(word: str) -> str:
    """A rough root of a lowercase word: ``caching``, ``cached``, ``caches`` -> ``cach``; ``retries`` -> ``retry``."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            word = word[:-len(suffix)]
            break
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiouls":
        word = word[:-1]     # stopped -> stopp -> stop
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    if len(word) > 3 and word.endswith("i"):
        word = word[:-1] + "y"
    return word


def content_words(text: str) -> set[str]:
    """The roots of the content words of ``text`` (identifiers split too, the whole identifier kept as well)."""
    out: set[str] = set()
    for run in _RUN.findall(text.replace("'", "").replace("\u2019", "")):
        for word in {run, *_PART.findall(run)}:
            word = word.lower()
            if word in STOPWORDS or (len(word) < 2 and not word.isdigit()):
                continue
            out.add(root(word))
    return out


def _tool_text(tool: dsl.Tool) -> list[str]:
    if isinstance(tool, dsl.Todo):
        return [text for _, text in tool.items]
    if isinstance(tool, dsl.Grep):
        return [tool.pattern, tool.path, *tool.matches]
    return [str(value) for value in vars(tool).values() if isinstance(value, str)]


def session_text(s: dsl.Session) -> str:
    """Everything the scenario wrote for one session."""
    parts = [s.id, s.actor, s.branch]
    for turn in s.turns:
        parts += [turn.prompt, turn.reply]
        for tool in turn.tools:
            parts += _tool_text(tool)
    return "\n".join(parts)


def target_text(scenario: dsl.Scenario, probe: dsl.Search) -> str:
    """All the text the scenario wrote for the record ``probe`` must find ("" when nothing names it)."""
    sessions = [step for step in scenario.steps if isinstance(step, dsl.Session)]
    if probe.session:
        return "\n".join(session_text(s) for s in sessions if s.id == probe.session)
    rx = re.compile(probe.decision, re.IGNORECASE)
    parts = []
    for step in scenario.steps:
        if isinstance(step, dsl.Decide) and rx.search(step.title):
            parts += [step.title, step.decision, step.rationale, *step.files, *step.supersedes, step.actor]
        elif isinstance(step, dsl.Review) and (rx.search(step.title) or rx.search(step.superseded_by)):
            parts += [step.title, step.superseded_by]
        elif isinstance(step, dsl.Session) and rx.search(session_text(step)):
            parts.append(session_text(step))
    return "\n".join(parts)


def shared(scenario: dsl.Scenario, probe: dsl.Search) -> set[str]:
    """The content words (as roots) the probe's paraphrase shares with its target's text."""
    return content_words(probe.paraphrase) & content_words(target_text(scenario, probe))


def violations(scenarios: Iterable[dsl.Scenario]) -> list[str]:
    """One line per search probe without a paraphrase, with a paraphrase sharing a content word with its target,
    or whose target the scenario's text does not name."""
    out = []
    for sc in scenarios:
        for probe in sc.searches:
            where = f"{sc.name}: {probe.query!r}"
            if not content_words(probe.paraphrase):
                out.append(f"{where}: no paraphrase")
            elif not target_text(sc, probe).strip():
                out.append(f"{where}: no text in the scenario names the target")
            elif words := shared(sc, probe):
                out.append(f"{where}: paraphrase {probe.paraphrase!r} shares {sorted(words)} with its target")
    return out
