#!/usr/bin/env bash
# Read-only smoke tests: GET every route of scripts/smoke-routes.txt and compare the status.
#
# Usage: scripts/smoke-tests.sh TARGET
#   TARGET  an environment name, resolved from deploy/environments/TARGET.env
#           (OPENPOLICY_BASE_URL=...), e.g. production, staging, local; or a base URL.
#
# Prints one line per route ("ok ..." or "FAIL: ..."), then a summary; exits 1 when any route
# failed, 2 on a usage error or a malformed routes file. Redirects are not followed: a route
# expected to redirect lists 301/302/307/308.
# Environment: OPENPOLICY_ENVIRONMENTS_DIR (default deploy/environments next to this script),
#              OPENPOLICY_SMOKE_ROUTES (default scripts/smoke-routes.txt),
#              OPENPOLICY_CHECK_TIMEOUT (seconds per request, default 10).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ENVIRONMENTS_DIR=${OPENPOLICY_ENVIRONMENTS_DIR:-$SCRIPT_DIR/../deploy/environments}
ROUTES_FILE=${OPENPOLICY_SMOKE_ROUTES:-$SCRIPT_DIR/smoke-routes.txt}
TIMEOUT=${OPENPOLICY_CHECK_TIMEOUT:-10}
PROG=smoke-tests

usage() {
    echo "usage: scripts/smoke-tests.sh TARGET   (an environment name or http(s)://URL)" >&2
    exit 2
}

# shellcheck source=scripts/_target.sh
source "$SCRIPT_DIR/_target.sh"

[[ $# -eq 1 && -n $1 ]] || usage
base_url=$(resolve_base_url "$1") || exit 2
if [[ ! -r $ROUTES_FILE ]]; then
    echo "$PROG: cannot read routes file $ROUTES_FILE" >&2
    exit 2
fi

# Read and validate the whole routes file before sending anything.
paths=()
statuses=()
line_number=0
while IFS= read -r line || [[ -n $line ]]; do
    line_number=$((line_number + 1))
    line=${line%%#*}
    read -r -a fields <<<"$line" || true
    [[ ${#fields[@]} -eq 0 ]] && continue
    if [[ ${#fields[@]} -ne 2 || ${fields[0]} != /* || ! ${fields[1]} =~ ^[1-5][0-9][0-9]$ ]]; then
        echo "$PROG: $ROUTES_FILE:$line_number: expected '/path STATUS', got '$line'" >&2
        exit 2
    fi
    paths+=("${fields[0]}")
    statuses+=("${fields[1]}")
done <"$ROUTES_FILE"
if [[ ${#paths[@]} -eq 0 ]]; then
    echo "$PROG: $ROUTES_FILE lists no route" >&2
    exit 2
fi

curl_err=$(mktemp)
trap 'rm -f "$curl_err"' EXIT
ok=0
failed=0
for i in "${!paths[@]}"; do
    path=${paths[$i]}
    expected=${statuses[$i]}
    if ! result=$(curl --silent --show-error --max-time "$TIMEOUT" \
        --user-agent openpolicy-smoke-tests --output /dev/null \
        --write-out '%{http_code} %{time_total}' "$base_url$path" 2>"$curl_err"); then
        echo "FAIL: GET $path: cannot reach $base_url$path: $(tr '\n' ' ' <"$curl_err")"
        failed=$((failed + 1))
        continue
    fi
    code=${result%% *}
    seconds=${result#* }
    if [[ $code == "$expected" ]]; then
        echo "ok   GET $path $code (${seconds}s)"
        ok=$((ok + 1))
    else
        echo "FAIL: GET $path answered $code, expected $expected"
        failed=$((failed + 1))
    fi
done

echo "smoke tests against $base_url: $ok ok, $failed failing"
[[ $failed -eq 0 ]]
