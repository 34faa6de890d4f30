#!/usr/bin/env bash
# Install Debian's chromium for the browser tests of `gitmem view` (tests/test_view.py, driven headless over the
# DevTools protocol through a pipe: no chromium-driver, no selenium). Run by `make test`; quick when installed.
#
#   GITMEM_BROWSER=skip          prints why and exits 0: the browser tests skip themselves with the same reason
#   chromium already on PATH     does nothing
#   no apt-get, or not root      prints why and exits 0: the browser tests skip (install chromium by hand to run them)
#   an install that fails        exits non-zero: where apt and root exist the browser tests must run
set -euo pipefail

if [ "${GITMEM_BROWSER:-}" = "skip" ]; then
    echo "chromium: GITMEM_BROWSER=skip: not installing; the browser tests will be skipped" >&2
    exit 0
fi
for name in chromium chromium-browser google-chrome; do
    if command -v "$name" >/dev/null 2>&1; then
        exit 0
    fi
done
if ! command -v apt-get >/dev/null 2>&1; then
    echo "chromium: apt-get not found: not installing; the browser tests will be skipped" >&2
    exit 0
fi
if [ "$(id -u)" != "0" ]; then
    echo "chromium: not root, cannot apt-get install chromium; the browser tests will be skipped" >&2
    exit 0
fi
echo "chromium: installing Debian's chromium with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends chromium >&2 || { apt-get update >&2 && apt-get install -y --no-install-recommends chromium >&2; }
chromium --version >&2
