# returnbot — `make run` to try it, `make test` to check it.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CATALOGS := $(wildcard locales/*/LC_MESSAGES/returnbot.po)
COMPILED := $(CATALOGS:.po=.mo)

.PHONY: run test bench lint format locales bytecode extract clean

$(BIN)/returnbot: pyproject.toml
	@echo "Setting up $(VENV) (first run only)…"
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install --quiet --upgrade pip
	@$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

locales/%/LC_MESSAGES/returnbot.mo: locales/%/LC_MESSAGES/returnbot.po $(BIN)/returnbot
	@$(BIN)/pybabel -q compile -D returnbot -d locales -l $*

## compile the gettext catalogs (.po → .mo)
locales: $(COMPILED)

## byte-compile the sources (only what changed): every `returnbot` process starts faster,
## also where PYTHONDONTWRITEBYTECODE keeps Python from writing __pycache__ itself
bytecode: $(BIN)/returnbot
	@$(BIN)/python -m compileall -q bot db handlers bench

## run the bot: Telegram when TELEGRAM_BOT_TOKEN is set (env or .env), else the terminal chat
run: $(BIN)/returnbot locales bytecode
	@if [ -n "$$TELEGRAM_BOT_TOKEN" ] || grep -qs '^TELEGRAM_BOT_TOKEN=.\+' .env; then \
		$(BIN)/returnbot run; \
	else \
		$(BIN)/returnbot chat; \
	fi

## the whole suite (SQLite always; PostgreSQL when reachable, required with REQUIRE_POSTGRES=1)
test: $(BIN)/returnbot locales bytecode
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache --no-logo  # the import contract (pyproject.toml)
	$(BIN)/pytest -q -n 2  # two workers (pytest-xdist): tests mostly wait on I/O

## the benchmarks, full size (slow; not part of `make test`): see docs/benchmarks.md
bench: $(BIN)/returnbot locales bytecode
	$(BIN)/python -m bench.search
	$(BIN)/python -m bench.understanding
	$(BIN)/python -m bench.startup
	$(BIN)/python -m bench.queries
	$(BIN)/python -m bench.broadcast
	$(BIN)/python -m bench.paid_broadcast
	$(BIN)/python -m bench.memory
	$(BIN)/python -m bench.chart

lint: $(BIN)/returnbot
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache --no-logo

format: $(BIN)/returnbot
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## extract strings into locales/returnbot.pot and merge them into the three catalogs
extract: $(BIN)/returnbot
	$(BIN)/pybabel extract -F babel.cfg -k _ -k gettext -k ngettext:1,2 --no-location \
		--sort-output --project returnbot -o locales/returnbot.pot .
	$(BIN)/pybabel update -D returnbot -i locales/returnbot.pot -d locales --no-fuzzy-matching \
		--ignore-obsolete

clean:
	rm -rf $(VENV) $(COMPILED)
	find bot db handlers bench -name __pycache__ -prune -exec rm -rf {} +
