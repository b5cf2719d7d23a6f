#!/usr/bin/env bash
# Disaster-recovery drill: restore from the backups somewhere safe, serve the copy, run the
# health check and smoke tests against it, and report the measured RTO and RPO (JSON and
# Markdown in OPENPOLICY_DR_REPORT_DIR). The live database is never touched.
#
# Usage: scripts/dr-drill.sh [SCENARIO] [--target TARGET] [--dry-run] [--take-backup] [--keep]
#   SCENARIO  database-corruption (default), datacenter-failure or complete-recovery
#   TARGET    latest (default), a dump name or path, a restore point, or a time
# = openpolicy dr drill --scenario SCENARIO …; exits 0 when the drill passed, 1 when it
# failed, 2 on a usage error, 3 when TARGET names nothing, 4 when the database is unreachable.
set -euo pipefail
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/_openpolicy-cli.sh
source "$SCRIPT_DIR/_openpolicy-cli.sh"

usage() { sed -n '2,11s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }
scenario=database-corruption
case ${1:-} in
    -h | --help) usage; exit 0 ;;
    database-corruption | datacenter-failure | complete-recovery) scenario=$1; shift ;;
    "" | --*) ;;
    *) echo "scripts/dr-drill.sh: unknown scenario '$1'" >&2; usage >&2; exit 2 ;;
esac
cli=$(openpolicy_cli) || exit 2
exec "$cli" dr drill --scenario "$scenario" "$@"
