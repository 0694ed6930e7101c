# Two commands for a newcomer: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
CONFIG := config/newsd.example.toml
DB     ?= newsd.db

.PHONY: run test typecheck install install-dev clean docs

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Marker files record which install ran, so repeat runs are instant.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## make run: set up, then run the daemon in the foreground on the example config (Ctrl-C stops it)
run: install
	$(BIN)/newsd -v --config $(CONFIG) --db $(DB) run

## make test: set up with the dev extras, run the test suite and the type check
test: install-dev
	$(BIN)/python -m pytest
	$(MAKE) --no-print-directory typecheck

# mypy cannot follow setuptools' package-dir mapping (newsd.daemon lives in
# daemon/), so it checks a tree of links laid out the way the package imports.
TYPECHECK_TREE := build/typecheck
typecheck: install-dev
	mkdir -p $(TYPECHECK_TREE)/newsd
	ln -sfn $(CURDIR)/daemon $(TYPECHECK_TREE)/newsd/daemon
	ln -sfn $(CURDIR)/config $(TYPECHECK_TREE)/newsd/config
	ln -sfn $(CURDIR)/storage $(TYPECHECK_TREE)/newsd/storage
	cd $(TYPECHECK_TREE) && $(CURDIR)/$(BIN)/mypy --config-file $(CURDIR)/pyproject.toml newsd

clean:
	rm -rf $(VENV) build *.egg-info $(DB) $(DB)-wal $(DB)-shm $(DB).lock

## make docs: regenerate the CLI reference from --help
docs: install
	$(BIN)/python -m newsd.daemon.clidoc > docs/cli.md
