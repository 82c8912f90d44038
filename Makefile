# Ticker Pulse — every target creates .venv and installs the pinned lock first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
WORK := $(CURDIR)/.work
export TICKERPULSE_HOME ?= $(WORK)
export AIRFLOW_HOME ?= $(WORK)/airflow
export AIRFLOW__CORE__DAGS_FOLDER := $(CURDIR)/dags
export AIRFLOW__CORE__PLUGINS_FOLDER := $(CURDIR)/plugins
export AIRFLOW__CORE__LOAD_EXAMPLES := False
export AIRFLOW__CORE__PARALLELISM ?= 4
export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION ?= True
export YF_DISABLE_CURL_CFFI := 1

.PHONY: help install demo test test-fast lint typecheck lock check-lock airflow sample clean extraction-report benchmarks soak bench-llm bench-scale collect bench-coverage

help:
	@echo "make demo      run the reddit_sentiment DAG over 16 intervals of the sample, print a summary"
	@echo "make test      run the test suite (what CI runs)"
	@echo "make test-fast the suite without the tests marked slow: the inner loop (a few minutes)"
	@echo "make airflow   start Airflow standalone on http://127.0.0.1:8080 with the DAGs loaded"
	@echo "make lint      ruff + mypy"
	@echo "make lock      recompile requirements.lock from pyproject.toml"
	@echo "make extraction-report  ticker and options-intent precision/recall on hand-labelled real texts"
	@echo "make benchmarks         the quick benchmarks (Grafana and price-fetch ones: see README)"
	@echo "make bench-llm          LLM scoring on real WSB data: calls, fill, tokens/min, faults (~3 min)"
	@echo "make bench-scale        one hot interval (10k/50k/208k posts) through the DAG: time, RSS, XCom"
	@echo "make soak               48 intervals with 10% random faults vs a fault-free run, table by table"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv

# --compile-bytecode: every task, worker and test process imports Airflow, pandas and GX; with
# no .pyc files (PYTHONDONTWRITEBYTECODE=1 is common in containers and CI) each import compiles
# them again, measured here at 31 s against 8 s for `import airflow.sdk, pandas, pyarrow`.
$(VENV)/.installed: $(BIN)/python requirements.lock pyproject.toml
	$(BIN)/uv pip sync --python $(BIN)/python --quiet --compile-bytecode requirements.lock
	$(BIN)/uv pip install --python $(BIN)/python --quiet --no-deps -e .
	touch $@

install: $(VENV)/.installed

check-lock: install
	$(BIN)/python -m tools.lockcheck

lock: $(BIN)/python
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --quiet -o requirements.lock
	$(BIN)/python -m tools.lockcheck --write

$(AIRFLOW_HOME)/airflow.db: $(VENV)/.installed
	mkdir -p $(AIRFLOW_HOME)
	$(BIN)/airflow db migrate > $(AIRFLOW_HOME)/db-migrate.log 2>&1 || (cat $(AIRFLOW_HOME)/db-migrate.log; exit 1)

demo: install $(AIRFLOW_HOME)/airflow.db
	AIRFLOW__LOGGING__LOGGING_LEVEL=$${DEMO_LOG_LEVEL:-WARNING} $(BIN)/python -m tickerpulse.demo

test: install check-lock lint
	$(BIN)/python -m pytest -q

# The inner loop: every test not marked `slow` (full DAG runs, Airflow servers, killed processes,
# big property runs), no lint or lock check. `make test` still runs everything, and is what CI runs.
test-fast: install
	$(BIN)/python -m pytest -q -m "not slow"

lint: install
	$(BIN)/ruff check include dags plugins tests benchmarks tools
	$(BIN)/mypy

typecheck: install
	$(BIN)/mypy

airflow: install $(AIRFLOW_HOME)/airflow.db
	$(BIN)/airflow pools set llm 4 "concurrent LLM scoring tasks"
	PATH="$(CURDIR)/$(BIN):$$PATH" AIRFLOW__API__HOST=127.0.0.1 AIRFLOW__API__PORT=8080 $(BIN)/airflow standalone

extraction-report: install
	$(BIN)/python benchmarks/bench_extraction.py
	$(BIN)/python benchmarks/bench_options_intent.py

benchmarks: install
	$(BIN)/python benchmarks/bench_cli_score.py
	$(BIN)/python benchmarks/bench_offline_scorer.py
	cd benchmarks && ../$(BIN)/python bench_batching.py
	$(BIN)/python benchmarks/bench_extraction.py
	$(BIN)/python benchmarks/bench_load_rate.py

soak: install
	$(BIN)/python -m tests.soak --intervals 48 --fault-rate 0.1 --seed 1 --parallel

bench-llm: install
	$(BIN)/python benchmarks/bench_llm_scoring.py

bench-scale: install
	$(BIN)/python benchmarks/bench_scale.py $(SIZES)

# The Reddit collector (docs/COVERAGE.md): needs TICKERPULSE_REDDIT_SOURCE=praw and the
# reddit_default connection (AIRFLOW_CONN_REDDIT_DEFAULT); stops on Ctrl-C after the current poll.
collect: install
	$(BIN)/tickerpulse collect

bench-coverage: install
	$(BIN)/python benchmarks/bench_coverage.py

sample: install
	$(BIN)/python -m tools.generate_sample include/tickerpulse/data/sample

clean:
	rm -rf $(WORK)
