#!/usr/bin/env bash
# Scale OpenPolicy right now, without editing manifests.
#
# Usage: scripts/emergency-scale.sh api|scrapers REPLICAS
#   api       the live colour (the one service/openpolicy selects): its autoscaler's
#             minReplicas is raised to REPLICAS (maxReplicas too if lower), then the
#             deployment is scaled and waited for. REPLICAS >= 1.
#             Undo: kubectl apply -f deploy/k8s/hpa.yaml
#   scrapers  deployment/openpolicy-scrapers to REPLICAS (0 pauses all scraping).
# Environment: KUBECTL (default kubectl), OPENPOLICY_NAMESPACE (openpolicy),
#   OPENPOLICY_SCALE_MAX (refuse more replicas than this, default 50),
#   OPENPOLICY_ROLLOUT_TIMEOUT (300s).
set -euo pipefail

NAMESPACE=${OPENPOLICY_NAMESPACE:-openpolicy}
KUBECTL=${KUBECTL:-kubectl}
SCALE_MAX=${OPENPOLICY_SCALE_MAX:-50}
ROLLOUT_TIMEOUT=${OPENPOLICY_ROLLOUT_TIMEOUT:-300s}

log() { echo "emergency-scale: $*"; }
die() {
    echo "emergency-scale: ERROR: $*" >&2
    exit 1
}
usage() {
    echo "usage: scripts/emergency-scale.sh api|scrapers REPLICAS" >&2
    exit 2
}
k() { "$KUBECTL" --namespace "$NAMESPACE" "$@"; }

[[ $# -eq 2 ]] || usage
what=$1
replicas=$2
[[ $replicas =~ ^(0|[1-9][0-9]*)$ ]] || usage
((replicas <= SCALE_MAX)) || die "refusing $replicas replicas (more than OPENPOLICY_SCALE_MAX=$SCALE_MAX)"

case $what in
    api)
        ((replicas >= 1)) || die "the API needs at least one replica (use maintenance mode to stop serving)"
        live=$(k get service openpolicy -o 'jsonpath={.spec.selector.env}') ||
            die "cannot read service/openpolicy in namespace $NAMESPACE"
        [[ $live == blue || $live == green ]] ||
            die "service/openpolicy selects env='$live'; expected blue or green"
        current_max=$(k get hpa "openpolicy-$live" -o 'jsonpath={.spec.maxReplicas}') ||
            die "cannot read hpa/openpolicy-$live"
        [[ $current_max =~ ^[0-9]+$ ]] || die "hpa/openpolicy-$live has no maxReplicas ('$current_max')"
        new_max=$((replicas > current_max ? replicas : current_max))
        k patch hpa "openpolicy-$live" --type=merge \
            -p "{\"spec\":{\"minReplicas\":$replicas,\"maxReplicas\":$new_max}}"
        k scale "deployment/openpolicy-$live" "--replicas=$replicas"
        k rollout status "deployment/openpolicy-$live" "--timeout=$ROLLOUT_TIMEOUT" ||
            die "openpolicy-$live did not reach $replicas ready replicas in $ROLLOUT_TIMEOUT"
        log "openpolicy-$live (live) runs $replicas replicas; autoscaler min $replicas, max $new_max"
        log "undo: kubectl --namespace $NAMESPACE apply -f deploy/k8s/hpa.yaml"
        ;;
    scrapers)
        k scale deployment/openpolicy-scrapers "--replicas=$replicas"
        k rollout status deployment/openpolicy-scrapers "--timeout=$ROLLOUT_TIMEOUT" ||
            die "openpolicy-scrapers did not reach $replicas ready replicas in $ROLLOUT_TIMEOUT"
        log "openpolicy-scrapers runs $replicas replicas"
        ;;
    *) usage ;;
esac
