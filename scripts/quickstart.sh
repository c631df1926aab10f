#!/usr/bin/env bash
# The main job from a fresh clone: system libraries, tinyshakespeare, a release build, a few minutes
# of training with the default model, then a sample.
#   CHARNN_TRAIN_TIME   training budget (default 5m)
#   CHARNN_CORPUS_MIRROR  folder holding tinyshakespeare.txt, for machines without internet
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-system.sh
if [ -z "${CHARNN_CORPUS_MIRROR:-}" ] && [ -f ../shared/corpora/tinyshakespeare.txt ]; then
  export CHARNN_CORPUS_MIRROR="$(cd ../shared/corpora && pwd)"
fi
bash corpora/fetch.sh tinyshakespeare
swift build -c release
bin=.build/release/charnn
"$bin" train corpora/tinyshakespeare.txt --time "${CHARNN_TRAIN_TIME:-5m}"
echo
echo "--- charnn sample --temp 0.8 --length 600 ---"
"$bin" sample --temp 0.8 --length 600
