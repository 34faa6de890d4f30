"""What one sentence tells: something tried that failed, a choice (with its alternative and reason), a fact learned.

The offline summarizer reads every sentence, bullet and table row it is given and
sorts each by its structure rather than by phrases fitted to examples:

- a dead end is a try that failed: a try verb followed by a contrast ("tried X,
  but ...") or by a clause that opens with a negation ("tried X, no change");
  the try verbs, contrast conjunctions and negations are the grammar of English,
  Spanish, Portuguese, German, French and Italian (function words, not topics),
  beside a few English idioms ("no luck", "made it worse");
- a choice is set against an alternative ("X, not Y: why", "picked X over Y"),
  carries a choice verb, returns to an earlier choice ("back to Y"), or, said by
  the user, is an imperative of choosing ("use X in f.py, ...") or a rule with a
  reason ("never edit X, because Y");
- its reason is a because/since/so clause, the clause after "X, not Y:", the
  clause after an imperative choice's comma, or the next sentence of the same
  line when that sentence names the choice or its alternative.
"""

from __future__ import annotations

import re
from typing import Sequence

from gitmem import fence
from gitmem.compress import restatement
from gitmem.compress.clauses import BECAUSE, states_rule
from gitmem.store.records import DecisionNote

_DECISION_CUE = re.compile(
    r"\b(decided|decide to|we will|we'll go|let's go with|going with|went with|chose|settled on|switch(?:ed)? to|"
    r"(?:instead of|rather than)(?!\s+[\d~≈<>]))\b", re.IGNORECASE)  # "40 s instead of 3 minutes" is a measurement
_DECISION_LEAD = re.compile(r"^(?:so,?\s+)?(?:(?:we|i)(?:'ve| have)?\s+decided\s+to|(?:we|i)'ll\s+go\s+with|"
                            r"let's\s+go\s+with|going\s+with|(?:we|i)\s+(?:chose|picked|went\s+with)(?:\s+to)?|"
                            r"settled\s+on)\s+", re.IGNORECASE)
# A choice said by its structure: "integer cents, not floats", "bcrypt, not argon2: the image lacks argon2",
# "prefer SKIP LOCKED over a Redis list".
_NOT_ALTERNATIVE = re.compile(r"^(?P<choice>[^,;:]{6,}?),\s+(?:and\s+)?not\s+(?!sure\b|yet\b|only\b|just\b|even\b)"
                              r"(?P<alt>[^,;:.!?]{2,60}?)(?:\s*(?::|;|\s[—–-])\s*(?P<why>\S.*?))?[.!]?$",
                              re.IGNORECASE)
_OVER = re.compile(r"\b(?:chose|choose|picked|pick|prefer(?:red|s)?|went with|go(?:ing)? with|favou?r(?:ed|s)?|"
                   r"use[sd]?|using|kept|keep)\s+(?P<choice>[^,;]{2,60}?)\s+over\s+(?!time\b|the (?:network|wire)\b)"
                   r"(?P<alt>[^,;.!?]{2,60})", re.IGNORECASE)
# A choice taken back: "went back to Y", "reverted to Y", "switched back to Y". The choice before it is a dead end.
REVERSAL = re.compile(r"\b(?:(?:went|go(?:ing)?|switch(?:ed)?|mov(?:ed|e)|chang(?:ed|e)|came|fell|roll(?:ed)?)\s+back"
                      r"\s+to|revert(?:ed)?\s+to|back\s+to)\s+(?P<choice>[^,;.!?]{2,80})", re.IGNORECASE)
TRAILING_LINK = re.compile(r"(?:[\s,;:–—-]|\b(?:and|then|but|so)\b)*$", re.IGNORECASE)
_SO = re.compile(r",\s+so\s+(?!that\b|far\b)", re.IGNORECASE)
_COLON = re.compile(r":\s+|\s[—–]\s")
_AFTER = re.compile(r"(.+)$")
# The user choosing, in the imperative: "Use JSON in queue/codec.py, ...", "Switch the dedup check to a hash set"
# ("move X to Y", "change X to Y" are tasks as often as choices: not counted).
_USER_CHOICE = re.compile(
    r"^(?:(?:ok(?:ay)?|no|hmm+|actually|so|please|just|instead|then)[,.!]?\s+)*(?:use|prefer|keep|pick|choose|"
    r"stick\s+(?:with|to)|go\s+with|standardi[sz]e\s+on|switch\b(?:\s+[^\s,;:]+){0,6}?\s+(?:to|into)|"
    r"(?:never|don't|do\s+not)\s+use)\b", re.IGNORECASE)
