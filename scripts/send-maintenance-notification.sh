#!/usr/bin/env bash
# Announce maintenance on the configured channels (OPENPOLICY_NOTIFICATION_CHANNELS:
# e-mail via OPENPOLICY_SMTP_*, JSON webhook via OPENPOLICY_WEBHOOK_URL). Only notifies:
# the switch itself is `openpolicy maintenance on` (or scripts/enable-maintenance.sh).
#
# Usage: scripts/send-maintenance-notification.sh MESSAGE [UNTIL]
#   UNTIL  announced end: ISO time (2026-03-01T04:00Z) or a duration (30m, 2h)
set -euo pipefail
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/_openpolicy-cli.sh
source "$SCRIPT_DIR/_openpolicy-cli.sh"

usage() { sed -n '2,7s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }
case ${1:-} in
    -h | --help) usage; exit 0 ;;
    "") usage >&2; exit 2 ;;
esac
[[ $# -le 2 ]] || { usage >&2; exit 2; }
cli=$(openpolicy_cli) || exit 2
args=(maintenance notify start --message "$1")
[[ -n ${2:-} ]] && args+=(--until "$2")
exec "$cli" "${args[@]}"
