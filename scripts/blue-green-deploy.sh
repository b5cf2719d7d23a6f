#!/usr/bin/env bash
# Blue-green deployment of OpenPolicy on Kubernetes.
#
# Usage: scripts/blue-green-deploy.sh [--skip-migrations] IMAGE
#   IMAGE  the image to deploy, with a tag or digest, e.g. ghcr.io/openpolicy/openpolicy:1.4.0
#
# Steps (every kubectl call runs in namespace $OPENPOLICY_NAMESPACE, default openpolicy):
#   1. read which colour service/openpolicy selects (the live one); the other is idle;
#   2. run the migration Job with IMAGE and wait for it (unless --skip-migrations);
#   3. apply deploy/k8s/deployment-<idle>.yaml with IMAGE and wait for the rollout (readiness);
#   4. through `kubectl port-forward service/openpolicy-<idle>`, run scripts/health-check.sh
#      and scripts/smoke-tests.sh against the idle colour;
#   5. only if both pass, patch service/openpolicy's selector to the idle colour;
#   6. re-run both checks through service/openpolicy; on failure switch straight back;
#   7. roll IMAGE out to the scraper workers and the backup CronJob.
# The previous colour keeps running, so scripts/force-rollback.sh switches back instantly.
# Any failure before step 5 leaves traffic where it was.
#
# Environment: KUBECTL (default kubectl), OPENPOLICY_NAMESPACE (openpolicy),
#   OPENPOLICY_K8S_DIR (deploy/k8s next to this script), OPENPOLICY_CHECK_PORT (local port of
#   the port-forward, default 18642), OPENPOLICY_ROLLOUT_TIMEOUT (600s),
#   OPENPOLICY_MIGRATION_TIMEOUT (900s), OPENPOLICY_PORT_FORWARD_WAIT (tenths of a second to
#   wait for the port-forward, default 150).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
K8S_DIR=${OPENPOLICY_K8S_DIR:-$SCRIPT_DIR/../deploy/k8s}
NAMESPACE=${OPENPOLICY_NAMESPACE:-openpolicy}
KUBECTL=${KUBECTL:-kubectl}
CHECK_PORT=${OPENPOLICY_CHECK_PORT:-18642}
ROLLOUT_TIMEOUT=${OPENPOLICY_ROLLOUT_TIMEOUT:-600s}
MIGRATION_TIMEOUT=${OPENPOLICY_MIGRATION_TIMEOUT:-900s}
PORT_FORWARD_WAIT=${OPENPOLICY_PORT_FORWARD_WAIT:-150}

log() { echo "blue-green: $*"; }
die() {
    echo "blue-green: ERROR: $*" >&2
    exit 1
}
usage() {
    echo "usage: scripts/blue-green-deploy.sh [--skip-migrations] IMAGE" >&2
    exit 2
}
k() { "$KUBECTL" --namespace "$NAMESPACE" "$@"; }

run_migrations=1
image=
while [[ $# -gt 0 ]]; do
    case $1 in
        --skip-migrations) run_migrations=0 ;;
        -h | --help) usage ;;
        -*) usage ;;
        *)
            [[ -z $image ]] || usage
            image=$1
            ;;
    esac
    shift
