"""gitmem.compress.claude_cli: reading the JSON object out of a reply."""

from __future__ import annotations

import pytest

from gitmem.compress.claude_cli import json_in
from gitmem.errors import SummarizeError


def test_json_in_reads_the_object_around_prose() -> None:
    assert json_in('Here it is: {"title": "x", "n": 2} done') == {"title": "x", "n": 2}


def test_json_in_huge_integer_is_a_summarize_error() -> None:
    # json.loads raises a plain ValueError (no .msg) for an integer past Python's digit limit; reading
    # exc.msg made that an AttributeError instead of the SummarizeError the worker handles (found by mypy).
    reply = 'The answer: {"title": "x", "n": ' + "9" * 5000 + "} end"
    with pytest.raises(SummarizeError, match="JSON is invalid"):
        json_in(reply)
