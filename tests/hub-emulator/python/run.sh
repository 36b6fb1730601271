#!/usr/bin/env bash
# Fidelity tests: the real huggingface_hub client (PyPI, pinned in requirements.txt) against the hub-emulator
# binary. This is the CI entry point and installs everything it needs:
#   1. a virtualenv at <repo>/target/py-venv (created once, reused; override the interpreter with $PYTHON),
#   2. pip install -r requirements.txt,
#   3. cargo build --release -p hub-emulator -p spacesmith (honours $CARGO_TARGET_DIR, default <repo>/target;
#      spacesmith for the gateway's OpenAPI check),
#   4. pytest (extra arguments are passed through, e.g. `run.sh -k round_trip -x`).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
case "$target" in
  /*) ;;
  *) target="$root/$target" ;;
esac
venv="$root/target/py-venv"


if [ ! -x "$venv/bin/python" ]; then
  py="$("$root/scripts/pick-python")"
  echo "run.sh: creating $venv with $py" >&2
  mkdir -p "$root/target"
  if ! "$py" -m venv "$venv"; then
    rm -rf "$venv"
    echo "run.sh: '$py -m venv' failed; on Debian/Ubuntu install the python3-venv package" >&2
    exit 1
  fi
fi
"$venv/bin/python" -m pip install --disable-pip-version-check --quiet -r "$here/requirements.txt"

(cd "$root" && cargo build --release --locked -p hub-emulator -p spacesmith)
export HUB_EMULATOR_BIN="$target/release/hub-emulator"
export SPACESMITH_BIN="$target/release/spacesmith"

cd "$here"
exec "$venv/bin/python" -m pytest -q -p no:cacheprovider "$@"
