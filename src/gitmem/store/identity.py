"""Who "I" am for memory: the local user, and the one test of whether a record is mine.

The local user is the author git would record for a commit made here now (``git var GIT_AUTHOR_IDENT``),
resolved the way git resolves it: ``GIT_AUTHOR_NAME``/``GIT_AUTHOR_EMAIL``, then ``author.name``/``author.email``,
then ``user.name``/``user.email``, then ``EMAIL`` and git's guess from the host. That is the author every session,
decision and memory commit written here carries (``recorded_author``), so "mine" means "written here, as me".

A record is mine when ``fence.author_key`` of its ``author`` field (the email in lower case, else the whole
identity) equals the local user's key (``local_user``); ``is_mine`` is that comparison. ``fence.author_key``
stays in ``fence``, which may not import this package, because prompt-time recall compares the same key inside
the hook, with the key ``inject`` writes to ``recall.conf`` from ``local_user``.

Where the places that answered "mine?" disagreed, and what holds now:
- ``ancestry.Checkout`` read ``user.email`` first: with ``GIT_AUTHOR_EMAIL`` or ``author.email`` naming another
  address, the sessions written here were one's own to the brief's labels ("session", not "teammate's session")
  but a teammate's work to its sections (listed under "Teammates' recent work", not "Recent sessions on this
  branch"). Now every place follows git's order: what is written as me is mine.
- With no identity at all (git refuses to guess, e.g. ``user.useConfigOnly`` without ``user.email``), gitmem
  records ``git.repo.PLACEHOLDER_IDENT``. The brief counted placeholder records as the user's own, while the merge
  guard and the check of fetched sessions knew no local user. The placeholder names nobody (every clone without
  an identity writes it), so now there is no local user: no record is mine, the brief labels every session a
  teammate's (unreviewed), and the merge guard protects no folder by authorship. ``gitmem init`` and
  ``gitmem status`` say how to set an identity.
- A record's ``author`` is read one way: ``fence.author_key`` (the first ``<...>``), where ``ancestry`` took the
  text after the last ``<`` and ignored an author with no closing ``>``.
"""

from __future__ import annotations

from gitmem import fence
from gitmem.git import Repo
from gitmem.git.repo import PLACEHOLDER_IDENT


def recorded_author(repo: Repo) -> str:
    """``Name <email>`` as git would record the author of a commit here now; gitmem's placeholder when git has no
    identity (what sessions and decisions written here carry as their ``author``)."""
    ident = repo.ident("AUTHOR")
    return ident.rsplit(" ", 2)[0] if ident.count(" ") >= 2 else ident


def local_user(repo: Repo) -> str:
    """The local user's key (``fence.author_key`` of ``recorded_author``); "" when git has no identity here."""
    author = recorded_author(repo)
    return "" if author == PLACEHOLDER_IDENT else fence.author_key(author)


def is_mine(author: str, me: str) -> bool:
    """Whether a record whose ``author`` field is ``author`` was written by the local user ``me`` (``local_user``);
    never when there is no local user."""
    return bool(me) and fence.author_key(author) == me
