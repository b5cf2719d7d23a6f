#!/usr/bin/env bash
# Everything at once, for after an incident or a restore:
#   1. scripts/health-check.sh TARGET     (/health: app, database, redis)
#   2. scripts/smoke-tests.sh TARGET      (every route of scripts/smoke-routes.txt)
#   3. openpolicy db integrity-check      (the data, on the database this shell is configured for)
#   4. openpolicy dr status               (backups fresh and off-site, WAL archiver healthy)
# Steps 3-4 use this shell's settings (DATABASE_URL / OPENPOLICY_ENV_FILE); --skip-db skips them.
#
# Usage: scripts/full-health-check.sh TARGET [--skip-db]
#   TARGET  an environment name (deploy/environments/TARGET.env) or a base URL
# Exits 1 when any step failed (all steps run), 2 on a usage error.
set -euo pipefail
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/_openpolicy-cli.sh
source "$SCRIPT_DIR/_openpolicy-cli.sh"

usage() { sed -n '2,12s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }
case ${1:-} in
    -h | --help) usage; exit 0 ;;
    "" | -*) usage >&2; exit 2 ;;
esac
target=$1
skip_db=false
if [[ $# -eq 2 && $2 == --skip-db ]]; then
    skip_db=true
elif [[ $# -ne 1 ]]; then
    usage >&2
    exit 2
fi

failed=()
run_step() {
    local name=$1
    shift
    echo "== $name"
    local code=0
    "$@" || code=$?
    if [[ $code -eq 2 && $name == health-check* ]]; then
        exit 2 # the target itself is wrong: nothing else can be checked
    fi
    [[ $code -eq 0 ]] || failed+=("$name")
}

run_step "health-check $target" bash "$SCRIPT_DIR/health-check.sh" "$target"
run_step "smoke-tests $target" bash "$SCRIPT_DIR/smoke-tests.sh" "$target"
if ! $skip_db; then
    cli=$(openpolicy_cli) || exit 2
    run_step "db integrity-check" "$cli" db integrity-check
    run_step "dr status" "$cli" dr status
fi
if [[ ${#failed[@]} -gt 0 ]]; then
    echo "full health check: FAILED (${failed[*]})"
    exit 1
fi
echo "full health check: OK"
