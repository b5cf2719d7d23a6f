#!/usr/bin/env bash
# README command 2: install everything the tests need, then run ruff, mypy and the whole suite.
# System services used by the tests (redis-server, promtool…) come from Debian packages; the
# tests start and stop their own instances on loopback. Extra arguments go to pytest.
set -euo pipefail
# shellcheck source=scripts/bootstrap.sh
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"

# redis-server: cache tests; prometheus: promtool for the alert rules; shellcheck and curl:
# the operator scripts; tzdata: the feeds' Ottawa local times; chromium: the browser tests
# (Playwright drives Debian's Chromium, never a downloaded browser).
apt_install redis-server prometheus shellcheck curl tzdata ca-certificates chromium
if ! command -v docker >/dev/null 2>&1; then
  apt_install docker.io  # only its CLI is used: `docker compose config` validates the stack
fi
make_venv "test"
cd "$REPO_ROOT"

echo "== ruff" >&2
"$VENV/bin/ruff" check .
"$VENV/bin/ruff" format --check .
echo "== mypy" >&2
"$VENV/bin/mypy"
echo "== pytest" >&2
exec "$VENV/bin/pytest" "$@"
