#!/usr/bin/env bash
# Everything `make test` runs, in throwaway workspaces on free ports, leaving no process behind.
# Each phase prints when it starts (seconds since the start), so a slow phase shows in the CI log.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
free_port() { $BIN/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
ROOT="$(mktemp -d "${TMPDIR:-/tmp}/labkit-test.XXXXXX")"
export LABKIT_HOME="$ROOT/solutions" LABKIT_PORT="$(free_port)"
LABS_HOME="$ROOT/labs" LABS_PORT="$(free_port)"
mkdir -p "$LABKIT_HOME" "$LABS_HOME"
cleanup() {
  $BIN/labkit down >/dev/null 2>&1 || true
  LABKIT_HOME="$LABS_HOME" LABKIT_PORT="$LABS_PORT" $BIN/labkit down >/dev/null 2>&1 || true
  rm -rf "$ROOT"
}
trap cleanup EXIT
phase() { echo "== $1 (at ${SECONDS}s)"; }

phase "unit and engine tests (one worker per core; a module's tests stay on one worker)"
$BIN/python -m pytest tests -q --ignore=tests/e2e -n "${LABKIT_TEST_WORKERS:-auto}" --dist loadscope
phase "browser tests: JupyterLab in headless Chromium (screenshots in build/e2e/)"
$BIN/python -m pytest tests/e2e -q
if [ -d solutions ] && ls solutions/*.ipynb >/dev/null 2>&1; then
  phase "labs/ is built from solutions/"
  $BIN/labkit build --check
  # Two independent runs side by side, each with its own workspace and endpoint: the solutions in
  # order with their stored outputs compared (nbval), and the learner notebooks untouched on a fresh
  # workspace (nbval-lax: no crash, every check says 'not done yet').
  phase "solution notebooks (nbval, outputs compared) and learner notebooks (nbval-lax), side by side"
  $BIN/python -m pytest --nbval solutions/ --nbval-sanitize-with solutions/sanitize.cfg -p no:cacheprovider -q \
    > "$ROOT/solutions.log" 2>&1 &
  solutions=$!
  LABKIT_HOME="$LABS_HOME" LABKIT_PORT="$LABS_PORT" $BIN/python -m pytest --nbval-lax labs/ -p no:cacheprovider -q \
    > "$ROOT/labs.log" 2>&1 &
  learner=$!
  rc=0
  wait "$solutions" || rc=1
  echo "-- solutions/ (nbval)"; cat "$ROOT/solutions.log"
  wait "$learner" || rc=1
  echo "-- labs/ (nbval-lax)"; cat "$ROOT/labs.log"
  [ "$rc" = 0 ] || { echo "== notebook tests failed (at ${SECONDS}s)"; exit 1; }
fi
phase "all tests passed"
