#!/usr/bin/env bash
# Everything `make test` runs, in a throwaway workspace on a free port, leaving no process behind.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export LABKIT_HOME="$(mktemp -d "${TMPDIR:-/tmp}/labkit-test.XXXXXX")"
export LABKIT_PORT="$($BIN/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
cleanup() { $BIN/labkit down >/dev/null 2>&1 || true; rm -rf "$LABKIT_HOME"; }
trap cleanup EXIT

echo "== unit and engine tests (one worker per core; a module's tests stay on one worker)"
$BIN/python -m pytest tests -q --ignore=tests/e2e -n "${LABKIT_TEST_WORKERS:-auto}" --dist loadscope
echo "== browser tests: JupyterLab in headless Chromium (screenshots in build/e2e/)"
$BIN/python -m pytest tests/e2e -q
if [ -d solutions ] && ls solutions/*.ipynb >/dev/null 2>&1; then
  echo "== labs/ is built from solutions/"
  $BIN/labkit build --check
  echo "== solution notebooks (nbval, outputs compared)"
  $BIN/python -m pytest --nbval solutions/ --nbval-sanitize-with solutions/sanitize.cfg -p no:cacheprovider -q
  echo "== learner notebooks run untouched on a fresh workspace (nbval-lax: no crash, checks say 'not done yet')"
  $BIN/labkit reset --yes
  $BIN/python -m pytest --nbval-lax labs/ -p no:cacheprovider -q
fi
