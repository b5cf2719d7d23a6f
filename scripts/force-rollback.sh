#!/usr/bin/env bash
# Instant rollback: point service/openpolicy back at the other colour, which
# scripts/blue-green-deploy.sh left running with the previous release.
#
# Usage: scripts/force-rollback.sh [--to blue|green] [--with-scrapers]
#   --to COLOUR      the colour to switch to (default: the one not live now)
#   --with-scrapers  also `kubectl rollout undo` the scraper workers to their previous image
#
# No health check stands between the decision and the switch: that is the point of a forced
# rollback. If the target colour has no ready pod, it is scaled up and waited for first
# (switching to nothing would be an outage). Check afterwards: scripts/health-check.sh production
# Environment: KUBECTL (default kubectl), OPENPOLICY_NAMESPACE (openpolicy),
#   OPENPOLICY_ROLLBACK_REPLICAS (replicas when the target is scaled down, default 2),
#   OPENPOLICY_ROLLOUT_TIMEOUT (300s).
set -euo pipefail

NAMESPACE=${OPENPOLICY_NAMESPACE:-openpolicy}
KUBECTL=${KUBECTL:-kubectl}
ROLLBACK_REPLICAS=${OPENPOLICY_ROLLBACK_REPLICAS:-2}
ROLLOUT_TIMEOUT=${OPENPOLICY_ROLLOUT_TIMEOUT:-300s}

log() { echo "force-rollback: $*"; }
die() {
    echo "force-rollback: ERROR: $*" >&2
    exit 1
}
usage() {
    echo "usage: scripts/force-rollback.sh [--to blue|green] [--with-scrapers]" >&2
    exit 2
}
k() { "$KUBECTL" --namespace "$NAMESPACE" "$@"; }

target=
with_scrapers=0
while [[ $# -gt 0 ]]; do
    case $1 in
        --to)
            [[ $# -ge 2 ]] || usage
            target=$2
            shift
            ;;
        --with-scrapers) with_scrapers=1 ;;
        *) usage ;;
    esac
    shift
done
case $target in
    '' | blue | green) ;;
    *) usage ;;
esac
[[ $ROLLBACK_REPLICAS =~ ^[1-9][0-9]*$ ]] || die "OPENPOLICY_ROLLBACK_REPLICAS must be a positive integer"

live=$(k get service openpolicy -o 'jsonpath={.spec.selector.env}') ||
    die "cannot read service/openpolicy in namespace $NAMESPACE"
case $live in
    blue) other=green ;;
    green) other=blue ;;
    *) die "service/openpolicy selects env='$live'; expected blue or green" ;;
esac
target=${target:-$other}
[[ $target != "$live" ]] || die "service/openpolicy already selects $target"

ready=$(k get deployment "openpolicy-$target" -o 'jsonpath={.status.readyReplicas}') ||
    die "cannot read deployment/openpolicy-$target"
if [[ -z $ready || $ready == 0 ]]; then
    log "openpolicy-$target has no ready pod: scaling it to $ROLLBACK_REPLICAS first"
    k scale "deployment/openpolicy-$target" "--replicas=$ROLLBACK_REPLICAS"
    k rollout status "deployment/openpolicy-$target" "--timeout=$ROLLOUT_TIMEOUT" ||
        die "openpolicy-$target did not become ready; traffic stays on $live"
fi

k patch service openpolicy --type=merge -p "{\"spec\":{\"selector\":{\"env\":\"$target\"}}}"
log "service/openpolicy now selects $target (was $live)"

if ((with_scrapers)); then
    k rollout undo deployment/openpolicy-scrapers
    k rollout status deployment/openpolicy-scrapers "--timeout=$ROLLOUT_TIMEOUT" ||
        die "traffic is on $target, but the scraper rollback did not finish"
    log "scraper workers rolled back to their previous image"
fi
log "done; $live keeps running. Verify: scripts/health-check.sh production && scripts/smoke-tests.sh production"
