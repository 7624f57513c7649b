# clinsearch: the two set-up commands on a fresh machine are `make demo` and `make test`.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DATA   ?= clinsearch-data
# Debian packages the tests need (the browser of the end-to-end tests; R's pROC, the reference
# the DeLong intervals are checked against), and the benchmarks.
# PostgreSQL: the store tests run a second time on a throw-away server (tests/postgres.py).
DEBIAN_PACKAGES ?= chromium r-cran-proc postgresql
BENCH_DEBIAN_PACKAGES ?= postgresql
# The suites that touch the warehouse, run again with every warehouse on a throw-away PostgreSQL
# server (the NLP's own tests, the architecture and docs checks do not touch it).
POSTGRES_TESTS = tests/warehouse tests/ingest tests/cohort tests/search tests/scores tests/evaluate tests/services \
	tests/security tests/api tests/terminology tests/demo tests/model tests/similar tests/test_cli.py tests/nlp/test_run.py tests/nlp/test_spark.py

.PHONY: install system-deps test demo docs bench clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found (clinsearch needs Python 3.11+); set PYTHON=..."; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

system-deps:
	@if [ -n "$(DEBIAN_PACKAGES)" ]; then \
	  missing=""; for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	  if [ -n "$$missing" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi; \
	fi

# The whole suite, then the NLP tests again with the speed-ups of EDS-NLP's internals switched off
# (src/clinsearch/nlp/speedups/): the NLP must give the same answers both ways; then the store
# tests again with the warehouse on a throw-away PostgreSQL server (tests/conftest.py).
# Left out of the second pass, for CI's time (about 3 minutes there): the one-megabyte note (the
# cutting of a long note is clinsearch's own, the same both ways; EDS-NLP's pipes take 2 minutes
# on it without the speed-ups) and Spark's run (it compares Spark with the local run, both
# without the speed-ups: nothing the first pass does not compare).
NLP_SLOW_WITHOUT_SPEEDUPS = --deselect tests/nlp/test_entities.py::test_a_one_megabyte_note_is_annotated \
	--deselect tests/nlp/test_spark.py::test_spark_local_mode_writes_the_same_note_nlp_as_the_local_run
test: system-deps install
	$(BIN)/python -m pytest
	CLINSEARCH_NLP_SPEEDUPS=off $(BIN)/python -m pytest tests/nlp $(NLP_SLOW_WITHOUT_SPEEDUPS)
	CLINSEARCH_TEST_WAREHOUSE=postgresql $(BIN)/python -m pytest $(POSTGRES_TESTS)

demo: install
	$(BIN)/clinsearch --data $(DATA) demo

# Regenerate docs/cli.md from the CLI's own --help (tests/test_docs.py checks it is current).
docs: install
	$(BIN)/python -m tests.test_docs

bench: install
	$(MAKE) system-deps DEBIAN_PACKAGES="$(BENCH_DEBIAN_PACKAGES)"
	$(BIN)/python benchmarks/ingest.py 100000
	$(BIN)/python benchmarks/search_speed.py --notes 100000
	$(BIN)/python benchmarks/cohort_speed.py --notes 100000 --measurements 1000000
	$(BIN)/python benchmarks/scale.py --notes 1000000
	$(BIN)/python benchmarks/api_load.py --during-ingest 2000 --backend both --workers 2

clean:
	rm -rf $(VENV) $(DATA) .pytest_cache
