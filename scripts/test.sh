#!/usr/bin/env bash
# Runs the whole test suite: system libraries first, then `swift test` (XCTest).
# Ends with a plain "N passed, N skipped, N failed" line (scripts/test-summary.sh); exits non-zero
# when any test fails or the run ends without XCTest's summary.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-system.sh || exit 1
swift build --build-tests || exit 1
log=$(mktemp)
swift test --skip-build --disable-swift-testing "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
bash scripts/test-summary.sh < "$log"
summary_status=$?
rm -f "$log"
[ "$summary_status" -eq 0 ] || exit "$summary_status"
exit "$status"
