#!/usr/bin/env bash
# Shared by scripts/up.sh and scripts/test.sh: find Python >= 3.11, make .venv, install the
# project with uv (seconds, where pip takes tens of seconds). Source it; do not run it.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${OPENPOLICY_VENV:-$REPO_ROOT/.venv}"
export UV_PYTHON_DOWNLOADS=never

find_python() {
  local candidate
  for candidate in python3.11 python3.12 python3.13 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
      command -v "$candidate"
      return 0
    fi
  done
  echo "error: Python 3.11 or newer is required (apt-get install python3)" >&2
  return 1
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else
    echo "error: need root to run: $*" >&2
    return 1
  fi
}

# apt_install PKG...: install the Debian packages that are missing (apt-get update first).
apt_install() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing Debian packages: ${missing[*]}" >&2
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

# make_venv EXTRAS: create .venv if needed and install the project (editable) with EXTRAS.
make_venv() {
  local extras="${1:-}" python
  python="$(find_python)"
  if [ ! -x "$VENV/bin/python" ]; then
    if ! "$python" -m venv "$VENV" 2>/dev/null; then
      apt_install python3-venv
      "$python" -m venv "$VENV"
    fi
  fi
  if [ ! -x "$VENV/bin/uv" ]; then
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check uv
  fi
  local target="$REPO_ROOT"
  [ -n "$extras" ] && target="${REPO_ROOT}[${extras}]"
  "$VENV/bin/uv" pip install --quiet --python "$VENV/bin/python" -e "$target"
}
