# klynge-pipeline: `make run` (one full refresh) and `make test` do all set-up themselves.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DBT_MANIFEST := dbt_project/target/manifest.json
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
HOST ?= 127.0.0.1
PORT ?= 3000

.PHONY: install run test test-fast reliability lint dev validate lock demo-snapshot record-snapshot clean programme-sample programme-docs bench acknowledge-shrink pin-release

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev]'
	@touch $@

# dbt's manifest is what Dagster reads to build the asset graph: re-parse when dbt files change.
# The programme's constants reach dbt as --vars (pipelines/config/programme.yaml and each
# generation's pipelines/config/generations/<id>.yaml).
DBT_SOURCES := $(shell find dbt_project -path dbt_project/target -prune -o \( -name '*.sql' -o -name '*.yml' -o -name '*.csv' -o -name '*.md' \) -print)
$(DBT_MANIFEST): $(STAMP) $(DBT_SOURCES) pipelines/config/programme.yaml $(wildcard pipelines/config/generations/*.yaml)
	cd dbt_project && ../$(BIN)/dbt parse --profiles-dir . --project-dir . \
		--quiet --vars "$$(../$(BIN)/python -m pipelines.constants)"
	@touch $@

install: $(STAMP) $(DBT_MANIFEST)

# Dagster's instance settings (run queue of one, no telemetry), copied from
# pipelines/config/dagster.yaml; never overwrites an operator's own file. `make run` needs no
# rule: the refresh command installs them itself.
$(DAGSTER_HOME)/dagster.yaml: $(STAMP)
	$(BIN)/python -c 'from pipelines.cli.command import install_instance_settings as i; i()'

run: install
	$(BIN)/python -m pipelines.cli refresh

# Everything: ruff and every test (slow ones too). Rewrites no tracked file.
test: lint
	$(BIN)/python -m pytest

# The edit-test loop: ruff and the tests not marked `slow` (no refresh, dbt, gate or browser).
test-fast: lint
	$(BIN)/python -m pytest -m "not slow"

# The fault suite (tests marked `fault`); when every fault test passes it rewrites
# docs/reliability.md with what each one observed. Commit the document with the change.
reliability: install
	KLYNGE_WRITE_RELIABILITY=1 $(BIN)/python -m pytest -m fault

# ruff's rules and its formatter (`ruff format pipelines tests bench` fixes the layout).
lint: install
	$(BIN)/ruff check pipelines tests bench
	$(BIN)/ruff format --check pipelines tests bench

dev: install $(DAGSTER_HOME)/dagster.yaml
	@echo "Dagster UI: http://$(HOST):$(PORT)  (DAGSTER_HOME=$(DAGSTER_HOME))"
	$(BIN)/dagster dev -w workspace.yaml -h $(HOST) -p $(PORT)

validate: install
	$(BIN)/dagster definitions validate -w workspace.yaml

# Re-resolve the pinned dependency set (needs the package registry).
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	.lock-venv/bin/python -m pip freeze --exclude-editable | grep -v '^klynge-pipeline' > requirements.lock
	rm -rf .lock-venv

demo-snapshot: install
	$(BIN)/python -m pipelines.synthetic.dst_snapshot

record-snapshot: install
	$(BIN)/python -m pipelines.dst.record_snapshot

clean:
	rm -rf $(VENV) .dagster_home dbt_project/target data/warehouse.duckdb*

# Keep a cited release forever: never pruned by KLYNGE_KEEP_RELEASES; listed in
# data/published/pinned.json (python -m pipelines.publish.pins unpin|list for the rest).
pin-release: install
	@test -n "$(ID)" || { echo "usage: make pin-release ID=<release id or version>" >&2; exit 2; }
	$(BIN)/python -m pipelines.publish.pins pin "$(ID)"

# Regenerate the synthetic programme sample and the inbound contract documentation/templates.
programme-sample: install
	$(BIN)/python -m pipelines.synthetic.programme_sample

programme-docs: install
	$(BIN)/python -m pipelines.programme.docs

# A held load (it would shrink a table by more than KLYNGE_MAX_SHRINK_SHARE): accept exactly
# the files now in the inbound folder; the next refresh loads them.
acknowledge-shrink: install
	$(BIN)/python -m pipelines.programme.shrink $(if $(GENERATION),--generation $(GENERATION))

# Benchmarks (not part of `make test`): prints a table and writes bench/results.json.
bench: install
	$(BIN)/python -m bench.run
