# Shared set-up for bin/dashboard and bin/test: a virtual environment in .venv with the pinned
# requirements, reinstalled only when a requirements file changes. Source it, don't run it.
# Usage: . bin/_setup.sh [dev]
set -euo pipefail
PY="${PYTHON:-python3}"
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "Casewatch needs Python 3.11 or newer as '$PY' (set PYTHON=/path/to/python3.11)." >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  echo "Creating the virtual environment in .venv ..."
  "$PY" -m venv .venv
fi
reqs="requirements.txt"
[ "${1:-}" = "dev" ] && reqs="requirements-dev.txt"
stamp=".venv/.installed-$(cat requirements.txt requirements-dev.txt | sha256sum | cut -c1-16)-${1:-run}"
if [ ! -f "$stamp" ]; then
  echo "Installing $reqs into .venv ..."
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$reqs"
  touch "$stamp"
fi
