#!/usr/bin/env bash
# Emergency: put every replica into maintenance mode (503 + Retry-After) within 2 seconds,
# and notify the configured channels (e-mail, webhook).
#
# Usage: scripts/enable-maintenance.sh MESSAGE [UNTIL]
#   MESSAGE  what users see, e.g. "Emergency database maintenance"
#   UNTIL    announced end: ISO time (2026-03-01T04:00Z) or a duration (30m, 2h)
# Undo with: openpolicy maintenance off
set -euo pipefail
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/_openpolicy-cli.sh
source "$SCRIPT_DIR/_openpolicy-cli.sh"

usage() { sed -n '2,9s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }
case ${1:-} in
    -h | --help) usage; exit 0 ;;
    "") usage >&2; exit 2 ;;
esac
[[ $# -le 2 ]] || { usage >&2; exit 2; }
cli=$(openpolicy_cli) || exit 2
args=(maintenance on --notify --message "$1")
[[ -n ${2:-} ]] && args+=(--until "$2")
exec "$cli" "${args[@]}"
