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
if [ -d solutions ] && ls solutions/*.ipynb >/dev/null 2>&1; then
  phase "labs/ is built from solutions/"
  $BIN/labkit build --check
fi
# Three independent runs side by side, each with its own workspace and endpoint (they spend much of
# their time waiting on kernels and the browser): the browser tests (JupyterLab in headless
# Chromium, screenshots in build/e2e/); the solutions in order with their stored outputs compared
# (nbval); the learner notebooks untouched on a fresh workspace (nbval-lax: no crash, every check
# says 'not done yet'). Each one's output is printed when it ends.
phase "browser tests, solution notebooks (nbval) and learner notebooks (nbval-lax), side by side"
names=() pids=()
start() { local name=$1; shift; "$@" > "$ROOT/$name.log" 2>&1 & names+=("$name"); pids+=($!); }
start browser $BIN/python -m pytest tests/e2e -q -p no:cacheprovider
if [ -d solutions ] && ls solutions/*.ipynb >/dev/null 2>&1; then
  start solutions $BIN/python -m pytest --nbval solutions/ --nbval-sanitize-with solutions/sanitize.cfg \
    -p no:cacheprovider -q
  start learner-notebooks env LABKIT_HOME="$LABS_HOME" LABKIT_PORT="$LABS_PORT" \
    $BIN/python -m pytest --nbval-lax labs/ -p no:cacheprovider -q
fi
failed=()
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || failed+=("${names[$i]}")
  echo "-- ${names[$i]} (done by ${SECONDS}s)"; cat "$ROOT/${names[$i]}.log"
done
[ "${#failed[@]}" = 0 ] || { echo "== failed: ${failed[*]} (at ${SECONDS}s)"; exit 1; }
phase "all tests passed"
