#!/usr/bin/env bash
# Creates the project-local Python virtualenv (.venv/) with the pinned AWS emulator
# (moto server) and the template and policy linters (cfn-lint, checkov, parliament). Idempotent: a venv whose
# requirements stamp matches is left alone.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${TRACE_VENV:-$root/.venv}"
req="$root/scripts/requirements-emulator.txt"

usable() { command -v "$1" >/dev/null 2>&1 && "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)' 2>/dev/null; }
py=""
for cand in ${PYTHON:-python3 python}; do
  if usable "$cand"; then py="$cand"; break; fi
done
if [ -z "$py" ]; then
  echo "error: Python 3.9+ is needed for the local AWS emulator (moto) and the template linters." >&2
  echo "hint: install it (Debian/Ubuntu: sudo apt-get install python3 python3-venv) or set PYTHON=/path/to/python3." >&2
  exit 2
fi

stamp="$venv/.requirements.sha256"
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$venv/bin/moto_server" ]; then
  echo "emulator venv up to date: $venv"
  exit 0
fi

echo "creating Python virtualenv in $venv (moto server, cfn-lint, checkov, parliament)…"
"$py" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
echo "$want" > "$stamp"
echo "emulator venv ready: $venv"
