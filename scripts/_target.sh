#!/usr/bin/env bash
# Shared by health-check.sh and smoke-tests.sh (sourced, not run): turn TARGET, an
# environment name (deploy/environments/NAME.env holding OPENPOLICY_BASE_URL=...) or a URL,
# into a base URL. Callers set ENVIRONMENTS_DIR and PROG first.
# `local` is the server this machine runs (`openpolicy up` / `serve`): its address follows
# OPENPOLICY_HOST / OPENPOLICY_PORT, else the openpolicy settings (env file included), and
# only then deploy/environments/local.env.

# shellcheck source=scripts/_openpolicy-cli.sh
source "$(dirname "${BASH_SOURCE[0]}")/_openpolicy-cli.sh"

# Print http://HOST:PORT of the local server, or fail when nothing says where it listens.
local_base_url() {
    local host=${OPENPOLICY_HOST:-} port=${OPENPOLICY_PORT:-} cli settings=""
    if [[ -z $port ]] && cli=$(openpolicy_cli 2>/dev/null); then
        settings=$("$cli" settings --format json 2>/dev/null) || settings=""
        port=$(sed -n -E 's/^  "port": ([0-9]+),?$/\1/p' <<<"$settings")
        [[ -n $host ]] || host=$(sed -n -E 's/^  "host": "([^"]*)",?$/\1/p' <<<"$settings")
    fi
    [[ $port =~ ^[0-9]+$ ]] || return 1
    case $host in
        "" | 0.0.0.0) host=127.0.0.1 ;;
        :: | "[::]") host="[::1]" ;;
        *:*) host="[$host]" ;;
    esac
    printf 'http://%s:%s\n' "$host" "$port"
}

# Print the base URL (no trailing slash) of TARGET, an environment name or a URL.
resolve_base_url() {
    local target=$1 file url
    case $target in
        http://* | https://*)
            printf '%s\n' "${target%/}"
            return 0
            ;;
    esac
    if [[ $target == local ]] && local_base_url; then
        return 0
    fi
    if [[ ! $target =~ ^[A-Za-z0-9_-]+$ ]]; then
        echo "$PROG: '$target' is neither a URL nor an environment name" >&2
        return 2
    fi
    file=$ENVIRONMENTS_DIR/$target.env
    if [[ ! -f $file ]]; then
        echo "$PROG: unknown environment '$target': no file $file" >&2
        return 2
    fi
    url=$(sed -n -E 's/^[[:space:]]*OPENPOLICY_BASE_URL=["'\'']?([^"'\'' ]*)["'\'']?[[:space:]]*$/\1/p' "$file" | tail -n 1)
    if [[ ! $url =~ ^https?:// ]]; then
        echo "$PROG: $file has no OPENPOLICY_BASE_URL=http(s)://... line" >&2
        return 2
    fi
    printf '%s\n' "${url%/}"
}
