# The two commands a fresh machine needs (only Python >= 3.10 and git):
#   make demo   creates .venv if needed, installs gitmem and runs its demo
#   make test   the same set-up with the test extras, then the whole suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test bench clean claude-code

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(VENV)/.installed $@

demo: $(VENV)/.installed
	$(BIN)/python -m gitmem.demo

# The pinned Claude Code CLI for tests/test_e2e_claude.py, in .cache/claude-code/ (quick when installed).
# Without node and npm it prints why and the end-to-end tests skip; GITMEM_E2E=skip turns them off.
claude-code:
	bash scripts/install-claude-code.sh

test: $(VENV)/.installed-test claude-code
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/bench_store.py

clean:
	rm -rf $(VENV) .pytest_cache build dist .cache
