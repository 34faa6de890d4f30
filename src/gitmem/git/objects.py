"""Objects and trees by name: reading blobs and listings, writing trees and commits (cat-file, ls-tree, mktree, commit-tree, hash-object)."""

from __future__ import annotations
