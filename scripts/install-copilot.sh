#!/usr/bin/env bash
# Install the pinned GitHub Copilot CLI into .cache/copilot/ for its end-to-end test (tests/test_e2e_copilot.py)
# and payload recorder (tests/data/copilot/record.py). Run by `make test`; the skip rules are
# scripts/install-npm-cli.sh's.
#
# The npm package is a node loader (npm-loader.js); the client comes as an optional dependency per platform
# (@github/copilot-linux-x64 ...), a native binary that unpacks its JavaScript on first run into
# $COPILOT_PKG_CACHE_HOME/pkg (else ~/.cache/copilot/pkg, 235 MB): kept in .cache/copilot/pkg-home here, where
# the tests point it too.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export COPILOT_PKG_CACHE_HOME="${COPILOT_PKG_CACHE_HOME:-$ROOT/.cache/copilot/pkg-home}" COPILOT_AUTO_UPDATE=false
exec bash "$ROOT/scripts/install-npm-cli.sh" copilot @github/copilot "${COPILOT_VERSION:-1.0.102}" copilot
