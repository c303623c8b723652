#!/usr/bin/env bash
# Runs every check of the project: lint, types, and the test suite on SQLite and PostgreSQL.
# Called by `make test` (and so by .ci/run). Self-sufficient on a fresh machine:
#  - starts a throwaway PostgreSQL cluster unless YIM_TEST_POSTGRES_URL is given;
#  - finds the system Chromium, installing Debian's `chromium` when run as root.
# With CI=true a missing PostgreSQL or Chromium fails the run; it never skips.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export PYTHONDONTWRITEBYTECODE=1

echo "== ruff"
$BIN/ruff check src tests benchmarks
$BIN/ruff format --check src tests benchmarks
echo "== mypy"
$BIN/mypy src/yim
$BIN/mypy --strict src/yim/stats
echo "== import contracts (lint-imports)"
$BIN/lint-imports
echo "== bandit (no finding of high severity)"
$BIN/bandit -q -r src/yim -x '*/migrations/*' --severity-level high

echo "== system Chromium"
source scripts/ensure-chromium.sh

echo "== PostgreSQL"
if [ -z "${YIM_TEST_POSTGRES_URL:-}" ]; then
  source scripts/throwaway-postgres.sh
  trap stop_throwaway_postgres EXIT
fi

PYTEST_ARGS=(-q -n 2 -p xdist "$@")

echo "== tests on SQLite"
env -u YIM_DATABASE_URL $BIN/pytest "${PYTEST_ARGS[@]}"

echo "== tests on PostgreSQL"
# The pure statistics library never touches a database: it runs once, above.
YIM_DATABASE_URL="$YIM_TEST_POSTGRES_URL" $BIN/pytest "${PYTEST_ARGS[@]}" --ignore=tests/stats
