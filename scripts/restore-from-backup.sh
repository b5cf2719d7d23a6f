#!/usr/bin/env bash
# Emergency: restore the database from a backup, safely.
#   1. `openpolicy backup restore` restores into a NEW database, runs the integrity check,
#      and only then switches it in (the old one is renamed aside, *_corrupt_*);
#   2. the cache is cleared (it holds answers computed from the old data);
#   3. the integrity check runs once more on the live database.
#
# Usage: scripts/restore-from-backup.sh FILE|latest [--yes] [--target-url URL]
#   FILE     a dump in the backup directory (or its name in the bucket), or `latest`
#   --yes    do not ask before switching databases
# Then check the service: scripts/smoke-tests.sh TARGET
set -euo pipefail
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/_openpolicy-cli.sh
source "$SCRIPT_DIR/_openpolicy-cli.sh"

usage() { sed -n '2,13s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }
case ${1:-} in
    -h | --help) usage; exit 0 ;;
    "" | -*) usage >&2; exit 2 ;;
esac
cli=$(openpolicy_cli) || exit 2
file=$1
shift
target_args=()
while [[ $# -gt 0 ]]; do
    case $1 in
        --yes | -y) target_args+=(--yes) ;;
        --target-url) [[ $# -ge 2 ]] || { usage >&2; exit 2; }; target_args+=(--target-url "$2"); shift ;;
        *) echo "restore-from-backup: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
"$cli" backup restore "$file" "${target_args[@]}"
url_args=()
for i in "${!target_args[@]}"; do
    [[ ${target_args[$i]} == --target-url ]] && url_args=(--target-url "${target_args[$((i + 1))]}")
done
"$cli" cache clear
"$cli" db integrity-check "${url_args[@]}"
echo "restore complete: now run scripts/smoke-tests.sh against the service"
