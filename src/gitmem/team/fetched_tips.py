"""The tips of teammates' fetched memory, and whether they moved since the last merge, told from files alone.

``fetched.merge_fetched_memory`` keeps the tracking refs' tips it merged last in ``<state>/fetched-tips``;
``moved_since_merge`` compares them with the ref files without a git process (``ref_files``), so a reader that
runs often (``gitmem search``) pays no ``for-each-ref`` when nothing was fetched. Standard library only.
"""

from __future__ import annotations

import os
from typing import Mapping

from gitmem import ref_files

TRACKING_PREFIX = "refs/gitmem/remotes/"
FETCHED_TIPS_FILE = "fetched-tips"


def tips_text(refs: Mapping[str, str]) -> str:
    """The tips as ``fetched-tips`` records them: one ``<ref> <id>`` line per tracking ref, by name."""
    return "".join(f"{ref} {oid}\n" for ref, oid in refs.items())


def moved_since_merge(common: str, state: str) -> bool | None:
    """False when no tracking ref exists or every one is where the last merge left it; True when one moved;
    None when the files cannot tell (then ask git: ``fetched.merge_fetched_memory``)."""
    refs = ref_files.refs_under(common, TRACKING_PREFIX)
    if refs is None:
        return None
    tips = tips_text(refs)
    if not tips:
        return False
    try:
        with open(os.path.join(state, FETCHED_TIPS_FILE), encoding="utf-8") as fh:
            return fh.read() != tips
    except OSError:
        return True
