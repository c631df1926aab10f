#!/usr/bin/env bash
# Runs the whole test suite: system libraries first, then `swift test` (XCTest).
# Ends with a plain "N passed, N failed" line; exits non-zero when any test fails.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-system.sh || exit 1
swift build --build-tests || exit 1
log=$(mktemp)
swift test --skip-build --disable-swift-testing "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
summary=$(grep -E "^[[:space:]]*Executed [0-9]+ tests?, with [0-9]+ failures?" "$log" | tail -n 1)
rm -f "$log"
if [[ $summary =~ Executed\ ([0-9]+)\ tests?,\ with\ ([0-9]+)\ failure ]]; then
  total=${BASH_REMATCH[1]}; failed=${BASH_REMATCH[2]}
  echo "$((total - failed)) passed, $failed failed"
  [ "$failed" -eq 0 ] || exit 1
else
  echo "0 passed, 1 failed"
  exit 1
fi
exit "$status"
