#!/usr/bin/env bash
# Set up everything the project needs, on a fresh machine: the Graphviz `dot` program (through
# the system package manager, where one is available and `dot` is missing), a virtualenv in
# .venv, and the project installed into it (editable) with the extras named in $EXTRAS.
#
#   EXTRAS=test,torch bash scripts/setup.sh      # what `make test` runs
#   EXTRAS= bash scripts/setup.sh                # what `make demo` runs
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
EXTRAS=${EXTRAS-test,torch}

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

# 1. Python 3.10 or newer
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
    echo "error: this project needs Python 3.10 or newer; '$PYTHON' is $("$PYTHON" -V 2>&1 || echo missing)." >&2
    echo "       Point PYTHON at a newer one, e.g. PYTHON=python3.11 make test" >&2
    exit 1
fi

# 2. Graphviz's `dot` program, which draws the computation graphs
if ! command -v dot >/dev/null 2>&1; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
    if command -v apt-get >/dev/null 2>&1; then
        say "installing graphviz with apt-get"
        $SUDO apt-get update -qq && $SUDO apt-get install -y -qq graphviz >/dev/null
    elif command -v dnf >/dev/null 2>&1; then
        say "installing graphviz with dnf"
        $SUDO dnf install -y -q graphviz
    elif command -v brew >/dev/null 2>&1; then
        say "installing graphviz with brew"
        brew install graphviz
    fi
    if ! command -v dot >/dev/null 2>&1; then
        echo "warning: the Graphviz 'dot' program is missing and could not be installed here." >&2
        echo "         Install Graphviz (https://graphviz.org/download/); drawing graphs needs it." >&2
    fi
fi

# 3. The virtualenv and the project
if [ ! -x .venv/bin/python ]; then
    say "creating .venv"
    "$PYTHON" -m venv .venv
fi
target="."
if [ -n "$EXTRAS" ]; then target=".[$EXTRAS]"; fi
say "installing $target into .venv"
.venv/bin/python -m pip install --no-compile -q -e "$target"
say "ready"
