# outreach — the two commands of the README are `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# The footer credit of the demo's data (see DATA_CREDIT in the README).
KANAZAWA_CREDIT := 会場データ: 金沢市オープンデータ（CC BY 4.0）／地図: 地理院タイル

.PHONY: setup demo serve test test-hours test-postgres lint format messages vendor bench clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

## Create .venv from the lock file and install the `outreach` command.
setup: $(STAMP)

## Set up, load the Kanazawa demo data on SQLite, print the staff logins and serve http://127.0.0.1:8000
demo: setup
	$(BIN)/outreach demo
	DATA_CREDIT='$(KANAZAWA_CREDIT)' COUNTER_STATS_FILE=data/kanazawa/window_stats_2024.csv \
		PLAN_ADDRESSEE='金沢市長 宛' CONTRACTOR_NAME='マイナンバーカード出張申請受付業務 受託者' \
		$(BIN)/outreach serve --host $(HOST) --port $(PORT)

serve: setup
	$(BIN)/outreach serve --host $(HOST) --port $(PORT)

## Set up and run the whole test suite (SQLite; set TEST_DATABASE_URL to run it on PostgreSQL).
test: setup
	scripts/check-system-deps.sh
	timeout 3000 $(BIN)/python -m pytest $(PYTEST_ARGS)

## Run the suite at 23:30 and at 00:30 in Japan (libfaketime): nothing may depend on the hour (not in CI).
test-hours: setup
	scripts/check-system-deps.sh
	PYTHON=$(BIN)/python scripts/test-hours.sh $(PYTEST_ARGS)

test-postgres:
	$(MAKE) test TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql://postgres:postgres@127.0.0.1:5432/postgres}

## Lint, check the formatting and the types (ruff and mypy, configured in pyproject.toml); CI fails on any finding.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## Fix what ruff can fix and format the tree.
format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Extract translatable messages and merge them into the catalogs.
messages: setup
	scripts/update-messages.sh

## Refresh static/vendor from the npm registry (package-lock.json).
vendor:
	scripts/vendor-assets.sh

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
