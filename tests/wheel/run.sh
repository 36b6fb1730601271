#!/usr/bin/env bash
# The Python wheel end to end, as a user without Rust gets it: build it (scripts/build-wheel), install
# the file into a fresh virtualenv with plain pip and no index (no pipx, no uv), then run the installed
# `spacesmith` with a PATH on which no cargo or rustc can be found: --version, new, validate.
# Then the same wheel through `uvx --offline --from WHEEL` (uv from PyPI, pinned, into target/wheel-venv;
# WHEEL_TEST_UVX=0 skips it). Prints `N passed, N failed` last; exits non-zero if anything failed.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
uv_version="0.13.9"
passed=0
failed=0
pass() { passed=$((passed + 1)); echo "pass: $1"; }
fail() { failed=$((failed + 1)); echo "FAIL: $1"; }
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ] && exit 0
  exit 1
}

if ! wheel="$("$root/scripts/build-wheel")"; then
  fail "scripts/build-wheel"
  finish
fi
version="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -n 1)"
name="$(basename "$wheel")"
# A platform wheel: py3-none-<manylinux or linux tag>, never a pure-Python or source one.
case "$name" in
  "spacesmith-$version-py3-none-"*linux*_x86_64.whl | "spacesmith-$version-py3-none-"*linux*_aarch64.whl) pass "built $name" ;;
  *) fail "unexpected wheel name $name (want spacesmith-$version-py3-none-<linux tag>.whl)" ;;
esac

work="$(mktemp -d "${TMPDIR:-/tmp}/spacesmith-wheel.XXXXXX")"
trap 'rm -rf "$work"' EXIT
py="$("$root/scripts/pick-python")"
if ! "$py" -m venv "$work/venv"; then
  fail "$py -m venv (on Debian/Ubuntu install python3-venv)"
  finish
fi
if "$work/venv/bin/python" -m pip install --no-index --disable-pip-version-check --quiet "$wheel"; then
  pass "pip install --no-index $name"
else
  fail "pip install --no-index $name"
  finish
fi

# A clean environment: the venv's bin only, a fresh HOME (so no plugin cache or token of this machine).
mkdir -p "$work/home"
clean() { env -i HOME="$work/home" PATH="$work/venv/bin" LANG=C.UTF-8 "$@"; }
bash="$(command -v bash)"
if clean "$bash" -c 'command -v cargo || command -v rustc || command -v rustup' >/dev/null; then
  fail "a Rust toolchain is reachable in the clean environment"
else
  pass "no cargo, rustc or rustup on the clean PATH"
fi
if [ "$(clean "$bash" -c 'command -v spacesmith')" = "$work/venv/bin/spacesmith" ]; then
  pass "spacesmith is the venv's"
else
  fail "spacesmith is not found in the venv's bin"
fi

# check NAME WANT_EXIT CMD...: runs CMD in the clean environment, keeps stdout/stderr in $out/$err.
check() {
  local what="$1" want="$2"
  shift 2
  clean "$@" >"$work/stdout" 2>"$work/stderr"
  local code=$?
  out="$(cat "$work/stdout")"
  err="$(cat "$work/stderr")"
  if [ "$code" -eq "$want" ]; then
    return 0
  fi
  fail "$what: exit $code, want $want; stdout: $out; stderr: $err"
  return 1
}

if check "spacesmith --version" 0 spacesmith --version; then
  case "$out" in
    "spacesmith $version (commit "*", contracts "*", wasmtime "*")") pass "spacesmith --version: $out" ;;
    *) fail "spacesmith --version printed: $out" ;;
  esac
fi
if check "spacesmith --version --json" 0 spacesmith --version --json; then
  if printf '%s' "$out" | clean python -c '
import json, sys
v = json.load(sys.stdin)
assert v["name"] == "spacesmith" and v["version"] == sys.argv[1], v
assert v["commit"] and v["wasmtime"] and v["contracts"] and all(c["version"] for c in v["contracts"]), v
' "$version"; then
    pass "spacesmith --version --json"
  else
    fail "spacesmith --version --json: $out"
  fi
fi

space="$work/my-space"
if check "spacesmith new --sdk docker" 0 spacesmith new "$space" --sdk docker; then
  if [ -f "$space/README.md" ] && [ -f "$space/Dockerfile" ]; then
    pass "spacesmith new $space --sdk docker"
  else
    fail "spacesmith new wrote no README.md/Dockerfile: $(ls -A "$space" 2>&1)"
  fi
fi
if check "spacesmith validate" 0 spacesmith validate "$space"; then
  if printf '%s\n%s' "$out" "$err" | grep -q "0 errors"; then
    pass "spacesmith validate $space"
  else
    fail "spacesmith validate did not report 0 errors: $out $err"
  fi
fi
if check "spacesmith validate --json" 0 spacesmith validate "$space" --json; then
  if printf '%s' "$out" | clean python -c 'import json, sys; r = json.load(sys.stdin); assert r["errors"] == 0 and r["sdk"] == "docker", r'; then
    pass "spacesmith validate --json: no errors"
  else
    fail "spacesmith validate --json: $out"
  fi
fi
# What a user sees for a broken project: the exit code validate documents.
printf -- '---\nsdk: docker\napp_port: not-a-port\n---\n' >"$space/README.md"
if check "spacesmith validate (broken README)" 1 spacesmith validate "$space"; then
  pass "spacesmith validate exits 1 on an error"
fi

if [ "${WHEEL_TEST_UVX:-1}" = 1 ]; then
  tools="$root/target/wheel-venv"
  if [ "$("$tools/bin/uv" --version 2>/dev/null | cut -d' ' -f2)" != "$uv_version" ]; then
    "$tools/bin/python" -m pip install --disable-pip-version-check --quiet "uv==$uv_version"
  fi
  ln -sf "$tools/bin/uv" "$tools/bin/uvx" "$work/venv/bin/" 2>/dev/null
  if check "uvx --offline --from WHEEL spacesmith --version" 0 "$(command -v env)" UV_CACHE_DIR="$work/uv-cache" UV_TOOL_DIR="$work/uv-tools" \
    UV_PYTHON="$work/venv/bin/python" uvx --offline --from "$wheel" spacesmith --version; then
    case "$out" in
      "spacesmith $version "*) pass "uvx --offline --from $name spacesmith --version" ;;
      *) fail "uvx spacesmith --version printed: $out" ;;
    esac
  fi
fi

finish
