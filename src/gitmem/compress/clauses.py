"""Clause markers: the grammar words that open a reason and that make a sentence a rule, in one place.

The offline summarizer (``statements``: a rule with its reason is a choice, the reason clause is a decision's
rationale) and the brief (``app.brief_lines``: a line that gives a reason or states a rule tells more) read the
same sentences, so they share one vocabulary: function words of English, Spanish, Portuguese, French, German and
Italian, never a topic's phrases.

Invariants:
- ``REASON`` finds a reason marker; ``BECAUSE`` is the same markers with the clause after the marker as group 1.
- ", so" opens a reason, ", so far" does not.
- ``RULE`` finds a modal or an always/never/only word; a rule needs no reason to be one.
"""

from __future__ import annotations

import re

# Words that open a reason clause ("because", "since", "so that", "due to" ...), and ", so".
_REASON_WORDS = (r"because|since|so that|as it|due to|in order to|otherwise|porque|ya que|para que|parce que|"
                 r"puisque|weil|damit|perché|poiché")
_SO = r",\s+so(?!\s+far)"
REASON = re.compile(rf"\b(?:{_REASON_WORDS})\b|{_SO}\b", re.IGNORECASE)
BECAUSE = re.compile(rf"(?:\b(?:{_REASON_WORDS})|{_SO})\b(.+)$", re.IGNORECASE)
# A rule: a modal or an always/never/only ("must", "never", "don't", "has to", "siempre", "nie"...).
RULE = re.compile(r"\b(?:must|mustn't|shall|should|shouldn't|always|never|do not|don't|only|has to|have to|"
                  r"need to|needs to|avoid|siempre|nunca|debe|no uses?|toujours|jamais|doit|immer|nie|niemals|"
                  r"muss)\b", re.IGNORECASE)


def gives_reason(text: str) -> bool:
    """Does ``text`` give a reason (a reason marker anywhere in it)?"""
    return REASON.search(text) is not None


def states_rule(text: str) -> bool:
    """Does ``text`` state a rule (a modal, always, never, only ...)?"""
    return RULE.search(text) is not None