_SWITCH_TO = re.compile(r"^(?:switch|move|change|turn)\b(?P<subject>(?:\s+[^\s,;:]+){0,6}?)\s+(?:to|into)\s+"
                        r"(?P<choice>.+)$", re.IGNORECASE)
# A choice said as a change from what was there: "switch X to Y", "Y instead", "replace X with Y".
_CHANGE = re.compile(r"\b(?:switch\w*|instead|rather than|replac\w*)\b", re.IGNORECASE)
# Something tried that failed. The grammar of a failure report, in the languages people write here: a try verb,
# then a contrast conjunction, or a clause after a comma (dash, colon) that opens with a negation.
_TRY = (r"(?:tried|tries|trying|attempted|prob[ée]|probamos|probado|intent[ée]|intentamos|intentado|tentei|tentamos|"
        r"tentado|testei|versucht|probiert|essay[ée]|tent[ée]|provato|tentato)")
_CONTRAST = r"(?:but|however|pero|sin embargo|mas|porém|contudo|aber|jedoch|mais|cependant|però)"
_NEGATION = r"(?:no|not|never|nothing|\w+n't|nada|nunca|não|nem|nicht|nichts|kein\w*|nie|pas|rien|ne|non|niente)"
# "no more X", "no longer", "no errors": an absence that reports success, not failure.
_SUCCESS_BY_ABSENCE = r"(?!\s+(?:more|longer|errors?|failures?|warnings?|issues?|problems?|regressions?)\b)"
# Verbs of failing and of undoing (en, es, pt, de, fr): a try followed by a failure, or a failure and an undo.
_FAILS = (r"(?:fail(?:s|ed|ing)?|break(?:s|ing)?|broke|crash(?:es|ed|ing)?|segfault(?:s|ed)?|hang(?:s|ing)?|"
          r"times? out|timed out|falla|falló|rompe|rompió|falha|falhou|quebra|quebrou|scheitert|bricht|stürzt|"
          r"échoue|plante|casse)")
_UNDO = r"(?:reverted|rolled back|backed out|undid|undone|revertido|revertí|zurückgesetzt|annulé)"
# The failure verb opens a clause of its own ("tried X, still fails", "tried X and it crashes"), so "tried to
# reproduce the crash" or "tried X and it no longer fails" are no failure.
_TRIED_AND_FAILED = re.compile(
    rf"\b{_TRY}\b.*?(?:\b{_CONTRAST}\b|[,;:—–-]\s+(?:\w+\s+)?{_NEGATION}\b{_SUCCESS_BY_ABSENCE}|"
    rf"(?:[,;:—–-]\s+|\b(?:and|but)\s+)(?:(?!longer\b|never\b|no\b|not\b)\w+\s+){{0,2}}{_FAILS}\b)|"
    rf"\b{_FAILS}\b.*\b{_UNDO}\b", re.IGNORECASE)
_DEAD_END_CUE = re.compile(
    r"\b(?:did not|didn't|does not|doesn't|do not|don't)\s+(?:work|help|fix|solve|improve|change anything)\b|"
    r"\bno luck\b|\bdead end\b|\bgave up on\b|\babandoned\b|\bmade (?:it|things|\w+ \w+) (?:worse|slower)\b|"
    r"\b(?:backed|rolled) (?:it|that|this|them) (?:out|back)\b|\breverted (?:it|that|this|them)\b", re.IGNORECASE)
_LEARNED_CUE = re.compile(
    r"\b(turns out|turned out|found that|learned|the cause|root cause|it seems|note that|must|always|never|requires?|"
    r"convention|lives? (?:in|under)|owns|owned by|responsible for|only module|talks to|"
    r"(?:is|are) (?:defined|sent|configured|kept|stored|built|handled|read|set)(?: only)? (?:in|from|by|through))\b",
    re.IGNORECASE)
