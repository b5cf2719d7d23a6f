#!/usr/bin/env bash
# Check a running OpenPolicy: GET /health must answer 200 with status "healthy", a healthy
# database check and, when present, a healthy redis check.
#
# Usage: scripts/health-check.sh TARGET
#   TARGET  an environment name, resolved from deploy/environments/TARGET.env
#           (OPENPOLICY_BASE_URL=...), e.g. production, staging, local; or a base URL.
#
# Prints one line per failure ("FAIL: ...") and exits 1 when anything failed, 2 on a usage
# error; prints one "OK: ..." line and exits 0 when healthy.
# Environment: OPENPOLICY_ENVIRONMENTS_DIR (default deploy/environments next to this script),
#              OPENPOLICY_CHECK_TIMEOUT (seconds per request, default 10).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ENVIRONMENTS_DIR=${OPENPOLICY_ENVIRONMENTS_DIR:-$SCRIPT_DIR/../deploy/environments}
TIMEOUT=${OPENPOLICY_CHECK_TIMEOUT:-10}
PROG=health-check

usage() {
    echo "usage: scripts/health-check.sh TARGET   (an environment name or http(s)://URL)" >&2
    exit 2
}

# shellcheck source=scripts/_target.sh
source "$SCRIPT_DIR/_target.sh"

[[ $# -eq 1 && -n $1 ]] || usage
base_url=$(resolve_base_url "$1") || exit 2

body=$(mktemp)
curl_err=$(mktemp)
trap 'rm -f "$body" "$curl_err"' EXIT

if ! http_code=$(curl --silent --show-error --max-time "$TIMEOUT" \
    --user-agent openpolicy-health-check --output "$body" --write-out '%{http_code}' \
    "$base_url/health" 2>"$curl_err"); then
    echo "FAIL: cannot reach $base_url/health: $(tr '\n' ' ' <"$curl_err")"
    exit 1
fi

python3 - "$base_url" "$http_code" "$body" <<'PY'
import json
import sys

base_url, http_code, body_path = sys.argv[1], sys.argv[2], sys.argv[3]
failures = []
if http_code != "200":
    failures.append(f"GET {base_url}/health answered HTTP {http_code}")
try:
    with open(body_path, "rb") as handle:
        document = json.load(handle)
except ValueError:
    document = None
if not isinstance(document, dict):
    failures.append("/health did not answer a JSON object")
    for failure in failures:
        print(f"FAIL: {failure}")
    sys.exit(1)

status = document.get("status")
if http_code == "200" and status != "healthy":
    failures.append(f"/health reports status {status!r}, expected 'healthy'")


def detail(check: dict) -> str:
    for key in ("error", "detail", "message"):
        if check.get(key):
            return f": {check[key]}"
    return ""


checks = document.get("checks")
if not isinstance(checks, dict):
    failures.append("/health has no checks")
    checks = {}
elif not isinstance(checks.get("database"), dict):
    failures.append("/health has no database check")
for name, check in checks.items():
    if not isinstance(check, dict):
        failures.append(f"{name} check is malformed: {check!r}")
        continue
    state = check.get("status")
    # Redis is optional at run time: a deployment without it reports it as not configured.
    if name == "redis" and state in {"disabled", "skipped", "not_configured"}:
        continue
    if state != "healthy":
        failures.append(f"{name} check is {state!r}{detail(check)}")

for failure in failures:
    print(f"FAIL: {failure}")
if failures:
    sys.exit(1)

parts = [f"version {document.get('version', '?')}"]
for name, check in checks.items():
    latency = check.get("latency_ms")
    parts.append(f"{name} {latency} ms" if latency is not None else f"{name} {check.get('status')}")
print(f"OK: {base_url} healthy ({'; '.join(parts)})")
PY
