#!/usr/bin/env bash
# Browser end-to-end tests of the logview page: the real binary, headless Chromium.
#
#   tests/browser/run.sh                      # from anywhere
#   LOGVIEW_BIN=target/release/logview ...    # another binary (relative to the repo root)
#   CHROMIUM=/path/to/chromium ...            # another browser (default /usr/bin/chromium)
#   LOGVIEW_REQUIRE_BROWSER=1 ...             # fail instead of skipping without Chromium
#   LOGVIEW_SCREENSHOT=1 ...                  # also refresh docs/screenshot.png afterwards
#   LOGVIEW_MEASURE=1 ...                     # also print the figures of measure.test.mjs (~60 s, 600 MB in /tmp)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"

if [[ ! -x "$CHROMIUM" ]]; then
  {
    echo "################################################################"
    echo "#"
    echo "#  SKIPPED: browser tests (chromium not found)"
    echo "#"
    echo "#  Looked for: $CHROMIUM (set CHROMIUM to override)."
    echo "#  Install it with: apt-get install chromium"
    echo "#"
    echo "################################################################"
  } >&2
  if [[ "${LOGVIEW_REQUIRE_BROWSER:-0}" == "1" ]]; then
    echo "LOGVIEW_REQUIRE_BROWSER=1: failing because the browser tests cannot run." >&2
    exit 1
  fi
  exit 0
fi

bin="${LOGVIEW_BIN:-target/debug/logview}"
[[ "$bin" == /* ]] || bin="$repo/$bin"
if [[ ! -x "$bin" ]]; then
  echo "logview binary not found at $bin: run 'cargo build' first (or set LOGVIEW_BIN)." >&2
  exit 1
fi
export LOGVIEW_BIN="$bin"

cd "$here"
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund
fi

node --test --test-reporter=spec --test-concurrency=1 --test-timeout=120000 ./*.test.mjs

if [[ "${LOGVIEW_SCREENSHOT:-0}" == "1" ]]; then
  node screenshot.mjs || echo "warning: the screenshot could not be made" >&2
fi