# "`billing/charge.py` creates charges": a file and what it does, a map of the code.
_FILE_DOES = re.compile(r"^`?(?:[\w.-]+/)*[\w-]+\.[A-Za-z]{1,5}`?\s+(?:\([^)]*\)\s+)?[a-z]+s\b")
_FOLDER = re.compile(r"(?<![\w/.*-])(?:[\w.-]+/)+(?=[\s,;:.!?)'\"]|$)")
_GLOB = re.compile(r"(?<![\w/.*-])[\w./-]*\*[\w./*-]*[\w*](?=[\s,;:.!?)'\"]|$)")
# An explanation: a labelled statement ("Found it: ...", "Root cause: ...") or a statement with its cause.
_LABELLED = re.compile(r"^(?:\*\*|__)?[^\W\d_][\w'’-]*(?:\s+[\w'’-]+){0,3}(?:\*\*|__)?:(?:\*\*|__)?\s+\S")
_PLAN = re.compile(r"^(?:let me|let's|i'll|i will|i'm going to|i am going to|next,? i)\b", re.IGNORECASE)
_CAUSE = re.compile(r"\b(?:because|since)\b|,\s+so\b(?!\s+(?:that|far)\b)", re.IGNORECASE)
# Work a sentence leaves open: something still so, or an obligation (en, de, es, pt, fr).
_LEAVES_OPEN = re.compile(r"\b(?:still|noch|todavía|aún|ainda|encore|must|(?:needs?|has|have) to|"
                          r"needs? (?:an?|the|its|their)|will (?:have to|need)|muss|müssen|sollte|hay que|"
                          r"hace falta|debe|precisa|deve|faut|doit)\b", re.IGNORECASE)
_PATH = re.compile(r"(?<![\w/.-])(?:[\w.-]+/)*[\w-]{2,}\.[A-Za-z]{1,5}(?![\w/])")
_FOR_SUBJECT = re.compile(r"\bfor\s+(?P<subject>[\w\s-]{3,50}?)(?=\s*(?:[,;:.!?]|$)|\s+(?:because|since|so|as|"
                          r"instead|rather|over|and|but|in|on)\b)", re.IGNORECASE)
_OBJECT_END = re.compile(r"\s+(?:for|in|on|at|to|from|because|since|as|instead|rather|over)\b|[,;:(]|\s[—–-]\s",
                         re.IGNORECASE)
_CHOICE_VERB = re.compile(r"^(?:use|using|keep|prefer|pick|choose|go\s+with|stick\s+(?:with|to)|standardi[sz]e\s+on)\s+",
                          re.IGNORECASE)
_TABLE_RULE = re.compile(r"\|?(?:\s*:?-{2,}:?\s*\|)+\s*:?(?:-{2,}:?\s*)?\|?")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
IN_LINE = re.compile(r"(?<=[.!?])\s+")
_ITEM_MARKS = " -*•\t"


def _table_rows(text: str) -> str:
    """Markdown tables as plain lines: a header row (the one above the ``|---|`` rule) and the rule are left out,
    and each data row reads "first cell: the other cells"."""
    lines = (text or "").split("\n")
    out: list[str] = []
    for n, line in enumerate(lines):
        row = line.strip()
        if not row.startswith("|"):
            out.append(line)
            continue
        below = lines[n + 1].strip() if n + 1 < len(lines) else ""
        if _TABLE_RULE.fullmatch(row) or (below.startswith("|") and _TABLE_RULE.fullmatch(below)):
            continue
        cells = [c.strip() for c in row.strip("|").split("|") if c.strip()]
        out.append(cells[0] + (": " + ", ".join(cells[1:]) if len(cells) > 1 else "") + "." if cells else "")
    return "\n".join(out)


def sentences(text: str) -> list[str]:
    """Every sentence, bullet and table row of ``text`` (a line or a sentence of 12 characters or fewer is no
    statement)."""
    return [_unbold_label(s.strip(_ITEM_MARKS)) for s in _SENTENCE.split(_table_rows(text)) if len(s.strip()) > 12]


def _unbold_label(sentence: str) -> str:
    """"**Why:** x" reads "Why: x" (the emphasis marks of a label are no part of what it says)."""
    return re.sub(r"^(?:\*\*|__)?([^\W\d_][^*_:\n]{0,40}?)(?:\*\*|__)?:(?:\*\*|__)?(?=\s)", r"\1:", sentence)


