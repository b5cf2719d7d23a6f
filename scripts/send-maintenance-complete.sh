#!/usr/bin/env bash
# Announce that maintenance is over on the configured channels (see
# send-maintenance-notification.sh). Only notifies: the switch is `openpolicy maintenance off`.
#
# Usage: scripts/send-maintenance-complete.sh [MESSAGE]
set -euo pipefail
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/_openpolicy-cli.sh
source "$SCRIPT_DIR/_openpolicy-cli.sh"

case ${1:-} in
    -h | --help) sed -n '2,5s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
esac
[[ $# -le 1 ]] || { echo "usage: scripts/send-maintenance-complete.sh [MESSAGE]" >&2; exit 2; }
cli=$(openpolicy_cli) || exit 2
args=(maintenance notify complete)
[[ -n ${1:-} ]] && args+=(--message "$1")
exec "$cli" "${args[@]}"
