# The two commands a fresh machine needs (only Python >= 3.10 and git):
#   make demo   creates .venv if needed, installs gitmem from the lock and runs its demo
#   make test   the same set-up with the test dependencies, then mypy and the whole suite
#
# Every dependency comes from a checked-in lock with hashes (requirements/*.lock), so an upstream
# release cannot change what a fresh clone installs. The locked wheels are downloaded once into
# .cache/wheels and installed from there with --no-index; the build backend is locked too and gitmem
# is installed without build isolation, so nothing unpinned is fetched. `make lock` refreshes the locks;
# `make test-latest` runs the suite against the newest versions pyproject.toml allows.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
WHEELS := .cache/wheels
PIP    := $(BIN)/python -m pip --disable-pip-version-check

.PHONY: demo test lock test-latest bench clean claude-code codex copilot gemini-cli chromium view-shot

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# $(1): the lock file. pip itself from its lock (a venv's bundled pip may be old: pip < 24.3 writes console
# scripts that import `re`, a third of a start for `gitmem hook`); then download (hash-checked) into the
# wheelhouse, install from it alone, then gitmem.
define install-locked
	$(PIP) install --quiet --require-hashes -r requirements/pip.lock
	$(PIP) download --quiet --no-deps --require-hashes --prefer-binary -r $(1) -d $(WHEELS)
	$(PIP) install --quiet --no-index --find-links $(WHEELS) --require-hashes -r $(1)
	$(PIP) install --quiet --no-index --no-deps --no-build-isolation -e .
endef

$(VENV)/.installed: requirements/demo.lock requirements/pip.lock pyproject.toml | $(BIN)/python
	$(call install-locked,requirements/demo.lock)
	touch $@

$(VENV)/.installed-test: requirements/test.lock requirements/pip.lock pyproject.toml | $(BIN)/python
	$(call install-locked,requirements/test.lock)
	touch $(VENV)/.installed $@

# The demo ends by writing its memory page (`gitmem view`) to .cache/demo/memory.html and printing that path.
demo: $(VENV)/.installed
	$(BIN)/python -m gitmem.app.demo --page .cache/demo/memory.html

# The pinned Claude Code CLI for tests/test_e2e_claude.py, in .cache/claude-code/ (quick when installed).
# Without node and npm it prints why and the end-to-end tests skip; GITMEM_E2E=skip turns them off.
claude-code:
	bash scripts/install-claude-code.sh

# The pinned Codex CLI for tests/test_e2e_codex.py, in .cache/codex/ (quick when installed); the same skip rules.
codex:
	bash scripts/install-codex.sh

# The pinned GitHub Copilot CLI for tests/test_e2e_copilot.py, in .cache/copilot/ (quick when installed); the same
# skip rules (scripts/install-npm-cli.sh, which installs any pinned npm CLI).
copilot:
	bash scripts/install-copilot.sh

# The pinned Gemini CLI for tests/test_e2e_gemini.py, in .cache/gemini-cli/ (quick when installed); the same skip rules.
gemini-cli:
	bash scripts/install-gemini-cli.sh

# Debian's chromium for the browser tests of `gitmem view` (tests/test_view.py), where apt and root are available;
# elsewhere it prints why and those tests skip; GITMEM_BROWSER=skip turns them off.
chromium:
	bash scripts/install-chromium.sh

# A PNG of the demo's memory page for the README (headless chromium --screenshot).
view-shot: $(VENV)/.installed chromium
	$(BIN)/python -m gitmem.app.demo --page .cache/demo/memory.html > /dev/null
	$(BIN)/python scripts/view_shot.py .cache/demo/memory.html docs/view.png

# mypy first (its settings are in pyproject.toml): a type error fails in seconds, before the suite's minutes.
test: $(VENV)/.installed-test claude-code codex copilot gemini-cli chromium
	$(BIN)/python -m mypy
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Re-resolve requirements/*.lock from pyproject.toml and requirements/build.in (needs the network).
lock:
	PYTHON=$(PYTHON) bash scripts/lock.sh

# The whole suite against the newest allowed releases, in a throw-away venv (needs the network).
test-latest:
	PYTHON=$(PYTHON) bash scripts/check-latest.sh $(PYTEST_ARGS)

bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/bench_store.py

clean:
	rm -rf $(VENV) .pytest_cache build dist .cache