def with_next(text: str) -> list[tuple[str, str]]:
    """``sentences(text)``, each with the sentence after it on the same line ('' for a line's last)."""
    out: list[tuple[str, str]] = []
    for line in _table_rows(text).split("\n"):
        parts = [_unbold_label(s.strip(_ITEM_MARKS)) for s in IN_LINE.split(line) if len(s.strip()) > 12]
        out += [(s, parts[n + 1] if n + 1 < len(parts) else "") for n, s in enumerate(parts)]
    return out


def named_files(text: str, files: Sequence[str]) -> tuple[str, ...]:
    """The ``files`` that ``text`` names, by path or by file name (as a whole word, not inside another)."""
    named = []
    for f in files:
        for name in dict.fromkeys((f, f.rsplit("/", 1)[-1])):
            if name and re.search(rf"(?<![\w./-]){re.escape(name)}(?![\w/-]|\.\w)", text):
                named.append(f)
                break
    return tuple(named)


def named_patterns(text: str) -> tuple[str, ...]:
    """The folders ``text`` names as paths ending in "/" (``vendor/``) and the globs it names (``proto/**/*.proto``)."""
    bare = text.replace("`", " ")
    found = [g for g in _GLOB.findall(bare) if "/" in g or "." in g] + _FOLDER.findall(bare)
    return tuple(dict.fromkeys(f.removeprefix("./") for f in found))


def explains(sentence: str) -> bool:
    """A statement that explains: labelled ("Found it: ...") or giving a cause ("..., so ...", "because ..."); a
    plan ("Let me ...", "I'll ...") is none."""
    if _PLAN.match(sentence):
        return False    # what one is about to do explains nothing yet
    return _LABELLED.match(sentence) is not None or _CAUSE.search(sentence) is not None


def leaves_open(sentence: str) -> bool:
    """A statement of work left open: something still so, or an obligation ("needs the same check")."""
    return _LEAVES_OPEN.search(sentence) is not None


def _head(sentence: str) -> tuple[str, re.Match[str] | None]:
    because = BECAUSE.search(sentence)
    return (sentence[: because.start()].rstrip(" ,;") if because else sentence), because


def _alternative(text: str) -> re.Match[str] | None:
    """The choice and the alternative it was chosen over, when a sentence says them by its structure."""
    return _NOT_ALTERNATIVE.match(text.strip()) or _OVER.search(text)


def _user_choice(head: str) -> tuple[str, str]:
    """An imperative choice's own words and the clause after its first comma (its reason), or ``(head, '')``."""
    choice, comma, rest = head.partition(", ")
    if not comma or _alternative(head) is not None or re.match(r"(?:not|never)\b", rest, re.IGNORECASE):
        return head, ""
    return choice, rest.rstrip(".!")


def is_choice(sentence: str, by_user: bool = False) -> bool:
    """A sentence that states a choice: a choice cue, a choice set against an alternative ("X, not Y"), a return
    to an earlier one ("back to Y"), or, said by the user, an imperative of choosing or a rule with its reason."""
    head, because = _head(sentence)
    if any(x is not None for x in (_DECISION_CUE.search(sentence), _alternative(head), REVERSAL.search(head))):
        return True
    if not by_user:
        return False
    if because is not None and states_rule(head):   # "never edit legacy/, because the auditors ..."
        return True
    # An imperative of choosing names what it concerns (a path, `code`) or says why: "Keep it short" is no choice.
    return _USER_CHOICE.match(sentence) is not None and (
        bool(subject_of(sentence)) or "`" in sentence or bool(_user_choice(head.rstrip("."))[1]))


def kind_of(sentence: str, by_user: bool = False) -> str:
    """dead_end, decision, learned or other: what a sentence tells (first kind that fits wins)."""
    if _DEAD_END_CUE.search(sentence) or _TRIED_AND_FAILED.search(sentence):
        return "dead_end"
    if is_choice(sentence, by_user):
        return "decision"
    if _LEARNED_CUE.search(sentence) or _FILE_DOES.match(sentence):
        return "learned"
    return "other"


def _reason_in(following: str, head: str) -> str:
    """The reason a sentence right after a choice gives for it: it names the choice or its alternative."""
    if not following or not (restatement.content_words(following) & restatement.content_words(head)):
        return ""
    because = BECAUSE.search(following)
    return (because.group(1) if because else following).strip().rstrip(".")


