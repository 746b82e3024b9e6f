# make run   set everything up and start the engine, its console and the demo switch
# make test  set everything up and run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test install install-test system-deps system-deps-test bench

system-deps:
	bash scripts/system-deps.sh

system-deps-test:
	bash scripts/system-deps.sh --test

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: system-deps $(BIN)/activate
	$(BIN)/pip install -q -e '.[postgres]'

install-test: system-deps-test $(BIN)/activate
	$(BIN)/pip install -q -e '.[postgres,test]'

run: install
	$(BIN)/callcenter db upgrade
	$(BIN)/callcenter db seed-demo
	$(BIN)/callcenter demo

test: install-test
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

bench: install
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b; done
