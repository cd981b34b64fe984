# Two commands for a fresh machine (README): `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
DB     ?= sqlite
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432
# test processes (pytest-xdist): 2 suits the 2-core machines we run on (README, Tests);
# JOBS=0 runs the suite in one process
JOBS   ?= 2
XDIST   = -n $(JOBS) --dist loadgroup

.PHONY: install demo serve test test-fast test-all lint bench clean

# the application alone (make demo: what a school's PC needs) ...
$(VENV)/.app: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

# ... and with the test tools (make test, CI)
$(VENV)/.installed: $(VENV)/.app
	$(PY) -m pip install -q -e ".[test]"
	touch $@

install: $(VENV)/.installed

## make demo: install the application (no test tools), load the Oryol demo region (once),
## print the accounts, serve on :5000 (PORT=5001 make demo for another port)
demo: $(VENV)/.app
	$(VENV)/bin/leanschool demo
	$(VENV)/bin/leanschool serve --host $${HOST:-127.0.0.1} --port $${PORT:-5000}

## make test: install, then the whole suite (DB=postgresql for PostgreSQL), in $(JOBS) processes
test: install
	bash scripts/ensure-chromium.sh
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" LEANSCHOOL_TEST_DB=$(DB) LEANSCHOOL_TEST_PG=$(PG_URL) $(PY) -m pytest $(XDIST)

## make test-fast: the inner loop, without the slow and the browser tests (make test runs them all)
test-fast: install
	LEANSCHOOL_TEST_DB=$(DB) LEANSCHOOL_TEST_PG=$(PG_URL) $(PY) -m pytest $(XDIST) -m "not slow and not e2e"

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

## make bench: every benchmark in bench/ (prints figures; builds its own databases; ~10 min)
bench: install
	$(PY) bench/api_bench.py
	$(PY) bench/web_bench.py
	$(PY) bench/tower_queries_bench.py
	$(PY) bench/tower_page_bench.py
	$(PY) bench/stall_scan_bench.py
	$(PY) bench/programme_bench.py
	$(PY) bench/board_bench.py

clean:
	rm -rf $(VENV) instance .pytest_cache
