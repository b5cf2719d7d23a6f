#!/usr/bin/env bash
# Disaster-recovery readiness: the newest verified backup is younger than
# OPENPOLICY_BACKUP_MAX_AGE_HOURS (default 26) and its checksum still matches, it is copied
# to the bucket (when one is configured), and the WAL archiver is not failing.
# For the full proof (restore + serve + smoke tests, RTO/RPO) run a drill:
#   openpolicy dr drill --scenario database-corruption
#
# Usage: scripts/dr-health-check.sh
# Exits 0 when ready, 1 with one "FAIL: ..." line per problem.
set -euo pipefail
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/_openpolicy-cli.sh
source "$SCRIPT_DIR/_openpolicy-cli.sh"

case ${1:-} in
    -h | --help) sed -n '2,10s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
    "") ;;
    *) echo "usage: scripts/dr-health-check.sh" >&2; exit 2 ;;
esac
cli=$(openpolicy_cli) || exit 2
exec "$cli" dr status --verify
