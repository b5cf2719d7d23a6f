#!/usr/bin/env bash
# README command 1: install OpenPolicy into .venv and run it on the embedded PostgreSQL.
# Extra arguments go to `openpolicy up` (e.g. --port 8080). Ctrl-C stops everything.
set -euo pipefail
# shellcheck source=scripts/bootstrap.sh
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
make_venv ""
cd "$REPO_ROOT"
exec "$VENV/bin/openpolicy" up "$@"
