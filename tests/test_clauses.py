"""One vocabulary of reason and rule words (compress/clauses.py) for the summarizer and the brief."""

from __future__ import annotations

from gitmem.app import brief_lines
from gitmem.compress import clauses, statements


def test_a_reason_clause_is_found_in_the_languages_people_write_and_so_far_is_none() -> None:
    for text, reason in (("Use JSON, because it is readable", "it is readable"),
                         ("Usamos JSON porque es más simple", "es más simple"),
                         ("Wir nehmen JSON, weil es lesbar ist", "es lesbar ist"),
                         ("Keep the cache, so lookups stay fast", "lookups stay fast")):
        m = clauses.BECAUSE.search(text)
        assert m is not None and m.group(1).strip() == reason, text
        assert clauses.gives_reason(text)
    assert not clauses.gives_reason("Nothing broke, so far") and clauses.BECAUSE.search("Nothing broke, so far") is None


def test_the_summarizer_and_the_brief_read_reasons_and_rules_alike() -> None:
    # Before one module owned them, the summarizer knew fewer rule and reason words than the brief: a user's
    # rule with "have to" or in Spanish was a rule in the brief and no choice in the summary.
    for said in ("You have to keep legacy/ frozen, because the auditors sign its checksums",
                 "Nunca edites legacy/ porque los auditores firman sus checksums"):
        assert brief_lines.states_rule(said) and brief_lines.gives_reason(said)
        assert statements.is_choice(said, by_user=True)
        note = statements.decision_note(said, (), by_user=True)
        assert note.rationale and note.rationale in said and "legacy/" in note.files
    assert not statements.is_choice("The auditors sign the checksums of legacy/ every quarter", by_user=True)
