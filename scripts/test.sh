#!/usr/bin/env bash
# Runs the whole test suite: system libraries first, then `swift test`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-system.sh
swift build --build-tests
swift test --skip-build --parallel "$@"
