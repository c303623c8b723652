# The two commands of the README:
#   make demo   — install into .venv, load the synthetic registry, serve http://127.0.0.1:8000
#   make test   — install the dev environment, run ruff, mypy and the whole test suite
#                 on SQLite and on PostgreSQL (browser tests included)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

.PHONY: demo test lint typecheck messages clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/yim demo

test: $(STAMP)
	bash scripts/test.sh

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy src/yim
	$(BIN)/mypy --strict src/yim/stats

# Regenerate the message catalogues after changing user-facing strings (needs GNU gettext).
messages: $(STAMP)
	cd src/yim && YIM_DEBUG=1 ../../$(BIN)/django-admin makemessages -l nl -l en --no-obsolete --settings=yim.settings
	cd src/yim && YIM_DEBUG=1 ../../$(BIN)/django-admin compilemessages --settings=yim.settings

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
