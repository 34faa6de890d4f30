#!/bin/sh
# gitmem pre-push hook: written by `gitmem init`; `gitmem init` rewrites it, so edit
# the chained hook instead. What it does, in order:
# 1. Runs the pre-push hook that was here before gitmem (pre-push.gitmem-chained, next
#    to this file) with the same arguments and stdin. Its exit code still decides:
#    non-zero blocks the push, exactly as before, and no memory sync starts.
# 2. Starts a detached `python -m gitmem.workers after-push <remote>` and exits 0 at once.
#    That job does nothing unless <remote> is a remote enabled for memory (`gitmem remote
#    add`; never a URL), pushes are not held (`gitmem sync --hold`) and the remote has not
#    refused memory before. Then it waits for this push to finish, fetches, merges and
#    pushes refs/notes/gitmem to the same remote (no force, bounded retries). It never
#    blocks or fails the push; it logs to <git dir>/gitmem/sync.log and last-sync.json.
#    GITMEM_SYNC (set while gitmem itself pushes) or GITMEM_DISABLE skips it.
chained="$(dirname -- "$0")/pre-push.gitmem-chained"
if [ -x "$chained" ]; then
    "$chained" "$@" || exit $?
else
    cat >/dev/null
fi
@SYNC_LINE@
exit 0