def decision_note(sentence: str, changed: tuple[str, ...], seen: Sequence[str] = (), following: str = "",
                  by_user: bool = False, files: tuple[str, ...] = ()) -> DecisionNote:
    """A decision from its sentence. Its files are ``files`` when given, else the session's files the sentence
    names, or, when it names none of them, the files the session changed."""
    reason_first = ""
    so = _SO.search(sentence)
    if so is not None and is_choice(sentence[so.end():], by_user) and not is_choice(sentence[:so.start()], by_user):
        reason_first, sentence = sentence[:so.start()], sentence[so.end():]   # "Z, so we chose Y": Z is the reason
    reversal = REVERSAL.search(sentence)
    if reversal is not None:  # "went with X, then back to Y because Z": Y is the choice, X is told as a dead end
        sentence = sentence[reversal.start():]
    sentence = sentence[:1].upper() + sentence[1:]
    head, because = _head(sentence)
    colon = _COLON.search(head)
    if colon is not None and (_DECISION_CUE.search(head[:colon.start()]) or _DECISION_LEAD.match(head)):
        head, because = head[:colon.start()], _AFTER.match(sentence, colon.end())   # "went with X: it renews..."
    head = head.rstrip(".")
    alternative = _alternative(head)   # before the lead goes: "we picked X over Y"
    rationale = because.group(1) if because else reason_first
    if alternative is not None and alternative.re is _NOT_ALTERNATIVE and alternative.group("why"):
        rationale = rationale or alternative.group("why")
    if by_user and not rationale and _USER_CHOICE.match(head):
        head, rationale = _user_choice(head)
    head = _DECISION_LEAD.sub("", head)
    if alternative is not None and not _DECISION_CUE.search(head):
        head = alternative.group("choice") if alternative.re is _NOT_ALTERNATIVE else head
    rationale = rationale or _reason_in(following, head + " " + (alternative.group("alt") if alternative else ""))
    files = files or (named_files(sentence, list(dict.fromkeys([*changed, *seen]))) + named_patterns(sentence)) or changed
    return DecisionNote(title=fence.one_line(head[:1].upper() + head[1:], 100), decision=fence.one_line(sentence, 300),
                        rationale=fence.one_line(rationale.rstrip("."), 300),
                        alternatives=(fence.one_line(alternative.group("alt").strip(), 120),) if alternative else (),
                        files=files[:10])


def subject_of(sentence: str) -> frozenset[str]:
    """What a choice is about: the paths it names, else the content words of its "for ..." phrase or of the thing
    a "switch X to Y" changes (empty when it says neither)."""
    paths = frozenset(p.lstrip("./") for p in _PATH.findall(sentence.replace("`", " "))) | set(named_patterns(sentence))
    if paths:
        return paths
    head = _DECISION_LEAD.sub("", _head(sentence)[0]).strip()
    switch = _SWITCH_TO.match(head)
    phrase = switch.group("subject") if switch else (m.group("subject") if (m := _FOR_SUBJECT.search(head)) else "")
    return restatement.content_words(phrase)


def replaces(later: str, earlier: str) -> bool:
    """Does the choice ``later`` take the choice ``earlier`` back? Both are about the same subject (subject_of),
    they pick different things (chosen_of), and the later says it changes course ("switch", "instead") or one of
    them names the other's pick ("faster than json" / "YAML's typing bit us")."""
    subject, chosen, before = subject_of(later), chosen_of(later), chosen_of(earlier)
    if not subject or subject != subject_of(earlier) or not chosen or not before or chosen & before:
        return False
    return (_CHANGE.search(later) is not None or bool(chosen & restatement.content_words(earlier))
            or bool(before & restatement.content_words(later)))


def chosen_of(sentence: str) -> frozenset[str]:
    """The content words of what a choice picks: "went with YAML for x.cfg" -> yaml; "switch X to a set" -> set."""
    head = _DECISION_LEAD.sub("", _head(sentence)[0]).strip()
    switch = _SWITCH_TO.match(head)
    if switch is not None:
        head = switch.group("choice")
    else:
        head = _CHOICE_VERB.sub("", re.sub(r"^(?:(?:ok(?:ay)?|no|hmm+|actually|so|please|just|instead|then)[,.!]?\s+)*",
                                           "", head, flags=re.IGNORECASE))
    end = _OBJECT_END.search(head)
    return restatement.content_words(head[: end.start()] if end else head)