done
[[ -n $image ]] || usage
# The image goes into a sed replacement and a manifest: allow only image-reference characters,
# and insist on an explicit tag or digest so a rollback target is always identifiable.
if [[ ! $image =~ ^[A-Za-z0-9][A-Za-z0-9._/:@-]*$ || ${image##*/} != *[:@]* ]]; then
    die "'$image' is not an image reference with a tag or digest (e.g. ghcr.io/openpolicy/openpolicy:1.4.0)"
fi
for manifest in migration-job.yaml deployment-blue.yaml deployment-green.yaml; do
    [[ -r $K8S_DIR/$manifest ]] || die "cannot read $K8S_DIR/$manifest"
done

# A manifest with every image: line pointing at $image (each of these manifests has one).
render() { sed -E "s#^([[:space:]]*image:[[:space:]]*).*\$#\\1${image}#" "$K8S_DIR/$1"; }

port_forward_pid=
stop_port_forward() {
    if [[ -n $port_forward_pid ]]; then
        kill "$port_forward_pid" 2>/dev/null || true
        wait "$port_forward_pid" 2>/dev/null || true
        port_forward_pid=
    fi
}
trap stop_port_forward EXIT

# Run the health check and the smoke tests against RESOURCE (a service) through a port-forward.
check_through() {
    local resource=$1 url="http://127.0.0.1:$CHECK_PORT" forward_log attempt rc=0
    forward_log=$(mktemp)
    "$KUBECTL" --namespace "$NAMESPACE" port-forward "$resource" "$CHECK_PORT:80" >"$forward_log" 2>&1 &
    port_forward_pid=$!
    for ((attempt = 0; ; attempt++)); do
        if ! kill -0 "$port_forward_pid" 2>/dev/null; then
            log "port-forward to $resource exited: $(tr '\n' ' ' <"$forward_log")"
            rc=1
            break
        fi
        # Any HTTP answer (even 503) means the forward is up; the checks judge the answer.
        if curl --silent --output /dev/null --max-time 2 "$url/health"; then
            break
        fi
        if ((attempt >= PORT_FORWARD_WAIT)); then
            log "port-forward to $resource did not answer on $url"
            rc=1
            break
        fi
        sleep 0.1
    done
    if ((rc == 0)); then
        log "health check of $resource"
        "$SCRIPT_DIR/health-check.sh" "$url" || rc=1
        log "smoke tests of $resource"
        "$SCRIPT_DIR/smoke-tests.sh" "$url" || rc=1
    fi
    stop_port_forward
    rm -f "$forward_log"
    return "$rc"
}

switch_to() {
    k patch service openpolicy --type=merge -p "{\"spec\":{\"selector\":{\"env\":\"$1\"}}}"
}

# 1. Which colour is live?
live=$(k get service openpolicy -o 'jsonpath={.spec.selector.env}') ||
    die "cannot read service/openpolicy in namespace $NAMESPACE"
case $live in
    blue) idle=green ;;
    green) idle=blue ;;
    *) die "service/openpolicy selects env='$live'; expected blue or green" ;;
esac
log "live colour: $live; deploying $image to $idle"

# 2. Migrations (must be compatible with the live colour: expand now, contract later).
if ((run_migrations)); then
    k delete job openpolicy-migrate --ignore-not-found --wait=true
    render migration-job.yaml | k apply -f -
    if ! k wait --for=condition=complete "--timeout=$MIGRATION_TIMEOUT" job/openpolicy-migrate; then
        k logs job/openpolicy-migrate --tail=100 || true
        die "migration job failed; traffic stays on $live"
    fi
fi

# 3. The idle colour with the new image, and its readiness.
render "deployment-$idle.yaml" | k apply -f -
k rollout status "deployment/openpolicy-$idle" "--timeout=$ROLLOUT_TIMEOUT" ||
    die "openpolicy-$idle did not become ready; traffic stays on $live"

# 4. Health and smoke checks against the idle colour only.
check_through "service/openpolicy-$idle" ||
    die "checks failed against $idle; traffic stays on $live (inspect: kubectl --namespace $NAMESPACE logs deployment/openpolicy-$idle)"

# 5. Switch.
switch_to "$idle"
log "service/openpolicy now selects $idle"

# 6. Verify through the live service; switch straight back on failure.
if ! check_through service/openpolicy; then
    switch_to "$live"
    die "checks failed through service/openpolicy after the switch; switched back to $live"
fi

# 7. Scraper workers and the backup job run the same release.
k set image deployment/openpolicy-scrapers "scraper=$image"
k set image cronjob/openpolicy-backup "backup=$image"
k rollout status deployment/openpolicy-scrapers "--timeout=$ROLLOUT_TIMEOUT" ||
    die "traffic is on $idle, but the scraper rollout did not finish (undo: kubectl --namespace $NAMESPACE rollout undo deployment/openpolicy-scrapers)"

log "done: $idle serves $image; $live keeps running for instant rollback (scripts/force-rollback.sh)"
