#!/usr/bin/env bash
# Creates (once) the virtualenv the end-to-end tests run generated apps in, at <repo>/target/e2e-venv,
# and installs tests/e2e/requirements.txt from PyPI. Idempotent: when the venv already holds exactly
# these pins (a stamp of the requirements file's hash), it returns at once without calling pip.
# The Rust tests call it once per test process; run it by hand to warm up. Override the interpreter
# with $PYTHON (Python >= 3.10).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$root/target/e2e-venv"
reqs="$here/requirements.txt"
stamp="$venv/.spacesmith-e2e-stamp"

want="$(cksum < "$reqs")"
mkdir -p "$root/target"
# Test processes run in parallel (e.g. under cargo-nextest): one installs, the others wait for it.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$root/target/.e2e-venv.lock"
  flock 9
fi
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "$venv"
  exit 0
fi


if [ ! -x "$venv/bin/python" ]; then
  py="$("$root/scripts/pick-python")"
  echo "setup-venv.sh: creating $venv with $py" >&2
  if ! "$py" -m venv "$venv"; then
    rm -rf "$venv"
    echo "setup-venv.sh: '$py -m venv' failed; on Debian/Ubuntu install the python3-venv package" >&2
    exit 1
  fi
fi
rm -f "$stamp"
echo "setup-venv.sh: installing $reqs into $venv (first run: a few minutes)" >&2
"$venv/bin/python" -m pip install --disable-pip-version-check --quiet -r "$reqs" >&2
echo "$want" > "$stamp"
echo "$venv"
