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

# 2. Graphviz's `dot` program, which draws the computation graphs. As root (CI, containers) it
#    is installed at once; otherwise installing a system package needs sudo, which may ask for a
#    password in the middle of `make`: ask first where someone can answer, else say the command.
install_dot() {
    if command -v apt-get >/dev/null 2>&1; then
        echo "apt-get update -qq && apt-get install -y -qq graphviz"
    elif command -v dnf >/dev/null 2>&1; then
        echo "dnf install -y -q graphviz"
    elif command -v brew >/dev/null 2>&1; then
        echo "brew install graphviz"
    fi
}
if ! command -v dot >/dev/null 2>&1; then
    command=$(install_dot)
    if [ -z "$command" ]; then
        echo "warning: Graphviz's 'dot' program is missing; install Graphviz" \
             "(https://graphviz.org/download/): drawing graphs needs it." >&2
    elif [ "$(id -u)" -eq 0 ] || [ "${command#brew}" != "$command" ]; then
        say "installing graphviz: $command"
        sh -c "$command" >/dev/null
    else
        answer=n
        if [ -t 0 ] && command -v sudo >/dev/null 2>&1; then
            printf '[setup] Graphviz (the program dot) is missing; install it with sudo now? [y/N] '
            read -r answer || answer=n
        fi
        case "$answer" in
            [yY]*) sudo sh -c "$command" >/dev/null ;;
            *) echo "warning: Graphviz's 'dot' program is missing, so pictures cannot be drawn." >&2
               echo "         Install it with:  sudo sh -c '$command'" >&2 ;;
        esac
    fi
fi

# 3. The virtualenv: Debian and Ubuntu ship `venv` in a separate package
if [ ! -x .venv/bin/python ]; then
    say "creating .venv"
    if ! "$PYTHON" -m venv .venv 2>/tmp/chainrule-venv.$$; then
        rm -rf .venv
        if grep -q ensurepip /tmp/chainrule-venv.$$; then
            version=$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
            echo "error: $PYTHON cannot create a virtualenv: its venv module is not installed." >&2
            echo "       On Debian/Ubuntu: sudo apt-get install python$version-venv  (then run make again)" >&2
        else
            cat /tmp/chainrule-venv.$$ >&2
        fi
        rm -f /tmp/chainrule-venv.$$
        exit 1
    fi
    rm -f /tmp/chainrule-venv.$$
fi

# 4. PyTorch for the cross-checks (the `torch` extra): the CPU build, not PyPI's CUDA one
case ",$EXTRAS," in
    *,torch,*)
        if ! .venv/bin/python -c "import torch" >/dev/null 2>&1; then
            .venv/bin/python scripts/install_torch.py .venv/bin/python
        fi ;;
esac

# 5. The project
target="."
if [ -n "$EXTRAS" ]; then target=".[$EXTRAS]"; fi
say "installing $target into .venv"
.venv/bin/python -m pip install --no-compile -q -e "$target"
say "ready"
