# thidua — the two commands of the README: `make demo` and `make test`.
# Everything is installed into .venv from uv.lock (uv itself is bootstrapped
# into .tools from PyPI when it is not on the PATH).

PYTHON ?= python3
UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
VENV := .venv
BIN := $(VENV)/bin
ROWS ?= 720000
REPEAT ?= 2
YEARS ?= 2021-2023
ENTERPRISES ?=

.PHONY: install demo test test-fast bench bench-small suites clean

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(BIN)/thidua: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(PYTHON) --quiet --compile-bytecode
	@touch $@

install: $(BIN)/thidua

demo: install
	$(BIN)/thidua demo --out landing
	$(BIN)/thidua run --landing landing --warehouse sqlite:///warehouse.db

test: install
	$(BIN)/python -m pytest -q -n 2

test-fast: install
	$(BIN)/python -m pytest -q -n 2 -m "not e2e"

bench: install
	$(BIN)/python bench/run.py --rows $(ROWS) --repeat $(REPEAT) --years $(YEARS) $(if $(ENTERPRISES),--enterprises $(ENTERPRISES))

bench-small: install
	$(BIN)/python bench/run.py --rows 100000 --enterprises 3000 --to-sql-rows 4000

suites: install
	$(BIN)/python -m tasks.suites

clean:
	rm -rf landing warehouse.db warehouse.db-wal warehouse.db-shm export bench/out
