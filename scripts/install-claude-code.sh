#!/usr/bin/env bash
# Install the pinned Claude Code CLI into .cache/claude-code/ for the end-to-end tests
# (tests/test_e2e_claude.py). Run by `make test`; the skip rules, the stamp file and the version check are
# scripts/install-npm-cli.sh's (CLAUDE_CODE_PREFIX still names another folder).
#
# The npm package ships the native binary as a platform package from the registry; its postinstall
# copies it over bin/claude.exe. Where npm did not run that script, it is run here. `claude --version`
# prints "<version> (Claude Code)": the version must be its first word.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VERSION="${CLAUDE_CODE_VERSION:-2.1.328}"
export NPM_CLI_PREFIX="${CLAUDE_CODE_PREFIX:-$ROOT/.cache/claude-code}"
export NPM_CLI_VERSION_GLOB="$VERSION *" NPM_CLI_POSTINSTALL="node install.cjs"
exec bash "$ROOT/scripts/install-npm-cli.sh" claude-code @anthropic-ai/claude-code "$VERSION" claude
