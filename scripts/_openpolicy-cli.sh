# Sourced by the operations scripts: find the `openpolicy` command.
# Order: $OPENPOLICY_CLI, `openpolicy` on PATH, then the repository's .venv.
# shellcheck shell=bash
openpolicy_cli() {
    local here
    here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
    if [[ -n ${OPENPOLICY_CLI:-} ]]; then
        printf '%s\n' "$OPENPOLICY_CLI"
    elif command -v openpolicy >/dev/null 2>&1; then
        command -v openpolicy
    elif [[ -x $here/../.venv/bin/openpolicy ]]; then
        printf '%s\n' "$here/../.venv/bin/openpolicy"
    else
        echo "openpolicy command not found: install the project or set OPENPOLICY_CLI" >&2
        return 2
    fi
}
