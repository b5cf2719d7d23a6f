#!/usr/bin/env bash
# Emergency: delete every OpenPolicy key from the shared Redis cache (only ours: this never
# runs FLUSHDB, so other applications' keys survive). Processes without REDIS_URL cache in
# memory: restart them instead.
#
# Usage: scripts/clear-all-caches.sh
set -euo pipefail
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/_openpolicy-cli.sh
source "$SCRIPT_DIR/_openpolicy-cli.sh"

case ${1:-} in
    -h | --help) sed -n '2,7s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
    "") ;;
    *) echo "usage: scripts/clear-all-caches.sh" >&2; exit 2 ;;
esac
cli=$(openpolicy_cli) || exit 2
exec "$cli" cache clear
