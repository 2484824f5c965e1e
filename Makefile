# Verval Ponsel. `make run` and `make test` work on a fresh clone with Python >= 3.11 and git.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: install run test check bench clean messages

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

# Migrates the embedded SQLite database, loads the demo once, then serves the web app and a task
# worker per queue (decision 0071) from one terminal (Ctrl-C stops all three).
run: install
	$(BIN)/verval migrate --noinput
	$(BIN)/verval demo --if-empty --port $(PORT)
	$(BIN)/verval serve --port $(PORT)

# Three pytest-xdist workers, each test file on one of them (decision 0111): the suite waits on
# browsers, servers and subprocesses much of the time, so three overlap well on two cores.
# `make test PYTEST_WORKERS=` runs it in one process; PYTEST_ARGS still picks tests and options.
# --no-loadscope-reorder: the files go out in the order tests/conftest.py gives them, the browser
# and bench files first (xdist's own order, most tests first, put the long bench files last; 0129).
PYTEST_WORKERS ?= -n 3 --dist loadfile --no-loadscope-reorder

test: install
	$(BIN)/python -m pytest $(PYTEST_WORKERS) $(PYTEST_ARGS)

check: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src/verval src/verval_provider

bench: install
	$(BIN)/python bench/run_all.py $(BENCH_ARGS)

messages: install
	cd src/verval && VERVAL_VAR_DIR=../../var ../../$(BIN)/verval compilemessages

clean:
	rm -rf var/ .pytest_cache
