#!/usr/bin/env bash
# Shared by health-check.sh and smoke-tests.sh (sourced, not run): turn TARGET, an
# environment name (deploy/environments/NAME.env holding OPENPOLICY_BASE_URL=...) or a URL,
# into a base URL. Callers set ENVIRONMENTS_DIR and PROG first.

# Print the base URL (no trailing slash) of TARGET, an environment name or a URL.
resolve_base_url() {
    local target=$1 file url
    case $target in
        http://* | https://*)
            printf '%s\n' "${target%/}"
            return 0
            ;;
    esac
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
