#!/usr/bin/env bash
# Install the pinned GitHub Copilot CLI into .cache/copilot/ for its end-to-end test (tests/test_e2e_copilot.py)
# and payload recorder (tests/data/copilot/record.py). Run by `make test`; the skip rules are
# scripts/install-npm-cli.sh's.
#
# The npm package is a node loader (npm-loader.js); the client itself comes as an optional dependency per
# platform (@github/copilot-linux-x64 and friends).
set -euo pipefail
exec bash "$(dirname "$0")/install-npm-cli.sh" copilot @github/copilot "${COPILOT_VERSION:-1.0.102}" copilot
